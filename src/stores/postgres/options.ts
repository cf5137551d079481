/**
 * The options of PostgresJobStore, documented where they are declared, and their resolution:
 * checked and turned into milliseconds once, in the constructor.
 * @module
 */
import type { Pool } from 'pg';
import { KairosRangeError, KairosTypeError } from '../../errors.js';
import { checkKnownKeys, optionKeys } from '../../options-check.js';
import { toMilliseconds, type DurationLike } from '../../units.js';
import { HISTORY_OPTION_KEYS, resolveHistoryOptions, type ResolvedHistoryOptions, type RunHistoryOptions } from '../history.js';
import { namesFor, type Names } from './names.js';

/** Options of {@link PostgresJobStore}, run history's included (see {@link RunHistoryOptions}). */
export interface PostgresJobStoreOptions extends RunHistoryOptions {
  /**
   * The schema holding the store's tables (created, with its tables, on first open). Schedulers
   * share jobs exactly when they use the same database and schema.
   * @default 'kairos'
   */
  schema?: string;
  /**
   * How long a claim on a run (or a job being planned) lasts without renewal, in ms or as a
   * duration object, judged by the database's clock. The scheduler renews every third of it; a
   * scheduler that dies stops renewing, and its runs are taken over once the lease runs out.
   * @default 30000
   */
  leaseDuration?: DurationLike;
  /**
   * While the LISTEN connection is down, how often the store wakes its scheduler anyway (ms or
   * duration), so that changes made by others are not missed.
   * @default 5000
   */
  safetyPollInterval?: DurationLike;
  /**
   * Longest wait between two attempts to re-open the LISTEN connection (ms or duration); the
   * first wait is 100 ms, doubled after each failure.
   * @default 5000
   */
  maxReconnectDelay?: DurationLike;
  /**
   * Most connections the store's own pool opens (only with `connectionString`; with `pool`,
   * that pool's own limit applies). The LISTEN connection comes on top.
   * @default 10
   */
  poolSize?: number;
}

/** Where a PostgresJobStore finds its database: a connection string, or a `pg.Pool` you own. */
export type PostgresConnection =
  | { connectionString: string; pool?: undefined }
  | {
      /**
       * A `pg.Pool` the application owns: the store uses it and never ends it. Its settings are
       * reused for the store's LISTEN connection.
       */
      pool: Pool;
      connectionString?: undefined;
    };

/** The first argument of the constructor: the connection, optionally with the options. */
export type PostgresJobStoreConfig = PostgresConnection & PostgresJobStoreOptions;

const OPTION_KEYS = optionKeys<PostgresJobStoreOptions>()(['schema', 'leaseDuration', 'safetyPollInterval', 'maxReconnectDelay', 'poolSize', ...HISTORY_OPTION_KEYS]);
const CONFIG_KEYS = optionKeys<PostgresJobStoreConfig>()([
  'connectionString', 'pool', 'schema', 'leaseDuration', 'safetyPollInterval', 'maxReconnectDelay', 'poolSize', ...HISTORY_OPTION_KEYS,
]);

/** The options after {@link resolveOptions}. */
export interface ResolvedPostgresOptions {
  connection: PostgresConnection;
  names: Names;
  leaseDuration: number;
  safetyPollInterval: number;
  maxReconnectDelay: number;
  poolSize: number;
  history: ResolvedHistoryOptions;
}

/**
 * Checks the constructor's arguments and applies the defaults; `options` win over the same keys
 * given in `connection`.
 * @throws TypeError when neither a connection string nor a pool is given, or an option has the wrong type
 * @throws RangeError for an option out of range (a bad schema name, a duration of zero)
 */
export function resolveOptions(connection: PostgresJobStoreConfig, options: PostgresJobStoreOptions): ResolvedPostgresOptions {
  const expected = '{ connectionString: "postgres://…" } or { pool: new pg.Pool(…) }';
  if (connection === null || typeof connection !== 'object') throw new KairosTypeError('connection', connection, expected);
  checkKnownKeys(connection, CONFIG_KEYS, 'PostgresJobStore');
  checkKnownKeys(options, OPTION_KEYS, 'PostgresJobStore');
  const o = { ...connection, ...options };
  let resolved: PostgresConnection;
  if (typeof o.connectionString === 'string' && o.connectionString !== '') resolved = { connectionString: o.connectionString };
  else if (o.pool && typeof (o.pool as Pool).connect === 'function') resolved = { pool: o.pool };
  else throw new KairosTypeError('connection', connection, expected);
  const poolSize = o.poolSize ?? 10;
  if (typeof poolSize !== 'number' || !Number.isInteger(poolSize) || poolSize < 1) {
    throw new KairosRangeError('poolSize', poolSize, 'an integer of 1 or more');
  }
  return {
    connection: resolved,
    names: namesFor(o.schema ?? 'kairos'),
    leaseDuration: toMilliseconds(o.leaseDuration ?? 30_000, 'leaseDuration', { positive: true }),
    safetyPollInterval: toMilliseconds(o.safetyPollInterval ?? 5_000, 'safetyPollInterval', { positive: true }),
    maxReconnectDelay: toMilliseconds(o.maxReconnectDelay ?? 5_000, 'maxReconnectDelay', { positive: true }),
    poolSize,
    history: resolveHistoryOptions(o),
  };
}
