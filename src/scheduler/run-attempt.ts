/**
 * One claimed run from its start to its outcome in the store: hands it to its executor, enforces
 * `timeout`, decides a retry, and writes the outcome (fenced by the claim token) and its run
 * history entry. The runner keeps the collection; this is the life of one.
 * @module
 */
import { ExecutorLookupError, JobTimeoutError, LeaseLostError, TaskLookupError } from '../errors.js';
import type { TaskContext } from '../executors/executor.js';
import type { RunHistoryRecord } from '../stores/history.js';
import type { ClaimedRun, JobRecord, JobStore, RunOutcome, RunRecord } from '../stores/job-store.js';
import { runFields } from '../logging.js';
import { safeEmit, type JobEvent, type SchedulerEvents } from './events.js';
import { entryWithError } from './history-recorder.js';
import { retryDelay } from './options.js';
import { RunAbort } from './run-abort.js';
import type { RunnerContext } from './runner.js';

/**
 * A claim older than this share of the lease (by this process's monotonic clock) is checked with
 * the store before its run starts: the process may have stalled (SIGSTOP, a blocked event loop)
 * past the lease, and another scheduler may have taken the run over meanwhile.
 */
const STALE_CLAIM_SHARE = 0.5;

/** What a run needs from its runner besides the scheduler's context. */
export interface AttemptHost {
  readonly ctx: RunnerContext;
  /**
   * Resolves when this run may write its end: runs due together start first, their endings
   * after, in slices (see the runner).
   */
  endingTurn(): Promise<void>;
  /** Called once the run has ended, whatever the outcome. */
  ended(attempt: RunAttempt): void;
}

type Stored = { jobRemoved: boolean } | LeaseLostError;

/**
 * A run in this process. Made when the run is claimed (ahead of its time, with the lookahead), so
 * it holds only what the claim gave; the task's context, event payloads and log fields are made
 * when used. Methods rather than closures: a thousand runs held for the same second stay small.
 */
export class RunAttempt {
  readonly storeName: string;
  readonly store: JobStore;
  readonly run: RunRecord;
  readonly job: JobRecord;
  /** `performance.now()` before the claim was asked for (see STALE_CLAIM_SHARE). */
  readonly claimedAt: number;
  /** The claim this run holds; a run adopted under a new claim (see the runner) takes the new one. */
  claimToken: string;
  readonly controller = new RunAbort();
  /** True while a clock timer (the timeout) is pending: the run may need the clock to move to end. */
  waitsOnClock = false;
  /** Settles when the run has ended (never rejects). */
  done: Promise<void> = Promise.resolve();
  #startedAt: number | null = null;
  readonly #host: AttemptHost;
  /** The task's last argument, made with the attempt (ahead of the run's time, with the lookahead). */
  readonly #taskContext: TaskContext;

  constructor(host: AttemptHost, storeName: string, store: JobStore, { run, job }: ClaimedRun, claimedAt: number) {
    this.#host = host;
    this.storeName = storeName;
    this.store = store;
    this.run = run;
    this.job = job;
    this.claimedAt = claimedAt;
    this.claimToken = run.claimToken!;
    this.#taskContext = this.#context();
  }

  get runId(): string {
    return this.run.runId;
  }

  get jobId(): string {
    return this.job.id;
  }

