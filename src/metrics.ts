/**
 * `kairos/metrics`: a scheduler's activity as Prometheus metrics, through prom-client.
 *
 * ```ts
 * import { Registry } from 'prom-client';
 * import { Scheduler } from 'kairos';
 * import { collectMetrics } from 'kairos/metrics';
 *
 * const registry = new Registry();
 * const scheduler = new Scheduler();
 * collectMetrics(scheduler, { registry });
 * // serve `await registry.metrics()` at /metrics
 * ```
 *
 * prom-client is an optional peer dependency (`npm install prom-client`), loaded when
 * `collectMetrics` is called: importing kairos, or this module, never loads it.
 * @module kairos/metrics
 */
export { collectMetrics, errorOutcome } from './metrics/collect.js';
export type { MetricsCollector, MetricsOptions, RunOutcomeLabel } from './metrics/collect.js';
export type { SchedulerStats, StoreStats } from './scheduler/stats.js';
