/**
 * SQLiteJobStore: jobs and runs in one SQLite file (better-sqlite3), shared safely by every
 * process that opens it. Each state change is one `BEGIN IMMEDIATE` transaction, so two
 * schedulers never acquire the same job or claim the same run; `SQLITE_BUSY` is met with a short
 * blocking busy timeout and then asynchronous retries with backoff, never by dropping the write.
 * @module
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import type Database from 'better-sqlite3';
import { ConflictingIdError, JobLookupError, KairosTypeError, LeaseLostError, SerializationError, StoreClosedError } from '../../errors.js';
import type {
  ClaimedRun,
  JobChanges,
  JobRecord,
  NewJob,
  JobRelease,
  JobReleaseResult,
  JobStore,
  Logger,
  NewRun,
  RunOutcome,
  RunRecord,
  StoreCounts,
  StoreInspection,
  StoreOpenContext,
  WakeTimes,
} from '../job-store.js';
import { earliestWakeTimes } from '../job-store.js';
import { prepareHistory, retentionPlan, type ResolvedHistoryOptions, type RunHistoryQuery, type RunHistoryRecord, type StoredRunHistoryRecord } from '../history.js';
import { assertJsonArgs } from '../serialization.js';
import { TurnBatch } from './batch.js';
import { retryBusy } from './busy.js';
import { loadSqliteDriver } from './driver.js';
import { adaptLogger } from '../../logging.js';
import { countDatabase, inspectDatabase } from './inspect.js';
import { LATEST_VERSION, migrate } from './migrations.js';
import { resolveOptions, type SQLiteJobStoreOptions, type SQLiteJobStoreTarget } from './options.js';
import { prepareQueries, type Queries } from './queries.js';
import { acquireDue, claimDue, completeClaimed, releaseAcquired } from './work.js';
import { historyToRow, jobValues, rowToHistory, type JobValues } from './rows.js';

/** SQLite's LIMIT takes an integer; -1 means no limit. */
function sqlLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : -1;
}

/**
 * A job store in a SQLite file. Jobs outlive the process, and several schedulers (processes) may
 * share one file: each due job is acquired, and each run claimed under a lease, in one
 * `BEGIN IMMEDIATE` transaction, so every scheduled run starts in one process only.
 * @example
 * const scheduler = new Scheduler({ jobStores: { default: new SQLiteJobStore({ path: 'jobs.sqlite' }) } });
 */
