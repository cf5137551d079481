/**
 * The contract between the scheduler and a job store. A store keeps jobs and runs and claims
 * work atomically under leases; it never computes fire times, misfires or coalescing (the
 * scheduler does, in `src/scheduler/plan.ts`). All methods are asynchronous so that a networked
 * store fits unchanged.
 *
 * Two clocks are involved, and they are never mixed:
 * - **schedule time** (`now` arguments, `nextRunTime`, `notBefore`): the scheduler's clock, which
 *   may be a FakeClock. Stores compare against the `now` they are given, never read it.
 * - **lease time** (`leaseExpiresAt`): real time, judged by the store itself: the host clock
 *   (`Date.now()`, or the store's `leaseClock` option) in memory and SQLite, the database's
 *   `now()` in PostgreSQL. A FakeClock never expires a lease.
 *
 * Every run of a job is a row keyed by its `runId`; a row exists from the moment the run is due
 * (or waiting for its retry) until it finishes. Inserting an existing `runId` is a no-op, which is
 * what makes a scheduled run start once across schedulers.
 * @module
 */
import type { SerializedTrigger } from '../triggers/trigger.js';
import type { RunHistoryQuery, RunHistoryRecord, StoredRunHistoryRecord } from './history.js';

/** Retry options resolved to milliseconds (see the job option `retry`). */
export interface RetryPolicy {
  attempts: number;
  delay: number;
  factor: number;
  maxDelay: number;
  jitter: boolean;
}

/** A job as a store keeps it. Times are epoch milliseconds on the schedule clock. */
export interface JobRecord {
  id: string;
  name: string;
  taskId: string;
  trigger: SerializedTrigger;
  args: unknown[];
  /** The next fire time; `null` when the job is paused (or exhausted, see `exhausted`). */
  nextRunTime: number | null;
  /** True once the trigger has no further fire time; the job is deleted when its last run ends. */
  exhausted: boolean;
  misfireGraceTime: number | null;
  coalesce: boolean;
  maxInstances: number;
  /** Upper bound of the random delay added to each run, in ms (0: none). */
  jitter: number;
  executor: string;
  timeout: number | null;
  retry: RetryPolicy | null;
}

/** The fields of a job that `updateJob` may change. */
export type JobChanges = Partial<Omit<JobRecord, 'id'>>;

/** A run that is due or in flight, as a store keeps it. */
export interface RunRecord {
  runId: string;
  jobId: string;
  /** The fire time this run belongs to (schedule clock, ms). For `runJob` runs, when it was asked for. */
  scheduledRunTime: number;
  /** The try this row stands for, from 1. */
  attempt: number;
  /** The run may not start before this instant (schedule clock, ms): jitter or a retry's backoff. */
  notBefore: number;
  /** `pending`: waiting for `notBefore` and a claimer; `running`: claimed under a lease. */
  state: 'pending' | 'running';
  /** The scheduler holding the lease, or `null` while pending. */
  owner: string | null;
  /** When the lease runs out (lease time, ms), or `null` while pending. */
  leaseExpiresAt: number | null;
  /** Random token of the current claim; writes for the run must present it (fencing). */
  claimToken: string | null;
  /** True for runs started by `runJob`: they are outside the schedule and `maxInstances`. */
  manual: boolean;
}

/** A run the scheduler asks a store to create. It starts `pending` and unowned. */
export interface NewRun {
  runId: string;
  scheduledRunTime: number;
  notBefore: number;
  attempt?: number;
  manual?: boolean;
}

/** The outcome of processing one acquired job (see {@link JobStore.releaseJobs}). */
export interface JobRelease {
  jobId: string;
  /** The job's next fire time after this wakeup; `null` together with `exhausted: true` when it has none. */
  nextRunTime: number | null;
  exhausted: boolean;
  /** Runs to create, oldest first. */
  runs: NewRun[];
}

/** What {@link JobStore.releaseJobs} did for one job. */
export interface JobReleaseResult {
  jobId: string;
  /** Run ids created (oldest first), within the job's `maxInstances`. */
  created: string[];
  /** Run ids not created because the job already had `maxInstances` runs pending or in flight. */
  refused: string[];
  /** True when the job was exhausted with no run left and has been deleted. */
  removed: boolean;
}

/** A claimed run together with the job it belongs to. */
export interface ClaimedRun {
  run: RunRecord;
  job: JobRecord;
  /** True when the run was taken over from a holder whose lease had expired. */
  takenOver: boolean;
}

/** How a run ended, as told to {@link JobStore.completeRun}. */
export type RunOutcome =
  | { status: 'succeeded' | 'failed' | 'missed' }
  /** Keep the run as `pending` for its next try, not before `notBefore`. */
  | { status: 'retry'; attempt: number; notBefore: number };

