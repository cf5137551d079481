/**
 * Runs claimed runs: hands them to their executor, enforces `timeout`, decides retries, keeps
 * their leases renewed, and writes their outcome back to the store (fenced by the claim token).
 * Each outcome also goes to the run history, through the recorder (queued, never awaited here).
 * @module
 */
import type { EventEmitter } from 'eventemitter3';
import { ExecutorLookupError, JobTimeoutError, LeaseLostError, ShutdownAbortError, TaskLookupError } from '../errors.js';
import type { Clock } from '../clock/clock.js';
import type { Executor } from '../executors/executor.js';
import type { RunHistoryRecord } from '../stores/history.js';
import type { ClaimedRun, JobStore, Logger, RunOutcome } from '../stores/job-store.js';
import { safeEmit, type JobEvent, type SchedulerEvents } from './events.js';
import { entryWithError, type HistoryRecorder } from './history-recorder.js';
import { retryDelay } from './options.js';
import { RunAbort } from './run-abort.js';
import { HeldRuns, type HeldRun } from './lookahead.js';
import { Pacer } from './pacer.js';
import { runFields } from '../logging.js';
import type { TaskRegistry } from './tasks.js';

interface InFlightRun {
  storeName: string;
  store: JobStore;
  runId: string;
  jobId: string;
  claimToken: string;
  controller: RunAbort;
  /** True while a clock timer (the timeout) is pending: the run may need the clock to move to end. */
  waitsOnClock: boolean;
  done: Promise<void>;
}

/** What the runner needs from the scheduler. */
export interface RunnerContext {
  clock: Clock;
  logger: Logger;
  emitter: EventEmitter<SchedulerEvents>;
  tasks: TaskRegistry;
  executors: Record<string, Executor>;
  /** Called when a failed run's next try is stored, due at `at` (schedule clock). */
  onRetryScheduled(storeName: string, at: number): void;
  /** The scheduler's id in store leases. */
  ownerId: string;
  /** Called for each store operation that failed (counted in `Scheduler.stats()`). */
  onStoreError(storeName: string): void;
  /** Where each run's outcome goes for the run history. */
  history: HistoryRecorder;
}

/**
 * A claim older than this share of the lease (by this process's monotonic clock) is checked with
 * the store before its run starts: the process may have stalled (SIGSTOP, a blocked event loop)
 * past the lease, and another scheduler may have taken the run over meanwhile.
 */
const STALE_CLAIM_SHARE = 0.5;

/**
 * The runs this scheduler has in flight, and how each one ends; also the runs claimed a little
 * ahead of their time (the scheduler's lookahead), held until they are due.
 */
export class Runner {
  readonly #ctx: RunnerContext;
  readonly #inFlight = new Set<InFlightRun>();
  /** Claimed runs waiting for their `notBefore`, earliest first. */
  readonly #held = new HeldRuns();
  /** Due runs are started through it, in slices, so that a thousand never hold the thread at once. */
  /** Runs that ended go on (write their outcome) through it, in slices like the starts. */
  readonly #endings = new Pacer<() => void>((goOn) => goOn());
  readonly #pacer = new Pacer<HeldRun>((h) => (h.launch ?? this.#prepare(h.storeName, h.store, h.claimed, h.claimedAt))());

  constructor(context: RunnerContext) {
    this.#ctx = context;
  }

  get size(): number {
    return this.#inFlight.size;
  }

