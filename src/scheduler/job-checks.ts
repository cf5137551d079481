/**
 * The checks of the job API, shared by `addJob`, `addJobs` and the methods that change jobs: a
 * job's arguments, options, executor and store checked and resolved into the record a store
 * keeps, before anything is written.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { KairosRangeError, KairosTypeError, TaskLookupError } from '../errors.js';
import { assertJsonArgs } from '../stores/serialization.js';
import type { JobRecord, JobStore } from '../stores/job-store.js';
import { createTrigger, type TriggerAlias } from '../triggers/index.js';
import type { Trigger } from '../triggers/trigger.js';
import { toDate } from '../units.js';
import type { JobHost } from './job-api.js';
import { checkAddJobKeys, resolveOptions, type AddJobOptions } from './options.js';
import type { PreparedJob } from './write-jobs.js';

/** True for a Trigger object (as opposed to an alias). */
export function isTrigger(value: unknown): value is Trigger {
  return typeof value === 'object' && value !== null && typeof (value as Trigger).getNextFireTime === 'function' && typeof (value as Trigger).toJSON === 'function';
}

/** The job API's checks over one host (a Scheduler or a JobClient). */
export class JobChecks {
  readonly #host: JobHost;
  /**
   * Ids of jobs added without one, in UUID form: the first 24 characters of a random UUID (~80
   * random bits, drawn per scheduler), then a counter. Unique like random UUIDs across processes
   * sharing a store, at a fraction of the cost of drawing one per job.
   */
  readonly #idBase = randomUUID().slice(0, 24);
  #idSeq = 0;

  #newId(): string {
    return this.#idBase + (this.#idSeq++).toString(16).padStart(12, '0');
  }

  constructor(host: JobHost) {
    this.#host = host;
  }

  /** `addJob`'s checks and resolution: the record to store, and where. Throws what addJob throws; writes nothing. */
  prepare(task: string | ((...args: never[]) => unknown), trigger: TriggerAlias | Trigger, triggerArgs: object | string | null | undefined, options: AddJobOptions | undefined): PreparedJob {
    const host = this.#host;
    if (isTrigger(trigger) && options === undefined && triggerArgs !== null && typeof triggerArgs === 'object') {
      // addJob(fn, triggerObject, options): a Trigger takes no trigger arguments.
      options = triggerArgs as AddJobOptions;
      triggerArgs = undefined;
    }
    options ??= {};
    if (typeof options !== 'object') throw new KairosTypeError('options', options, 'an object of job options');
    checkAddJobKeys(options);
    const { store, name: storeName } = this.storeEntry(options.jobStore ?? 'default');
    const id = options.id ?? this.#newId();
    if (typeof id !== 'string' || id.length === 0) throw new KairosTypeError('options.id', id, 'a non-empty string');
    if (options.name !== undefined && typeof options.name !== 'string') throw new KairosTypeError('options.name', options.name, 'a string');
    const taskId = host.tasks.idFor(task, store.persistent, storeName, id);
    if (host.tasks.get(taskId) === undefined) {
      if (!store.persistent) throw new TaskLookupError(taskId, id);
      host.logger.warn(`kairos: job "${id}" names task "${taskId}", which this process has not registered; another process may run it`, { jobId: id, taskId, jobStore: storeName });
    }
    const args = this.checkArgs(options.args ?? [], store, storeName, id);
    const resolved = resolveOptions(options, host.defaults);
    this.checkExecutor(options.executor ?? 'default');
    const now = host.clock.now();
    const built = this.buildTrigger(trigger, triggerArgs).resolve({ timezone: host.timezone, now });
    let nextRunTime: number | null;
    if (options.nextRunTime === null) nextRunTime = null;
    else if (options.nextRunTime !== undefined) nextRunTime = toDate(options.nextRunTime, 'options.nextRunTime').getTime();
    else nextRunTime = built.getNextFireTime(null, now)?.getTime() ?? null;
    const triggerJson = built.toJSON();
    const record: JobRecord = {
      id,
      name: options.name ?? ((typeof task === 'function' && task.name) || taskId),
      taskId,
      trigger: triggerJson,
      args,
      nextRunTime,
      exhausted: nextRunTime === null && options.nextRunTime !== null,
      misfireGraceTime: resolved.misfireGraceTime,
      coalesce: resolved.coalesce,
      maxInstances: resolved.maxInstances,
      jitter: resolved.jitter,
      executor: options.executor ?? 'default',
      timeout: resolved.timeout,
      retry: resolved.retry,
    };
    return { record, store, storeName, replaceExisting: options.replaceExisting ?? false, keepSchedule: options.nextRunTime === undefined, built, triggerJson };
  }

  /** The configured store of that name. @throws RangeError naming the configured ones */
  storeEntry(name: string): { name: string; store: JobStore } {
    const entry = this.#host.stores.get(name);
    if (!entry) throw new KairosRangeError('jobStore', name, `the name of a configured job store (${[...this.#host.stores.keys()].join(', ')})`);
    return entry;
  }

  /** @throws RangeError for an executor not configured (any non-empty name where none run here) */
  checkExecutor(name: string): string {
    const names = this.#host.executorNames;
    if (names === null) {
      if (typeof name !== 'string' || name === '') throw new KairosTypeError('executor', name, 'the name of an executor');
    } else if (!names.includes(name)) {
      throw new KairosRangeError('executor', name, `the name of a configured executor (${names.join(', ')})`);
    }
    return name;
  }

  /** @throws TypeError when not an array; SerializationError when a persistent store cannot keep them */
  checkArgs(args: unknown, store: JobStore, storeName: string, id: string): unknown[] {
    if (!Array.isArray(args)) throw new KairosTypeError('args', args, 'an array of arguments for the task');
    if (store.persistent) assertJsonArgs(args, id, storeName);
    return args;
  }

  /** A Trigger as given, or built from its alias and arguments. */
  buildTrigger(trigger: unknown, args: unknown): Trigger {
    if (isTrigger(trigger)) return trigger;
    if (typeof trigger === 'string') return createTrigger(trigger as TriggerAlias, (args ?? {}) as object | string);
    throw new KairosTypeError('trigger', trigger, "a Trigger, or one of 'date', 'interval', 'cron', 'calendarinterval' with its arguments");
  }
}
