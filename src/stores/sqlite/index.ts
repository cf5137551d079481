/**
 * The SQLite job store. See {@link SQLiteJobStore}.
 * @module
 */
export { SQLiteJobStore } from './store.js';
export type { SQLiteJobStoreOptions, SQLiteJobStoreTarget, SQLiteJobStoreTuning } from './options.js';
