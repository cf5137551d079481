/**
 * The options of the SQLite store, documented where they are declared, and their resolution
 * (defaults applied, durations turned into ms, bad values refused) done once, at construction.
 * @module
 */
import type Database from 'better-sqlite3';
import { KairosRangeError, KairosTypeError } from '../../errors.js';
import { checkKnownKeys, optionKeys } from '../../options-check.js';
import { toMilliseconds, type DurationLike } from '../../units.js';
import { HISTORY_OPTION_KEYS, resolveHistoryOptions, type ResolvedHistoryOptions, type RunHistoryOptions } from '../history.js';

/** Where the store keeps its data: a file it opens itself, or a connection you opened. */
export type SQLiteJobStoreTarget =
  | {
      /**
       * Path of the database file; created (with its folder) when missing. Every process that
       * passes the same path shares the same jobs.
       */
      path: string;
      database?: undefined;
    }
  | {
      /**
       * An open better-sqlite3 connection. The store switches it to WAL mode, sets its busy timeout
       * and `synchronous = NORMAL`, creates its `kairos_*` tables in it, and leaves it open on
       * `close()` (it is yours).
       */
      database: Database.Database;
      path?: undefined;
    };

/** Tuning options of {@link SQLiteJobStore}, run history's included (see {@link RunHistoryOptions}); every one has a sensible default. */
export interface SQLiteJobStoreTuning extends RunHistoryOptions {
  /**
   * How long a claim on a job or run lasts without renewal, in ms of real time (or a duration
   * object). The scheduler renews the leases of its runs in flight every third of it; when a
   * process dies, another one takes its runs over once this much time has passed. Use the same
   * value in every process sharing the file.
   * @default 30000
   */
  leaseDuration?: DurationLike;
  /**
   * The real-time clock leases are judged by, in epoch ms. Leases never follow the scheduler's
   * clock (a FakeClock does not expire them); tests can pass a controllable function here.
   * @default Date.now
   */
  leaseClock?: () => number;
  /**
   * How often, in ms, the store checks whether another connection changed the file (it reads
   * `PRAGMA data_version`, a cheap in-memory check), so that a job added or modified by another
   * process re-arms this scheduler's timer. Polling happens only while the scheduler is
   * subscribed and the store is open, on an unref'd timer that never keeps the process alive.
   * @default 250
   */
  pollInterval?: DurationLike;
  /**
   * How long one attempt at a statement waits for another connection's write lock, in ms, before
   * the store gives up the attempt and retries it after an asynchronous backoff (5 ms doubling to
   * 500 ms), for as long as the store is open. better-sqlite3 is synchronous, so this wait blocks
   * the event loop: keep it short. Transactions hold the lock for well under a millisecond.
   * @default 100
   */
  busyTimeout?: DurationLike;
}

/** Options of {@link SQLiteJobStore}: where the data lives, plus tuning. */
export type SQLiteJobStoreOptions = SQLiteJobStoreTarget & SQLiteJobStoreTuning;

/** The options with every default applied and every duration in ms. */
export interface ResolvedOptions {
  target: SQLiteJobStoreTarget;
  leaseDuration: number;
  leaseClock: () => number;
  pollInterval: number;
  busyTimeout: number;
  history: ResolvedHistoryOptions;
}

const OPTION_KEYS = optionKeys<SQLiteJobStoreOptions>()(['path', 'database', 'leaseDuration', 'leaseClock', 'pollInterval', 'busyTimeout', ...HISTORY_OPTION_KEYS]);

/** Converts a duration option to whole ms, with errors naming the option. */
function durationOption(value: DurationLike | undefined, fallback: number, field: string, positive: boolean): number {
  if (value === undefined) return fallback;
  return Math.ceil(toMilliseconds(value, field, { positive }));
}

/**
 * Applies defaults and checks every option.
 * @throws TypeError for a missing or doubled target, or a value of the wrong type
 * @throws RangeError for a duration out of range
 */
export function resolveOptions(options: SQLiteJobStoreOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new KairosTypeError('options', options, 'an object with `path` (a file path) or `database` (a better-sqlite3 connection)');
  }
  checkKnownKeys(options, OPTION_KEYS, 'SQLiteJobStore');
  const hasPath = options.path !== undefined;
  const hasDatabase = options.database !== undefined;
  if (hasPath === hasDatabase) {
    throw new KairosTypeError('options', options, 'exactly one of `path` (a file path) or `database` (a better-sqlite3 connection)');
  }
  if (hasPath && (typeof options.path !== 'string' || options.path === '')) {
    throw new KairosTypeError('path', options.path, 'a non-empty file path');
  }
  const database = options.database as Partial<Database.Database> | null | undefined;
  if (hasDatabase && (typeof database !== 'object' || database === null || typeof database.prepare !== 'function' || typeof database.transaction !== 'function')) {
    throw new KairosTypeError('database', options.database, 'a better-sqlite3 Database');
  }
  const target: SQLiteJobStoreTarget = hasPath ? { path: options.path! } : { database: options.database! };
  const leaseDuration = durationOption(options.leaseDuration, 30_000, 'leaseDuration', true);
  const pollInterval = durationOption(options.pollInterval, 250, 'pollInterval', true);
  const busyTimeout = durationOption(options.busyTimeout, 100, 'busyTimeout', false);
  if (options.leaseClock !== undefined && typeof options.leaseClock !== 'function') {
    throw new KairosTypeError('leaseClock', options.leaseClock, 'a function returning epoch milliseconds');
  }
  const leaseClock = options.leaseClock ?? Date.now;
  if (busyTimeout > 2 ** 31 - 1) throw new KairosRangeError('busyTimeout', options.busyTimeout, 'at most 2147483647 ms');
  return { target, leaseDuration, leaseClock, pollInterval, busyTimeout, history: resolveHistoryOptions(options) };
}