/**
 * When a scheduler next has work in a store. Two clocks, two fields: work that becomes due on the
 * schedule clock, and work that becomes free when a lease held by another scheduler runs out (its
 * holder died or stalled), which only real time (the store's lease clock) can tell.
 */
export interface WakeTimes {
  /**
   * The earliest instant (schedule clock, ms) at which there is work `owner` could take: the
   * smallest `nextRunTime` of a job nobody holds or whose acquisition expired, `notBefore` of a
   * pending run, or `notBefore` of a running run whose lease expired. `null` when there is none.
   */
  dueAt: number | null;
  /**
   * In how many ms of real time the earliest lease held by another owner runs out: a job
   * acquisition (`owner` would then take the job over) or a run in flight (`owner` would take the
   * run over). `null` when no other owner holds anything. The scheduler arms its timer for it,
   * so a dead holder's work is taken over when its lease expires, not at the next change.
   */
  takeoverIn: number | null;
}

/**
 * The rule every store applies to answer {@link JobStore.getWakeTimes}: `due` are schedule-clock
 * instants (nulls ignored), `leasesUntil` lease-clock instants at which others' leases run out,
 * `leaseNow` the lease clock now. Leases already expired are not counted here: their work is
 * due, and the store reports it in `due`.
 */
export function earliestWakeTimes(due: Array<number | null | undefined>, leasesUntil: Array<number | null | undefined>, leaseNow: number): WakeTimes {
  let dueAt: number | null = null;
  for (const t of due) if (t !== null && t !== undefined && (dueAt === null || t < dueAt)) dueAt = t;
  let takeoverAt: number | null = null;
  for (const t of leasesUntil) if (t !== null && t !== undefined && t > leaseNow && (takeoverAt === null || t < takeoverAt)) takeoverAt = t;
  // Rounded up: waking a fraction of a millisecond before the expiry would find the lease held.
  return { dueAt, takeoverIn: takeoverAt === null ? null : Math.ceil(takeoverAt - leaseNow) };
}

/** A lease held in a store, as {@link JobStore.inspect} reports it. */
export interface LeaseInfo {
  /** `job`: a scheduler is planning the job (its acquisition); `run`: a run in flight. */
  kind: 'job' | 'run';
  jobId: string;
  /** The run's id for a `run` lease, else `null`. */
  runId: string | null;
  /** The scheduler holding it (its `ownerId`: host, pid and a random part). */
  owner: string;
  /** When it runs out (lease time, ms); at or before `leaseNow` it has expired. */
  expiresAt: number;
}

/** What a store tells an administrator about itself (`kairos doctor`); see {@link JobStore.inspect}. */
export interface StoreInspection {
  /** Where the data lives, in words: `SQLite file "/srv/jobs.sqlite"`, `PostgreSQL schema "kairos"`. */
  location: string;
  /** The database's schema version (its newest applied migration). */
  schemaVersion: number;
  /** The newest schema version this build of kairos knows. */
  latestSchemaVersion: number;
  /** The versions this store's `open()` applied (empty when the schema was already up to date). */
  migratedOnOpen: number[];
  /** Which clock leases live on: this host's (SQLite, memory) or the database server's (PostgreSQL). */
  leaseClock: 'host' | 'database';
  /** The lease clock now (ms), read with the leases. */
  leaseNow: number;
  /** Jobs stored, and how many of them are paused. */
  jobs: { total: number; paused: number };
  /** Live runs: waiting to start, and in flight (each in flight holds a lease). */
  runs: { pending: number; running: number };
  /** Leases held (job acquisitions and runs in flight), earliest expiry first (expired ones first), at most `limit`. */
  leases: LeaseInfo[];
  /**
   * The run history kept: entries, and the `finishedAt` (ms, on the schedulers' clock) of the
   * oldest and newest, `null` when empty. Read through the history's index on `finished_at`.
   */
  history: { entries: number; oldestFinishedAt: number | null; newestFinishedAt: number | null };
}

/** What {@link JobStore.getCounts} reports. */
export interface StoreCounts {
  /** Jobs stored, paused ones included. */
  jobs: number;
  /** Runs waiting for their next try after a failed one: `pending` runs with `attempt > 1`. */
  pendingRetries: number;
}

/** What the scheduler tells a store when it opens it. */
export interface StoreOpenContext {
  /** The name the store has in the scheduler's `jobStores`. */
  name: string;
  /** Logger of the scheduler (may be silent). */
  logger: Logger;
}

