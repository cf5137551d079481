/**
 * Loads the `pg` driver when a PostgreSQL store opens, not when kairos is imported: `pg` is an
 * optional peer dependency, needed only by programs that use `PostgresJobStore`.
 * @module
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import { MissingDependencyError } from '../../errors.js';

/** The `pg` module (its `Pool`, `Client` and `types`). */
export type PgDriver = typeof pg;

/**
 * Imports `pg`. Dynamic `import()`, so that the ESM resolution of the application (and its loader
 * hooks) decides, as for a static import.
 * @param load the import, replaceable by tests
 * @throws MissingDependencyError naming `npm install pg` when the package cannot be loaded
 */
export async function loadPgDriver(load: () => Promise<unknown> = () => import('pg')): Promise<PgDriver> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (err) {
    throw new MissingDependencyError('pg', 'PostgresJobStore', err);
  }
  // pg is CommonJS: its ESM face puts module.exports on `default`.
  return ((loaded as { default?: PgDriver }).default ?? loaded) as PgDriver;
}

let pgTypes: PgDriver['types'] | undefined;

/**
 * pg's type parsers, for results (see `rows.ts`). Only queries call it, and a store queries only
 * once `open()` has loaded the driver, so this require finds it in the cache.
 */
export function loadedPgTypes(): PgDriver['types'] {
  pgTypes ??= (createRequire(import.meta.url)('pg') as PgDriver).types;
  return pgTypes;
}
