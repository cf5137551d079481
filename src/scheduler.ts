/**
 * The Scheduler: the public job API and the one timer loop. At each wakeup it asks each store
 * for the jobs that are due, applies the misfire rules to them (`planWakeup`), writes the runs
 * to create back, claims the runs that may start and hands them to the runner; then it re-arms
 * the single timer at the earliest time any store has work.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { EventEmitter } from 'eventemitter3';
import { SystemClock } from './clock/system-clock.js';
import type { CancelTimer, Clock } from './clock/clock.js';
import { KairosRangeError, SchedulerStateError } from './errors.js';
import { AsyncExecutor } from './executors/async.js';
import type { Executor } from './executors/executor.js';
import { JobApi, type JobHost } from './scheduler/job-api.js';
import { safeEmit, type SchedulerEvents } from './scheduler/events.js';
import { resolveDefaults, type JobDefaults, type ResolvedJobOptions } from './scheduler/options.js';
import { Runner } from './scheduler/runner.js';
import { Dispatcher } from './scheduler/dispatch.js';
import { HistoryRecorder } from './scheduler/history-recorder.js';
import { TaskRegistry } from './scheduler/tasks.js';
import { readStats, type SchedulerStats } from './scheduler/stats.js';
import { checkKnownKeys, optionKeys } from './options-check.js';
import { adaptLogger } from './logging.js';
import { MemoryJobStore } from './stores/memory.js';
import type { JobStore, Logger } from './stores/job-store.js';
import { TriggerCache } from './scheduler/trigger-cache.js';
import { checkTimezone, systemTimezone, type DurationLike } from './units.js';
import { Lookahead, resolveLookahead } from './scheduler/lookahead.js';

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** The zone of triggers that name none. @default the system zone */
  timezone?: string;
  /** The source of time; a `FakeClock` in tests. @default the system clock */
  clock?: Clock;
  /** Named job stores. @default `{ default: new MemoryJobStore() }` */
  jobStores?: Record<string, JobStore>;
  /** Named executors. @default `{ default: new AsyncExecutor({ concurrency: 10 }) }` */
  executors?: Record<string, Executor>;
  /** Defaults for every job's options. */
  jobDefaults?: JobDefaults;
  /**
   * Where the scheduler reports what it cannot throw (a listener that threw, a store that failed).
   * `console` or a pino logger; each line about a job carries `jobId`, `runId` and
   * `scheduledRunTime` as fields (see {@link Logger}). @default silent
   */
  logger?: Logger;
  /**
   * How long before they are due jobs are planned and their runs claimed, in ms (or a duration
   * object), so that at the due instant the runs only have to start: a thousand jobs due in the
   * same second start within a few milliseconds of it. The same on every clock, a `FakeClock`
   * included (a test then sees the wakeup `lookahead` before each fire time). `0` turns it off:
   * each job is planned at its fire time. At most 60 s.
   * @default 100
   */
  lookahead?: DurationLike;
}

const SCHEDULER_KEYS = optionKeys<SchedulerOptions>()(['timezone', 'clock', 'jobStores', 'executors', 'jobDefaults', 'logger', 'lookahead']);

/** `'stopped' | 'running' | 'paused'`. */
export type SchedulerState = 'stopped' | 'running' | 'paused';

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** How long to wait before trying a store again after it failed (schedule clock). */
const STORE_RETRY_MS = 1000;

interface StoreEntry {
  name: string;
  store: JobStore;
  unsubscribe?: () => void;
  maintenance?: ReturnType<typeof setInterval>;
}

/**
 * An in-process job scheduler. Add jobs with {@link Scheduler.addJob}, then {@link Scheduler.start}.
 *
 * ```ts
 * const scheduler = new Scheduler();
 * await scheduler.addJob(sendReport, 'cron', { hour: 3 });
 * await scheduler.start();
 * ```
 */