/**
 * The logger shape kairos accepts: `console` fits, and so does a pino logger.
 *
 * kairos writes each line as `logger.warn(message, fields?, err?)`: the message, then (when the
 * line is about a job, a run or a store) a plain object of fields such as `jobId`, `runId`,
 * `scheduledRunTime` (ISO-8601) and `jobStore`, then the error, if any. A pino logger (one with
 * `child()` and `levels.values`) is called pino's way instead, `logger.warn({ ...fields, err }, message)`.
 */
export interface Logger {
  debug(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

/**
 * A place where jobs live. Implementations: `MemoryJobStore`, `SQLiteJobStore`, `PostgresJobStore`.
 * Each method is atomic: it either does all it says or nothing.
 */
/** One job of {@link JobStore.addJobs}. */
export interface NewJob {
  job: JobRecord;
  replaceExisting: boolean;
}

export interface JobStore {
  /**
   * True when jobs outlive the process: the scheduler then refuses tasks that are not registered
   * by id and args that JSON cannot round-trip, before calling `addJob`.
   */
  readonly persistent: boolean;
  /** How long a claim lasts without renewal, in ms (real time). The scheduler renews every third of it. */
  readonly leaseDuration: number;

  // ---------------------------------------------------------------- lifecycle
  /** Opens connections and applies migrations. Called once by `Scheduler.start()`. */
  open(context: StoreOpenContext): Promise<void>;
  /** Closes connections; a closed store may be opened again. Idempotent. */
  close(): Promise<void>;
  /**
   * Calls `listener` soon after another scheduler (process or connection) changed jobs or runs,
   * so that this scheduler re-arms its timer. Returns an unsubscribe function. Stores that cannot
   * see others' changes never call it.
   */
  subscribe(listener: () => void): () => void;

  // --------------------------------------------------------------------- jobs
  /**
   * Inserts a job. With `replaceExisting`, replaces a job of the same id (its pending runs are
   * kept; the scheduler cancels them with `updateJob` when the trigger changed).
   * @throws ConflictingIdError when the id is taken and `replaceExisting` is false
   * @throws SerializationError when the job cannot be stored (nothing is written)
   */
  addJob(job: JobRecord, options: { replaceExisting: boolean }): Promise<void>;
  /**
   * Inserts many jobs in one transaction: all of them or none. Each entry is an `addJob` with its
   * own `replaceExisting`; ids are distinct within one call. Optional: a store without it gets
   * the jobs one `addJob` at a time (the scheduler removes those it added when one fails).
   * @throws ConflictingIdError for the first id taken by a job not being replaced (nothing is written)
   * @throws SerializationError when a job cannot be stored (nothing is written)
   */
  addJobs?(jobs: ReadonlyArray<NewJob>): Promise<void>;
  /** The job with that id, or `null`. */
  getJob(id: string): Promise<JobRecord | null>;
  /** Every job, ordered by `nextRunTime` (paused last), then id. */
  getJobs(): Promise<JobRecord[]>;
  /**
   * Writes `changes` into a job and returns the updated job. Clears the job's acquisition, so a
   * scheduler's `releaseJobs` for a plan made before the change is skipped (the next wakeup plans
   * from the changed job). With `cancelPendingRuns`, deletes the job's runs that are still
   * `pending` (runs in flight finish).
   * @throws JobLookupError for an unknown id
   */
  updateJob(id: string, changes: JobChanges, options?: { cancelPendingRuns?: boolean }): Promise<JobRecord>;
  /**
   * Deletes a job and its pending runs; its runs in flight finish and are then dropped.
   * @throws JobLookupError for an unknown id
   */
  removeJob(id: string): Promise<void>;
  /** Deletes every job and every pending run. */
  removeAllJobs(): Promise<void>;

  // --------------------------------------------------------------------- work
  /**
   * When this scheduler (`owner`) next has work in the store, on both clocks. Must not scan: an
   * index or a heap answers each part. See {@link WakeTimes}, and {@link earliestWakeTimes},
   * which every store uses to fold its minima into the answer.
   */
  getWakeTimes(owner: string): Promise<WakeTimes>;
  /**
   * Claims up to `limit` jobs whose `nextRunTime <= now`, oldest first, that nobody holds (never
   * acquired, released, or with an expired acquisition; a job `owner` holds is not returned
   * twice). Marks them
   * acquired by `owner` for `leaseDuration` (lease time) and returns them. The scheduler must
   * answer with `releaseJobs` for each.
   */
  acquireDueJobs(owner: string, now: number, limit: number): Promise<JobRecord[]>;
  /**
   * For each job acquired by `owner`: sets `nextRunTime`/`exhausted`, clears the acquisition and
   * creates the given runs as `pending` (an existing `runId` is skipped), never letting the job's
   * pending-or-running non-manual runs exceed its `maxInstances` (the excess is `refused`). An
   * exhausted job with no run left is deleted. A job gone meanwhile, or not acquired by `owner`,
   * is skipped (empty result). One transaction.
   */
  releaseJobs(owner: string, releases: JobRelease[]): Promise<JobReleaseResult[]>;
  /**
   * Optional: `releaseJobs(owner, releases)`, then `claimDueRuns(owner, now, limit)`, as one
   * atomic call that writes less: the runs the release creates that are due by `now` are created
   * claimed by `owner` (the `limit` oldest of them), then other due runs are claimed up to `limit`
   * in all. `claimed` is ordered as `claimDueRuns` orders it; when more than `limit` runs are due,
   * the release's own are claimed first. Without it, the scheduler calls the two methods.
   */
  releaseAndClaim?(owner: string, releases: JobRelease[], now: number, limit: number): Promise<{ released: JobReleaseResult[]; claimed: ClaimedRun[] }>;
  /**
   * Claims up to `limit` runs, oldest `notBefore` first: `pending` runs with `notBefore <= now`,
   * and `running` runs whose lease has expired (lease time), which are taken over with
   * `attempt + 1`. Claimed runs become `running`, owned by `owner`, with a new `claimToken` and
   * `leaseExpiresAt = leaseNow + leaseDuration`. Runs whose job is gone are deleted, not returned.
   */
  claimDueRuns(owner: string, now: number, limit: number): Promise<ClaimedRun[]>;
  /**
   * Extends the leases of runs `owner` still holds (matching `claimToken`). Returns the run ids
   * whose lease is no longer theirs (taken over or deleted).
   */
  renewLeases(owner: string, runs: Array<{ runId: string; claimToken: string }>): Promise<string[]>;
  /**
   * Ends a claimed run: deletes it (`succeeded`, `failed`, `missed`), or turns it back into a
   * `pending` run for its next `attempt` (`retry`; deleted instead when the job is gone). When
   * the job is exhausted and this was its last run, deletes the job and returns `jobRemoved: true`.
   * A store whose call can fail after committing (a lost connection: PostgreSQL) makes a repeat
   * with the same `claimToken` succeed once the first call committed (it returns the same
   * answer, writing nothing new), so the runner's retry after an unknown outcome is safe.
   * @throws LeaseLostError when the run is not held with this `claimToken` and, where repeats are
   *   recognised, did not end with it either (another holder took it over; nothing is written)
   */
  completeRun(runId: string, claimToken: string, outcome: RunOutcome): Promise<{ jobRemoved: boolean }>;
  /**
   * Creates a `pending` run outside the schedule (for `runJob`); it does not count toward
   * `maxInstances`.
   * @throws JobLookupError for an unknown job
   */
  addRun(jobId: string, run: NewRun): Promise<void>;
  /** The job's live runs, pending and in flight, oldest `scheduledRunTime` first (for run history, see `getRunHistory`). */
  getLiveRuns(jobId: string): Promise<RunRecord[]>;

  // -------------------------------------------------------------- run history
  // Optional, as getCounts and inspect: a store written before run history existed still works;
  // the scheduler then records nothing in it and getRuns finds nothing there. The three stores
  // of kairos implement both.
  /**
   * Appends run history entries, in the order given, and applies retention (`keepRuns` per job
   * touched, `keepRunsFor` by age, at most a bounded number of rows per write, through indexes;
   * see `src/stores/history.ts`). Assigns each entry its `seq`. Independent of the live runs:
   * an entry may name a job or run that no longer exists. Results are cut by the store's
   * `maxResultBytes`. The scheduler calls it off the runs' path, in batches, and only logs and
   * counts a failure (see `StoreStats.runsNotRecorded`).
   */
  recordRuns?(entries: RunHistoryRecord[]): Promise<void>;
  /**
   * Run history entries matching `query`, newest first: larger `finishedAt` first, then larger
   * `seq`. Reads through an index; with `jobId` (and any `outcome`), at most the job's kept entries.
   */
  getRunHistory?(query: RunHistoryQuery): Promise<StoredRunHistoryRecord[]>;

  // ------------------------------------------------------------ administration
  /**
   * Optional, for administration (`kairos doctor`): the schema version, counts, and the leases
   * held, judged by the store's lease clock. Reads only. SQLite and PostgreSQL stores have it.
   * @param options.limit most leases listed. @default 100
   */
  inspect?(options?: { limit?: number }): Promise<StoreInspection>;
  /**
   * Optional, for monitoring (`Scheduler.stats()`, `kairos/metrics`, read at every scrape): how
   * many jobs the store holds and how many runs wait for a retry (`pending` with `attempt > 1`).
   * Must not read the jobs themselves: a count an index answers, a counter, or a cache. A store
   * without it reports no counts. Memory, SQLite and PostgreSQL stores have it.
   */
  getCounts?(): Promise<StoreCounts>;
}
