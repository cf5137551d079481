/**
 * `kairos/sqlite`: the SQLite job store, the preferred import for it.
 *
 * ```ts
 * import { Scheduler } from 'kairos';
 * import { SQLiteJobStore } from 'kairos/sqlite';
 * ```
 *
 * better-sqlite3 (a native module, a dependency of kairos) is loaded when the first store opens;
 * `import('kairos')` alone never loads it.
 * @module kairos/sqlite
 */
export { SQLiteJobStore } from './stores/sqlite/store.js';
export type { SQLiteJobStoreOptions, SQLiteJobStoreTarget, SQLiteJobStoreTuning } from './stores/sqlite/options.js';
