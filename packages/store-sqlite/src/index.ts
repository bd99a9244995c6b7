/**
 * @module @fosspush/store-sqlite
 *
 * The embedded fosspush store: registrations, queued messages, seen ids and records in one SQLite file.
 */
export { backupSqliteDatabase, type SqliteBackupResult } from './backup.js';
export { SCHEMA_VERSION } from './schema.js';
export { createSqliteStore, SQLITE_STORE_DEFAULTS, type SqliteStoreOptions } from './sqlite-store.js';
