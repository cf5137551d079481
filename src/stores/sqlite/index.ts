/**
 * The SQLite job store. See {@link SQLiteJobStore}.
 * @module
 */
export { SQLiteJobStore, StoreClosedError } from './store.js';
export type { SQLiteJobStoreOptions, SQLiteJobStoreTarget, SQLiteJobStoreTuning } from './options.js';
