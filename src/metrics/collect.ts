/**
 * `collectMetrics`: the scheduler's events and `stats()` as prom-client metrics in a registry the
 * application owns. Counters and histograms follow the events as they are emitted; gauges are
 * read from `scheduler.stats()` when the registry is scraped.
 * @module
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import { KairosTypeError } from '../errors.js';
import { checkKnownKeys, optionKeys } from '../options-check.js';
import type { Scheduler } from '../scheduler.js';
import type { JobEvent, JobMissedEvent, SchedulerEvents } from '../scheduler/events.js';
import type { SchedulerStats } from '../scheduler/stats.js';
import { loadPromClient } from './prom-client.js';

/** How a run ended, as the `outcome` label says (the same words as the run history's). */
export type RunOutcomeLabel = 'succeeded' | 'failed' | 'timedOut' | 'missed' | 'maxInstances' | 'aborted' | 'leaseLost';

/** Options of {@link collectMetrics}. */
export interface MetricsOptions {
  /** The prom-client `Registry` to register the metrics in (`new Registry()`, or prom-client's global `register`). */
  registry: Pick<Registry, 'registerMetric' | 'removeSingleMetric'>;
  /**
   * Put before every metric name. Two schedulers can share a registry under different prefixes.
   * @default 'kairos_'
   */
  prefix?: string;
  /**
   * The value of the `job` label for a job id. Every job id is a label value by default; with
   * very many jobs (one per user, say), map them to fewer values to keep the series few.
   * @default the job id
   * @example jobLabel: (id) => id.replace(/:.*$/, '') // 'invoice:42' → 'invoice'
   */
  jobLabel?: (jobId: string) => string;
  /**
   * Bucket bounds of the run duration histogram, in seconds.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]
   */
  durationBuckets?: number[];
  /**
   * Bucket bounds of the lateness histogram, in seconds.
   * @default [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10, 60, 300, 3600]
   */
  latenessBuckets?: number[];
}

/** What {@link collectMetrics} returns. */
export interface MetricsCollector {
  /** Stops collecting: removes kairos's listeners from the scheduler and its metrics from the registry. Idempotent. */
  stop(): void;
}

const OPTION_KEYS = optionKeys<MetricsOptions>()(['registry', 'prefix', 'jobLabel', 'durationBuckets', 'latenessBuckets']);
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10, 60, 300, 3600];
/**
 * Submitted runs whose end is awaited, for their duration. A run whose end is never reported (its
 * outcome could not be recorded in the store) would stay: past this many, the oldest are dropped.
 */
const MAX_TRACKED_RUNS = 100_000;

/** The error codes whose runs get an outcome of their own; any other error is `failed`. */
const OUTCOME_BY_CODE: Record<string, RunOutcomeLabel> = {
  KAIROS_JOB_TIMEOUT: 'timedOut',
  KAIROS_SHUTDOWN: 'aborted',
  KAIROS_LEASE_LOST: 'leaseLost',
};

/** The outcome of a `jobError`, by the error's stable `code` (so a second copy of kairos agrees). */
export function errorOutcome(error: unknown): RunOutcomeLabel {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return (typeof code === 'string' ? OUTCOME_BY_CODE[code] : undefined) ?? 'failed';
}

