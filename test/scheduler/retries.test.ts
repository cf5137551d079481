import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeaseLostError, MemoryJobStore, Scheduler, FakeClock } from '../../src/index.js';
import { resolveRetry, retryDelay } from '../../src/scheduler/options.js';
import { at, fakeSetup, START } from './helpers.js';

type Ctx = { runId: string; attempt: number; scheduledRunTime: Date };

describe('retries with backoff', () => {
  it('retries after delay, delay·factor, … capped at maxDelay, under one runId', async () => {
    const { clock, scheduler, of } = fakeSetup();
    const tries: Array<[string, number, string]> = [];
    await scheduler.start();
    await scheduler.addJob((ctx: Ctx) => {
      tries.push([clock.now().toISOString(), ctx.attempt, ctx.runId]);
      throw new Error(`try ${ctx.attempt}`);
    }, 'date', { runDate: '2026-01-01T00:01:00Z' }, { id: 'r', retry: { attempts: 6, delay: { seconds: 10 }, factor: 3, maxDelay: { minutes: 2 } } });
    await clock.advance({ minutes: 10 });
    // waits: 10 s, 30 s, 90 s, then capped at 120 s twice
    expect(tries.map((t) => t[0])).toEqual([at('00:01:00'), at('00:01:10'), at('00:01:40'), at('00:03:10'), at('00:05:10'), at('00:07:10')]);
    expect(tries.map((t) => t[1])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(tries.map((t) => t[2]))).toEqual(new Set([`r@${at('00:01:00')}`]));
    expect(of('jobError', 'r').map((e) => [e.attempt, e.willRetry])).toEqual([[1, true], [2, true], [3, true], [4, true], [5, true], [6, false]]);
    // the date job is removed once its last try ended
    expect(await scheduler.getJob('r')).toBeNull();
  });

  it('a timeout counts as a failed try and is retried', async () => {
    const { clock, scheduler, of } = fakeSetup();
    let n = 0;
    await scheduler.start();
    await scheduler.addJob(async (ctx: Ctx & { signal: AbortSignal }) => {
      n++;
      if (ctx.attempt === 1) await new Promise((r) => ctx.signal.addEventListener('abort', r));
      return 'second time lucky';
    }, 'date', { runDate: '2026-01-01T00:00:10Z' }, { id: 't', timeout: 5000, retry: { attempts: 2, delay: 1000 } });
    await clock.advance({ seconds: 30 });
    expect(n).toBe(2);
    expect(of('jobError', 't')).toEqual([expect.objectContaining({ attempt: 1, willRetry: true })]);
    expect((of('jobError', 't')[0]!.error as Error).name).toBe('JobTimeoutError');
    expect(of('jobExecuted', 't')).toEqual([expect.objectContaining({ attempt: 2, result: 'second time lucky' })]);
  });

  it('jitter keeps every wait within [d/2, d]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempts, delay, factor, attempt, random) => {
          const policy = resolveRetry({ attempts, delay, factor, maxDelay: delay * 50 + 1, jitter: true })!;
          const plain = Math.min(policy.maxDelay, delay * factor ** (attempt - 1));
          const wait = retryDelay(policy, attempt, () => random);
          expect(wait).toBeGreaterThanOrEqual(Math.floor(plain / 2));
          expect(wait).toBeLessThanOrEqual(Math.ceil(plain));
        },
      ),
    );
  });

  it('jittered retries of many runs stay within their bounds and vary', async () => {
    const { clock, scheduler } = fakeSetup();
    const gaps: number[] = [];
    const last = new Map<string, number>();
    await scheduler.start();
    await scheduler.addJob((ctx: Ctx) => {
      const now = clock.now().getTime();
      if (ctx.attempt === 2) gaps.push(now - last.get(ctx.runId)!);
      last.set(ctx.runId, now);
      throw new Error('x');
    }, 'interval', { minutes: 1 }, { retry: { attempts: 2, delay: 20_000, jitter: true } });
    await clock.advance({ minutes: 100 });
    expect(gaps.length).toBeGreaterThanOrEqual(98);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(20_000);
    expect(new Set(gaps).size).toBeGreaterThan(20);
  });

  for (const how of ['removeJob', 'rescheduleJob', 'shutdown'] as const) {
    it(`a pending retry is cancelled by ${how}`, async () => {
      const { clock, scheduler } = fakeSetup();
      let n = 0;
      await scheduler.start();
      await scheduler.addJob(() => {
        n++;
        throw new Error('fail');
      }, 'date', { runDate: '2026-01-01T00:00:10Z' }, { id: 'c', retry: { attempts: 5, delay: 60_000 } });
      await clock.advance({ seconds: 15 });
      expect(n).toBe(1);
      if (how === 'removeJob') await scheduler.removeJob('c');
      if (how === 'rescheduleJob') await scheduler.rescheduleJob('c', 'date', { runDate: '2026-01-02T00:00:00Z' });
      if (how === 'shutdown') await scheduler.shutdown({ wait: false });
      await clock.advance({ minutes: 30 });
      expect(n).toBe(1);
    });
  }

  it('a run taken over and ended by another holder meanwhile ends here in a LeaseLostError naming its job', async () => {
    let leaseNow = Date.parse(START);
    const store = new MemoryJobStore({ leaseDuration: 30_000, leaseClock: () => leaseNow });
    const { clock, scheduler, of } = fakeSetup({ jobStores: { default: store } });
    await scheduler.start();
    // While the task runs, its lease runs out and another holder takes the run over and ends it:
    // the store has no run left to end when the task returns, so it cannot name the job.
    await scheduler.addJob(async () => {
      leaseNow += 60_000;
      const [taken] = await store.claimDueRuns('other', leaseNow, 10);
      await store.completeRun(taken!.run.runId, taken!.run.claimToken!, { status: 'succeeded' });
    }, 'date', { runDate: '2026-01-01T00:00:10Z' }, { id: 'stolen' });
    await clock.advance({ seconds: 11 });
    const [error] = of('jobError', 'stolen').map((e) => e.error as LeaseLostError);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error).toMatchObject({ jobId: 'stolen', jobStore: 'default' });
    expect(error!.message).toContain('job "stolen"');
  });

  it('a pending retry counts toward maxInstances: a run due meanwhile is refused', async () => {
    const { clock, scheduler, of } = fakeSetup();
    const tries: Array<[string, number]> = [];
    await scheduler.start();
    await scheduler.addJob((ctx: Ctx) => {
      tries.push([ctx.scheduledRunTime.toISOString(), ctx.attempt]);
      throw new Error('x');
    }, 'interval', { minutes: 1 }, { id: 'm', retry: { attempts: 2, delay: 90_000 } });
    await clock.advance({ minutes: 3, seconds: 30 });
    expect(tries).toEqual([[at('00:01:00'), 1], [at('00:01:00'), 2], [at('00:03:00'), 1]]);
    expect(of('jobMaxInstances', 'm').map((e) => (e.scheduledRunTime as Date).toISOString())).toEqual([at('00:02:00')]);
  });

  it('runId is derived from job id and scheduled time: the same in a second scheduler', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const clock = new FakeClock(START);
      const s = new Scheduler({ timezone: 'UTC', clock, jobStores: { default: new MemoryJobStore() } });
      await s.addJob((ctx: Ctx) => void ids.push(ctx.runId), 'cron', { minute: 5 }, { id: 'report' });
      await s.start();
      await clock.advance({ minutes: 10 });
      await s.shutdown();
    }
    expect(ids).toEqual([`report@${at('00:05:00')}`, `report@${at('00:05:00')}`]);
  });

  it('refuses bad retry options with a RangeError naming the option', async () => {
    const { scheduler } = fakeSetup();
    const bad: Array<[object, RegExp]> = [
      [{ attempts: 0 }, /retry\.attempts.*integer from 1/],
      [{ attempts: 1.5 }, /retry\.attempts/],
      [{ attempts: 2, delay: -1 }, /retry\.delay/],
      [{ attempts: 2, factor: 0.5 }, /retry\.factor.*1 or more/],
      [{ attempts: 2, delay: 5000, maxDelay: 1000 }, /retry\.maxDelay.*at least retry\.delay/],
    ];
    for (const [retry, message] of bad) {
      await expect(scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { retry: retry as never })).rejects.toThrow(message);
      await expect(scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { retry: retry as never })).rejects.toBeInstanceOf(RangeError);
    }
    expect(() => new Scheduler({ jobDefaults: { retry: { attempts: 0 } } })).toThrow(RangeError);
  });

  it('jobDefaults.retry applies to every job', async () => {
    const { clock, scheduler, of } = fakeSetup({ jobDefaults: { retry: { attempts: 3, delay: 1000 } } });
    await scheduler.start();
    await scheduler.addJob(() => { throw new Error('x'); }, 'date', { runDate: '2026-01-01T00:00:01Z' }, { id: 'd' });
    await clock.advance({ seconds: 30 });
    expect(of('jobError', 'd').map((e) => e.attempt)).toEqual([1, 2, 3]);
  });
});
