/**
 * SQLiteJobStore: jobs and runs in one SQLite file (better-sqlite3), shared safely by every
 * process that opens it. Each state change is one `BEGIN IMMEDIATE` transaction, so two
 * schedulers never acquire the same job or claim the same run; `SQLITE_BUSY` is met with a short
 * blocking busy timeout and then asynchronous retries with backoff, never by dropping the write.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { loadSqliteDriver } from './driver.js';
import { adaptLogger } from '../../logging.js';
import { countDatabase, inspectDatabase } from './inspect.js';
import { LATEST_VERSION, migrate } from './migrations.js';
import { resolveOptions, type SQLiteJobStoreOptions, type SQLiteJobStoreTarget } from './options.js';
import { prepareQueries, type Queries, type RunWithJobRow } from './queries.js';
import { historyToRow, jobValues, rowToHistory, rowToJob, rowToRun, type JobValues } from './rows.js';

const BUSY_CODES = /^SQLITE_(BUSY|LOCKED)/;
const MAX_BACKOFF_MS = 500;
/** A retry of a busy statement is logged as a warning after this many attempts, and every this many after. */
const WARN_EVERY = 20;

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
        return this.#completeOne(q, c.runId, c.claimToken, c.outcome);
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

  /**
   * Runs `attempt` until it does not fail with SQLITE_BUSY/LOCKED, sleeping (asynchronously, in
   * real time) 5 ms, 10 ms, … up to 500 ms between tries, with jitter so that contending
   * processes spread out. Gives up only when `stillWanted` says so (the store was closed).
   */
  async #retryBusy<T>(attempt: () => T, stillWanted: () => boolean): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return attempt();
      } catch (err) {
        if (!BUSY_CODES.test(String((err as { code?: unknown }).code))) throw err;
        if (!stillWanted()) throw new StoreClosedError(this.#name, 'SQLite');
        if (tries % WARN_EVERY === 0) {
          this.#logger?.warn(`kairos: SQLite job store "${this.#name}" is still waiting for a lock after ${tries} tries; retrying`, { jobStore: this.#name });
        }
        const backoff = Math.min(MAX_BACKOFF_MS, 5 * 2 ** Math.min(tries - 1, 10));
        await sleep(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
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
      if (q.selectJob(job.id)) throw new ConflictingIdError(job.id, this.#name);
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
    const row = await this.#read((q) => q.selectJob(id));
    return row ? rowToJob(row) : null;
  }

  async getJobs(): Promise<JobRecord[]> {
    return (await this.#read((q) => q.selectJobs())).map(rowToJob);
  }

  async updateJob(id: string, changes: JobChanges, options: { cancelPendingRuns?: boolean } = {}): Promise<JobRecord> {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as JobChanges;
    if (defined.args !== undefined) assertJsonArgs(defined.args, id, this.#name);
    const row = await this.#write((q) => {
      const current = q.selectJob(id);
      if (!current) throw new JobLookupError(id, this.#name);
      q.updateJob(this.#toValues({ ...rowToJob(current), ...defined, id }));
      if (options.cancelPendingRuns) q.deletePendingRuns(id);
      return q.selectJob(id)!;
    });
    return rowToJob(row);
  }

  async removeJob(id: string): Promise<void> {
    await this.#write((q) => {
      if (!q.selectJob(id)) throw new JobLookupError(id, this.#name);
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
    const rows = await this.#write((q) => {
      const leaseNow = this.#leaseClock();
      const max = sqlLimit(limit);
      const due = q.selectDueJobs(now, max);
      // Jobs held by a scheduler that died: take over acquisitions that have expired.
      if (max < 0 || due.length < max) due.push(...q.selectExpiredAcquisitions(leaseNow, now, max < 0 ? -1 : max - due.length));
      for (const row of due) q.acquireJob(row.id, owner, leaseNow + this.leaseDuration);
      return due;
    });
    return rows.map(rowToJob);
  }

  async releaseJobs(owner: string, releases: JobRelease[]): Promise<JobReleaseResult[]> {
    return this.#write((q) =>
      releases.map((release): JobReleaseResult => {
        const { jobId } = release;
        const job = q.selectJobHold(jobId);
        if (!job || job.acquired_by !== owner) return { jobId, created: [], refused: [], removed: false };
        q.releaseJob(jobId, release.nextRunTime, release.exhausted);
        const created: string[] = [];
        const refused: string[] = [];
        let active = q.countScheduledRuns(jobId);
        const createdAt = this.#leaseClock();
        for (const run of release.runs) {
          const manual = run.manual ?? false;
          if (!manual && active >= job.max_instances) {
            if (!q.runExists(run.runId)) refused.push(run.runId); // one that exists is skipped, not refused
            continue;
          }
          if (!q.insertRun({ runId: run.runId, jobId, scheduledRunTime: run.scheduledRunTime, attempt: run.attempt ?? 1, notBefore: run.notBefore, manual, createdAt })) continue;
          created.push(run.runId);
          if (!manual) active++;
        }
        let removed = false;
        if (release.exhausted && q.countLiveRuns(jobId) === 0) {
          q.deleteJob(jobId);
          removed = true;
        }
        return { jobId, created, refused, removed };
      }),
    );
  }

  async claimDueRuns(owner: string, now: number, limit: number): Promise<ClaimedRun[]> {
    return this.#write((q) => {
      const leaseNow = this.#leaseClock();
      const until = leaseNow + this.leaseDuration;
      const max = sqlLimit(limit);
      const out: ClaimedRun[] = [];
      const room = (): number => (max < 0 ? -1 : max - out.length);
      const claim = (row: RunWithJobRow, takenOver: boolean): void => {
        if (row.id === null) {
          q.deleteRun(row.run_id); // its job was removed while the run waited or its holder died
          return;
        }
        const claimToken = randomUUID();
        q.claimRun(row.run_id, owner, claimToken, until, takenOver);
        const run = rowToRun(row);
        run.state = 'running';
        run.owner = owner;
        run.claimToken = claimToken;
        run.leaseExpiresAt = until;
        if (takenOver) run.attempt++;
        out.push({ run, job: rowToJob(row), takenOver });
      };
      // Each batch either fills the limit or drains its index range: claimed rows leave the
      // range (new lease, or no longer pending) and rows of removed jobs are deleted, so a
      // repeated select only ever sees rows it has not handled.
      const drain = (select: (n: number) => RunWithJobRow[], takenOver: boolean): void => {
        for (;;) {
          const want = room();
          if (want === 0) return;
          const rows = select(want);
          for (const row of rows) claim(row, takenOver);
          if (want < 0 || rows.length < want) return;
        }
      };
      drain((n) => q.selectExpiredLeases(leaseNow, n), true);
      drain((n) => q.selectPendingRuns(now, n), false);
      return out;
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

  #completeOne(q: Queries, runId: string, claimToken: string, outcome: RunOutcome): { jobRemoved: boolean } {
    const run = q.selectRunToComplete(runId);
    if (!run || run.claim_token !== claimToken) throw new LeaseLostError(runId, run?.job_id ?? '?', this.#name);
    const jobExists = run.exhausted !== null;
    if (outcome.status === 'retry' && jobExists) {
      q.retryRun(runId, outcome.attempt, outcome.notBefore);
      return { jobRemoved: false };
    }
    q.deleteRun(runId);
    if (jobExists && run.exhausted !== 0 && q.countLiveRuns(run.job_id) === 0) {
      q.deleteJob(run.job_id);
      return { jobRemoved: true };
    }
    return { jobRemoved: false };
  }

  async addRun(jobId: string, run: NewRun): Promise<void> {
    await this.#write((q) => {
      if (!q.selectJob(jobId)) throw new JobLookupError(jobId, this.#name);
      q.insertRun({ runId: run.runId, jobId, scheduledRunTime: run.scheduledRunTime, attempt: run.attempt ?? 1, notBefore: run.notBefore, manual: run.manual ?? false, createdAt: this.#leaseClock() });
    });
  }

  async getLiveRuns(jobId: string): Promise<RunRecord[]> {
    return (await this.#read((q) => q.selectRuns(jobId))).map(rowToRun);
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