  /** How many runs of that store are in flight. */
  inFlightIn(storeName: string): number {
    let n = 0;
    for (const r of this.#inFlight) if (r.storeName === storeName) n++;
    return n;
  }

  /**
   * Starts a claimed run; its promise is tracked, never rejected. `claimedAt` is a
   * `performance.now()` taken before the claim was asked for: a claim older than half its lease
   * is checked with the store before the run starts (see STALE_CLAIM_SHARE).
   */
  start(storeName: string, store: JobStore, claimed: ClaimedRun, claimedAt: number): void {
    this.#prepare(storeName, store, claimed, claimedAt)();
  }

  /**
   * Everything of starting a run that does not depend on when it starts (its bookkeeping, its
   * events' fields, its closures), done ahead; the function returned starts it. Held runs are
   * prepared when they are claimed, inside the lookahead, so that at their instant only the
   * task's call is left.
   */
  #prepare(storeName: string, store: JobStore, { run, job }: ClaimedRun, claimedAt: number): () => void {
    const controller = new RunAbort();
    const entry: InFlightRun = {
      storeName, store, runId: run.runId, jobId: job.id, claimToken: run.claimToken!, controller, waitsOnClock: false,
      done: Promise.resolve(),
    };
    const base: JobEvent = { jobId: job.id, jobStore: storeName, scheduledRunTime: new Date(run.scheduledRunTime), runId: run.runId, attempt: run.attempt };
    const context = {
      jobId: job.id, scheduledRunTime: new Date(run.scheduledRunTime), runId: run.runId, attempt: run.attempt,
      get signal() {
        return controller.signal;
      },
    };
    const { clock, emitter, logger } = this.#ctx;
    // Built only when a line is logged: starting a run must stay cheap.
    const fields = () => runFields(job.id, run.runId, run.scheduledRunTime, { jobStore: storeName, attempt: run.attempt });
    const emit = <K extends keyof SchedulerEvents>(name: K, ...p: SchedulerEvents[K]): void => safeEmit(emitter, logger, name, ...p);
    // Run history: `startedAt` is set when the executor gets the run; each outcome is recorded
    // once, when it is final (after the store accepted it: a lost lease turns it into leaseLost).
    let startedAt: number | null = null;
    const entry0 = (): Omit<RunHistoryRecord, 'error' | 'outcome'> => ({
      runId: run.runId, jobId: job.id, scheduledRunTime: run.scheduledRunTime, lastScheduledRunTime: null, missedCount: null,
      attempt: run.attempt, startedAt, finishedAt: clock.now().getTime(),
    });
    const recordOutcome = (outcome: RunHistoryRecord): void => this.#ctx.history.record(storeName, store, outcome);
    const recordError = (error: unknown): void => recordOutcome(entryWithError(entry0(), error));
    /**
     * Writes the outcome to the store, then records `history` (or leaseLost, when the store says
     * the run is no longer ours). A store that fails for good still gets the try recorded: it did
     * end that way, and the run's takeover will be an entry of its own.
     */
    const finishAndRecord = async (outcome: RunOutcome, history: RunHistoryRecord): Promise<{ jobRemoved: boolean } | LeaseLostError> => {
      let stored: { jobRemoved: boolean } | LeaseLostError;
      try {
        stored = await finish(outcome);
      } catch (err) {
        recordOutcome(history);
        throw err;
      }
      const { result: _dropped, ...rest } = history;
      recordOutcome(stored instanceof LeaseLostError ? entryWithError(rest, stored) : history);
      return stored;
    };

    const finish = async (outcome: RunOutcome): Promise<{ jobRemoved: boolean } | LeaseLostError> => {
      // A store that fails (a lost connection) is asked again while the lease still holds: left
      // alone, the run would be taken over after its lease and run a second time.
      const giveUpAt = Date.now() + store.leaseDuration;
      for (let wait = 50; ; wait = Math.min(wait * 2, 2000)) {
        try {
          return await store.completeRun(run.runId, entry.claimToken, outcome);
        } catch (err) {
          if (err instanceof LeaseLostError) return err;
          if (Date.now() + wait >= giveUpAt) throw err;
          this.#ctx.onStoreError(storeName);
          logger.warn(`kairos: recording the end of run "${run.runId}" in store "${storeName}" failed; trying again in ${wait} ms`, fields(), err);
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    };

    const execute = async (): Promise<void> => {
      if (performance.now() - claimedAt > store.leaseDuration * STALE_CLAIM_SHARE) {
        // Renewing tells whether the claim is still ours; if not, the run is someone else's now.
        const lost = await store.renewLeases(this.#ctx.ownerId, [{ runId: run.runId, claimToken: entry.claimToken }]);
        if (lost.length > 0) {
          const error = new LeaseLostError(run.runId, job.id, storeName);
          recordError(error);
          emit('jobError', { ...base, error, willRetry: false });
          return;
        }
      }
      if (job.misfireGraceTime !== null && clock.now().getTime() - run.notBefore > job.misfireGraceTime) {
        // A pending run (a retry, a jittered or taken-over run) that became too late.
        await finishAndRecord({ status: 'missed' }, { ...entry0(), lastScheduledRunTime: run.scheduledRunTime, missedCount: 1, outcome: 'missed', error: null });
        emit('jobMissed', { ...base, scheduledRunTime: base.scheduledRunTime!, lastScheduledRunTime: base.scheduledRunTime!, missedCount: 1 });
        return;
      }
      const task = this.#ctx.tasks.get(job.taskId);
      const executor = this.#ctx.executors[job.executor];
      let result: unknown;
      let error: unknown;
      let failed = false;
      if (task === undefined || executor === undefined) {
        failed = true;
        error = task === undefined
          ? new TaskLookupError(job.taskId, job.id)
          : new ExecutorLookupError(job.executor, job.id);
      } else {
        emit('jobSubmitted', base);
        let cancelTimeout: (() => void) | undefined;
        try {
          startedAt = clock.now().getTime();
          const running = executor.submit({ taskId: job.taskId, task, args: job.args, context });
          // The run ends for the scheduler when the task settles or the signal aborts.
          const ended = new Promise((resolve, reject) => {
            controller.onAbort = reject;
            running.then(resolve, reject);
          });
          if (job.timeout !== null) {
            entry.waitsOnClock = true;
            cancelTimeout = clock.setTimer(clock.now().getTime() + job.timeout, () => {
              entry.waitsOnClock = false;
              controller.abort(new JobTimeoutError(job.id, job.timeout!));
            });
          }
          result = await ended;
        } catch (err) {
          failed = true;
          error = err;
        } finally {
          cancelTimeout?.();
          entry.waitsOnClock = false;
        }
      }
      // The try's history entry, timed when the task ended (not when the store took the outcome).
      const endedAt = entry0();
      // Runs due together start first; their endings are written after (a synchronous task ends
      // within its own slice, and writing its end there would slow the start of the others),
      // and in slices too: a thousand endings at once would hold the thread as long as starting them.
      if (this.#pacer.pending > 0) await this.#pacer.idle();
      await new Promise<void>((resolve) => this.#endings.add([resolve]));
      if (!failed) {
        const stored = await finishAndRecord({ status: 'succeeded' }, { ...endedAt, outcome: 'succeeded', error: null, result });
        if (stored instanceof LeaseLostError) {
          emit('jobError', { ...base, error: stored, willRetry: false });
        } else {
          emit('jobExecuted', { ...base, result });
          if (stored.jobRemoved) emit('jobRemoved', { jobId: job.id, jobStore: storeName });
        }
        return;
      }
      if (error instanceof LeaseLostError) {
        recordOutcome(entryWithError(endedAt, error));
        emit('jobError', { ...base, error, willRetry: false });
        return;
      }
      const retry = job.retry;
      const willRetry = retry !== null && run.attempt < retry.attempts && !(error instanceof TaskLookupError);
      const outcome: RunOutcome = willRetry
        ? { status: 'retry', attempt: run.attempt + 1, notBefore: clock.now().getTime() + retryDelay(retry!, run.attempt) }
        : { status: 'failed' };
      // A try that ends in a retry is an entry of its own (the next try has attempt + 1).
      const stored = await finishAndRecord(outcome, entryWithError(endedAt, error));
      if (stored instanceof LeaseLostError) {
        emit('jobError', { ...base, error: stored, willRetry: false });
        return;
      }
      if (outcome.status === 'retry') this.#ctx.onRetryScheduled(storeName, outcome.notBefore);
      emit('jobError', { ...base, error, willRetry });
      if (stored.jobRemoved) emit('jobRemoved', { jobId: job.id, jobStore: storeName });
    };

    const onFailure = (err: unknown): void => {
      this.#ctx.onStoreError(storeName);
      logger.error(`kairos: could not record the outcome of run "${run.runId}" in store "${storeName}"; its lease will expire and it will be taken over`, fields(), err);
    };
    const onEnd = (): void => {
      this.#inFlight.delete(entry);
    };
    return () => {
      // A retry of a run this scheduler still runs (its lease lapsed while renewals failed, and the
      // claim came back here): keep the run in flight under the new claim, do not start it twice.
      if (run.attempt > 1 && this.#adopt(storeName, run.runId, run.claimToken!)) return;
      entry.done = execute().catch(onFailure).finally(onEnd);
      this.#inFlight.add(entry);
    };
  }

  /**
   * Starts claimed runs that are due, in order, in slices of the event loop (see {@link Pacer}):
   * the first slice at once, the rest in the next turns.
   */
  startAll(runs: readonly HeldRun[]): void {
    this.#pacer.add(runs);
  }

  /** Keeps a claimed run until its `notBefore` (prepared now); {@link Runner.startDue} starts it. */
  hold(run: HeldRun): void {
    run.launch = this.#prepare(run.storeName, run.store, run.claimed, run.claimedAt);
    this.#held.hold(run);
  }

  /** When the earliest held run is due, or null when none is held. */
  get nextHeldAt(): number | null {
    return this.#held.nextDueAt;
  }

  /** Starts, in order, the held runs due at `now` (through the pacer). */
  startDue(now: number): void {
    this.startAll(this.#held.takeDue(now));
  }

  /**
   * Gives held runs back to their store as pending (same attempt, same `notBefore`), all of them
   * or those of one job: on pause and shutdown, and before a job is removed or rescheduled. Runs
   * due but not started yet (queued in the pacer) go back too.
   */
  async releaseHeld(jobId?: string): Promise<void> {
    const match = (h: HeldRun): boolean => jobId === undefined || h.claimed.job.id === jobId;
    const give = [...this.#pacer.takeWhere(match), ...this.#held.takeWhere(match)];
    if (give.length === 0) return;
    await Promise.all(give.map(({ storeName, store, claimed: { run, job } }) =>
      store.completeRun(run.runId, run.claimToken!, { status: 'retry', attempt: run.attempt, notBefore: run.notBefore }).catch((err) => {
        this.#ctx.onStoreError(storeName);
        const fields = runFields(job.id, run.runId, run.scheduledRunTime, { jobStore: storeName, attempt: run.attempt });
        this.#ctx.logger.warn(`kairos: could not give back run "${run.runId}" to store "${storeName}"; its lease will expire and it will be taken over`, fields, err);
      })));
  }

  /**
   * A run taken over (attempt > 1) that this process still runs: its lease ran out while it ran
   * (the renewals failed: a store refusing writes, a locked file, a stalled loop) and the claim
   * came back to this process. It goes on under the new claim instead of starting a second time
   * here. False when no such run is in flight (or it was already aborted).
   */
  #adopt(storeName: string, runId: string, claimToken: string): boolean {
    for (const r of this.#inFlight) {
      if (r.runId === runId && r.storeName === storeName && !r.controller.aborted) {
        r.claimToken = claimToken;
        return true;
      }
    }
    return false;
  }

  /** True while runs are in flight or held: their leases need renewing. */
  get holdsLeases(): boolean {
    return this.#inFlight.size > 0 || this.#held.size > 0 || this.#pacer.pending > 0;
  }

  /**
   * Renews the leases of this store's runs, in flight and held; aborts the runs whose lease was
   * lost, and drops held runs whose lease was lost (reported as `jobError` with `LeaseLostError`).
   */
  async renew(storeName: string, store: JobStore, owner: string): Promise<void> {
    const mine = [...this.#inFlight].filter((r) => r.storeName === storeName);
    const held = [...this.#held.list(), ...this.#pacer.pendingItems()].filter((h) => h.storeName === storeName);
    if (mine.length === 0 && held.length === 0) return;
    const claims = [
      ...mine.map((r) => ({ runId: r.runId, claimToken: r.claimToken })),
      ...held.map((h) => ({ runId: h.claimed.run.runId, claimToken: h.claimed.run.claimToken! })),
    ];
    const lost = new Set(await store.renewLeases(owner, claims));
    if (lost.size === 0) return;
    for (const r of mine) if (lost.has(r.runId)) r.controller.abort(new LeaseLostError(r.runId, r.jobId, storeName));
    const isLost = (h: HeldRun): boolean => h.storeName === storeName && lost.has(h.claimed.run.runId);
    const gone = [...this.#pacer.takeWhere(isLost), ...this.#held.takeWhere(isLost)];
    const now = this.#ctx.clock.now().getTime();
    for (const { claimed: { run, job } } of gone) {
      const error = new LeaseLostError(run.runId, job.id, storeName);
      this.#ctx.history.record(storeName, store, entryWithError({
        runId: run.runId, jobId: job.id, scheduledRunTime: run.scheduledRunTime, lastScheduledRunTime: null, missedCount: null,
        attempt: run.attempt, startedAt: null, finishedAt: now,
      }, error));
      safeEmit(this.#ctx.emitter, this.#ctx.logger, 'jobError', {
        jobId: job.id, jobStore: storeName, scheduledRunTime: new Date(run.scheduledRunTime), runId: run.runId, attempt: run.attempt,
        error, willRetry: false,
      });
    }
  }

  /** Aborts every run in flight (shutdown without waiting). */
  abortAll(): void {
    for (const r of this.#inFlight) r.controller.abort(new ShutdownAbortError());
  }

  /** Resolves when every run in flight has ended, or after `capMs` of real time. */
  async waitAll(capMs = Infinity): Promise<void> {
    const all = Promise.all([...this.#inFlight].map((r) => r.done));
    if (capMs === Infinity) {
      await all;
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, capMs)))]);
    clearTimeout(timer);
  }

  /**
   * Resolves once the runs that can end without the clock moving have ended. Runs waiting on a
   * clock timer (a timeout) are given a short real-time window to end by themselves.
   */
  async settle(): Promise<void> {
    for (;;) {
      if (this.#pacer.pending > 0) {
        await this.#pacer.idle();
        continue;
      }
      const free = [...this.#inFlight].filter((r) => !r.waitsOnClock);
      if (free.length > 0) {
        await Promise.race(free.map((r) => r.done));
        continue;
      }
      if (this.#inFlight.size === 0) return;
      const blocked = [...this.#inFlight];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([
        Promise.race(blocked.map((r) => r.done)).then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 50))),
      ]);
      clearTimeout(timer);
      if (!ended) return;
    }
  }
}