/**
 * Exports a scheduler's activity as Prometheus metrics through prom-client, in `registry`. Call it
 * once per scheduler and registry (a second call with the same prefix fails: the names are taken).
 *
 * | metric (default prefix) | type | labels | what |
 * | --- | --- | --- | --- |
 * | `kairos_runs_total` | counter | `job`, `store`, `outcome` | runs that ended: each try of a run, each missed fire time (`missedCount` of a `jobMissed`, or 1 where the trigger cannot count them), each run refused by `maxInstances` |
 * | `kairos_run_duration_seconds` | histogram | `job`, `store`, `outcome` | from a try's start (`jobSubmitted`) to its end, on the scheduler's clock |
 * | `kairos_run_lateness_seconds` | histogram | `job`, `store` | start minus scheduled run time, first tries only (a retry starts late on purpose); includes the job's `jitter` |
 * | `kairos_jobs` | gauge | `store` | jobs in the store, paused ones included |
 * | `kairos_runs_in_flight` | gauge | `store` | runs this scheduler is running |
 * | `kairos_pending_retries` | gauge | `store` | runs waiting in the store for their next try |
 * | `kairos_next_wakeup_seconds` | gauge | | until the scheduler's timer fires (0 during a wakeup, `+Inf` when stopped, paused or idle) |
 * | `kairos_store_errors_total` | counter | `store` | failed store operations the scheduler met (see `StoreStats.errors`) |
 * | `kairos_runs_not_recorded_total` | counter | `store` | run outcomes lost from the run history because the store failed to write them (`StoreStats.runsNotRecorded`) |
 *
 * `outcome` is `succeeded`, `failed`, `timedOut` (`JobTimeoutError`), `aborted` (shutdown without
 * waiting), `leaseLost` (`LeaseLostError`), `missed` or `maxInstances`. The gauges are read from
 * {@link Scheduler.stats} at each scrape; a store that cannot count (no `getCounts`) has no
 * `kairos_jobs` and `kairos_pending_retries` series.
 *
 * prom-client is an optional peer dependency of kairos; it is loaded by this call.
 * @throws MissingDependencyError naming `npm install prom-client` when prom-client cannot be loaded
 * @throws TypeError for a bad option
 */
