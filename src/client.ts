/**
 * JobClient: the job API without the timer loop, for an admin process or the `kairos` command
 * beside the schedulers. It shares `JobApi` with the Scheduler (the same checks, the same store
 * writes); what it lacks is everything that runs jobs: no timer, no executors, no leases.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { SystemClock } from './clock/system-clock.js';
import { KairosRangeError, KairosTypeError, SchedulerStateError } from './errors.js';
import { adaptLogger } from './logging.js';
import { checkKnownKeys, optionKeys } from './options-check.js';
import type { SchedulerEvents } from './scheduler/events.js';
import { JobApi, type JobHost } from './scheduler/job-api.js';
import { resolveDefaults } from './scheduler/options.js';
import { TaskRegistry } from './scheduler/tasks.js';
import { TriggerCache } from './scheduler/trigger-cache.js';
import type { JobStore, Logger } from './stores/job-store.js';
import { checkTimezone, systemTimezone } from './units.js';

/** Options of {@link JobClient}. */
export interface JobClientOptions {
  /**
   * The stores to read and steer, by name, as the schedulers name them (a job's `jobStore` is
   * this name). Give each its own instance: the client opens and closes them.
   */
  jobStores: Record<string, JobStore>;
  /** The zone given to a trigger that names none, in `rescheduleJob`. @default the system zone */
  timezone?: string;
  /** Where the stores report what they cannot throw: `console` or a pino logger (see {@link Logger}). @default silent */
  logger?: Logger;
}

const CLIENT_KEYS = optionKeys<JobClientOptions>()(['jobStores', 'timezone', 'logger']);
const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Reads and steers the jobs of persistent stores without running them: list, show, modify,
 * reschedule, pause, resume, remove, run now, and read the run history. `open()` opens the stores (applying their
 * migrations) and nothing else, so it fits an admin process or a deploy script beside the
 * schedulers. A change made here reaches running schedulers as any other change does: within
 * a second on SQLite (they poll the file's `data_version`), at once on PostgreSQL (NOTIFY).
 * `runJob` writes a run for them to start; this process never runs a task.
 *
 * @example
 * ```ts
 * import { JobClient } from 'kairos';
 * import { PostgresJobStore } from 'kairos/postgres';
 *
 * const client = new JobClient({ jobStores: { default: new PostgresJobStore({ connectionString: process.env.DATABASE_URL! }) } });
 * await client.open();
 * await client.pauseJob('nightly-report');
 * await client.close();
 * ```
 */
export class JobClient {
  /** The zone of triggers that name none (for `rescheduleJob`). */
  readonly timezone: string;
  readonly #logger: Logger;
  readonly #stores: Map<string, { name: string; store: JobStore }>;
  readonly #jobs: JobApi;
  #state: 'closed' | 'opening' | 'open' = 'closed';

  /** @throws TypeError / RangeError for an unknown option, a bad zone or no store */
  constructor(options: JobClientOptions) {
    if (options === null || typeof options !== 'object') throw new KairosTypeError('options', options, 'an object with jobStores');
    checkKnownKeys(options, CLIENT_KEYS, 'JobClient');
    const stores = options.jobStores;
    if (stores === null || typeof stores !== 'object') throw new KairosTypeError('jobStores', stores, 'an object of named job stores');
    this.#stores = new Map(Object.entries(stores).map(([name, store]) => [name, { name, store }]));
    if (this.#stores.size === 0) throw new KairosRangeError('jobStores', stores, 'at least one named job store');
    this.timezone = options.timezone === undefined ? systemTimezone() : checkTimezone(options.timezone, 'timezone');
    this.#logger = adaptLogger(options.logger ?? SILENT);
    const clock = new SystemClock();
    const host: JobHost = {
      // Job events go nowhere: the schedulers that run the jobs emit their own.
      emitter: new EventEmitter<SchedulerEvents>(),
      logger: this.#logger,
      clock,
      timezone: this.timezone,
      defaults: resolveDefaults(),
      tasks: new TaskRegistry(),
      triggers: new TriggerCache(),
      stores: this.#stores,
      executorNames: null,
      // Always "started" once open (the methods refuse before): reads and writes go to the stores.
      isStarted: () => true,
      // The loop hooks: there is no timer to re-arm and no run held ahead of its time.
      scheduleChanged: () => {},
      releaseHeld: async () => {},
      // Nothing runs here, so nothing waits to be recorded.
      flushHistory: async () => {},
    };
    this.#jobs = new JobApi(host);
  }

  /** True between `open()` and `close()`. */
  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /**
   * Opens every store (a persistent store applies its migrations). Starts no timer and no executor.
   * @throws SchedulerStateError when already open; the store's error when one fails to open (the others are closed again)
   */
  async open(): Promise<void> {
    if (this.#state !== 'closed') throw new SchedulerStateError(`the job client is already ${this.#state}; call close() before opening it again`);
    this.#state = 'opening';
    const opened: JobStore[] = [];
    try {
      for (const { name, store } of this.#stores.values()) {
        await store.open({ name, logger: this.#logger });
        opened.push(store);
      }
    } catch (err) {
      for (const store of opened) await store.close().catch(() => {});
      this.#state = 'closed';
      throw err;
    }
    this.#state = 'open';
  }

  /** Closes the stores. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const { name, store } of this.#stores.values()) {
      await store.close().catch((err) => this.#logger.error(`kairos: store "${name}" failed to close`, { jobStore: name }, err));
    }
  }

  #api(): JobApi {
    if (this.#state !== 'open') throw new SchedulerStateError('the job client is not open; call open() first');
    return this.#jobs;
  }

  /** The job with that id, or `null`. @throws SchedulerStateError before `open()` */
  readonly getJob: JobApi['getJob'] = async (...a) => this.#api().getJob(...a);
  /** Every job, or those of one store. */
  readonly getJobs: JobApi['getJobs'] = async (...a) => this.#api().getJobs(...a);
  /** Changes a job's name, args or options. @throws JobLookupError */
  readonly modifyJob: JobApi['modifyJob'] = async (...a) => this.#api().modifyJob(...a);
  /**
   * Replaces a job's trigger (typed by alias as `Scheduler.rescheduleJob`); a trigger without a
   * zone gets the client's `timezone`. @throws JobLookupError
   */
  readonly rescheduleJob: JobApi['rescheduleJob'] = async (...a: Parameters<JobApi['rescheduleJobLoose']>) => this.#api().rescheduleJobLoose(...a);
  /** Pauses a job: the schedulers stop starting its runs (runs in flight finish). @throws JobLookupError */
  readonly pauseJob: JobApi['pauseJob'] = async (...a) => this.#api().pauseJob(...a);
  /** Resumes a paused job from now. @throws JobLookupError */
  readonly resumeJob: JobApi['resumeJob'] = async (...a) => this.#api().resumeJob(...a);
  /** Removes a job and its pending runs. @throws JobLookupError */
  readonly removeJob: JobApi['removeJob'] = async (...a) => this.#api().removeJob(...a);
  /**
   * Asks for one run of a job now, outside its schedule: writes a pending run that a running
   * scheduler sharing the store starts (at once on PostgreSQL, within its poll interval on SQLite).
   * @throws JobLookupError
   */
  readonly runJob: JobApi['runJob'] = async (...a) => this.#api().runJob(...a);
  /**
   * The run history the schedulers recorded, newest first, paged by cursor (as `Scheduler.getRuns`).
   * @throws TypeError / RangeError for a bad query
   */
  readonly getRuns: JobApi['getRuns'] = async (...a) => this.#api().getRuns(...a);
}
