/**
 * PostgresJobStore: jobs and runs in PostgreSQL, shared by any number of schedulers on any number
 * of hosts. Runs are claimed with `FOR UPDATE SKIP LOCKED` under leases judged by the database's
 * clock, keyed by `runId` so that each scheduled run starts once; LISTEN/NOTIFY wakes the other
 * schedulers when jobs change. The SQL lives in `queries.ts`, the schema in `migrations.ts`.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolConfig } from 'pg';
import { ConflictingIdError, JobLookupError, KairosError, StoreClosedError, StoreOpenError } from '../../errors.js';
import type {
  ClaimedRun,
  JobChanges,
  JobRecord,
  JobRelease,
  JobReleaseResult,
  JobStore,
  Logger,
  NewJob,
  NewRun,
  RunOutcome,
  RunRecord,
  StoreCounts,
  StoreInspection,
  StoreOpenContext,
  WakeTimes,
} from '../job-store.js';
import { prepareHistory, retentionPlan, type ResolvedHistoryOptions, type RunHistoryQuery, type RunHistoryRecord, type StoredRunHistoryRecord } from '../history.js';
import { Completions } from './completion.js';
import { inTransaction, isConnectionError } from './connection.js';
import { loadPgDriver, type PgDriver } from './driver.js';
import { adaptLogger } from '../../logging.js';
import { countDatabase, inspectDatabase } from './inspect.js';
import { LATEST_VERSION, migrate } from './migrations.js';
import type { Names } from './names.js';
import { ChangeNotifier } from './notifications.js';
import { resolveOptions, type PostgresConnection, type PostgresJobStoreConfig, type PostgresJobStoreOptions } from './options.js';
import { createQueries, type Queries } from './queries.js';
import { checkStorableText, refusedJob } from './refusals.js';
import { releaseOn } from './release.js';

/** Rows per INSERT of `addJobs` (its arrays are one parameter per column, whatever their length). */
const ADD_JOBS_BATCH = 5000;

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A job store in PostgreSQL (version 13 or later).
 *
 * @example
 * ```ts
 * const store = new PostgresJobStore({ connectionString: process.env.DATABASE_URL! }, { leaseDuration: { seconds: 30 } });
 * const scheduler = new Scheduler({ jobStores: { default: store } });
 * ```
 */
