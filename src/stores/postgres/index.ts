/**
 * The PostgreSQL job store (see `postgres-store.ts`).
 * @module
 */
export { PostgresJobStore } from './postgres-store.js';
export type { PostgresConnection, PostgresJobStoreConfig, PostgresJobStoreOptions } from './options.js';
