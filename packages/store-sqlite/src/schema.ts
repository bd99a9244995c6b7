import { FosspushError } from '@fosspush/core';
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
  // Records: small JSON documents by namespace and id (Store.putRecord). Before this version
  // the daemon kept its records as registrations under reserved owners: owner '~<namespace>',
  // id '~<namespace>/<key>', data {"value": "<text>"}. They move here, their text becoming a
  // JSON string, so an upgraded daemon keeps its app credentials and channel state.
  `
  CREATE TABLE records (
    namespace  TEXT NOT NULL,
    id         TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (namespace, id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX records_by_expiry ON records (namespace, expires_at, id) WHERE expires_at IS NOT NULL;
  CREATE INDEX records_to_purge ON records (expires_at) WHERE expires_at IS NOT NULL;

  INSERT INTO records (namespace, id, value, expires_at)
    SELECT substr(owner, 2), substr(id, length(owner) + 2), json_quote(coalesce(json_extract(data, '$.value'), '')), expires_at
    FROM registrations
    WHERE substr(owner, 1, 1) = '~' AND substr(id, 1, length(owner) + 1) = owner || '/';
  DELETE FROM registrations WHERE substr(owner, 1, 1) = '~' AND substr(id, 1, length(owner) + 1) = owner || '/';
  `,
  // Messages without the index by registration and the foreign key: every message paid for an
  // entry in that index, and a page of it in the WAL at every commit, for the sole benefit of
  // the cascade when a registration goes (listMessages never used it). A message's owner is its
  // registration's owner, so the owner index finds a registration's messages, and two triggers
  // do what the foreign key did: a registration's messages go with it, and follow it when it
  // changes owner. The table is rebuilt (SQLite cannot drop a constraint); its
  // sqlite_sequence row moves with it, so a seq is still never reused. The triggers exist
  // already only in a database made by this version and labelled older by hand (the daemon's
  // upgrade test does so); they name the table being replaced, so they go first.
  `
  DROP TRIGGER IF EXISTS registration_deleted;
  DROP TRIGGER IF EXISTS registration_owner_changed;
  CREATE TABLE messages_v3 (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    registration_id TEXT NOT NULL,
    owner           TEXT NOT NULL,
    payload         BLOB NOT NULL,
    ttl_seconds     INTEGER NOT NULL,
    urgency         TEXT NOT NULL,
    topic           TEXT,
    sent_at         INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
  ) STRICT;
  INSERT INTO messages_v3 (seq, id, registration_id, owner, payload, ttl_seconds, urgency, topic, sent_at, expires_at)
    SELECT m.seq, m.id, m.registration_id, r.owner, m.payload, m.ttl_seconds, m.urgency, m.topic, m.sent_at, m.expires_at
    FROM messages AS m JOIN registrations AS r ON r.id = m.registration_id;
  DELETE FROM sqlite_sequence WHERE name = 'messages_v3';
  UPDATE sqlite_sequence SET name = 'messages_v3' WHERE name = 'messages';
  DROP TABLE messages;
  ALTER TABLE messages_v3 RENAME TO messages;
  CREATE INDEX messages_by_owner ON messages (owner, seq);
  CREATE INDEX messages_by_topic ON messages (registration_id, topic) WHERE topic IS NOT NULL;
  CREATE INDEX messages_by_expiry ON messages (expires_at);

  CREATE TRIGGER registration_deleted AFTER DELETE ON registrations BEGIN
    DELETE FROM messages WHERE owner = old.owner AND registration_id = old.id;
  END;
  CREATE TRIGGER registration_owner_changed AFTER UPDATE OF owner ON registrations WHEN new.owner IS NOT old.owner BEGIN
    UPDATE messages SET owner = new.owner WHERE owner = old.owner AND registration_id = new.id;
  END;
  `,
];

/** The schema version this code writes: the number of migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database up to `SCHEMA_VERSION`. A database whose `user_version` is higher was
 * written by a newer fosspush: its tables may mean something this code does not know, so it
 * is refused (UNSUPPORTED_STORE_VERSION) rather than written to. Downgrading means restoring
 * the backup taken before the upgrade.
 */
export function migrate(db: Database): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new FosspushError(
        'UNSUPPORTED_STORE_VERSION',
        `the database ${db.name} has schema version ${current}, written by a newer fosspush; this version reads up to ${SCHEMA_VERSION}. Upgrade fosspush, or restore the backup taken before the upgrade`,
        { details: { schemaVersion: current, supportedVersion: SCHEMA_VERSION } },
      );
    }
    for (let version = current; version < SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version] as string);
    }
    if (current !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
