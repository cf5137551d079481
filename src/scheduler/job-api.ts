/**
 * The job methods of the Scheduler (add, get, modify, reschedule, pause, resume, remove, run,
 * and reading the run history):
 * argument checking, option resolution and the store writes, kept apart from the timer loop.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'eventemitter3';
import type { Clock } from '../clock/clock.js';
import { ConflictingIdError, JobLookupError, KairosTypeError, SchedulerStateError, SerializationError } from '../errors.js';
import type { JobChanges, JobRecord, JobStore, Logger } from '../stores/job-store.js';
import {
  type CalendarIntervalTriggerOptions,
  type CronTriggerOptions,
  type DateTriggerOptions,
  type IntervalTriggerOptions,
  type TriggerAlias,
} from '../triggers/index.js';
import type { Trigger } from '../triggers/trigger.js';
import { toDate } from '../units.js';
import { safeEmit, type SchedulerEvents } from './events.js';
import type { Job } from './job.js';
import {
  checkChangeKeys,
  resolveOptions,
  type AddJobOptions,
  type JobChangesInput,
  type ResolvedJobOptions,
} from './options.js';
import type { TaskRegistry } from './tasks.js';
import { atIndex, writeJob, writeJobs, type JobSpec, type JobTask } from './write-jobs.js';
import { JobChecks } from './job-checks.js';
import { checkKnownKeys, optionKeys } from '../options-check.js';
import type { TriggerCache } from './trigger-cache.js';
import { readRunHistory, resolveRunsQuery, type GetRunsQuery, type RunHistoryEntry } from './run-history.js';

export type { TriggerAlias, JobSpec, JobTask };

const SPEC_KEYS = optionKeys<JobSpec>()(['task', 'trigger', 'triggerArgs', 'options']);

/** What the job API needs from the scheduler. */
export interface JobHost {
  emitter: EventEmitter<SchedulerEvents>;
  logger: Logger;
  clock: Clock;
  timezone: string;
  defaults: ResolvedJobOptions;
  tasks: TaskRegistry;
  triggers: TriggerCache;
  stores: Map<string, { name: string; store: JobStore }>;
  /**
   * The executors a job may name; `null` where this process runs none (a `JobClient`): any name
   * passes, and the scheduler that runs the job reports one it lacks.
   */
  executorNames: string[] | null;
  isStarted(): boolean;
  /** A job's next fire time is now `at`: arm the timer earlier if needed. */
  scheduleChanged(at: number | null): void;
  /** Gives back the runs of a job claimed ahead of their time, before the job is removed or rescheduled. */
  releaseHeld(jobId: string): Promise<void>;
  /** Writes the run outcomes this process has queued, so that `getRuns` reads them (no-op without a loop). */
  flushHistory(): Promise<void>;
}

interface PendingJob {
  record: JobRecord;
  storeName: string;
  replaceExisting: boolean;
}


/** The Scheduler's job methods. */
export class JobApi {
  readonly #host: JobHost;
  /** Jobs added before `start()`, written to their stores at start. */
  readonly #pending = new Map<string, PendingJob>();
  readonly #checks: JobChecks;

  constructor(host: JobHost) {
    this.#host = host;
    this.#checks = new JobChecks(host);
  }

