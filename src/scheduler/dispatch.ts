/**
 * One wakeup's work in one store: take the due jobs, apply the misfire rules to each, write the
 * runs to create back, and claim the runs that may start (starting them, or holding those claimed
 * ahead of their time). The rules themselves are the pure `planWakeup`.
 * @module
 */
import type { EventEmitter } from 'eventemitter3';
import { JobLookupError } from '../errors.js';
import type { ClaimedRun, JobRecord, JobRelease, JobReleaseResult, JobStore, Logger, NewRun } from '../stores/job-store.js';
import { safeEmit, type SchedulerEvents } from './events.js';
import type { HistoryRecorder } from './history-recorder.js';
import { scheduledRunId } from './job.js';
import { planWakeup, type WakeupPlan } from './plan.js';
import { Slicer } from './pacer.js';
import type { HeldRun, Lookahead } from './lookahead.js';
import type { Runner } from './runner.js';
import type { TriggerCache } from './trigger-cache.js';
import type { Trigger } from '../triggers/trigger.js';

/** Jobs acquired, and runs claimed, per persistent store per round trip. */
const BATCH = 1000;
/**
 * The same for a store in memory: its calls run without a pause, so a smaller batch keeps each
 * call well under a millisecond (there is no round trip to save).
 */
const MEMORY_BATCH = 100;

/** The last plan of a wakeup, reused by the next job with the same inputs (planWakeup is pure). */
interface PlanMemo {
  trigger: Trigger | null;
  due: number;
  grace: number | null;
  coalesce: boolean;
  plan: WakeupPlan | null;
}

/** What the dispatcher needs from the scheduler. */
export interface DispatchContext {
  emitter: EventEmitter<SchedulerEvents>;
  logger: Logger;
  triggers: TriggerCache;
  runner: Runner;
  ownerId: string;
  lookahead: Lookahead;
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
   * Processes the work of `store` due by `now`, and, with the lookahead, the jobs due within it:
   * planned as at their fire time, their runs claimed and held until then. The planning gives
   * the event loop a turn every slice (see {@link Slicer}). Returns true when runs were claimed
   * (the scheduler then renews their leases).
   */
  async process(name: string, store: JobStore, now: number, clockNow: () => number): Promise<boolean> {
    const { ownerId, emitter, logger, history, lookahead } = this.#ctx;
    const horizon = lookahead.horizon(now);
    const batch = store.persistent ? BATCH : MEMORY_BATCH;
    const slicer = new Slicer();
    // Jobs due together often share a trigger (the cache hands them one instance): plan once.
    const memo: PlanMemo = { trigger: null, due: 0, grace: null, coalesce: true, plan: null };
    let claimedAny = false;
    for (;;) {
      if (slicer.due()) await slicer.yield();
      const due = await store.acquireDueJobs(ownerId, horizon, batch);
      if (due.length === 0) break;
      const releases: JobRelease[] = [];
      for (const job of due) {
        releases.push(this.#plan(name, store, job, now, memo));
        if (slicer.due()) await slicer.yield();
      }
      // A store that can release and claim in one call saves a round trip (and a write per run).
      const claimedAt = performance.now();
      let results: JobReleaseResult[];
      let claimedWith: ClaimedRun[] | null = null;
      if (store.releaseAndClaim !== undefined) {
        const both = await store.releaseAndClaim(ownerId, releases, horizon, batch);
        results = both.released;
        claimedWith = both.claimed;
      } else {
        results = await store.releaseJobs(ownerId, releases);
      }
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
      // This batch's runs start (or are held) before the next batch is planned: with thousands
      // due, the runs and their completions overlap with the planning of the rest.
      if (claimedWith !== null) {
        claimedAny = (await this.#claim(name, store, horizon, batch, slicer, clockNow, { claimed: claimedWith, claimedAt })) || claimedAny;
      } else if (results.some((r) => r.created.length > 0)) {
        claimedAny = (await this.#claim(name, store, horizon, batch, slicer, clockNow)) || claimedAny;
      }
      if (due.length < batch) break;
    }
    // Runs created otherwise: retries, runJob, runs given back, runs of a dead scheduler.
    return (await this.#claim(name, store, horizon, batch, slicer, clockNow)) || claimedAny;
  }

  /**
   * Claims the runs due by `horizon`, starting those due now and holding the others. `first` is
   * a batch claimed already (by `releaseAndClaim`), taken before asking the store for more.
   */
  async #claim(
    name: string, store: JobStore, horizon: number, batch: number, slicer: Slicer, clockNow: () => number,
    first?: { claimed: ClaimedRun[]; claimedAt: number },
  ): Promise<boolean> {
    const { ownerId, runner } = this.#ctx;
    let claimedAny = false;
    for (let given = first; ; given = undefined) {
      if (slicer.due()) await slicer.yield();
      // The leases start during the call, so no later than this: the runner measures a claim's
      // age from here, in case this process stalls before the run starts.
      const claimedAt = given?.claimedAt ?? performance.now();
      const claimed = given?.claimed ?? (await store.claimDueRuns(ownerId, horizon, batch));
      const startAt = clockNow();
      const startNow: HeldRun[] = [];
      for (const c of claimed) {
        const held: HeldRun = { storeName: name, store, claimed: c, claimedAt };
        if (c.run.notBefore <= startAt) startNow.push(held);
        else runner.hold(held);
        if (startNow.length === 0 && slicer.due()) await slicer.yield();
      }
      runner.startAll(startNow);
      claimedAny ||= claimed.length > 0;
      if (claimed.length < batch) break;
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
  #plan(storeName: string, store: JobStore, job: JobRecord, now: number, memo: PlanMemo): JobRelease {
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
    let plan: WakeupPlan;
    if (memo.plan !== null && memo.trigger === trigger && memo.due === due && memo.grace === job.misfireGraceTime && memo.coalesce === job.coalesce) {
      plan = memo.plan;
    } else {
      plan = planWakeup({ trigger, nextRunTime: due, misfireGraceTime: job.misfireGraceTime, coalesce: job.coalesce, now: Math.max(now, due) });
      Object.assign(memo, { trigger, due, grace: job.misfireGraceTime, coalesce: job.coalesce, plan });
    }
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
