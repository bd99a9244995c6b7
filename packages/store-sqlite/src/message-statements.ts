/**
 * The statements every queued message runs: a push's enqueue and a device's ack. They are the
 * store's hot path, so they live here, where bench/statements.bench.ts measures them against
 * what they replaced.
 *
 * Queuing a message is two statements, the live registration's owner and then a plain INSERT,
 * not one `INSERT ... SELECT FROM registrations ... RETURNING`: RETURNING has SQLite collect
 * the row in a temporary table and better-sqlite3 build an object of it, and that one statement
 * cost about 1.5 times the two. Both run in the same transaction, so nothing comes between
 * them. Parameters are positional: a named one is a property read per parameter from an object
 * built per message.
 */
export const MESSAGE_STATEMENTS = {
  /** Parameters: registration id, now (ms). The owner of a live registration, plucked. */
  liveOwner: 'SELECT owner FROM registrations WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)',
  /**
   * Parameters in column order. Inserts nothing when the id is already queued (`changes` 0);
   * the new row's seq is `lastInsertRowid`.
   */
  insertMessage: `INSERT INTO messages (id, registration_id, owner, payload, ttl_seconds, urgency, topic, sent_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING`,
  /** Parameter: message id. */
  deleteMessage: 'DELETE FROM messages WHERE id = ?',
} as const;