export class Scheduler extends EventEmitter<SchedulerEvents> {
  /** The zone of triggers that name none. */
  readonly timezone: string;
  /** The scheduler's clock. */
  readonly clock: Clock;
  /** Identifies this scheduler in store leases: host, pid and a random part. */
  readonly ownerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #logger: Logger;
  readonly #stores: Map<string, StoreEntry>;
  readonly #executors: Record<string, Executor>;
  readonly #defaults: ResolvedJobOptions;
  readonly #tasks = new TaskRegistry();
  readonly #triggers = new TriggerCache();
  readonly #runner: Runner;
  readonly #dispatcher: Dispatcher;
  readonly #jobs: JobApi;
  #state: SchedulerState = 'stopped';
  #cancelTimer: CancelTimer | undefined;
  #armedAt: number | null = null;
  /** The earliest time announced by a change while a re-arm was computing (see #rearm). */
  #armHint = Infinity;
  #waking: Promise<void> | null = null;
  #wakeAgain = false;
  #wakeRequested = false;
  readonly #settle = (): Promise<void> => this.#settleAll();
  /** Failed store operations, by store name (see `StoreStats.errors`). */
  readonly #storeErrors = new Map<string, number>();
  readonly #storeFailed = (name: string): void => {
    this.#storeErrors.set(name, (this.#storeErrors.get(name) ?? 0) + 1);
  };
  /** Run outcomes missing from the run history, by store name (see `StoreStats.runsNotRecorded`). */
  readonly #notRecorded = new Map<string, number>();
  readonly #history: HistoryRecorder;
  readonly #lookahead: Lookahead;

  constructor(options: SchedulerOptions = {}) {
    super();
    checkKnownKeys(options, SCHEDULER_KEYS, 'Scheduler');
    this.timezone = options.timezone === undefined ? systemTimezone() : checkTimezone(options.timezone, 'timezone');
    this.clock = options.clock ?? new SystemClock();
    this.#lookahead = new Lookahead(resolveLookahead(options.lookahead));
    this.#logger = adaptLogger(options.logger ?? SILENT);
    const stores = options.jobStores ?? { default: new MemoryJobStore() };
    this.#stores = new Map(Object.entries(stores).map(([name, store]) => [name, { name, store }]));
    if (this.#stores.size === 0) throw new KairosRangeError('jobStores', stores, 'at least one named job store');
    this.#executors = options.executors ?? { default: new AsyncExecutor({ concurrency: 10 }) };
    this.#defaults = resolveDefaults(options.jobDefaults);
    this.#history = new HistoryRecorder({
      logger: this.#logger,
      onStoreError: this.#storeFailed,
      onNotRecorded: (name, count) => this.#notRecorded.set(name, (this.#notRecorded.get(name) ?? 0) + count),
    });
    this.#runner = new Runner({
      clock: this.clock,
      logger: this.#logger,
      emitter: this,
      tasks: this.#tasks,
      executors: this.#executors,
      onRetryScheduled: (_store, at) => this.#announce(at),
      ownerId: this.ownerId,
      onStoreError: this.#storeFailed,
      history: this.#history,
    });
    this.#dispatcher = new Dispatcher({
      emitter: this, logger: this.#logger, triggers: this.#triggers, runner: this.#runner, ownerId: this.ownerId, history: this.#history,
      lookahead: this.#lookahead,
    });
    const host: JobHost = {
      emitter: this,
      logger: this.#logger,
      clock: this.clock,
      timezone: this.timezone,
      defaults: this.#defaults,
      tasks: this.#tasks,
      triggers: this.#triggers,
      stores: this.#stores,
      executorNames: Object.keys(this.#executors),
      isStarted: () => this.#state !== 'stopped',
      scheduleChanged: (at) => this.#announce(at),
      releaseHeld: (jobId) => this.#runner.releaseHeld(jobId),
      flushHistory: () => this.#history.flush(),
    };
    this.#jobs = new JobApi(host);
  }

  /** `'stopped'`, `'running'` or `'paused'`. */
  get state(): SchedulerState {
    return this.#state;
  }

  // ------------------------------------------------------------------ lifecycle
  /**
   * Opens the stores and executors, writes the jobs added before, and arms the timer; runs
   * missed while stopped follow the misfire rules.
   * @throws SchedulerStateError when already started
   */
  async start({ paused = false }: { paused?: boolean } = {}): Promise<void> {
    if (this.#state !== 'stopped') throw new SchedulerStateError(`the scheduler is already ${this.#state}; call shutdown() before starting it again`);
    this.#state = paused ? 'paused' : 'running';
    try {
      for (const entry of this.#stores.values()) {
        await entry.store.open({ name: entry.name, logger: this.#logger });
        entry.unsubscribe = entry.store.subscribe(() => this.#requestWake());
      }
      this.#history.open();
      for (const executor of Object.values(this.#executors)) await executor.start();
      await this.#jobs.flushPending();
    } catch (err) {
      this.#state = 'stopped';
      await this.#closeAll({ wait: false });
      throw err;
    }
    this.clock.attach?.(this.#settle);
    safeEmit(this, this.#logger, 'schedulerStarted', { time: this.clock.now() });
    if (!paused) this.#requestWake();
  }

  /**
   * Stops the loop. With `wait` (the default), resolves after the runs in flight finished;
   * without, aborts their signals and resolves. Then closes executors and stores. Idempotent.
   */
  async shutdown({ wait = true }: { wait?: boolean } = {}): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#disarm();
    await this.#waking;
    await this.#runner.releaseHeld();
    if (wait) {
      await this.#runner.waitAll();
    } else {
      this.#runner.abortAll();
      await this.#runner.waitAll(1000);
    }
    await this.#closeAll({ wait });
    this.clock.detach?.(this.#settle);
    safeEmit(this, this.#logger, 'schedulerShutdown', { time: this.clock.now() });
  }

  /**
   * Figures for monitoring, cheap enough for every scrape (`kairos/metrics` exports them): per
   * store, the jobs and pending retries it holds (counted by the store, not read), the runs this
   * scheduler has in flight and its failed store operations; and when the timer fires next.
   */
  stats(): Promise<SchedulerStats> {
    const running = this.#state === 'running';
    return readStats({
      stores: this.#stores.values(),
      open: this.#state !== 'stopped',
      runsInFlight: (name) => this.#runner.inFlightIn(name),
      errors: this.#storeErrors,
      runsNotRecorded: this.#notRecorded,
      nextWakeupAt: !running ? null : this.#waking ? this.clock.now().getTime() : this.#armedAt,
      onStoreError: this.#storeFailed,
      logger: this.#logger,
    });
  }

  /** Submits no runs until {@link Scheduler.resume}; runs due meanwhile then follow the misfire rules. */
  async pause(): Promise<void> {
    if (this.#state === 'stopped') throw new SchedulerStateError('the scheduler is not running; call start() first');
    if (this.#state === 'paused') return;
    this.#state = 'paused';
    this.#disarm();
    await this.#waking;
    await this.#runner.releaseHeld();
    safeEmit(this, this.#logger, 'schedulerPaused', { time: this.clock.now() });
  }

  /** Resumes a paused scheduler. */
  async resume(): Promise<void> {
    if (this.#state === 'stopped') throw new SchedulerStateError('the scheduler is not running; call start() first');
    if (this.#state === 'running') return;
    this.#state = 'running';
    safeEmit(this, this.#logger, 'schedulerResumed', { time: this.clock.now() });
    this.#requestWake();
  }

  // ------------------------------------------------------------------- the job API
  /** Names a callable, so jobs (and persistent stores) can refer to it by `id`. */
  registerTask(id: string, target: ((...args: never[]) => unknown) | { module: string | URL; export?: string }): void {
    this.#tasks.register(id, target);
  }

  // addJob and rescheduleJob are overloaded (typed by trigger alias): forwarded through their loose form.
  readonly addJob: JobApi['addJob'] = (...a: Parameters<JobApi['addJobLoose']>) => this.#jobs.addJobLoose(...a);
  readonly addJobs: JobApi['addJobs'] = (...a) => this.#jobs.addJobs(...a);
  readonly getJob: JobApi['getJob'] = (...a) => this.#jobs.getJob(...a);
  readonly getJobs: JobApi['getJobs'] = (...a) => this.#jobs.getJobs(...a);
  readonly modifyJob: JobApi['modifyJob'] = (...a) => this.#jobs.modifyJob(...a);
  readonly rescheduleJob: JobApi['rescheduleJob'] = (...a: Parameters<JobApi['rescheduleJobLoose']>) => this.#jobs.rescheduleJobLoose(...a);
  readonly pauseJob: JobApi['pauseJob'] = (...a) => this.#jobs.pauseJob(...a);
  readonly resumeJob: JobApi['resumeJob'] = (...a) => this.#jobs.resumeJob(...a);
  readonly removeJob: JobApi['removeJob'] = (...a) => this.#jobs.removeJob(...a);
  readonly removeAllJobs: JobApi['removeAllJobs'] = (...a) => this.#jobs.removeAllJobs(...a);
  readonly runJob: JobApi['runJob'] = (...a) => this.#jobs.runJob(...a);
  readonly getRuns: JobApi['getRuns'] = (...a) => this.#jobs.getRuns(...a);

  // ---------------------------------------------------------------------- the loop
  /** A job's schedule changed: arm earlier if it is due before the armed time. */
  #announce(due: number | null): void {
    if (due === null || this.#state !== 'running') return;
    const at = this.#lookahead.wakeFor(due);
    this.#armHint = Math.min(this.#armHint, at);
    if (this.#armedAt === null || at < this.#armedAt) this.#arm(at);
  }

  #requestWake(): void {
    if (this.#state !== 'running' || this.#wakeRequested) return;
    this.#wakeRequested = true;
    queueMicrotask(() => {
      this.#wakeRequested = false;
      void this.#wakeup();
    });
  }

  #arm(at: number): void {
    this.#cancelTimer?.();
    this.#armedAt = at;
    this.#cancelTimer = this.clock.setTimer(at, () => {
      this.#cancelTimer = undefined;
      this.#armedAt = null;
      this.#runner.startDue(this.clock.now().getTime());
      void this.#wakeup();
    });
  }

  #disarm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#armedAt = null;
  }

  /** One wakeup at a time; a wakeup asked for meanwhile runs right after. */
  async #wakeup(): Promise<void> {
    if (this.#state !== 'running') return;
    if (this.#waking) {
      this.#wakeAgain = true;
      return this.#waking;
    }
    this.#waking = (async () => {
      let failed = false;
      do {
        this.#wakeAgain = false;
        this.#armHint = Infinity;
        for (const entry of this.#stores.values()) {
          if (this.#state !== 'running') break;
          try {
            const now = this.clock.now().getTime();
            const claimed = await this.#dispatcher.process(entry.name, entry.store, now, () => this.clock.now().getTime());
            if (claimed) this.#ensureMaintenance(entry);
          } catch (err) {
            failed = true;
            this.#storeFailed(entry.name);
            this.#logger.error(`kairos: store "${entry.name}" failed during a wakeup; trying again in ${STORE_RETRY_MS} ms`, { jobStore: entry.name }, err);
          }
        }
      } while (this.#wakeAgain && this.#state === 'running');
      await this.#rearm(failed);
    })().finally(() => {
      this.#waking = null;
    });
    return this.#waking;
  }

  async #rearm(afterFailure: boolean): Promise<void> {
    if (this.#state !== 'running') return;
    let earliest = Infinity;
    let takeoverIn = Infinity;
    for (const { name, store } of this.#stores.values()) {
      try {
        const wake = await store.getWakeTimes(this.ownerId);
        if (wake.dueAt !== null) earliest = Math.min(earliest, wake.dueAt);
        if (wake.takeoverIn !== null) takeoverIn = Math.min(takeoverIn, wake.takeoverIn);
      } catch (err) {
        afterFailure = true;
        this.#storeFailed(name);
        this.#logger.error(`kairos: could not read the next wake time from store "${name}"; trying again in ${STORE_RETRY_MS} ms`, { jobStore: name }, err);
      }
    }
    if (this.#state !== 'running') return;
    const now = this.clock.now().getTime();
    // Wake a lookahead before work is due; work still inside the lookahead now was deferred to
    // its own time (see Dispatcher), so wake for it then.
    earliest = this.#lookahead.wakeFor(earliest) > now ? this.#lookahead.wakeFor(earliest) : earliest;
    earliest = Math.min(earliest, this.#armHint, this.#runner.nextHeldAt ?? Infinity);
    // A lease another scheduler holds frees its work when it runs out (its holder died or
    // stalled): wake then and take the work over, whether or not anything else changes. The
    // delay is real time; on the system clock that is the schedule clock too.
    earliest = Math.min(earliest, now + takeoverIn);
    if (afterFailure) earliest = Math.min(earliest, now + STORE_RETRY_MS);
    // Work that is due but could not be taken (held by another scheduler) is looked at again
    // shortly, not in a busy loop.
    if (earliest <= now) earliest = afterFailure ? now + STORE_RETRY_MS : now + 1;
    if (earliest === Infinity) this.#disarm();
    else this.#arm(earliest);
  }

  // ---------------------------------------------------------------- leases, shutdown
  /**
   * Renews this scheduler's leases every third of the lease, in real time, while it has runs in
   * flight in the store. (Others' expired leases need no polling: #rearm arms for them.)
   */
  #startMaintenance(entry: StoreEntry): void {
    if (entry.maintenance) return;
    const every = Math.max(50, Math.floor(entry.store.leaseDuration / 3));
    entry.maintenance = setInterval(() => {
      if (!this.#runner.holdsLeases) {
        clearInterval(entry.maintenance);
        entry.maintenance = undefined;
        return;
      }
      this.#runner.renew(entry.name, entry.store, this.ownerId).catch((err) => {
        this.#storeFailed(entry.name);
        this.#logger.warn(`kairos: renewing leases in store "${entry.name}" failed`, { jobStore: entry.name }, err);
      });
    }, every);
    entry.maintenance.unref();
  }

  #ensureMaintenance(entry: StoreEntry): void {
    if (!entry.maintenance && this.#state !== 'stopped') this.#startMaintenance(entry);
  }

  async #closeAll({ wait }: { wait: boolean }): Promise<void> {
    for (const entry of this.#stores.values()) {
      if (entry.maintenance) clearInterval(entry.maintenance);
      entry.maintenance = undefined;
      entry.unsubscribe?.();
      entry.unsubscribe = undefined;
    }
    for (const [name, executor] of Object.entries(this.#executors)) {
      await executor.shutdown({ wait }).catch((err) => this.#logger.error(`kairos: executor "${name}" failed to shut down`, { executor: name }, err));
    }
    // The outcomes of the runs that ended go to the stores before they close.
    await this.#history.close();
    for (const entry of this.#stores.values()) {
      await entry.store.close().catch((err) => {
        this.#storeFailed(entry.name);
        this.#logger.error(`kairos: store "${entry.name}" failed to close`, { jobStore: entry.name }, err);
      });
    }
  }

  /** For FakeClock: resolves once the wakeup in progress and the runs that need no clock time have ended. */
  async #settleAll(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      if (this.#wakeRequested) await new Promise<void>((r) => queueMicrotask(r));
      if (this.#waking) {
        await this.#waking;
        continue;
      }
      await this.#runner.settle();
      // So that a test reads the run history of what ran as soon as advance() resolves.
      await this.#history.flush();
      await new Promise<void>((r) => setImmediate(r));
      if (!this.#waking && !this.#wakeRequested) return;
    }
  }
}