export function collectMetrics(scheduler: Scheduler, options: MetricsOptions): MetricsCollector {
  const o = checkKnownKeys(options, OPTION_KEYS, 'collectMetrics') as unknown as MetricsOptions;
  const registry = o.registry;
  if (typeof registry?.registerMetric !== 'function' || typeof registry.removeSingleMetric !== 'function') {
    throw new KairosTypeError('registry', registry, "a prom-client Registry (new Registry(), or prom-client's register)");
  }
  const prefix = o.prefix ?? 'kairos_';
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(prefix)) {
    throw new KairosTypeError('prefix', prefix, 'a Prometheus metric name prefix (letters, digits, _ and :, not starting with a digit)');
  }
  const jobLabel = o.jobLabel ?? ((id: string) => id);
  if (typeof jobLabel !== 'function') throw new KairosTypeError('jobLabel', jobLabel, 'a function from a job id to a label value');
  const { Counter, Gauge, Histogram } = loadPromClient();

  // ----------------------------------------------------------------- gauges, read at scrape
  // One stats() per scrape: the registry collects every metric in the same turn, and they share it.
  let reading: Promise<SchedulerStats> | null = null;
  const stats = (): Promise<SchedulerStats> =>
    (reading ??= scheduler.stats().finally(() => {
      reading = null;
    }));
  const perStore = (gauge: Gauge<'store'>, pick: (s: SchedulerStats['stores'][string]) => number | null) => async (): Promise<void> => {
    const { stores } = await stats();
    gauge.reset();
    for (const [store, s] of Object.entries(stores)) {
      const value = pick(s);
      if (value !== null) gauge.set({ store }, value);
    }
  };

  const jobs: Gauge<'store'> = new Gauge({ name: `${prefix}jobs`, help: 'Jobs in the store, paused ones included.', labelNames: ['store'], registers: [], collect: () => perStore(jobs, (s) => s.jobs)() });
  const inFlight: Gauge<'store'> = new Gauge({ name: `${prefix}runs_in_flight`, help: 'Runs this scheduler is running.', labelNames: ['store'], registers: [], collect: () => perStore(inFlight, (s) => s.runsInFlight)() });
  const retries: Gauge<'store'> = new Gauge({ name: `${prefix}pending_retries`, help: 'Runs waiting in the store for their next try after a failed one.', labelNames: ['store'], registers: [], collect: () => perStore(retries, (s) => s.pendingRetries)() });
  const nextWakeup: Gauge = new Gauge({
    name: `${prefix}next_wakeup_seconds`,
    help: "Seconds until the scheduler's timer fires (+Inf when stopped, paused or idle).",
    registers: [],
    collect: async () => {
      const { nextWakeupAt } = await stats();
      nextWakeup.set(nextWakeupAt === null ? Infinity : (nextWakeupAt.getTime() - scheduler.clock.now().getTime()) / 1000);
    },
  });
  // Counters whose totals the scheduler keeps (stats()): each scrape sets them from the reading.
  const perStoreTotal = (name: string, help: string, pick: (s: SchedulerStats['stores'][string]) => number): Counter<'store'> => {
    const counter: Counter<'store'> = new Counter({
      name: `${prefix}${name}`,
      help,
      labelNames: ['store'],
      registers: [],
      collect: async () => {
        const { stores } = await stats();
        counter.reset();
        for (const [store, s] of Object.entries(stores)) counter.inc({ store }, pick(s));
      },
    });
    return counter;
  };
  const storeErrors = perStoreTotal('store_errors_total', 'Store operations of this scheduler that failed.', (s) => s.errors);
  const notRecorded = perStoreTotal(
    'runs_not_recorded_total',
    'Run outcomes the store failed to write to its run history (the runs themselves were unaffected).',
    (s) => s.runsNotRecorded,
  );

  // ------------------------------------------------------- counters and histograms, by event
  const runs = new Counter({ name: `${prefix}runs_total`, help: 'Runs that ended (each try), missed, or refused by maxInstances.', labelNames: ['job', 'store', 'outcome'], registers: [] });
  const duration = new Histogram({
    name: `${prefix}run_duration_seconds`,
    help: "Seconds from a try's start to its end, on the scheduler's clock.",
    labelNames: ['job', 'store', 'outcome'],
    buckets: o.durationBuckets ?? DURATION_BUCKETS,
    registers: [],
  });
  const lateness = new Histogram({
    name: `${prefix}run_lateness_seconds`,
    help: "Seconds from a run's scheduled time to its start (first tries).",
    labelNames: ['job', 'store'],
    buckets: o.latenessBuckets ?? LATENESS_BUCKETS,
    registers: [],
  });

  const started = new Map<string, number>();
  const key = (e: JobEvent): string => `${e.runId}\n${e.attempt}`;
  const now = (): number => scheduler.clock.now().getTime();
  const ended = (e: JobEvent, outcome: RunOutcomeLabel): void => {
    const labels = { job: jobLabel(e.jobId), store: e.jobStore, outcome };
    runs.inc(labels);
    const at = started.get(key(e));
    if (at === undefined) return; // it never started (a task not registered, a claim lost before)
    started.delete(key(e));
    duration.observe(labels, (now() - at) / 1000);
  };
  const listeners: { [K in keyof SchedulerEvents]?: (...a: SchedulerEvents[K]) => void } = {
    jobSubmitted: (e) => {
      const t = now();
      if (started.size >= MAX_TRACKED_RUNS) started.delete(started.keys().next().value!);
      started.set(key(e), t);
      if (e.attempt === 1 && e.scheduledRunTime) lateness.observe({ job: jobLabel(e.jobId), store: e.jobStore }, (t - e.scheduledRunTime.getTime()) / 1000);
    },
    jobExecuted: (e) => ended(e, 'succeeded'),
    jobError: (e) => ended(e, errorOutcome(e.error)),
    jobMissed: (e: JobMissedEvent) => runs.inc({ job: jobLabel(e.jobId), store: e.jobStore, outcome: 'missed' }, e.missedCount ?? 1),
    jobMaxInstances: (e) => runs.inc({ job: jobLabel(e.jobId), store: e.jobStore, outcome: 'maxInstances' }),
  };

  const metrics = [runs, duration, lateness, jobs, inFlight, retries, nextWakeup, storeErrors, notRecorded];
  const registered: string[] = [];
  try {
    for (const m of metrics) {
      registry.registerMetric(m);
      registered.push((m as unknown as { name: string }).name);
    }
  } catch (err) {
    for (const name of registered) registry.removeSingleMetric(name);
    throw err;
  }
  for (const [name, listener] of Object.entries(listeners)) scheduler.on(name as keyof SchedulerEvents, listener as () => void);

  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      for (const [name, listener] of Object.entries(listeners)) scheduler.off(name as keyof SchedulerEvents, listener as () => void);
      for (const name of registered) registry.removeSingleMetric(name);
      started.clear();
    },
  };
}
