/**
 * MemoryJobStore: jobs in process memory, lost on exit. It implements the same claims, leases,
 * claim tokens and `maxInstances` counting as the persistent stores (so one conformance suite
 * covers them all), with two heaps instead of indexes: jobs by `nextRunTime` and pending runs by
 * `notBefore`. Every operation is O(log n) or O(size of its answer); none scans all jobs.
 * @module
 */
import { ConflictingIdError, JobLookupError, KairosTypeError, LeaseLostError } from '../errors.js';
import { checkKnownKeys, optionKeys } from '../options-check.js';
import { checkInteger, toMilliseconds, type DurationLike } from '../units.js';
import { ChangeNotifier } from './change-notifier.js';
import { HistoryRing } from './history-ring.js';
import {
  HISTORY_OPTION_KEYS,
  prepareHistory,
  resolveHistoryOptions,
  type ResolvedHistoryOptions,
  type RunHistoryOptions,
  type RunHistoryQuery,
  type RunHistoryRecord,
  type StoredRunHistoryRecord,
} from './history.js';
import { IndexedHeap } from './indexed-heap.js';
import type {
  ClaimedRun,
  JobChanges,
  JobRecord,
  JobRelease,
  JobReleaseResult,
  JobStore,
  NewJob,
  NewRun,
  RunOutcome,
  RunRecord,
  StoreCounts,
  StoreOpenContext,
  WakeTimes,
} from './job-store.js';
import { earliestWakeTimes } from './job-store.js';

/** Options of {@link MemoryJobStore}, run history's included (see {@link RunHistoryOptions}). */
export interface MemoryJobStoreOptions extends RunHistoryOptions {
  /**
   * How long a claim lasts without renewal, in ms of real time. Matters only when several
   * schedulers in one process share this store. Milliseconds or a duration object, > 0.
   * @default 30000
   */
  leaseDuration?: DurationLike;
  /** The real-time clock leases are judged by (for tests). @default Date.now */
  leaseClock?: () => number;
  /**
   * Most run history entries kept in all (the history is a ring: the oldest entries go first),
   * on top of `keepRuns` per job and `keepRunsFor`.
   * @default 10000
   */
  keepRunsTotal?: number;
}

const OPTION_KEYS = optionKeys<MemoryJobStoreOptions>()(['leaseDuration', 'leaseClock', 'keepRunsTotal', ...HISTORY_OPTION_KEYS]);

interface StoredJob {
  record: JobRecord;
  acquiredBy: string | null;
  acquiredUntil: number;
}

/** A job store in process memory: fast, and gone when the process exits. */
export class MemoryJobStore implements JobStore {
  readonly persistent = false;
  readonly leaseDuration: number;
  readonly #leaseClock: () => number;
  #name = 'memory';
  readonly #jobs = new Map<string, StoredJob>();
  /** Jobs with a `nextRunTime` that nobody holds, by `nextRunTime`. */
  readonly #dueJobs = new IndexedHeap();
  readonly #runs = new Map<string, RunRecord>();
  readonly #runsByJob = new Map<string, Set<string>>();
  /** Pending runs by `notBefore`. */
  readonly #pendingRuns = new IndexedHeap();
  /** Running runs, checked for expired leases (there are at most as many as runs in flight). */
  readonly #runningRuns = new Set<string>();
  /** The running runs by lease expiry: a claim finds the expired ones without scanning them all. */
  readonly #leases = new IndexedHeap();
  /** Claim tokens: a counter is unique within the store, which is all a token must be here. */
  #claims = 0;
  /** Jobs or runs others may have to plan changed: added, changed, runs added. */
  readonly #changes = new ChangeNotifier();
  readonly #historyOptions: ResolvedHistoryOptions;
  readonly #history: HistoryRing;

  constructor(options: MemoryJobStoreOptions = {}) {
    checkKnownKeys(options, OPTION_KEYS, 'MemoryJobStore');
    this.leaseDuration = options.leaseDuration === undefined ? 30_000 : Math.ceil(toMilliseconds(options.leaseDuration, 'leaseDuration', { positive: true }));
    if (options.leaseClock !== undefined && typeof options.leaseClock !== 'function') {
      throw new KairosTypeError('leaseClock', options.leaseClock, 'a function returning the time in epoch milliseconds');
    }
    this.#leaseClock = options.leaseClock ?? Date.now;
    this.#historyOptions = resolveHistoryOptions(options);
    this.#history = new HistoryRing(options.keepRunsTotal === undefined ? 10_000 : checkInteger(options.keepRunsTotal, 'keepRunsTotal', 1));
  }

