// Prometheus metrics and a pino logger: collectMetrics registers kairos's counters, histograms and
// gauges in your prom-client registry; serve `await registry.metrics()` at /metrics. A FakeClock
// runs an hour of schedule in a moment, so the figures below are the same on every run.
// Run: npm run build && node examples/metrics.mjs
import pino from 'pino';
import { Registry } from 'prom-client';
import { FakeClock, Scheduler } from 'kairos';
import { collectMetrics } from 'kairos/metrics';

const clock = new FakeClock('2026-01-01T00:00:00Z');
// pino's shape is recognised: each line about a job carries jobId, runId and scheduledRunTime.
const logger = pino({ level: 'warn' }, pino.destination(2));
const scheduler = new Scheduler({ clock, timezone: 'UTC', logger });
const registry = new Registry();
collectMetrics(scheduler, { registry });

let calls = 0;
await scheduler.addJob(() => {}, 'interval', { minutes: 5 }, { id: 'heartbeat' });
await scheduler.addJob(() => {
  if (++calls % 4 === 0) throw new Error('upstream timed out');
}, 'cron', { minute: '*/10' }, { id: 'sync', retry: { attempts: 2, delay: { seconds: 30 } } });
await scheduler.start();
await clock.advance({ hours: 1 });

const wanted = /^kairos_(runs_total|jobs|pending_retries|next_wakeup_seconds|run_lateness_seconds_count)[{ ]/;
console.log((await registry.metrics()).split('\n').filter((line) => wanted.test(line)).join('\n'));
await scheduler.shutdown();
