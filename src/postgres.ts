/**
 * `kairos/postgres`: the PostgreSQL job store, the preferred import for it.
 *
 * ```ts
 * import { Scheduler } from 'kairos';
 * import { PostgresJobStore } from 'kairos/postgres';
 * ```
 *
 * It needs the `pg` package, an optional peer dependency of kairos (`npm install pg`), imported
 * when the first store opens; `import('kairos')` alone never loads it. Without it, `open()`
 * (that is, `Scheduler.start()`) rejects with `MissingDependencyError`.
 * @module kairos/postgres
 */
export { PostgresJobStore } from './stores/postgres/postgres-store.js';
export type { PostgresConnection, PostgresJobStoreConfig, PostgresJobStoreOptions } from './stores/postgres/options.js';