  async open(context: StoreOpenContext): Promise<void> {
    this.#name = context.name;
  }

  async close(): Promise<void> {}

  /**
   * Schedulers (and JobClients) of one process may share this store: a job or run one of them
   * writes wakes the others, on the next turn of the event loop (one wakeup per turn, however
   * many writes; the writer's own wakeup is one extra, cheap pass).
   */
  subscribe(listener: () => void): () => void {
    return this.#changes.subscribe(listener);
  }

  async addJob(job: JobRecord, options: { replaceExisting: boolean }): Promise<void> {
    const existing = this.#jobs.get(job.id);
    if (existing && !options.replaceExisting) throw new ConflictingIdError(job.id, this.#name);
    const stored: StoredJob = { record: copyJob(job), acquiredBy: null, acquiredUntil: 0 };
    this.#jobs.set(job.id, stored);
    this.#index(stored);
    this.#changes.changed();
  }

  async addJobs(jobs: ReadonlyArray<NewJob>): Promise<void> {
    // Every id is checked before anything is written: all or nothing.
    for (const { job, replaceExisting } of jobs) {
      if (!replaceExisting && this.#jobs.has(job.id)) throw new ConflictingIdError(job.id, this.#name);
    }
    for (const { job } of jobs) {
      const stored: StoredJob = { record: copyJob(job), acquiredBy: null, acquiredUntil: 0 };
      this.#jobs.set(job.id, stored);
      this.#index(stored);
    }
    this.#changes.changed();
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const stored = this.#jobs.get(id);
    return stored ? copyJob(stored.record) : null;
  }

  async getJobs(): Promise<JobRecord[]> {
    return [...this.#jobs.values()]
      .map((s) => copyJob(s.record))
      .sort((a, b) => (a.nextRunTime ?? Infinity) - (b.nextRunTime ?? Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async updateJob(id: string, changes: JobChanges, options: { cancelPendingRuns?: boolean } = {}): Promise<JobRecord> {
    const stored = this.#jobs.get(id);
    if (!stored) throw new JobLookupError(id, this.#name);
    stored.record = copyJob({ ...stored.record, ...changes, id });
    // A plan made from the job as it was must not overwrite the change: its release is skipped.
    stored.acquiredBy = null;
    stored.acquiredUntil = 0;
    this.#acquired.delete(id);
    this.#index(stored);
    if (options.cancelPendingRuns) this.#deletePendingRuns(id);
    this.#changes.changed();
    return copyJob(stored.record);
  }

  async removeJob(id: string): Promise<void> {
    if (!this.#jobs.has(id)) throw new JobLookupError(id, this.#name);
    this.#deleteJob(id);
  }

  async removeAllJobs(): Promise<void> {
    for (const id of [...this.#jobs.keys()]) this.#deleteJob(id);
  }

  async getWakeTimes(owner: string): Promise<WakeTimes> {
    const leaseNow = this.#leaseClock();
    const due = [this.#dueJobs.peekPriority(), this.#pendingRuns.peekPriority()];
    const held: number[] = [];
    // Both sets hold only what is in flight (acquired jobs, running runs): small, never all jobs.
    for (const id of this.#acquired) {
      const stored = this.#jobs.get(id);
      if (!stored || stored.acquiredBy === null || stored.record.nextRunTime === null) continue;
      if (stored.acquiredUntil <= leaseNow) due.push(stored.record.nextRunTime);
      else if (stored.acquiredBy !== owner) held.push(stored.acquiredUntil);
    }
    for (const runId of this.#runningRuns) {
      const run = this.#runs.get(runId)!;
      if (run.leaseExpiresAt === null) continue;
      if (run.leaseExpiresAt <= leaseNow) due.push(run.notBefore);
      else if (run.owner !== owner) held.push(run.leaseExpiresAt);
    }
    return earliestWakeTimes(due, held, leaseNow);
  }

  async acquireDueJobs(owner: string, now: number, limit: number): Promise<JobRecord[]> {
    const leaseNow = this.#leaseClock();
    const out: JobRecord[] = [];
    for (const id of this.#dueJobs.popUpTo(now, limit)) {
      const stored = this.#jobs.get(id)!;
      stored.acquiredBy = owner;
      stored.acquiredUntil = leaseNow + this.leaseDuration;
      out.push(copyJob(stored.record));
    }
    // Jobs held by a scheduler that died are not in #dueJobs; take over expired acquisitions.
    if (out.length < limit && this.#acquired.size > 0) {
      for (const id of this.#acquired) {
        if (out.length >= limit) break;
        const stored = this.#jobs.get(id);
        if (!stored || stored.acquiredUntil > leaseNow || stored.record.nextRunTime === null || stored.record.nextRunTime > now) continue;
        stored.acquiredBy = owner;
        stored.acquiredUntil = leaseNow + this.leaseDuration;
        out.push(copyJob(stored.record));
      }
    }
    for (const job of out) this.#acquired.add(job.id);
    return out;
  }

  /** Ids of jobs acquired and not yet released. */
  readonly #acquired = new Set<string>();

  async releaseJobs(owner: string, releases: JobRelease[]): Promise<JobReleaseResult[]> {
    const results: JobReleaseResult[] = [];
    for (const release of releases) {
      const stored = this.#jobs.get(release.jobId);
      if (!stored || stored.acquiredBy !== owner) {
        results.push({ jobId: release.jobId, created: [], refused: [], removed: false });
        continue;
      }
      stored.acquiredBy = null;
      stored.acquiredUntil = 0;
      this.#acquired.delete(release.jobId);
      stored.record.nextRunTime = release.nextRunTime;
      stored.record.exhausted = release.exhausted;
      const created: string[] = [];
      const refused: string[] = [];
      let active = this.#countScheduledRuns(release.jobId);
      for (const run of release.runs) {
        if (this.#runs.has(run.runId)) continue;
        if (!run.manual && active >= stored.record.maxInstances) {
          refused.push(run.runId);
          continue;
        }
        this.#insertRun(release.jobId, run);
        created.push(run.runId);
        if (!run.manual) active++;
      }
      let removed = false;
      if (release.exhausted && (this.#runsByJob.get(release.jobId)?.size ?? 0) === 0) {
        this.#deleteJob(release.jobId);
        removed = true;
      } else {
        this.#index(stored);
      }
      results.push({ jobId: release.jobId, created, refused, removed });
    }
    return results;
  }

  async claimDueRuns(owner: string, now: number, limit: number): Promise<ClaimedRun[]> {
    const leaseNow = this.#leaseClock();
    const out: ClaimedRun[] = [];
    const claim = (run: RunRecord, takenOver: boolean): void => {
      const stored = this.#jobs.get(run.jobId);
      if (!stored) {
        this.#deleteRun(run.runId);
        return;
      }
      if (takenOver) run.attempt += 1;
      run.state = 'running';
      run.owner = owner;
      run.claimToken = `claim-${++this.#claims}`;
      run.leaseExpiresAt = leaseNow + this.leaseDuration;
      this.#runningRuns.add(run.runId);
      this.#leases.set(run.runId, run.leaseExpiresAt);
      out.push({ run: { ...run }, job: copyJob(stored.record), takenOver });
    };
    // Expired leases first, oldest first; a claim renews the lease, so each is taken once.
    while (out.length < limit) {
      const expiry = this.#leases.peekPriority();
      if (expiry === undefined || expiry > leaseNow) break;
      claim(this.#runs.get(this.#leases.peekKey()!)!, true);
    }
    while (out.length < limit) {
      const [runId] = this.#pendingRuns.popUpTo(now, 1);
      if (runId === undefined) break;
      claim(this.#runs.get(runId)!, false);
    }
    return out;
  }

  async renewLeases(owner: string, runs: Array<{ runId: string; claimToken: string }>): Promise<string[]> {
    const leaseNow = this.#leaseClock();
    const lost: string[] = [];
    for (const { runId, claimToken } of runs) {
      const run = this.#runs.get(runId);
      if (!run || run.owner !== owner || run.claimToken !== claimToken) lost.push(runId);
      else {
        run.leaseExpiresAt = leaseNow + this.leaseDuration;
        this.#leases.set(runId, run.leaseExpiresAt);
      }
    }
    return lost;
  }

  async completeRun(runId: string, claimToken: string, outcome: RunOutcome): Promise<{ jobRemoved: boolean }> {
    const run = this.#runs.get(runId);
    if (!run || run.claimToken !== claimToken) throw new LeaseLostError(runId, run?.jobId ?? '?', this.#name);
    const stored = this.#jobs.get(run.jobId);
    if (outcome.status === 'retry' && stored) {
      this.#runningRuns.delete(runId);
      this.#leases.delete(runId);
      Object.assign(run, { state: 'pending', owner: null, claimToken: null, leaseExpiresAt: null, attempt: outcome.attempt, notBefore: outcome.notBefore });
      this.#pendingRuns.set(runId, run.notBefore);
      return { jobRemoved: false };
    }
    this.#deleteRun(runId);
    if (stored && stored.record.exhausted && (this.#runsByJob.get(run.jobId)?.size ?? 0) === 0) {
      this.#deleteJob(run.jobId);
      return { jobRemoved: true };
    }
    return { jobRemoved: false };
  }

  async addRun(jobId: string, run: NewRun): Promise<void> {
    if (!this.#jobs.has(jobId)) throw new JobLookupError(jobId, this.#name);
    if (!this.#runs.has(run.runId)) this.#insertRun(jobId, run);
    this.#changes.changed();
  }

  async getLiveRuns(jobId: string): Promise<RunRecord[]> {
    const ids = this.#runsByJob.get(jobId);
    if (!ids) return [];
    return [...ids].map((id) => ({ ...this.#runs.get(id)! })).sort((a, b) => a.scheduledRunTime - b.scheduledRunTime || a.attempt - b.attempt);
  }

  /** See {@link JobStore.getCounts}. Walks the live runs (pending or in flight), never the jobs. */
  async getCounts(): Promise<StoreCounts> {
    let pendingRetries = 0;
    for (const run of this.#runs.values()) if (run.state === 'pending' && run.attempt > 1) pendingRetries++;
    return { jobs: this.#jobs.size, pendingRetries };
  }

  async recordRuns(entries: RunHistoryRecord[]): Promise<void> {
    this.#history.record(prepareHistory(entries, this.#historyOptions), this.#historyOptions);
  }

  async getRunHistory(query: RunHistoryQuery): Promise<StoredRunHistoryRecord[]> {
    return this.#history.query(query);
  }

  #index(stored: StoredJob): void {
    const { id, nextRunTime } = stored.record;
    if (nextRunTime === null || stored.acquiredBy !== null) this.#dueJobs.delete(id);
    else this.#dueJobs.set(id, nextRunTime);
  }

  #countScheduledRuns(jobId: string): number {
    let n = 0;
    for (const id of this.#runsByJob.get(jobId) ?? []) if (!this.#runs.get(id)!.manual) n++;
    return n;
  }

  #insertRun(jobId: string, run: NewRun): void {
    const record: RunRecord = {
      runId: run.runId,
      jobId,
      scheduledRunTime: run.scheduledRunTime,
      attempt: run.attempt ?? 1,
      notBefore: run.notBefore,
      state: 'pending',
      owner: null,
      leaseExpiresAt: null,
      claimToken: null,
      manual: run.manual ?? false,
    };
    this.#runs.set(run.runId, record);
    let set = this.#runsByJob.get(jobId);
    if (!set) this.#runsByJob.set(jobId, (set = new Set()));
    set.add(run.runId);
    this.#pendingRuns.set(run.runId, run.notBefore);
  }

  #deleteRun(runId: string): void {
    const run = this.#runs.get(runId);
    if (!run) return;
    this.#runs.delete(runId);
    this.#pendingRuns.delete(runId);
    this.#runningRuns.delete(runId);
    this.#leases.delete(runId);
    const set = this.#runsByJob.get(run.jobId);
    set?.delete(runId);
    if (set && set.size === 0) this.#runsByJob.delete(run.jobId);
  }

  #deletePendingRuns(jobId: string): void {
    for (const id of [...(this.#runsByJob.get(jobId) ?? [])]) {
      if (this.#runs.get(id)!.state === 'pending') this.#deleteRun(id);
    }
  }

  #deleteJob(id: string): void {
    this.#jobs.delete(id);
    this.#dueJobs.delete(id);
    this.#acquired.delete(id);
    this.#deletePendingRuns(id);
  }
}

/** A copy the caller cannot change the store through; field by field, one shape for every record. */
function copyJob(job: JobRecord): JobRecord {
  return {
    id: job.id, name: job.name, taskId: job.taskId, trigger: job.trigger, args: job.args.slice(), nextRunTime: job.nextRunTime, exhausted: job.exhausted,
    misfireGraceTime: job.misfireGraceTime, coalesce: job.coalesce, maxInstances: job.maxInstances, jitter: job.jitter, executor: job.executor,
    timeout: job.timeout, retry: job.retry ? { ...job.retry } : null,
  };
}
