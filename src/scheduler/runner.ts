/**
 * Runs claimed runs: hands them to their executor, enforces `timeout`, decides retries, keeps
 * their leases renewed, and writes their outcome back to the store (fenced by the claim token).
 * Each outcome also goes to the run history, through the recorder (queued, never awaited here).
 * @module
 */
import type { EventEmitter } from 'eventemitter3';
import { LeaseLostError, ShutdownAbortError } from '../errors.js';
import type { Clock } from '../clock/clock.js';
import type { Executor } from '../executors/executor.js';
import type { JobStore, Logger } from '../stores/job-store.js';
import { safeEmit, type SchedulerEvents } from './events.js';
import { entryWithError, type HistoryRecorder } from './history-recorder.js';
import { HeldRuns, type HeldRun } from './lookahead.js';
import { Pacer } from './pacer.js';
import { runFields } from '../logging.js';
import { RunAttempt, type AttemptHost } from './run-attempt.js';
import type { TaskRegistry } from './tasks.js';

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
 * The runs this scheduler has in flight, and how each one ends; also the runs claimed a little
 * ahead of their time (the scheduler's lookahead), held until they are due.
 */
export class Runner {
  readonly #ctx: RunnerContext;
  readonly #inFlight = new Set<RunAttempt>();
  /** Claimed runs waiting for their `notBefore`, earliest first. */
  readonly #held = new HeldRuns();
  /** Runs that ended go on (write their outcome) through it, in slices like the starts. */
  readonly #endings = new Pacer<() => void>((goOn) => goOn(), { deferred: true });
  /** Due runs are started through it, in slices, so that a thousand never hold the thread at once. */
  readonly #pacer = new Pacer<HeldRun>((h) => this.#launch(h.attempt ?? this.#attempt(h)));
  /** What each run's attempt needs from here. */
  readonly #host: AttemptHost;

  constructor(context: RunnerContext) {
    this.#ctx = context;
    this.#host = {
      ctx: context,
      endingTurn: async () => {
        // Runs due together start first; their endings are written after (a synchronous task ends
        // within its own slice, and writing its end there would slow the start of the others),
        // and in slices too: a thousand endings at once would hold the thread as long as starting them.
        if (this.#pacer.pending > 0) await this.#pacer.idle();
        await new Promise<void>((resolve) => this.#endings.add([resolve]));
      },
      ended: (attempt) => this.#inFlight.delete(attempt),
    };
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

  /** Makes the run's attempt, ahead of its start (held runs are made when claimed, in the lookahead). */
  #attempt(h: HeldRun): RunAttempt {
    return new RunAttempt(this.#host, h.storeName, h.store, h.claimed, h.claimedAt);
  }

  /** Starts an attempt, unless it is the retry of a run still in flight here (then that one goes on). */
  #launch(attempt: RunAttempt): void {
    // A retry of a run this scheduler still runs (its lease lapsed while renewals failed, and the
    // claim came back here): keep the run in flight under the new claim, do not start it twice.
    if (attempt.run.attempt > 1 && this.#adopt(attempt.storeName, attempt.runId, attempt.claimToken)) return;
    this.#inFlight.add(attempt);
    attempt.done = attempt.execute();
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
    run.attempt = this.#attempt(run);
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