  /**
   * Runs the attempt to its end; what fails in writing the outcome is logged, never thrown.
   * (One function from the start to the end: a thousand runs started together each pay for
   * every async frame and promise on this path.)
   */
  async execute(): Promise<void> {
    try {
      await this.#attempt();
    } catch (err) {
      const { ctx } = this.#host;
      ctx.onStoreError(this.storeName);
      ctx.logger.error(`kairos: could not record the outcome of run "${this.runId}" in store "${this.storeName}"; its lease will expire and it will be taken over`, this.#fields(), err);
    } finally {
      this.#host.ended(this);
    }
  }

  async #attempt(): Promise<void> {
    const { run, job, store, controller } = this;
    const { clock, tasks, executors } = this.#host.ctx;
    if (performance.now() - this.claimedAt > store.leaseDuration * STALE_CLAIM_SHARE) {
      // Renewing tells whether the claim is still ours; if not, the run is someone else's now.
      const lost = await store.renewLeases(this.#host.ctx.ownerId, [{ runId: run.runId, claimToken: this.claimToken }]);
      if (lost.length > 0) {
        const error = new LeaseLostError(run.runId, job.id, this.storeName);
        this.#record(entryWithError(this.#entry(), error));
        this.#emit('jobError', { error, willRetry: false });
        return;
      }
    }
    if (job.misfireGraceTime !== null && clock.now().getTime() - run.notBefore > job.misfireGraceTime) {
      // A pending run (a retry, a jittered or taken-over run) that became too late.
      await this.#finishAndRecord({ status: 'missed' }, { ...this.#entry(), lastScheduledRunTime: run.scheduledRunTime, missedCount: 1, outcome: 'missed', error: null });
      const at = new Date(run.scheduledRunTime);
      this.#emit('jobMissed', { scheduledRunTime: at, lastScheduledRunTime: at, missedCount: 1 });
      return;
    }
    const task = tasks.get(job.taskId);
    const executor = executors[job.executor];
    let result: unknown;
    let error: unknown;
    let failed = false;
    if (task === undefined || executor === undefined) {
      failed = true;
      error = task === undefined ? new TaskLookupError(job.taskId, job.id) : new ExecutorLookupError(job.executor, job.id);
    } else {
      this.#emit('jobSubmitted');
      let cancelTimeout: (() => void) | undefined;
      try {
        const startedAt = (this.#startedAt = clock.now().getTime());
        const running = executor.submit({ taskId: job.taskId, task, args: job.args, context: this.#taskContext });
        // The run ends for the scheduler when the task settles or the signal aborts.
        const ended = new Promise((resolve, reject) => {
          controller.onAbort = reject;
          running.then(resolve, reject);
        });
        if (job.timeout !== null) {
          this.waitsOnClock = true;
          cancelTimeout = clock.setTimer(startedAt + job.timeout, () => {
            this.waitsOnClock = false;
            controller.abort(new JobTimeoutError(job.id, job.timeout!));
          });
        }
        result = await ended;
      } catch (err) {
        failed = true;
        error = err;
      } finally {
        cancelTimeout?.();
        this.waitsOnClock = false;
      }
    }
    // The try's history entry, timed when the task ended (not when the store took the outcome).
    const ended = this.#entry();
    await this.#host.endingTurn();
    if (!failed) {
      const stored = await this.#finishAndRecord({ status: 'succeeded' }, { ...ended, outcome: 'succeeded', error: null, result });
      if (stored instanceof LeaseLostError) {
        this.#emit('jobError', { error: stored, willRetry: false });
      } else {
        this.#emit('jobExecuted', { result });
        if (stored.jobRemoved) safeEmit(this.#host.ctx.emitter, this.#host.ctx.logger, 'jobRemoved', { jobId: job.id, jobStore: this.storeName });
      }
      return;
    }
    if (error instanceof LeaseLostError) {
      this.#record(entryWithError(ended, error));
      this.#emit('jobError', { error, willRetry: false });
      return;
    }
    const retry = job.retry;
    const willRetry = retry !== null && run.attempt < retry.attempts && !(error instanceof TaskLookupError);
    const outcome: RunOutcome = willRetry
      ? { status: 'retry', attempt: run.attempt + 1, notBefore: clock.now().getTime() + retryDelay(retry!, run.attempt) }
      : { status: 'failed' };
    // A try that ends in a retry is an entry of its own (the next try has attempt + 1).
    const stored = await this.#finishAndRecord(outcome, entryWithError(ended, error));
    if (stored instanceof LeaseLostError) {
      this.#emit('jobError', { error: stored, willRetry: false });
      return;
    }
    if (outcome.status === 'retry') this.#host.ctx.onRetryScheduled(this.storeName, outcome.notBefore);
    this.#emit('jobError', { error, willRetry });
    if (stored.jobRemoved) safeEmit(this.#host.ctx.emitter, this.#host.ctx.logger, 'jobRemoved', { jobId: job.id, jobStore: this.storeName });
  }

  /** What the task gets as its last argument. */
  #context(): TaskContext {
    const { run, controller } = this;
    return {
      jobId: this.job.id, scheduledRunTime: new Date(run.scheduledRunTime), runId: run.runId, attempt: run.attempt,
      get signal() {
        return controller.signal;
      },
    };
  }

  /** Emits a job event about this run; its payload is built only when someone listens. */
  #emit(name: 'jobSubmitted' | 'jobExecuted' | 'jobError' | 'jobMissed', extra?: Partial<JobEvent> & Record<string, unknown>): void {
    const { emitter, logger } = this.#host.ctx;
    if (emitter.listenerCount(name) === 0) return;
    const { run } = this;
    const payload = {
      jobId: this.job.id, jobStore: this.storeName, scheduledRunTime: new Date(run.scheduledRunTime), runId: run.runId, attempt: run.attempt, ...extra,
    };
    safeEmit(emitter, logger, name, payload as SchedulerEvents[typeof name][0] & { scheduledRunTime: Date; lastScheduledRunTime: Date; missedCount: number });
  }

  /** Log fields of this run (built only when a line is logged). */
  #fields() {
    const { run } = this;
    return runFields(this.job.id, run.runId, run.scheduledRunTime, { jobStore: this.storeName, attempt: run.attempt });
  }

  /**
   * This try's run history entry without its outcome: `startedAt` is when the executor got the
   * run, `finishedAt` now.
   */
  #entry(): Omit<RunHistoryRecord, 'error' | 'outcome'> {
    const { run } = this;
    return {
      runId: run.runId, jobId: this.job.id, scheduledRunTime: run.scheduledRunTime, lastScheduledRunTime: null, missedCount: null,
      attempt: run.attempt, startedAt: this.#startedAt, finishedAt: this.#host.ctx.clock.now().getTime(),
    };
  }

  #record(entry: RunHistoryRecord): void {
    this.#host.ctx.history.record(this.storeName, this.store, entry);
  }

  /**
   * Writes the outcome to the store, then records `history` (or leaseLost, when the store says
   * the run is no longer ours). Each outcome is recorded once, when it is final. A store that
   * fails for good still gets the try recorded: it did end that way, and the run's takeover will
   * be an entry of its own.
   */
  async #finishAndRecord(outcome: RunOutcome, history: RunHistoryRecord): Promise<Stored> {
    let stored: Stored;
    try {
      stored = await this.#finish(outcome);
    } catch (err) {
      this.#record(history);
      throw err;
    }
    if (stored instanceof LeaseLostError) {
      const { result: _dropped, ...rest } = history; // (an object rest is slow: only on this rare path)
      this.#record(entryWithError(rest, stored));
    } else {
      this.#record(history);
    }
    return stored;
  }

  async #finish(outcome: RunOutcome): Promise<Stored> {
    const { store, run } = this;
    // A store that fails (a lost connection) is asked again while the lease still holds: left
    // alone, the run would be taken over after its lease and run a second time.
    const giveUpAt = Date.now() + store.leaseDuration;
    for (let wait = 50; ; wait = Math.min(wait * 2, 2000)) {
      try {
        return await store.completeRun(run.runId, this.claimToken, outcome);
      } catch (err) {
        // A store that no longer has the run cannot name its job; this run can.
        if (err instanceof LeaseLostError) return err.jobId === this.job.id ? err : new LeaseLostError(run.runId, this.job.id, this.storeName);
        if (Date.now() + wait >= giveUpAt) throw err;
        this.#host.ctx.onStoreError(this.storeName);
        this.#host.ctx.logger.warn(`kairos: recording the end of run "${run.runId}" in store "${this.storeName}" failed; trying again in ${wait} ms`, this.#fields(), err);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }
}