  // Typed by alias: `triggerArgs` is checked against that trigger's options, so
  // `addJob(fn, 'cron', { hours: 3 })` does not compile (cron takes `hour`). The alias form is one
  // generic signature rather than one overload per alias because with more than three failing
  // overloads TypeScript reports only the last one's error ("string is not assignable to Trigger"),
  // never the misspelled option.
  /**
   * Adds a job that runs `task` on a trigger given by its alias, with `triggerArgs` the options of
   * that trigger: `'cron'` takes {@link CronTriggerOptions} or crontab text (5 fields; 6 with seconds
   * first; 7 with seconds first and year last), `'interval'` {@link IntervalTriggerOptions}, `'date'`
   * {@link DateTriggerOptions}, `'calendarinterval'` {@link CalendarIntervalTriggerOptions}.
   * @param task a function, called as `task(...options.args, ctx)`, or the id of a task passed to `registerTask`
   * @example
   * scheduler.addJob(fn, 'cron', { hour: 3 });
   * scheduler.addJob('report', 'cron', '0 3 * * mon-fri', { id: 'report', replaceExisting: true });
   * scheduler.addJob(fn, 'interval', { minutes: 5 });
   * scheduler.addJob(fn, 'date', { runDate: '2026-05-01T12:00:00Z' });
   * scheduler.addJob(fn, 'calendarinterval', { months: 1, hour: 9 });
   * @throws ConflictingIdError, SerializationError, TaskLookupError, TypeError, RangeError
   */
  addJob<A extends TriggerAlias>(
    task: string | ((...args: never[]) => unknown),
    trigger: A,
    triggerArgs: A extends 'cron' ? CronTriggerOptions | string
      : A extends 'interval' ? IntervalTriggerOptions
      : A extends 'date' ? DateTriggerOptions
      : A extends 'calendarinterval' ? CalendarIntervalTriggerOptions
      : never,
    options?: AddJobOptions,
  ): Promise<Job>;
  /**
   * Adds a job that runs `task` on a Trigger object, which takes no trigger arguments.
   * @param task a function, called as `task(...options.args, ctx)`, or the id of a task passed to `registerTask`
   * @example
   * scheduler.addJob(fn, new CronTrigger({ hour: 3 }), undefined, { id: 'nightly' });
   * @throws ConflictingIdError, SerializationError, TaskLookupError, TypeError, RangeError
   */
  addJob(task: string | ((...args: never[]) => unknown), trigger: Trigger, triggerArgs?: undefined, options?: AddJobOptions): Promise<Job>;
  /**
   * Adds a job that runs `task` on a Trigger object, with the job options third.
   * @param task a function, called as `task(...options.args, ctx)`, or the id of a task passed to `registerTask`
   * @example
   * scheduler.addJob(fn, new CronTrigger({ hour: 3 }), { id: 'nightly' });
   * @throws ConflictingIdError, SerializationError, TaskLookupError, TypeError, RangeError
   */
  addJob(task: string | ((...args: never[]) => unknown), trigger: Trigger, options?: AddJobOptions): Promise<Job>;
  addJob(task: string | ((...args: never[]) => unknown), trigger: TriggerAlias | Trigger, triggerArgs?: object | string | null, options?: AddJobOptions): Promise<Job> {
    return this.addJobLoose(task, trigger, triggerArgs, options);
  }

  /**
   * `addJob` under one loose signature, for passing on arguments that already matched one of its
   * overloads (`Scheduler.addJob` forwards its `...args`; a spread cannot pick an overload).
   */
  async addJobLoose(
    task: string | ((...args: never[]) => unknown),
    trigger: TriggerAlias | Trigger,
    triggerArgs?: object | string | null,
    options?: AddJobOptions,
  ): Promise<Job> {
    const host = this.#host;
    const { record, store, storeName, replaceExisting, keepSchedule, built, triggerJson } = this.#checks.prepare(task, trigger, triggerArgs, options);
    const { id } = record;
    if (!host.isStarted()) {
      const previous = this.#pending.get(id);
      if (previous && !replaceExisting) throw new ConflictingIdError(id, previous.storeName);
      this.#pending.set(id, { record, storeName, replaceExisting });
      safeEmit(host.emitter, host.logger, 'jobAdded', { jobId: id, jobStore: storeName });
      return this.#toJob(record, storeName, true, built);
    }
    const written = await writeJob(store, record, replaceExisting, keepSchedule);
    safeEmit(host.emitter, host.logger, 'jobAdded', { jobId: id, jobStore: storeName });
    host.scheduleChanged(written.nextRunTime);
    return this.#toJob(written, storeName, false, written.trigger === triggerJson ? built : undefined);
  }