export class PostgresJobStore implements JobStore {
  readonly persistent = true;
  readonly leaseDuration: number;
  readonly #names: Names;
  readonly #q: Queries;
  readonly #connection: PostgresConnection;
  readonly #safetyPollInterval: number;
  readonly #maxReconnectDelay: number;
  readonly #poolSize: number;
  readonly #history: ResolvedHistoryOptions;
  /** Payload of this instance's notifications, so that it ignores its own. */
  readonly #self = randomUUID();
  #pool: Pool | null = null;
  /** The `pg` module, imported by the first `open()` (it is an optional peer dependency). */
  #pg: PgDriver | null = null;
  #name = 'postgres';
  #logger: Logger = SILENT;
  #notifier: ChangeNotifier | null = null;
  readonly #listeners = new Set<() => void>();
  /** The schema versions the last `open()` applied (see `inspect`). */
  #migratedOnOpen: number[] = [];
  /** Owners this instance acquired jobs for. */
  readonly #owners = new Set<string>();
  /**
   * Jobs acquired by this instance whose release failed (connection lost): still held in the
   * database until their acquisition expires, so `getWakeTimes` looks at them explicitly and
   * the scheduler re-acquires them at once instead of after `leaseDuration`.
   */
  readonly #unreleased = new Set<string>();
  /** Per owner, the jobs it acquired and has not released yet (see `releaseAndClaim`). */
  readonly #acquired = new Map<string, Map<string, JobRecord>>();
  /** Records the ends of runs (see Completions). */
  readonly #completions: Completions;
  readonly #onPoolError = (err: Error): void => {
    this.#logger.warn(`kairos: store "${this.#name}": an idle PostgreSQL connection failed (${err.message}); the pool replaces it`, { jobStore: this.#name }, err);
  };

  /**
   * @param connection `{ connectionString }` or `{ pool }`, optionally with the options
   * @param options see {@link PostgresJobStoreOptions} (these win over the same keys in `connection`)
   * @throws TypeError / RangeError for a missing connection or a bad option
   */
  constructor(connection: PostgresJobStoreConfig, options: PostgresJobStoreOptions = {}) {
    const o = resolveOptions(connection, options);
    this.#connection = o.connection;
    this.#names = o.names;
    this.#q = createQueries(this.#names, this.#self);
    this.leaseDuration = o.leaseDuration;
    this.#safetyPollInterval = o.safetyPollInterval;
    this.#maxReconnectDelay = o.maxReconnectDelay;
    this.#poolSize = o.poolSize;
    this.#history = o.history;
    this.#completions = new Completions({
      db: () => this.#db(),
      isOpen: () => this.#pool !== null,
      queries: this.#q,
      leaseDuration: this.leaseDuration,
      storeName: () => this.#name,
      logger: () => this.#logger,
    });
  }

  /** The schema this store keeps its tables in. */
  get schema(): string {
    return this.#names.schemaName;
  }

  // ------------------------------------------------------------------ lifecycle

  async open(context: StoreOpenContext): Promise<void> {
    this.#name = context.name;
    this.#logger = adaptLogger(context.logger);
    if (this.#pool) return;
    const pg = (this.#pg ??= await loadPgDriver());
    if (this.#pool) return; // opened by a concurrent call meanwhile
    const pool =
      this.#connection.pool ??
      new pg.Pool({
        connectionString: this.#connection.connectionString,
        max: this.#poolSize,
        connectionTimeoutMillis: 10_000,
        idleTimeoutMillis: 30_000,
        keepAlive: true,
        application_name: 'kairos',
      });
    pool.on('error', this.#onPoolError);
    this.#pool = pool;
    try {
      const client = await pool.connect();
      const onError = (): void => {};
      client.on('error', onError);
      let failed: unknown;
      try {
        const { applied } = await migrate(client, this.#names);
        this.#migratedOnOpen = applied;
        if (applied.length > 0) this.#logger.info(`kairos: store "${this.#name}": applied PostgreSQL migrations ${applied.join(', ')} in schema "${this.#names.schemaName}"`, { jobStore: this.#name });
        // Exhausted jobs whose last run ended in a crash between the run's deletion and theirs.
        await this.#q.deleteExhaustedJobs(client);
      } catch (err) {
        failed = err;
        throw err;
      } finally {
        client.removeListener('error', onError);
        client.release(failed !== undefined && isConnectionError(failed) ? true : undefined);
      }
      if (this.#listeners.size > 0) await this.#startNotifier();
    } catch (err) {
      await this.#closePool();
      if (err instanceof KairosError) throw err;
      throw new StoreOpenError(this.#name, 'PostgreSQL', `schema "${this.#names.schemaName}"`, err, 'check the connection string or pool settings and that the server is running');
    }
  }

  async close(): Promise<void> {
    this.#acquired.clear();
    const notifier = this.#notifier;
    this.#notifier = null;
    await notifier?.stop();
    await this.#closePool();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (this.#pool && !this.#notifier) void this.#startNotifier();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#notifier) {
        const notifier = this.#notifier;
        this.#notifier = null;
        void notifier.stop();
      }
    };
  }

  // ---------------------------------------------------------------------- jobs

  async addJob(job: JobRecord, options: { replaceExisting: boolean }): Promise<void> {
    const db = this.#db();
    checkStorableText(job, this.#name);
    try {
      if (options.replaceExisting) await this.#q.replaceJob(db, job);
      else if (!(await this.#q.insertJob(db, job))) throw new ConflictingIdError(job.id, this.#name);
    } catch (err) {
      throw refusedJob(err, job.id, this.#name);
    }
  }

  /**
   * One transaction: multi-row inserts through `unnest` (ADD_JOBS_BATCH rows a statement), one
   * change notification at the end. A taken id rolls everything back.
   */
  async addJobs(jobs: ReadonlyArray<NewJob>): Promise<void> {
    for (const { job } of jobs) checkStorableText(job, this.#name);
    let current = jobs[0]?.job.id ?? '?';
    try {
      await inTransaction(this.#db(), async (client) => {
        for (let i = 0; i < jobs.length; i += ADD_JOBS_BATCH) {
          const part = jobs.slice(i, i + ADD_JOBS_BATCH);
          current = part[0]!.job.id;
          const fresh = part.filter((j) => !j.replaceExisting).map((j) => j.job);
          const replaced = part.filter((j) => j.replaceExisting).map((j) => j.job);
          if (fresh.length > 0) {
            const inserted = await this.#q.insertJobs(client, fresh);
            if (inserted.size < fresh.length) throw new ConflictingIdError(fresh.find((j) => !inserted.has(j.id))!.id, this.#name);
          }
          if (replaced.length > 0) await this.#q.replaceJobs(client, replaced);
        }
        if (jobs.length > 0) await this.#q.notifyChange(client);
      });
    } catch (err) {
      throw err instanceof ConflictingIdError ? err : refusedJob(err, jobs.length === 1 ? current : `${current}" (or one of the ${jobs.length} jobs added with it`, this.#name);
    }
  }

  async getJob(id: string): Promise<JobRecord | null> {
    return this.#q.selectJob(this.#db(), id);
  }

  async getJobs(): Promise<JobRecord[]> {
    return this.#q.selectJobs(this.#db());
  }

  async updateJob(id: string, changes: JobChanges, options: { cancelPendingRuns?: boolean } = {}): Promise<JobRecord> {
    let updated: JobRecord | null;
    try {
      updated = await this.#q.updateJob(this.#db(), id, changes, options.cancelPendingRuns ?? false);
    } catch (err) {
      throw refusedJob(err, id, this.#name);
    }
    if (!updated) throw new JobLookupError(id, this.#name);
    return updated;
  }

  async removeJob(id: string): Promise<void> {
    if (!(await this.#q.deleteJob(this.#db(), id))) throw new JobLookupError(id, this.#name);
  }

  async removeAllJobs(): Promise<void> {
    await this.#q.deleteAllJobs(this.#db());
  }

  // ---------------------------------------------------------------------- work

  async getWakeTimes(owner: string): Promise<WakeTimes> {
    const db = this.#db();
    await this.#completions.sweepIfDue(db);
    if (this.#unreleased.size > 0) {
      const held = new Set(await this.#q.stillHeld(db, [...this.#unreleased], [...this.#owners]));
      for (const id of this.#unreleased) if (!held.has(id)) this.#unreleased.delete(id);
    }
    return this.#q.wakeTimes(db, owner, [...this.#unreleased], [...this.#owners]);
  }

  async acquireDueJobs(owner: string, now: number, limit: number): Promise<JobRecord[]> {
    this.#owners.add(owner);
    const jobs = await this.#q.acquireDueJobs(this.#db(), owner, now, limit, this.leaseDuration, [...this.#unreleased]);
    for (const job of jobs) this.#unreleased.delete(job.id);
    let acquired = this.#acquired.get(owner);
    if (!acquired && jobs.length > 0) this.#acquired.set(owner, (acquired = new Map()));
    for (const job of jobs) acquired!.set(job.id, job);
    return jobs;
  }

  async releaseJobs(owner: string, releases: JobRelease[]): Promise<JobReleaseResult[]> {
    return (await this.#release(owner, releases, null)).released;
  }

  /**
   * See {@link JobStore.releaseAndClaim}: one transaction, in which the release's runs due by
   * `now` are inserted claimed (see `claimOnInsert`), then `claimDueRuns`' statement claims
   * other due runs up to `limit`.
   */
  async releaseAndClaim(owner: string, releases: JobRelease[], now: number, limit: number): Promise<{ released: JobReleaseResult[]; claimed: ClaimedRun[] }> {
    if (releases.length === 0) return { released: [], claimed: await this.claimDueRuns(owner, now, limit) };
    return this.#release(owner, releases, { now, limit });
  }

  async #release(owner: string, releases: JobRelease[], claim: { now: number; limit: number } | null): Promise<{ released: JobReleaseResult[]; claimed: ClaimedRun[] }> {
    if (releases.length === 0) return { released: [], claimed: [] };
    const acquired = this.#acquired.get(owner);
    try {
      return await inTransaction(this.#db(), (client) => releaseOn(client, this.#q, owner, releases, claim, acquired, this.leaseDuration));
    } catch (err) {
      // The jobs stay acquired by `owner` until that expires; see #unreleased.
      if (isConnectionError(err)) for (const r of releases) this.#unreleased.add(r.jobId);
      throw err;
    } finally {
      for (const r of releases) acquired?.delete(r.jobId);
      if (acquired?.size === 0) this.#acquired.delete(owner);
    }
  }

  async claimDueRuns(owner: string, now: number, limit: number): Promise<ClaimedRun[]> {
    if (limit <= 0) return [];
    return this.#q.claimDueRuns(this.#db(), owner, now, limit, this.leaseDuration);
  }

  async renewLeases(owner: string, runs: Array<{ runId: string; claimToken: string }>): Promise<string[]> {
    if (runs.length === 0) return [];
    return this.#q.renewLeases(this.#db(), owner, runs, this.leaseDuration);
  }

  /**
   * See `JobStore.completeRun`. Completions are batched, and one whose reply was lost is recognised
   * by its claim token when asked again (see `completion.ts`).
   */
  completeRun(runId: string, claimToken: string, outcome: RunOutcome): Promise<{ jobRemoved: boolean }> {
    return this.#completions.complete(runId, claimToken, outcome);
  }

  async addRun(jobId: string, run: NewRun): Promise<void> {
    if (!(await this.#q.insertRun(this.#db(), jobId, run))) throw new JobLookupError(jobId, this.#name);
  }

  async getLiveRuns(jobId: string): Promise<RunRecord[]> {
    return this.#q.selectRuns(this.#db(), jobId);
  }

  /**
   * Two statements: the rows (one `unnest` insert), then retention (one bounded delete through
   * the indexes), which must see the rows just inserted, so it cannot share the insert's snapshot.
   */
  async recordRuns(entries: RunHistoryRecord[]): Promise<void> {
    if (entries.length === 0 || this.#history.keepRuns === 0) return;
    const prepared = prepareHistory(entries, this.#history);
    const db = this.#db();
    await this.#q.insertHistory(db, prepared);
    await this.#q.deleteHistory(db, retentionPlan(prepared, this.#history));
  }

  async getRunHistory(query: RunHistoryQuery): Promise<StoredRunHistoryRecord[]> {
    return this.#q.selectHistory(this.#db(), query);
  }

  /** See {@link JobStore.getCounts}. */
  async getCounts(): Promise<StoreCounts> {
    return countDatabase(this.#db(), this.#names);
  }

  /** See {@link JobStore.inspect}. Leases are judged by the server's `now()`, reported as `leaseNow`. */
  async inspect({ limit = 100 }: { limit?: number } = {}): Promise<StoreInspection> {
    const found = await inspectDatabase(this.#db(), this.#names, Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : null);
    return {
      location: `PostgreSQL schema "${this.#names.schemaName}"`,
      latestSchemaVersion: LATEST_VERSION,
      migratedOnOpen: [...this.#migratedOnOpen],
      leaseClock: 'database',
      ...found,
    };
  }

  // ------------------------------------------------------------------ internals

  #db(): Pool {
    if (!this.#pool) {
      throw new StoreClosedError(this.#name, 'PostgreSQL');
    }
    return this.#pool;
  }

  async #startNotifier(): Promise<void> {
    if (this.#notifier || !this.#pool || !this.#pg) return;
    const pg = this.#pg;
    const base: PoolConfig = this.#connection.pool ? { ...this.#connection.pool.options } : { connectionString: this.#connection.connectionString };
    const notifier = new ChangeNotifier({
      createClient: () => new pg.Client({ ...base, keepAlive: true, keepAliveInitialDelayMillis: 10_000, application_name: 'kairos-listen' }),
      channel: this.#names.channel,
      self: this.#self,
      onChange: () => {
        for (const listener of [...this.#listeners]) listener();
      },
      logger: this.#logger,
      storeName: this.#name,
      safetyPollInterval: this.#safetyPollInterval,
      minReconnectDelay: 100,
      maxReconnectDelay: this.#maxReconnectDelay,
    });
    this.#notifier = notifier;
    await notifier.start();
  }

  async #closePool(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    if (!pool) return;
    if (this.#connection.pool) {
      // Not ours to end: the application handles its errors from now on.
      pool.removeListener('error', this.#onPoolError);
      return;
    }
    // Our listener stays: end() resolves before every socket is closed, and a client whose
    // server goes away meanwhile still reports it through the pool's 'error' event.
    await pool.end().catch(() => {});
  }
}
