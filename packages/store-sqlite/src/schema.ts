import type { Database } from 'better-sqlite3';

/**
 * Schema migrations, applied in order and recorded in `PRAGMA user_version`. Append only:
 * a shipped migration is never edited, so every database reaches the same schema.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE registrations (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    data       TEXT NOT NULL
  ) STRICT;
  CREATE INDEX registrations_by_owner ON registrations (owner);

  -- AUTOINCREMENT: a seq is never reused after deletes, so it is a safe resume cursor.
  CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    registration_id TEXT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    owner           TEXT NOT NULL,
    payload         BLOB NOT NULL,
    ttl_seconds     INTEGER NOT NULL,
    urgency         TEXT NOT NULL,
    topic           TEXT,
    sent_at         INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX messages_by_owner ON messages (owner, seq);
  CREATE INDEX messages_by_registration ON messages (registration_id, seq);
  CREATE INDEX messages_by_topic ON messages (registration_id, topic) WHERE topic IS NOT NULL;
  CREATE INDEX messages_by_expiry ON messages (expires_at);

  CREATE TABLE seen (
    key        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
];

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (let version = current; version < MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version] as string);
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
