/**
 * One wakeup's work in one store: take the due jobs, apply the misfire rules to each, write the
 * runs to create back, and claim the runs that may start (starting them, or holding those claimed
 * ahead of their time). The rules themselves are the pure `planWakeup`.
 * @module
 */
import type { EventEmitter } from 'eventemitter3';
import { JobLookupError } from '../errors.js';
import type { JobRecord, JobRelease, JobStore, Logger, NewRun } from '../stores/job-store.js';
import { safeEmit, type SchedulerEvents } from './events.js';
import type { HistoryRecorder } from './history-recorder.js';
import { scheduledRunId } from './job.js';
import { planWakeup } from './plan.js';
import type { Runner } from './runner.js';
import type { TriggerCache } from './trigger-cache.js';

/** Jobs acquired, and runs claimed, per store per round trip. */
const BATCH = 1000;

/** What the dispatcher needs from the scheduler. */
export interface DispatchContext {
  emitter: EventEmitter<SchedulerEvents>;
  logger: Logger;
  triggers: TriggerCache;
  runner: Runner;
  ownerId: string;
  /** Missed fire times and runs refused for `maxInstances` go to the run history here. */
  history: HistoryRecorder;
}

/** Takes due work out of stores and hands it to the runner. */
export class Dispatcher {
  readonly #ctx: DispatchContext;
  /**
   * Fire times that could not be planned ahead of time (the job had `maxInstances` runs in
   * flight then); they are planned at their own time instead, by job id.
   */
  readonly #deferred = new Map<string, number>();

  constructor(context: DispatchContext) {
    this.#ctx = context;
  }

  /**
   * Processes the work of `store` due by `now`, and, with a `lookahead`, the jobs due before
   * `now + lookahead`: planned as at their fire time, their runs claimed and held until then.
   * Returns true when runs were claimed (the scheduler then renews their leases).
   */
  async process(name: string, store: JobStore, now: number, lookahead: number, clockNow: () => number): Promise<boolean> {
    const { ownerId, emitter, logger, runner, history } = this.#ctx;
    const horizon = now + lookahead;
    for (;;) {
      const due = await store.acquireDueJobs(ownerId, horizon, BATCH);
      if (due.length === 0) break;
      const releases = due.map((job) => this.#plan(name, store, job, now));
      const results = await store.releaseJobs(ownerId, releases);
      for (const r of results) {
        let deferTo = Infinity;
        for (const runId of r.refused) {
          const run = releases.find((x) => x.jobId === r.jobId)!.runs.find((x) => x.runId === runId)!;
          // Refused ahead of time: the run in flight may well end before this one is due.
          if (run.scheduledRunTime > now) {
            deferTo = Math.min(deferTo, run.scheduledRunTime);
            continue;
          }
          history.record(name, store, {
            runId, jobId: r.jobId, scheduledRunTime: run.scheduledRunTime, lastScheduledRunTime: null, missedCount: null, attempt: 1,
            startedAt: null, finishedAt: now, outcome: 'maxInstances', error: null,
          });
          safeEmit(emitter, logger, 'jobMaxInstances', { jobId: r.jobId, jobStore: name, scheduledRunTime: new Date(run.scheduledRunTime), runId });
        }
        if (deferTo !== Infinity) await this.#defer(store, r.jobId, deferTo);
        if (r.removed) safeEmit(emitter, logger, 'jobRemoved', { jobId: r.jobId, jobStore: name });
      }
      if (due.length < BATCH) break;
    }
    let claimedAny = false;
    for (;;) {
      // The leases start during the call, so no later than this: the runner measures a claim's
      // age from here, in case this process stalls before the run starts.
      const claimedAt = performance.now();
      const claimed = await store.claimDueRuns(ownerId, horizon, BATCH);
      const startAt = clockNow();
      for (const c of claimed) {
        if (c.run.notBefore <= startAt) runner.start(name, store, c, claimedAt);
        else runner.hold(name, store, c, claimedAt);
      }
      claimedAny ||= claimed.length > 0;
      if (claimed.length < BATCH) break;
    }
    return claimedAny;
  }

  /** Puts a job's next fire time back to `at`, to be planned when it is due, not ahead of it. */
  async #defer(store: JobStore, jobId: string, at: number): Promise<void> {
    this.#deferred.set(jobId, at);
    try {
      await store.updateJob(jobId, { nextRunTime: at, exhausted: false });
    } catch (err) {
      if (!(err instanceof JobLookupError)) throw err;
      this.#deferred.delete(jobId);
    }
  }

  /** The misfire rules for one due job: the runs to create, and the job's next fire time. */
  #plan(storeName: string, store: JobStore, job: JobRecord, now: number): JobRelease {
    const due = job.nextRunTime!;
    if (due > now) {
      // Due within the lookahead: planned as at its fire time, as if woken on time; unless it
      // was refused ahead of time once already, then it waits for its time (a no-op release).
      if (this.#deferred.get(job.id) === due) return { jobId: job.id, nextRunTime: due, exhausted: job.exhausted, runs: [] };
    } else {
      this.#deferred.delete(job.id);
    }
    const { emitter, logger, triggers, history } = this.#ctx;
    const trigger = triggers.get(job.trigger);
    const plan = planWakeup({ trigger, nextRunTime: due, misfireGraceTime: job.misfireGraceTime, coalesce: job.coalesce, now: Math.max(now, due) });
    if (plan.missed) {
      const { first, last, count } = plan.missed;
      // One entry per job per wakeup, as the event: the first fire time missed names it.
      history.record(storeName, store, {
        runId: scheduledRunId(job.id, first), jobId: job.id, scheduledRunTime: first, lastScheduledRunTime: last, missedCount: count,
        attempt: 1, startedAt: null, finishedAt: Math.max(now, due), outcome: 'missed', error: null,
      });
      safeEmit(emitter, logger, 'jobMissed', {
        jobId: job.id, jobStore: storeName, scheduledRunTime: new Date(first), lastScheduledRunTime: new Date(last), missedCount: count,
      });
    }
    const jitter = job.jitter + trigger.jitter;
    const runs: NewRun[] = plan.runs.map((at) => ({
      runId: scheduledRunId(job.id, at),
      scheduledRunTime: at,
      notBefore: jitter > 0 ? at + Math.floor(Math.random() * jitter) : at,
    }));
    return { jobId: job.id, nextRunTime: plan.nextRunTime, exhausted: plan.nextRunTime === null, runs };
  }
}