export class SQLiteJobStore implements JobStore {
  readonly persistent = true;
  readonly leaseDuration: number;
  readonly #target: SQLiteJobStoreTarget;
  readonly #leaseClock: () => number;
  readonly #pollInterval: number;
  readonly #busyTimeout: number;
  readonly #history: ResolvedHistoryOptions;
  #name = 'sqlite';
  #logger: Logger | null = null;
  #db: Database.Database | null = null;
  #q: Queries | null = null;
  /** Runs a body in `BEGIN IMMEDIATE … COMMIT` (rolled back when it throws). */
  #immediate: ((body: () => unknown) => unknown) | null = null;
  /** Runs ending in one turn of the event loop are recorded in one transaction. */
  readonly #completions = new TurnBatch<{ runId: string; claimToken: string; outcome: RunOutcome }, { jobRemoved: boolean }>(
    (items) => this.#write((q) => items.map((c) => {
      try {
        return completeClaimed(q, c.runId, c.claimToken, c.outcome, this.#name);
      } catch (err) {
        if (err instanceof LeaseLostError) return err; // checked before writing: nothing of it was written
        throw err;
      }
    })),
    LeaseLostError,
  );
  readonly #listeners = new Set<() => void>();
  #pollTimer: ReturnType<typeof setInterval> | null = null;
  #dataVersion = 0;
  /** The schema versions the last `open()` applied (see `inspect`). */
  #migratedOnOpen: number[] = [];

  constructor(options: SQLiteJobStoreOptions) {
    const resolved = resolveOptions(options);
    this.#target = resolved.target;
    this.leaseDuration = resolved.leaseDuration;
    this.#leaseClock = resolved.leaseClock;
    this.#pollInterval = resolved.pollInterval;
    this.#busyTimeout = resolved.busyTimeout;
    this.#history = resolved.history;
  }

  // ---------------------------------------------------------------- lifecycle

  async open(context: StoreOpenContext): Promise<void> {
    this.#name = context.name;
    this.#logger = adaptLogger(context.logger);
    if (this.#db) return;
    const own = this.#target.path !== undefined;
    let db: Database.Database;
    if (own) {
      const file = this.#target.path!;
      if (file !== ':memory:' && !file.startsWith('file:')) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      const Driver = loadSqliteDriver(); // required here, not at import: see driver.ts
      db = new Driver(file, { timeout: this.#busyTimeout });
    } else {
      db = this.#target.database!;
      if (!db.open) throw new KairosTypeError('database', db, 'an open better-sqlite3 Database');
    }
    try {
      db.pragma(`busy_timeout = ${this.#busyTimeout}`);
      await this.#retryBusy(() => db.pragma('journal_mode = WAL'), () => true);
      db.pragma('synchronous = NORMAL');
      const applied = await this.#retryBusy(() => migrate(db), () => true);
      if (applied.length > 0) this.#logger.debug(`kairos: SQLite job store "${this.#name}" migrated to version ${applied.at(-1)}`, { jobStore: this.#name });
      this.#migratedOnOpen = applied;
      const runImmediate = db.transaction((body: () => unknown) => body());
      this.#immediate = (body) => runImmediate.immediate(body);
      this.#q = prepareQueries(db);
      this.#db = db;
    } catch (err) {
      this.#immediate = null;
      this.#q = null;
      if (own) db.close();
      throw err;
    }
    this.#startPolling();
  }

  async close(): Promise<void> {
    this.#stopPolling();
    if (this.#completions.pending > 0 && this.#db) await this.#completions.flush(); // record what has ended
    const db = this.#db;
    this.#db = null;
    this.#q = null;
    this.#immediate = null;
    if (db && this.#target.path !== undefined) db.close();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    this.#startPolling();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stopPolling();
    };
  }

  #startPolling(): void {
    if (this.#pollTimer || !this.#q || this.#listeners.size === 0) return;
    const q = this.#q;
    this.#dataVersion = q.dataVersion();
    this.#pollTimer = setInterval(() => {
      if (this.#q !== q) return;
      let version: number;
      try {
        version = q.dataVersion();
      } catch (err) {
        this.#logger?.warn(`kairos: SQLite job store "${this.#name}" could not check for changes`, { jobStore: this.#name }, err);
        return;
      }
      if (version === this.#dataVersion) return;
      this.#dataVersion = version;
      for (const listener of [...this.#listeners]) {
        try {
          listener();
        } catch (err) {
          this.#logger?.error(`kairos: a change listener of SQLite job store "${this.#name}" threw`, { jobStore: this.#name }, err);
        }
      }
    }, this.#pollInterval);
    this.#pollTimer.unref();
  }

  #stopPolling(): void {
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
  }

  // ------------------------------------------------------------ transactions

  /** See {@link retryBusy}: retried until it succeeds or the store is closed. */
  #retryBusy<T>(attempt: () => T, stillWanted: () => boolean): Promise<T> {
    return retryBusy(attempt, stillWanted, { name: this.#name, logger: this.#logger });
  }

  /** One write transaction (BEGIN IMMEDIATE), retried while the database is busy. */
  #write<T>(body: (q: Queries) => T): Promise<T> {
    return this.#retryBusy(() => {
      const q = this.#queries();
      return this.#immediate!(() => body(q)) as T;
    }, () => this.#db !== null);
  }

  /** A read (its statements see one snapshot when they run in one implicit transaction each). */
  #read<T>(body: (q: Queries) => T): Promise<T> {
    return this.#retryBusy(() => body(this.#queries()), () => this.#db !== null);
  }

  #queries(): Queries {
    if (!this.#q) throw new StoreClosedError(this.#name, 'SQLite');
    return this.#q;
  }

  // --------------------------------------------------------------------- jobs

  #toValues(job: JobRecord): JobValues {
    assertJsonArgs(job.args, job.id, this.#name);
    return this.#serialize(job);
  }

  /** The job's values; its args must have passed `assertJsonArgs`. */
  #serialize(job: JobRecord): JobValues {
    try {
      return jobValues(job);
    } catch (err) {
      throw new SerializationError(`job "${job.id}" cannot be stored in store "${this.#name}": its trigger or retry options are not JSON`, job.id, this.#name, { cause: err });
    }
  }

  async addJob(job: JobRecord, options: { replaceExisting: boolean }): Promise<void> {
    const values = this.#toValues(job);
    await this.#write((q) => {
      if (options.replaceExisting) return q.replaceJob(values);
      if (q.jobExists(job.id)) throw new ConflictingIdError(job.id, this.#name);
      q.insertJob(values);
    });
  }

  /**
   * One transaction, one prepared statement per row; a taken id is caught by the primary key (no
   * lookup per job). The args of every job are checked before the transaction; each job's values
   * are made just before its insert, so that none outlives it (holding 100,000 of them until the
   * transaction ran cost more in garbage collection than the inserts). A trigger that is not JSON
   * fails inside the transaction, which then writes nothing.
   */
  async addJobs(jobs: ReadonlyArray<NewJob>): Promise<void> {
    for (const { job } of jobs) assertJsonArgs(job.args, job.id, this.#name);
    await this.#write((q) => {
      for (const { job, replaceExisting } of jobs) {
        const values = this.#serialize(job);
        if (replaceExisting) {
          q.replaceJob(values);
          continue;
        }
        try {
          q.insertJob(values);
        } catch (err) {
          if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new ConflictingIdError(job.id, this.#name);
          throw err;
        }
      }
    });
  }

  async getJob(id: string): Promise<JobRecord | null> {
    return (await this.#read((q) => q.selectJob(id))) ?? null;
  }

  async getJobs(): Promise<JobRecord[]> {
    return this.#read((q) => q.selectJobs());
  }

  async updateJob(id: string, changes: JobChanges, options: { cancelPendingRuns?: boolean } = {}): Promise<JobRecord> {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as JobChanges;
    if (defined.args !== undefined) assertJsonArgs(defined.args, id, this.#name);
    return this.#write((q) => {
      const current = q.selectJob(id);
      if (!current) throw new JobLookupError(id, this.#name);
      q.updateJob(this.#toValues({ ...current, ...defined, id }));
      if (options.cancelPendingRuns) q.deletePendingRuns(id);
      return q.selectJob(id)!;
    });
  }

  async removeJob(id: string): Promise<void> {
    await this.#write((q) => {
      if (!q.jobExists(id)) throw new JobLookupError(id, this.#name);
      q.deleteJob(id);
      q.deletePendingRuns(id);
    });
  }

  async removeAllJobs(): Promise<void> {
    await this.#write((q) => {
      q.deleteAllJobs();
      q.deleteAllPendingRuns();
    });
  }

  // --------------------------------------------------------------------- work

  async getWakeTimes(owner: string): Promise<WakeTimes> {
    const leaseNow = this.#leaseClock();
    const w = await this.#read((q) => q.selectWakeTimes(owner, leaseNow));
    return earliestWakeTimes([w.freeJob, w.pendingRun, w.expiredJob, w.expiredRun], [w.heldJobUntil, w.heldRunUntil], leaseNow);
  }

  async acquireDueJobs(owner: string, now: number, limit: number): Promise<JobRecord[]> {
    return this.#write((q) => {
      const leaseNow = this.#leaseClock();
      return acquireDue(q, owner, now, sqlLimit(limit), leaseNow, leaseNow + this.leaseDuration);
    });
  }

  async releaseJobs(owner: string, releases: JobRelease[]): Promise<JobReleaseResult[]> {
    return this.#write((q) => releaseAcquired(q, owner, releases, this.#leaseClock));
  }

  async claimDueRuns(owner: string, now: number, limit: number): Promise<ClaimedRun[]> {
    return this.#write((q) => {
      const leaseNow = this.#leaseClock();
      return claimDue(q, owner, now, sqlLimit(limit), leaseNow, leaseNow + this.leaseDuration);
    });
  }

  async renewLeases(owner: string, runs: Array<{ runId: string; claimToken: string }>): Promise<string[]> {
    if (runs.length === 0) return [];
    return this.#write((q) => {
      const until = this.#leaseClock() + this.leaseDuration;
      return runs.filter(({ runId, claimToken }) => !q.renewLease(runId, owner, claimToken, until)).map(({ runId }) => runId);
    });
  }

  /** Recorded together with the other runs ending in this turn of the event loop (one transaction). */
  completeRun(runId: string, claimToken: string, outcome: RunOutcome): Promise<{ jobRemoved: boolean }> {
    return this.#completions.add({ runId, claimToken, outcome });
  }

  async addRun(jobId: string, run: NewRun): Promise<void> {
    await this.#write((q) => {
      if (!q.jobExists(jobId)) throw new JobLookupError(jobId, this.#name);
      q.insertRun({ runId: run.runId, jobId, scheduledRunTime: run.scheduledRunTime, attempt: run.attempt ?? 1, notBefore: run.notBefore, manual: run.manual ?? false, createdAt: this.#leaseClock() });
    });
  }

  async getLiveRuns(jobId: string): Promise<RunRecord[]> {
    return this.#read((q) => q.selectRuns(jobId));
  }

  // -------------------------------------------------------------- run history

  /** One transaction: the rows, then retention (each rule a bounded delete through an index). */
  async recordRuns(entries: RunHistoryRecord[]): Promise<void> {
    if (entries.length === 0 || this.#history.keepRuns === 0) return;
    const prepared = prepareHistory(entries, this.#history);
    const rows = prepared.map(historyToRow);
    const plan = retentionPlan(prepared, this.#history);
    await this.#write((q) => {
      for (const row of rows) q.insertHistory(row);
      for (const jobId of plan.jobIds) q.deleteHistoryBeyond(jobId, plan.keep, plan.limit);
      q.deleteHistoryBefore(plan.cutoff, plan.limit);
    });
  }

  async getRunHistory(query: RunHistoryQuery): Promise<StoredRunHistoryRecord[]> {
    return (await this.#read((q) => q.selectHistory(query))).map(rowToHistory);
  }

  // ------------------------------------------------------------ administration

  /** See {@link JobStore.getCounts}. */
  async getCounts(): Promise<StoreCounts> {
    return this.#read(() => countDatabase(this.#db!));
  }

  /** See {@link JobStore.inspect}. Leases are judged by the host clock (`leaseClock`). */
  async inspect({ limit = 100 }: { limit?: number } = {}): Promise<StoreInspection> {
    return this.#read(() => {
      const db = this.#db!;
      const leaseNow = this.#leaseClock();
      return {
        location: `SQLite file "${this.#target.path ?? db.name}"`,
        latestSchemaVersion: LATEST_VERSION,
        migratedOnOpen: [...this.#migratedOnOpen],
        leaseClock: 'host',
        leaseNow,
        ...inspectDatabase(db, sqlLimit(limit)),
      };
    });
  }
}