  /**
   * Adds many jobs at once: each spec is what `addJob` takes, checked by the same rules, and the
   * jobs go to their store in one transaction (`JobStore.addJobs`): all of them or none. A bad
   * spec, an id used twice in the call, or an id taken in the store (without `replaceExisting`)
   * rejects the whole call with that error, whose message starts with `addJobs: specs[i]` and
   * whose `index` is `i`. `jobAdded` is emitted for each job once all are written.
   * @example
   * await scheduler.addJobs([
   *   { task: 'report', trigger: 'cron', triggerArgs: '0 3 * * *', options: { id: 'report' } },
   *   { task: poll, trigger: 'interval', triggerArgs: { seconds: 30 } },
   * ]);
   * @throws ConflictingIdError, SerializationError, TaskLookupError, TypeError, RangeError (with `index`)
   */
  async addJobs(specs: readonly JobSpec[]): Promise<Job[]> {
    const host = this.#host;
    if (!Array.isArray(specs)) throw new KairosTypeError('specs', specs, 'an array of { task, trigger, triggerArgs?, options? }');
    const prepared = specs.map((spec: unknown, i) => {
      try {
        if (typeof spec !== 'object' || spec === null) throw new KairosTypeError('spec', spec, 'an object { task, trigger, triggerArgs?, options? }');
        checkKnownKeys(spec, SPEC_KEYS, 'spec');
        const { task, trigger, triggerArgs, options } = spec as JobSpec;
        return this.#checks.prepare(task, trigger, triggerArgs as object | string | undefined, options);
      } catch (err) {
        throw atIndex(err, i);
      }
    });
    const indexOf = new Map<string, number>();
    prepared.forEach(({ record, storeName, replaceExisting }, i) => {
      const { id } = record;
      if (indexOf.has(id)) throw atIndex(new ConflictingIdError(id, storeName), i);
      indexOf.set(id, i);
      const previous = this.#pending.get(id);
      if (previous && !replaceExisting) throw atIndex(new ConflictingIdError(id, previous.storeName), i);
    });
    if (!host.isStarted()) {
      for (const { record, storeName, replaceExisting } of prepared) this.#pending.set(record.id, { record, storeName, replaceExisting });
      for (const { record, storeName } of prepared) safeEmit(host.emitter, host.logger, 'jobAdded', { jobId: record.id, jobStore: storeName });
      return prepared.map((p) => this.#toJob(p.record, p.storeName, true, p.built));
    }
    let written: JobRecord[];
    try {
      written = await writeJobs(prepared);
    } catch (err) {
      const id = err instanceof ConflictingIdError || err instanceof SerializationError ? err.jobId : undefined;
      throw id !== undefined && indexOf.has(id) ? atIndex(err, indexOf.get(id)!) : err;
    }
    let earliest: number | null = null;
    prepared.forEach(({ storeName }, i) => {
      const { id, nextRunTime } = written[i]!;
      safeEmit(host.emitter, host.logger, 'jobAdded', { jobId: id, jobStore: storeName });
      if (nextRunTime !== null && (earliest === null || nextRunTime < earliest)) earliest = nextRunTime;
    });
    host.scheduleChanged(earliest);
    return prepared.map((p, i) => this.#toJob(written[i]!, p.storeName, false, written[i]!.trigger === p.triggerJson ? p.built : undefined));
  }

  /** Writes the jobs added before `start()`. */
  async flushPending(): Promise<void> {
    for (const [id, { record, storeName, replaceExisting }] of this.#pending) {
      const { store } = this.#checks.storeEntry(storeName);
      await writeJob(store, record, replaceExisting, true);
      this.#pending.delete(id);
    }
  }

  /** The job with that id, or `null`. */
  async getJob(id: string): Promise<Job | null> {
    const found = await this.#find(id, false);
    return found ? this.#toJob(found.record, found.storeName, found.pending) : null;
  }

  /** Every job, or those of one store. */
  async getJobs({ jobStore }: { jobStore?: string } = {}): Promise<Job[]> {
    const out: Job[] = [];
    for (const p of this.#pending.values()) if (jobStore === undefined || p.storeName === jobStore) out.push(this.#toJob(p.record, p.storeName, true));
    if (this.#host.isStarted()) {
      const entries = jobStore === undefined ? [...this.#host.stores.values()] : [this.#checks.storeEntry(jobStore)];
      for (const { name, store } of entries) for (const r of await store.getJobs()) out.push(this.#toJob(r, name, false));
    }
    return out;
  }

  /** Changes a job's name, args or options. @throws JobLookupError */
  async modifyJob(id: string, changes: JobChangesInput): Promise<Job> {
    if (typeof changes !== 'object' || changes === null) throw new KairosTypeError('changes', changes, 'an object of job fields to change');
    checkChangeKeys(changes);
    const found = await this.#find(id, true);
    const { record, storeName } = found;
    const { misfireGraceTime, coalesce, maxInstances, retry, timeout, jitter } = record;
    const update: JobChanges = resolveOptions(changes, { misfireGraceTime, coalesce, maxInstances, retry, timeout, jitter });
    if (changes.name !== undefined) {
      if (typeof changes.name !== 'string') throw new KairosTypeError('changes.name', changes.name, 'a string');
      update.name = changes.name;
    }
    if (changes.args !== undefined) update.args = this.#checks.checkArgs(changes.args, this.#checks.storeEntry(storeName).store, storeName, id);
    if (changes.executor !== undefined) update.executor = this.#checks.checkExecutor(changes.executor);
    if (changes.nextRunTime !== undefined) update.nextRunTime = changes.nextRunTime === null ? null : toDate(changes.nextRunTime, 'changes.nextRunTime').getTime();
    return this.#update(found, update, false);
  }

  /**
   * Replaces a job's trigger with one given by its alias and options (typed as in `addJob`); its
   * next fire time is computed afresh and pending retries are cancelled.
   * @example
   * scheduler.rescheduleJob('report', 'cron', { hour: 4 });
   * @throws JobLookupError, TypeError, RangeError
   */
  rescheduleJob<A extends TriggerAlias>(
    id: string,
    trigger: A,
    triggerArgs: A extends 'cron' ? CronTriggerOptions | string
      : A extends 'interval' ? IntervalTriggerOptions
      : A extends 'date' ? DateTriggerOptions
      : A extends 'calendarinterval' ? CalendarIntervalTriggerOptions
      : never,
  ): Promise<Job>;
  /**
   * Replaces a job's trigger with a Trigger object (no trigger arguments); its next fire time is
   * computed afresh and pending retries are cancelled.
   * @throws JobLookupError
   */
  rescheduleJob(id: string, trigger: Trigger, triggerArgs?: undefined): Promise<Job>;
  rescheduleJob(id: string, trigger: TriggerAlias | Trigger, triggerArgs?: object | string): Promise<Job> {
    return this.rescheduleJobLoose(id, trigger, triggerArgs);
  }

  /** `rescheduleJob` under one loose signature, for forwarding (as `addJobLoose`). */
  async rescheduleJobLoose(id: string, trigger: TriggerAlias | Trigger, triggerArgs?: object | string): Promise<Job> {
    const found = await this.#find(id, true);
    await this.#host.releaseHeld(id);
    const now = this.#host.clock.now();
    const built = this.#checks.buildTrigger(trigger, triggerArgs).resolve({ timezone: this.#host.timezone, now });
    const next = built.getNextFireTime(null, now)?.getTime() ?? null;
    return this.#update(found, { trigger: built.toJSON(), nextRunTime: next, exhausted: next === null }, true);
  }

  /** Pauses a job (`nextRunTime` becomes null). @throws JobLookupError */
  async pauseJob(id: string): Promise<Job> {
    return this.#update(await this.#find(id, true), { nextRunTime: null }, false);
  }

  /** Resumes a paused job from now: fire times passed while paused are skipped. @throws JobLookupError */
  async resumeJob(id: string): Promise<Job> {
    const found = await this.#find(id, true);
    const trigger = this.#host.triggers.get(found.record.trigger);
    const next = trigger.getNextFireTime(null, this.#host.clock.now())?.getTime() ?? null;
    return this.#update(found, { nextRunTime: next, exhausted: next === null }, false);
  }

  /** Removes a job and its pending retries (runs in flight finish). @throws JobLookupError */
  async removeJob(id: string): Promise<void> {
    const found = await this.#find(id, true);
    await this.#host.releaseHeld(id);
    if (found.pending) this.#pending.delete(id);
    else await this.#checks.storeEntry(found.storeName).store.removeJob(id);
    safeEmit(this.#host.emitter, this.#host.logger, 'jobRemoved', { jobId: id, jobStore: found.storeName });
  }

  /** Removes every job, or those of one store. */
  async removeAllJobs({ jobStore }: { jobStore?: string } = {}): Promise<void> {
    const jobs = await this.getJobs(jobStore === undefined ? {} : { jobStore });
    for (const [id, p] of this.#pending) if (jobStore === undefined || p.storeName === jobStore) this.#pending.delete(id);
    if (this.#host.isStarted()) {
      const entries = jobStore === undefined ? [...this.#host.stores.values()] : [this.#checks.storeEntry(jobStore)];
      for (const { store } of entries) await store.removeAllJobs();
    }
    for (const job of jobs) safeEmit(this.#host.emitter, this.#host.logger, 'jobRemoved', { jobId: job.id, jobStore: job.jobStore });
  }

  /** Runs a job once now, outside its schedule (its own runId; the schedule is unchanged). @throws JobLookupError */
  async runJob(id: string): Promise<void> {
    const found = await this.#find(id, true);
    if (found.pending) throw new SchedulerStateError(`job "${id}" waits for start(); start the scheduler before runJob`);
    const now = this.#host.clock.now().getTime();
    const { store } = this.#checks.storeEntry(found.storeName);
    await store.addRun(id, { runId: `${id}@manual:${randomUUID()}`, scheduledRunTime: now, notBefore: now, manual: true });
    this.#host.scheduleChanged(now);
  }

  /**
   * The run history, newest first (by when each outcome was known, on the scheduler's clock):
   * one entry per try that ended (`succeeded`, `failed`, `timedOut`, `aborted`, `leaseLost`), per
   * wakeup that found fire times missed (`missed`), and per run refused for `maxInstances`. A
   * removed job's entries stay until the store's retention (`keepRuns`, `keepRunsFor`) drops them.
   *
   * Paged by cursor: each entry has a `cursor`; pass the last one's, with the same filters, for
   * the next page. A page shorter than `limit` is the last.
   * @example
   * const failures = await scheduler.getRuns({ jobId: 'report', outcome: 'failed', limit: 20 });
   * const older = await scheduler.getRuns({ jobId: 'report', outcome: 'failed', limit: 20, cursor: failures.at(-1)?.cursor });
   * @throws TypeError / RangeError for a bad query (naming the field); SchedulerStateError before `start()`
   */
  async getRuns(query: GetRunsQuery = {}): Promise<RunHistoryEntry[]> {
    const resolved = resolveRunsQuery(query);
    const stores = resolved.jobStore === undefined ? [...this.#host.stores.values()] : [this.#checks.storeEntry(resolved.jobStore)];
    if (!this.#host.isStarted()) throw new SchedulerStateError('the job stores are not open; call start() before getRuns (or read them with a JobClient)');
    await this.#host.flushHistory();
    return readRunHistory(stores, resolved);
  }

  // ------------------------------------------------------------------- helpers
  async #update(found: { record: JobRecord; storeName: string; pending: boolean }, changes: JobChanges, cancelPendingRuns: boolean): Promise<Job> {
    const { storeName } = found;
    let record: JobRecord;
    if (found.pending) {
      record = { ...found.record, ...changes };
      this.#pending.get(record.id)!.record = record;
    } else {
      record = await this.#checks.storeEntry(storeName).store.updateJob(found.record.id, changes, { cancelPendingRuns });
    }
    safeEmit(this.#host.emitter, this.#host.logger, 'jobModified', { jobId: record.id, jobStore: storeName });
    this.#host.scheduleChanged(record.nextRunTime);
    return this.#toJob(record, storeName, found.pending);
  }

  async #find(id: string, required: true): Promise<{ record: JobRecord; storeName: string; pending: boolean }>;
  async #find(id: string, required: false): Promise<{ record: JobRecord; storeName: string; pending: boolean } | null>;
  async #find(id: string, required: boolean): Promise<{ record: JobRecord; storeName: string; pending: boolean } | null> {
    // A store would pass a non-string on to its driver, whose error names no field.
    if (typeof id !== 'string') throw new KairosTypeError('id', id, 'a job id (a string)');
    const pending = this.#pending.get(id);
    if (pending) return { record: pending.record, storeName: pending.storeName, pending: true };
    if (this.#host.isStarted()) {
      for (const { name, store } of this.#host.stores.values()) {
        const record = await store.getJob(id);
        if (record) return { record, storeName: name, pending: false };
      }
    }
    if (required) throw new JobLookupError(id);
    return null;
  }

  #toJob(record: JobRecord, storeName: string, pending: boolean, trigger?: Trigger): Job {
    return {
      id: record.id,
      name: record.name,
      taskId: record.taskId,
      trigger: trigger ?? this.#host.triggers.get(record.trigger),
      args: record.args,
      nextRunTime: record.nextRunTime === null ? null : new Date(record.nextRunTime),
      misfireGraceTime: record.misfireGraceTime,
      coalesce: record.coalesce,
      maxInstances: record.maxInstances,
      jitter: record.jitter,
      timeout: record.timeout,
      retry: record.retry,
      executor: record.executor,
      jobStore: storeName,
      pending,
    };
  }
}
