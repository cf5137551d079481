/** Scheduler.stats(): the figures monitoring reads (kairos/metrics turns them into gauges). */
import { describe, expect, it, vi } from 'vitest';
import { MemoryJobStore, type JobStore, type Logger } from '../../src/index.js';
import { at, fakeSetup } from './helpers.js';

/** The timer fires the scheduler's lookahead (100 ms by default) before the work it wakes for is due. */
const wakeFor = (iso: string): Date => new Date(Date.parse(iso) - 100);
const idle = { jobs: 0, pendingRetries: 0, runsInFlight: 0, errors: 0, runsNotRecorded: 0 };

describe('Scheduler.stats()', () => {
  it('counts jobs and pending retries per store, runs in flight, and tells when the timer fires next', async () => {
    const { clock, scheduler } = fakeSetup({ jobStores: { default: new MemoryJobStore(), other: new MemoryJobStore() } });
    await scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { id: 'early' });
    // stopped: the stores are not asked
    expect(await scheduler.stats()).toEqual({
      stores: { default: { ...idle, jobs: null, pendingRetries: null }, other: { ...idle, jobs: null, pendingRetries: null } },
      nextWakeupAt: null,
    });
    await scheduler.start();
    let release: () => void = () => {};
    await scheduler.addJob(() => new Promise<void>((r) => (release = r)), 'date', { runDate: at('00:00:30') }, { id: 'slow', jobStore: 'other', timeout: 3_600_000 }); // a timeout: advance() does not wait for it
    await scheduler.addJob(() => {
      throw new Error('boom');
    }, 'date', { runDate: at('00:00:20') }, { id: 'flaky', retry: { attempts: 2, delay: 60_000 } });
    await scheduler.addJob(() => {}, 'cron', { hour: 3 }, { id: 'paused', nextRunTime: null });
    await clock.advance(0); // the wakeup that start() asked for has re-armed the timer
    expect(await scheduler.stats()).toEqual({
      stores: { default: { ...idle, jobs: 3 }, other: { ...idle, jobs: 1 } },
      nextWakeupAt: wakeFor(at('00:00:20')),
    });

    await clock.advance({ seconds: 30 });
    // flaky failed once and waits for its retry at 00:01:20; slow is in flight; early is due at 00:01:00
    expect(await scheduler.stats()).toEqual({
      stores: { default: { ...idle, jobs: 3, pendingRetries: 1 }, other: { ...idle, jobs: 1, runsInFlight: 1 } },
      nextWakeupAt: wakeFor(at('00:01:00')),
    });
    release();
    await clock.advance({ minutes: 1 });
    expect(await scheduler.stats()).toEqual({
      stores: { default: { ...idle, jobs: 2 }, other: { ...idle, jobs: 0 } }, // both date jobs are done
      nextWakeupAt: wakeFor(at('00:02:00')),
    });
    await scheduler.pause();
    expect((await scheduler.stats()).nextWakeupAt).toBeNull();
  });

  it('counts the store operations that failed, per store, and logs each with its store as a field', async () => {
    class FlakyStore extends MemoryJobStore {
      wakeFailures = 1;
      countFailures = 1;
      override async getWakeTimes(owner: string) {
        if (this.wakeFailures-- > 0) throw new Error('connection lost');
        return super.getWakeTimes(owner);
      }
      override async getCounts() {
        if (this.countFailures-- > 0) throw new Error('connection lost');
        return super.getCounts();
      }
    }
    const lines: unknown[][] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (...a) => void lines.push(a), error: (...a) => void lines.push(a) };
    const { clock, scheduler } = fakeSetup({ jobStores: { default: new MemoryJobStore(), flaky: new FlakyStore() }, logger });
    await scheduler.start();
    await clock.advance({ seconds: 1 });
    const first = await scheduler.stats();
    expect(first.stores.flaky).toEqual({ jobs: null, pendingRetries: null, runsInFlight: 0, errors: 2, runsNotRecorded: 0 }); // the wake time, then the count
    expect(first.stores.default).toEqual(idle);
    expect((await scheduler.stats()).stores.flaky).toEqual({ ...idle, errors: 2 });
    expect(lines.map((l) => [l[0], l[1]])).toEqual([
      ['kairos: could not read the next wake time from store "flaky"; trying again in 1000 ms', { jobStore: 'flaky' }],
      ['kairos: store "flaky" could not count its jobs for stats()', { jobStore: 'flaky' }],
    ]);
    expect(lines.every((l) => (l[2] as Error).message === 'connection lost')).toBe(true);
  });

  it('a store without getCounts reports no counts rather than reading its jobs', async () => {
    const store: JobStore = new MemoryJobStore();
    Object.defineProperty(store, 'getCounts', { value: undefined }); // as a third-party store may be
    const getJobs = vi.spyOn(store, 'getJobs');
    const { scheduler } = fakeSetup({ jobStores: { default: store } });
    await scheduler.start();
    expect((await scheduler.stats()).stores.default).toEqual({ ...idle, jobs: null, pendingRetries: null });
    expect(getJobs).not.toHaveBeenCalled();
  });
});
