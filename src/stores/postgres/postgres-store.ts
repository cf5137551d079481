/**
 * PostgresJobStore: jobs and runs in PostgreSQL, shared by any number of schedulers on any number
 * of hosts. Runs are claimed with `FOR UPDATE SKIP LOCKED` under leases judged by the database's
 * clock, keyed by `runId` so that each scheduled run starts once; LISTEN/NOTIFY wakes the other
 * schedulers when jobs change. The SQL lives in `queries.ts`, the schema in `migrations.ts`.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolConfig } from 'pg';
import { ConflictingIdError, JobLookupError, KairosError, LeaseLostError, SerializationError, StoreClosedError, StoreOpenError } from '../../errors.js';
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
import { Batcher } from './batcher.js';
import { inTransaction, isConnectionError } from './connection.js';
import { loadPgDriver, type PgDriver } from './driver.js';
import { adaptLogger } from '../../logging.js';
import { countDatabase, inspectDatabase } from './inspect.js';
import { LATEST_VERSION, migrate } from './migrations.js';
import type { Names } from './names.js';
import { ChangeNotifier } from './notifications.js';
import { resolveOptions, type PostgresConnection, type PostgresJobStoreConfig, type PostgresJobStoreOptions } from './options.js';
import { createQueries, type Queries, type RunInsert } from './queries.js';

/** Half of a surrogate pair on its own: not encodable as UTF-8 (the driver would replace it). */
const LONE_SURROGATE = /\p{Cs}/u;
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
  /** Runs ending at once are deleted in one statement (see Batcher). */
  readonly #finisher = new Batcher<{ runId: string; claimToken: string }, { jobId: string; exhausted: boolean } | null>(
    (runs) => this.#q.finishRuns(this.#db(), runs),
    { maxInFlight: 2, maxBatch: 1000, key: (r) => r.runId },
  );
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
    this.#checkText(job);
    try {
      if (options.replaceExisting) await this.#q.replaceJob(db, job);
      else if (!(await this.#q.insertJob(db, job))) throw new ConflictingIdError(job.id, this.#name);
    } catch (err) {
      throw this.#refused(err, job.id);
    }
  }

  /**
   * One transaction: multi-row inserts through `unnest` (ADD_JOBS_BATCH rows a statement), one
   * change notification at the end. A taken id rolls everything back.
   */
  async addJobs(jobs: ReadonlyArray<NewJob>): Promise<void> {
    for (const { job } of jobs) this.#checkText(job);
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
      throw err instanceof ConflictingIdError ? err : this.#refused(err, jobs.length === 1 ? current : `${current}" (or one of the ${jobs.length} jobs added with it`);
    }
  }

  #checkText(job: JobRecord): void {
    for (const field of ['id', 'name', 'taskId', 'executor'] as const) {
      if (LONE_SURROGATE.test(job[field])) {
        throw new SerializationError(
          `job "${job.id}" cannot be stored in store "${this.#name}": its ${field} contains a lone UTF-16 surrogate, which PostgreSQL text cannot hold`,
          job.id,
          this.#name,
        );
      }
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
      throw this.#refused(err, id);
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
    return jobs;
  }

  async releaseJobs(owner: string, releases: JobRelease[]): Promise<JobReleaseResult[]> {
    if (releases.length === 0) return [];
    try {
      return await inTransaction(this.#db(), async (client) => {
        const held = await this.#q.lockReleasedJobs(client, owner, releases);
        const plans = new Map<string, { created: string[]; refused: string[] }>();
        const inserts: RunInsert[] = [];
        const drop: string[] = [];
        for (const release of releases) {
          const job = held.get(release.jobId);
          if (!job || plans.has(release.jobId)) continue;
          // The same decisions as MemoryJobStore: existing run ids are skipped, non-manual runs
          // beyond maxInstances (counting pending and running ones) refused, in the order given.
          const plan = { created: [] as string[], refused: [] as string[] };
          let active = job.active;
          for (const run of release.runs) {
            if (job.existing.has(run.runId)) continue;
            if (!run.manual && active >= job.maxInstances) {
              plan.refused.push(run.runId);
              continue;
            }
            plan.created.push(run.runId);
            inserts.push({ ...run, jobId: job.id });
            if (!run.manual) active++;
          }
          if (release.exhausted && job.live === 0 && plan.created.length === 0) drop.push(job.id);
          plans.set(release.jobId, plan);
        }
        const { created, removed } = await this.#q.insertRunsAndDropJobs(client, inserts, drop);
        return releases.map((release) => {
          const plan = plans.get(release.jobId);
          if (!plan) return { jobId: release.jobId, created: [], refused: [], removed: false };
          return { jobId: release.jobId, created: plan.created.filter((id) => created.has(id)), refused: plan.refused, removed: removed.has(release.jobId) };
        });
      });
    } catch (err) {
      // The jobs stay acquired by `owner` until that expires; see #unreleased.
      if (isConnectionError(err)) for (const r of releases) this.#unreleased.add(r.jobId);
      throw err;
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
   * Besides the contract: a lost connection is retried (with backoff, for up to `leaseDuration`)
   * rather than reported, because a run whose end is not recorded would be taken over and run a
   * second time. When an earlier attempt did commit before its reply was lost, the retry finds
   * the run already ended (or requeued) and reports success.
   */
  async completeRun(runId: string, claimToken: string, outcome: RunOutcome): Promise<{ jobRemoved: boolean }> {
    const deadline = Date.now() + this.leaseDuration;
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#completeOnce(runId, claimToken, outcome, attempt > 1);
      } catch (err) {
        if (!isConnectionError(err) || Date.now() + delay > deadline || !this.#pool) throw err;
        if (attempt === 1) this.#logger.warn(`kairos: store "${this.#name}": recording the end of run "${runId}" failed (${(err as Error).message}); retrying`, { jobStore: this.#name, runId }, err);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 2_000);
      }
    }
  }

  async #completeOnce(runId: string, claimToken: string, outcome: RunOutcome, retrying: boolean): Promise<{ jobRemoved: boolean }> {
    const db = this.#db();
    if (outcome.status === 'retry') {
      const res = await this.#q.requeueRun(db, runId, claimToken, outcome.attempt, outcome.notBefore);
      if (res) return { jobRemoved: false };
    } else {
      const res = await this.#finisher.submit({ runId, claimToken });
      if (res) {
        const jobRemoved = res.exhausted ? await this.#q.deleteExhaustedJob(db, res.jobId) : false;
        return { jobRemoved };
      }
    }
    const state = await this.#q.runState(db, runId);
    // After a lost reply, our own earlier attempt may have ended (or requeued) the run.
    if (retrying && (state === null || state.state === 'pending')) return { jobRemoved: false };
    throw new LeaseLostError(runId, state?.jobId ?? '?', this.#name);
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

  /** A data error from PostgreSQL (text with NUL, invalid JSON escape, oversized key) as SerializationError. */
  #refused(err: unknown, jobId: string): unknown {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && (code.startsWith('22') || code === '54000')) {
      return new SerializationError(
        `job "${jobId}" cannot be stored in store "${this.#name}": PostgreSQL refused it (${(err as Error).message}); ` +
          'store text without NUL characters, and plain JSON data as args',
        jobId,
        this.#name,
        { cause: err },
      );
    }
    return err;
  }
}
