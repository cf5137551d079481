/**
 * The `kairos` command's store: `--db` (or `KAIROS_DB`) names a SQLite file or a PostgreSQL URL,
 * and only that store's module is imported, so a SQLite command never loads `pg` and a
 * PostgreSQL one never loads better-sqlite3.
 * @module
 */
import { existsSync } from 'node:fs';
import { JobClient } from '../client.js';
import { KairosRangeError, KairosTypeError } from '../errors.js';
import type { JobStore, Logger, StoreInspection } from '../stores/job-store.js';

/** Where the command finds its store. */
export interface StoreTarget {
  /** `--db`, else `KAIROS_DB`. */
  db: string | undefined;
  /** `--schema` (PostgreSQL only). */
  schema: string | undefined;
}

/** A store the command opened, as a client and as a store (for `inspect`). */
export interface OpenedStore {
  client: JobClient;
  store: JobStore & { inspect(options?: { limit?: number }): Promise<StoreInspection> };
  kind: 'sqlite' | 'postgres';
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** Warnings and errors of the store on stderr; the rest is quiet. */
export function stderrLogger(write: (text: string) => void): Logger {
  const line = (level: string) => (message: string, ...rest: unknown[]): void => {
    const err = rest.find((r) => r instanceof Error) as Error | undefined;
    write(`kairos: ${level}: ${message}${err ? ` (${err.message})` : ''}`);
  };
  return { debug() {}, info() {}, warn: line('warning'), error: line('error') };
}

/**
 * Opens the store through a JobClient (which applies its migrations; no timer, no executors).
 * @param create when false (every command but `migrate`), a SQLite file that does not exist is
 *   bad input rather than created: a typo in `--db` must not make an empty database
 * @throws KairosTypeError without a database; KairosRangeError for a missing SQLite file or `--schema` with SQLite
 */
export async function openStore(target: StoreTarget, logger: Logger, { create }: { create: boolean }): Promise<OpenedStore> {
  const db = target.db;
  if (db === undefined || db === '') {
    throw new KairosTypeError('--db', db, 'a SQLite file path or a postgres:// URL', 'pass --db or set KAIROS_DB');
  }
  let store: OpenedStore['store'];
  let kind: OpenedStore['kind'];
  if (POSTGRES_URL.test(db)) {
    const { PostgresJobStore } = await import('../postgres.js');
    store = new PostgresJobStore({ connectionString: db }, target.schema === undefined ? {} : { schema: target.schema });
    kind = 'postgres';
  } else {
    if (target.schema !== undefined) throw new KairosRangeError('--schema', target.schema, 'no schema with SQLite', 'schemas are for a PostgreSQL --db (postgres://…)');
    if (!create && db !== ':memory:' && !existsSync(db)) {
      throw new KairosRangeError('--db', db, 'the path of an existing SQLite database, or a postgres:// URL', '`kairos migrate --db <path>` creates one');
    }
    const { SQLiteJobStore } = await import('../sqlite.js');
    store = new SQLiteJobStore({ path: db });
    kind = 'sqlite';
  }
  const client = new JobClient({ jobStores: { default: store }, logger });
  await client.open();
  return { client, store, kind };
}
