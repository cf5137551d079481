/**
 * kairos/metrics: a known sequence of runs under a FakeClock, then the registry's text, checked
 * value by value (issue 14, item 3).
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MemoryJobStore, MissingDependencyError } from '../../src/index.js';
import { collectMetrics, errorOutcome } from '../../src/metrics.js';
import { loadPromClient } from '../../src/metrics/prom-client.js';
import { JobTimeoutError, LeaseLostError, ShutdownAbortError } from '../../src/errors.js';
import { at, fakeSetup } from '../scheduler/helpers.js';

/** The sample lines of the registry's text whose name is `name` or starts with `name{` (no comments). */
async function samples(registry: Registry, name: string): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`)).sort();
}

describe('collectMetrics', () => {
  it('a known sequence of runs: counts by job and outcome, durations and lateness on the clock, gauges at scrape', async () => {
    const { clock, scheduler } = fakeSetup();
    const registry = new Registry();
    collectMetrics(scheduler, { registry });
    // A task that takes clock time; its job has a timeout, so advance() does not wait for it in real time.
    const sleep = (ms: number) => new Promise<void>((r) => clock.setTimer(clock.now().getTime() + ms, r));
    await scheduler.start();
    // 3 successes of 2 s each (00:00:10, :20, :30)
    await scheduler.addJob(() => sleep(2000), 'interval', { seconds: 10, endDate: at('00:00:30') }, { id: 'ok', timeout: 60_000 });
    // fails at 00:00:05, succeeds on its retry at 00:00:08
    await scheduler.addJob((ctx: { attempt: number }) => {
      if (ctx.attempt === 1) throw new Error('first try fails');
    }, 'date', { runDate: at('00:00:05') }, { id: 'flaky', retry: { attempts: 2, delay: 3000 } });
    // times out after 1 s (00:00:12 → :13)
    await scheduler.addJob((ctx: { signal: AbortSignal }) => new Promise((r) => ctx.signal.addEventListener('abort', r)), 'date', { runDate: at('00:00:12') }, { id: 'slow', timeout: 1000 });
    // runs 7 s from 00:00:05, so its 00:00:10 run is refused (maxInstances 1)
    await scheduler.addJob(() => sleep(7000), 'interval', { seconds: 5, startDate: at('00:00:05'), endDate: at('00:00:10') }, { id: 'busy', timeout: 60_000 });
    // fails at 00:00:01 and waits an hour for its retry
    await scheduler.addJob(() => {
      throw new Error('down');
    }, 'date', { runDate: at('00:00:01') }, { id: 'retrying', retry: { attempts: 3, delay: { hours: 1 } } });
    // all 4 fire times (00:00:36 … :42) missed by the jump below, counted by the trigger
    await scheduler.addJob(() => {}, 'interval', { seconds: 2, startDate: at('00:00:36'), endDate: at('00:00:42') }, { id: 'catchup', misfireGraceTime: 500 });
    // due a minute before it was added, and out of grace: one missed fire time (a date trigger cannot count: 1)
    await scheduler.addJob(() => {}, 'date', { runDate: at('23:59:00', '2025-12-31') }, { id: 'stale', misfireGraceTime: 1000 });
    // 00:00:40, started at 00:00:43 by the jump: 3 s late
    await scheduler.addJob(() => {}, 'date', { runDate: at('00:00:40') }, { id: 'late' });
    await scheduler.addJob(() => {}, 'cron', { hour: 3 }, { id: 'future' });
    await scheduler.addJob(() => {}, 'cron', { hour: 4 }, { id: 'idle', nextRunTime: null });

    await clock.advance({ seconds: 6 });
    // busy is in flight; flaky's retry is due at 00:00:08
    expect(await samples(registry, 'kairos_runs_in_flight')).toEqual(['kairos_runs_in_flight{store="default"} 1']);
    expect(await samples(registry, 'kairos_pending_retries')).toEqual(['kairos_pending_retries{store="default"} 2']);
    // the timer fires the lookahead (100 ms) before the retry is due
    expect(await samples(registry, 'kairos_next_wakeup_seconds')).toEqual(['kairos_next_wakeup_seconds 1.9']);

    await clock.advance({ seconds: 29 }); // 00:00:35
    await clock.set(at('00:00:43'));

    expect(await samples(registry, 'kairos_runs_total')).toEqual([
      'kairos_runs_total{job="busy",store="default",outcome="maxInstances"} 1',
      'kairos_runs_total{job="busy",store="default",outcome="succeeded"} 1',
      'kairos_runs_total{job="catchup",store="default",outcome="missed"} 4',
      'kairos_runs_total{job="flaky",store="default",outcome="failed"} 1',
      'kairos_runs_total{job="flaky",store="default",outcome="succeeded"} 1',
      'kairos_runs_total{job="late",store="default",outcome="succeeded"} 1',
      'kairos_runs_total{job="ok",store="default",outcome="succeeded"} 3',
      'kairos_runs_total{job="retrying",store="default",outcome="failed"} 1',
      'kairos_runs_total{job="slow",store="default",outcome="timedOut"} 1',
      'kairos_runs_total{job="stale",store="default",outcome="missed"} 1',
    ]);
    expect(await samples(registry, 'kairos_run_duration_seconds_sum')).toEqual([
      'kairos_run_duration_seconds_sum{job="busy",store="default",outcome="succeeded"} 7',
      'kairos_run_duration_seconds_sum{job="flaky",store="default",outcome="failed"} 0',
      'kairos_run_duration_seconds_sum{job="flaky",store="default",outcome="succeeded"} 0',
      'kairos_run_duration_seconds_sum{job="late",store="default",outcome="succeeded"} 0',
      'kairos_run_duration_seconds_sum{job="ok",store="default",outcome="succeeded"} 6',
      'kairos_run_duration_seconds_sum{job="retrying",store="default",outcome="failed"} 0',
      'kairos_run_duration_seconds_sum{job="slow",store="default",outcome="timedOut"} 1',
    ]);
    expect(await samples(registry, 'kairos_run_duration_seconds_count')).toEqual([
      'kairos_run_duration_seconds_count{job="busy",store="default",outcome="succeeded"} 1',
      'kairos_run_duration_seconds_count{job="flaky",store="default",outcome="failed"} 1',
      'kairos_run_duration_seconds_count{job="flaky",store="default",outcome="succeeded"} 1',
      'kairos_run_duration_seconds_count{job="late",store="default",outcome="succeeded"} 1',
      'kairos_run_duration_seconds_count{job="ok",store="default",outcome="succeeded"} 3',
      'kairos_run_duration_seconds_count{job="retrying",store="default",outcome="failed"} 1',
      'kairos_run_duration_seconds_count{job="slow",store="default",outcome="timedOut"} 1',
    ]);
    // the buckets around ok's 2 s runs
    expect((await samples(registry, 'kairos_run_duration_seconds_bucket')).filter((l) => l.includes('job="ok"') && /le="(1|2\.5|\+Inf)"/.test(l))).toEqual([
      'kairos_run_duration_seconds_bucket{le="+Inf",job="ok",store="default",outcome="succeeded"} 3',
      'kairos_run_duration_seconds_bucket{le="1",job="ok",store="default",outcome="succeeded"} 0',
      'kairos_run_duration_seconds_bucket{le="2.5",job="ok",store="default",outcome="succeeded"} 3',
    ]);
    // first tries only: flaky's retry is not late, it waited on purpose
    expect(await samples(registry, 'kairos_run_lateness_seconds_count')).toEqual([
      'kairos_run_lateness_seconds_count{job="busy",store="default"} 1',
      'kairos_run_lateness_seconds_count{job="flaky",store="default"} 1',
      'kairos_run_lateness_seconds_count{job="late",store="default"} 1',
      'kairos_run_lateness_seconds_count{job="ok",store="default"} 3',
      'kairos_run_lateness_seconds_count{job="retrying",store="default"} 1',
      'kairos_run_lateness_seconds_count{job="slow",store="default"} 1',
    ]);
    expect((await samples(registry, 'kairos_run_lateness_seconds_sum')).filter((l) => !l.endsWith(' 0'))).toEqual([
      'kairos_run_lateness_seconds_sum{job="late",store="default"} 3',
    ]);
    expect((await samples(registry, 'kairos_run_lateness_seconds_bucket')).filter((l) => l.includes('job="late"') && /le="(1|5)"/.test(l))).toEqual([
      'kairos_run_lateness_seconds_bucket{le="1",job="late",store="default"} 0',
      'kairos_run_lateness_seconds_bucket{le="5",job="late",store="default"} 1',
    ]);
    // left: future, idle, and retrying (waiting for 01:00:01, before future's 03:00)
    expect(await samples(registry, 'kairos_jobs')).toEqual(['kairos_jobs{store="default"} 3']);
    expect(await samples(registry, 'kairos_runs_in_flight')).toEqual(['kairos_runs_in_flight{store="default"} 0']);
    expect(await samples(registry, 'kairos_pending_retries')).toEqual(['kairos_pending_retries{store="default"} 1']);
    expect(await samples(registry, 'kairos_next_wakeup_seconds')).toEqual([`kairos_next_wakeup_seconds ${3600 + 1 - 43 - 0.1}`]);
    expect(await samples(registry, 'kairos_store_errors_total')).toEqual(['kairos_store_errors_total{store="default"} 0']);

    await scheduler.pause();
    expect(await samples(registry, 'kairos_next_wakeup_seconds')).toEqual(['kairos_next_wakeup_seconds +Inf']);
  });

  it('counts store errors per store: a store whose getWakeTimes throws once', async () => {
    class FlakyStore extends MemoryJobStore {
      failures = 1;
      override async getWakeTimes(owner: string) {
        if (this.failures-- > 0) throw new Error('connection lost');
        return super.getWakeTimes(owner);
      }
    }
    const { clock, scheduler } = fakeSetup({ jobStores: { default: new MemoryJobStore(), flaky: new FlakyStore() } });
    const registry = new Registry();
    collectMetrics(scheduler, { registry });
    expect(await samples(registry, 'kairos_store_errors_total')).toEqual([
      'kairos_store_errors_total{store="default"} 0',
      'kairos_store_errors_total{store="flaky"} 0',
    ]);
    await scheduler.start();
    await clock.advance({ seconds: 5 }); // the failed wakeup is retried after 1 s, and then succeeds
    expect(await samples(registry, 'kairos_store_errors_total')).toEqual([
      'kairos_store_errors_total{store="default"} 0',
      'kairos_store_errors_total{store="flaky"} 1',
    ]);
  });

  it('counts run outcomes a store failed to record in its run history, per store', async () => {
    class NoHistory extends MemoryJobStore {
      override async recordRuns(): Promise<void> {
        throw new Error('disk full');
      }
    }
    const { clock, scheduler } = fakeSetup({ jobStores: { default: new MemoryJobStore(), full: new NoHistory() } });
    const registry = new Registry();
    collectMetrics(scheduler, { registry });
    await scheduler.start();
    await scheduler.addJob(() => 'ok', 'interval', { minutes: 1 }, { id: 'kept' });
    await scheduler.addJob(() => 'ok', 'interval', { minutes: 1 }, { id: 'lost', jobStore: 'full' });
    await clock.advance({ minutes: 3 });
    expect(await samples(registry, 'kairos_runs_not_recorded_total')).toEqual([
      'kairos_runs_not_recorded_total{store="default"} 0',
      'kairos_runs_not_recorded_total{store="full"} 3',
    ]);
    expect(await samples(registry, 'kairos_runs_total')).toEqual([
      'kairos_runs_total{job="kept",store="default",outcome="succeeded"} 3',
      'kairos_runs_total{job="lost",store="full",outcome="succeeded"} 3',
    ]);
  });

  it('outcomes of jobError by error code; shutdown without waiting is aborted', async () => {
    expect(errorOutcome(new JobTimeoutError('j', 5))).toBe('timedOut');
    expect(errorOutcome(new ShutdownAbortError())).toBe('aborted');
    expect(errorOutcome(new LeaseLostError('r', 'j', 's'))).toBe('leaseLost');
    expect(errorOutcome(new Error('x'))).toBe('failed');
    expect(errorOutcome('a string')).toBe('failed');

    const { clock, scheduler } = fakeSetup();
    const registry = new Registry();
    collectMetrics(scheduler, { registry });
    await scheduler.start();
    await scheduler.addJob((ctx: { signal: AbortSignal }) => new Promise((r) => ctx.signal.addEventListener('abort', r)), 'date', { runDate: at('00:00:01') }, { id: 'long', timeout: 60_000 });
    await clock.advance({ seconds: 2 });
    await scheduler.shutdown({ wait: false });
    expect(await samples(registry, 'kairos_runs_total')).toEqual(['kairos_runs_total{job="long",store="default",outcome="aborted"} 1']);
  });

  it('jobLabel groups job ids, prefix renames; stop() removes listeners and metrics; a second call on the same names fails whole', async () => {
    const { clock, scheduler } = fakeSetup();
    const registry = new Registry();
    const collector = collectMetrics(scheduler, { registry, prefix: 'app_', jobLabel: (id) => id.split(':')[0]!, durationBuckets: [1], latenessBuckets: [1] });
    await scheduler.start();
    for (const id of ['invoice:1', 'invoice:2', 'mail:1']) await scheduler.addJob(() => {}, 'date', { runDate: at('00:00:01') }, { id });
    await clock.advance({ seconds: 2 });
    expect(await samples(registry, 'app_runs_total')).toEqual([
      'app_runs_total{job="invoice",store="default",outcome="succeeded"} 2',
      'app_runs_total{job="mail",store="default",outcome="succeeded"} 1',
    ]);
    expect((await samples(registry, 'app_run_duration_seconds_bucket')).filter((l) => l.includes('invoice'))).toEqual([
      'app_run_duration_seconds_bucket{le="+Inf",job="invoice",store="default",outcome="succeeded"} 2',
      'app_run_duration_seconds_bucket{le="1",job="invoice",store="default",outcome="succeeded"} 2',
    ]);
    expect(() => collectMetrics(scheduler, { registry, prefix: 'app_' })).toThrow(/already been registered/);
    expect(registry.getMetricsAsArray()).toHaveLength(9); // the failed call left nothing behind
    collector.stop();
    collector.stop();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    expect(scheduler.listenerCount('jobExecuted')).toBe(1); // the test helper's own
  });

  it('refuses bad options, naming the option', () => {
    const { scheduler } = fakeSetup();
    const registry = new Registry();
    expect(() => collectMetrics(scheduler, { registry: {} as Registry })).toThrow(/^registry: expected a prom-client Registry/);
    expect(() => collectMetrics(scheduler, { registry, prefix: '1x' })).toThrow(/^prefix: expected a Prometheus metric name prefix/);
    expect(() => collectMetrics(scheduler, { registry, regsitry: registry } as never)).toThrow(/regsitry/);
  });

  it('without prom-client: MissingDependencyError naming npm install prom-client', () => {
    const err = (() => {
      try {
        loadPromClient(() => {
          throw Object.assign(new Error("Cannot find module 'prom-client'\nRequire stack: …"), { code: 'MODULE_NOT_FOUND' });
        });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MissingDependencyError);
    expect((err as Error).message).toBe(
      'collectMetrics needs the "prom-client" package, which could not be loaded (Cannot find module \'prom-client\'); install it next to kairos: npm install prom-client',
    );
  });
});
