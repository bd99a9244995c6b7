/**
 * @module @fosspush/store-sqlite
 *
 * The embedded fosspush store: registrations, queued messages and seen ids in one SQLite file.
 */
export { createSqliteStore, SQLITE_STORE_DEFAULTS, type SqliteStoreOptions } from './sqlite-store.js';
