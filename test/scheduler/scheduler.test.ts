import { describe, expect, it, vi } from 'vitest';
import {
  AsyncExecutor,
  ConflictingIdError,
  CronTrigger,
  FakeClock,
  JobLookupError,
  MemoryJobStore,
  Scheduler,
  SchedulerStateError,
  SystemClock,
  TaskLookupError,
  type Clock,
  type ExecutionRequest,
  type Executor,
} from '../../src/index.js';
import { at, fakeSetup, iso, recorder, START } from './helpers.js';

describe('Scheduler: the job API end to end on a FakeClock', () => {
  it("addJob(fn, 'cron', { hour: 3 }) runs at 03:00 every day with (...args, ctx)", async () => {
    const { clock, scheduler } = fakeSetup();
    const calls: unknown[][] = [];
    const job = await scheduler.addJob((...a: unknown[]) => void calls.push(a), 'cron', { hour: 3 }, { args: ['x'] });
    await scheduler.start();
    await clock.advance({ days: 2 });
    expect(calls.map((c) => [c[0], iso((c[1] as { scheduledRunTime: Date }).scheduledRunTime)])).toEqual([
      ['x', at('03:00:00')],
      ['x', at('03:00:00', '2026-01-02')],
    ]);
    const ctx = calls[0]![1] as { jobId: string; runId: string; attempt: number; signal: AbortSignal };
    expect(ctx.jobId).toBe(job.id);
    expect(ctx.runId).toBe(`${job.id}@${at('03:00:00')}`);
    expect(ctx.attempt).toBe(1);
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
    expect(iso((await scheduler.getJob(job.id))!.nextRunTime)).toBe(at('03:00:00', '2026-01-03'));
  });

  it('emits the exact event sequence of a run, and nothing else', async () => {
    const { clock, scheduler, log } = fakeSetup();
    await scheduler.start();
    await scheduler.addJob(() => 42, 'date', { runDate: '2026-01-01T00:01:00Z' }, { id: 'once' });
    await clock.advance({ minutes: 2 });
    expect(log.map((e) => e.name)).toEqual(['schedulerStarted', 'jobAdded', 'jobSubmitted', 'jobExecuted', 'jobRemoved']);
    expect(log[3]!.ev).toMatchObject({ jobId: 'once', jobStore: 'default', result: 42, attempt: 1, runId: `once@${at('00:01:00')}` });
  });

  it('a throwing listener or task never stops the loop', async () => {
    const { clock, scheduler, of } = fakeSetup();
    scheduler.on('jobSubmitted', () => {
      throw new Error('bad listener');
    });
    const r = recorder();
    await scheduler.start();
    await scheduler.addJob(() => { throw new Error('bad task'); }, 'interval', { minutes: 1 }, { id: 'bad' });
    await scheduler.addJob(r.fn, 'interval', { minutes: 1 }, { id: 'good' });
    await clock.advance({ minutes: 3, seconds: 30 });
    expect(r.runs).toHaveLength(3);
    expect(of('jobError', 'bad')).toHaveLength(3);
    expect(scheduler.state).toBe('running');
  });

  it('runs are deterministic: the same order every time', async () => {
    const orders: string[][] = [];
    for (let round = 0; round < 3; round++) {
      const { clock, scheduler } = fakeSetup();
      const order: string[] = [];
      await scheduler.start();
      for (const id of ['c', 'a', 'b', 'e', 'd']) {
        await scheduler.addJob(() => void order.push(id), 'cron', { minute: '*/5' }, { id });
      }
      await scheduler.addJob(() => void order.push('early'), 'cron', { minute: '*/5', second: 0 }, { id: 'z', nextRunTime: '2026-01-01T00:04:00Z' });
      await clock.advance({ minutes: 11 });
      orders.push(order);
      await scheduler.shutdown();
    }
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
    // jobs due at one instant run in the order they were added: 00:00 (inclusive) c a b e d,
    // 00:04 the early one, 00:05 all six
    expect(orders[0]!.slice(0, 12)).toEqual(['c', 'a', 'b', 'e', 'd', 'early', 'c', 'a', 'b', 'e', 'd', 'early']);
  });

  it('jobs added before start() are pending, then written and run', async () => {
    const { clock, scheduler } = fakeSetup();
    const r = recorder();
    const job = await scheduler.addJob(r.fn, 'interval', { minutes: 1 }, { id: 'early' });
    expect(job.pending).toBe(true);
    expect((await scheduler.getJobs()).map((j) => [j.id, j.pending])).toEqual([['early', true]]);
    await scheduler.start();
    expect((await scheduler.getJob('early'))!.pending).toBe(false);
    await clock.advance({ minutes: 1, seconds: 1 });
    expect(r.runs).toEqual([at('00:01:00')]);
  });

  it('modify, reschedule, pause, resume, run and remove a job', async () => {
    const { clock, scheduler, of } = fakeSetup();
    const got: unknown[] = [];
    await scheduler.start();
    await scheduler.addJob((x: unknown) => void got.push(x), 'interval', { minutes: 10 }, { id: 'j', args: [1] });
    await scheduler.modifyJob('j', { args: [2], name: 'renamed', maxInstances: 2 });
    expect((await scheduler.getJob('j'))!).toMatchObject({ name: 'renamed', args: [2], maxInstances: 2 });
    await clock.advance({ seconds: 1 });
    await scheduler.rescheduleJob('j', 'cron', '*/5 * * * *');
    expect(iso((await scheduler.getJob('j'))!.nextRunTime)).toBe(at('00:05:00'));
    await scheduler.pauseJob('j');
    await clock.advance({ minutes: 12 });
    expect(got).toEqual([]);
    await scheduler.resumeJob('j');
    expect(iso((await scheduler.getJob('j'))!.nextRunTime)).toBe(at('00:15:00'));
    await scheduler.runJob('j');
    await clock.advance(1);
    expect(got).toEqual([2]);
    await scheduler.removeJob('j');
    expect(await scheduler.getJob('j')).toBeNull();
    await clock.advance({ hours: 1 });
    expect(got).toEqual([2]);
    expect(of('jobModified', 'j')).toHaveLength(4);
    for (const call of [() => scheduler.removeJob('j'), () => scheduler.runJob('j'), () => scheduler.pauseJob('j')]) {
      await expect(call()).rejects.toBeInstanceOf(JobLookupError);
    }
  });

  it('errors say what was wrong and how to fix it', async () => {
    const { scheduler } = fakeSetup();
    await scheduler.start();
    await scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { id: 'report' });
    await expect(scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { id: 'report' })).rejects.toThrow(
      'a job with id "report" already exists in store "default"; pass replaceExisting: true to overwrite it',
    );
    await expect(scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { id: 'x' })).resolves.toBeTruthy();
    await expect(scheduler.addJob('nope', 'interval', { minutes: 1 })).rejects.toBeInstanceOf(TaskLookupError);
    await expect(scheduler.addJob('nope', 'interval', { minutes: 1 })).rejects.toThrow(/registerTask\("nope"/);
    await expect(scheduler.start()).rejects.toBeInstanceOf(SchedulerStateError);
    await expect(scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { jobStore: 'elsewhere' })).rejects.toThrow(/jobStore.*job store \(default\).*"elsewhere"/);
    await expect(scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { maxInstances: 0 })).rejects.toBeInstanceOf(RangeError);
    // a common slip: a trigger argument given as a job option
    await expect(scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { hours: 3 } as never)).rejects.toThrow(/options\.hours/);
    await expect(scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { id: 'report' })).rejects.toBeInstanceOf(ConflictingIdError);
  });

  it('a job id or name that is not a string is a TypeError naming the field (issue 16: the store driver\'s own error named none)', async () => {
    const { scheduler } = fakeSetup();
    await scheduler.start();
    await scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { id: 'j' });
    for (const id of [1, null, {}, () => 1, 1n]) {
      for (const call of [() => scheduler.getJob(id as never), () => scheduler.pauseJob(id as never), () => scheduler.removeJob(id as never), () => scheduler.modifyJob(id as never, {})]) {
        await expect(call()).rejects.toMatchObject({ name: 'TypeError', field: 'id', code: 'KAIROS_INVALID_ARGUMENT' });
      }
    }
    await expect(scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { name: 5 as never })).rejects.toMatchObject({ name: 'TypeError', field: 'options.name' });
    await expect(scheduler.modifyJob('j', { name: Object.create(null) })).rejects.toMatchObject({ name: 'TypeError', field: 'changes.name' });
    expect((await scheduler.getJob('j'))!.name).not.toBe('5');
  });

  it('replaceExisting with the trigger unchanged never puts back a fire time another scheduler planned meanwhile (issue 16: the chaos run on PostgreSQL ran one fire time twice after a restart)', async () => {
    // Another scheduler plans the job between this one's read of it and its write: the store's
    // nextRunTime moves on, and the re-add must leave it there (the old one ran already).
    let plannedElsewhere: number | null = null;
    class PlannedMeanwhile extends MemoryJobStore {
      override async getJob(id: string) {
        const job = await super.getJob(id);
        if (job && plannedElsewhere !== null) await super.updateJob(id, { nextRunTime: plannedElsewhere });
        return job;
      }
    }
    const store = new PlannedMeanwhile();
    const { scheduler } = fakeSetup({ jobStores: { default: store } });
    scheduler.registerTask('t', () => {});
    await scheduler.start();
    const first = await scheduler.addJob('t', 'cron', '*/5 * * * *', { id: 'j', name: 'before' });
    expect(iso(first.nextRunTime)).toBe(at('00:00:00'));
    plannedElsewhere = Date.parse(at('00:10:00'));
    const again = await scheduler.addJob('t', 'cron', '*/5 * * * *', { id: 'j', name: 'after', replaceExisting: true });
    plannedElsewhere = null;
    const stored = (await scheduler.getJob('j'))!;
    expect(iso(stored.nextRunTime)).toBe(at('00:10:00'));
    expect(iso(again.nextRunTime)).toBe(at('00:10:00'));
    expect(stored.name).toBe('after'); // the other fields are updated
    // A changed trigger is still computed afresh from now.
    const changed = await scheduler.addJob('t', 'cron', '2-59/7 * * * *', { id: 'j', replaceExisting: true });
    expect(iso(changed.nextRunTime)).toBe(at('00:02:00'));
  });

  it('addJob(fn, triggerObject, options) takes the options in the third place', async () => {
    const { scheduler } = fakeSetup();
    await scheduler.start();
    const job = await scheduler.addJob(() => {}, new CronTrigger({ hour: 5 }), { id: 'obj' });
    expect(job.id).toBe('obj');
    expect(iso(job.nextRunTime)).toBe(at('05:00:00'));
  });
});

describe('Scheduler: one timer loop', () => {
  class CountingClock implements Clock {
    armed = 0;
    readonly inner = new FakeClock(START);
    now = (): Date => this.inner.now();
    setTimer(atMs: number, cb: () => void) {
      this.armed++;
      return this.inner.setTimer(atMs, cb);
    }
  }

  it('re-arms only when a change moves the next wakeup earlier', async () => {
    const clock = new CountingClock();
    const scheduler = new Scheduler({ timezone: 'UTC', clock });
    await scheduler.start();
    await new Promise((r) => setImmediate(r));
    const before = clock.armed;
    // later and later jobs: the first arms the timer, none of the rest does
    for (let i = 0; i < 500; i++) await scheduler.addJob(() => {}, 'date', { runDate: new Date(Date.parse(START) + 3_600_000 + i * 1000) });
    expect(clock.armed - before).toBe(1);
    await scheduler.addJob(() => {}, 'date', { runDate: '2026-01-01T00:30:00Z' });
    expect(clock.armed - before).toBe(2);
    await scheduler.shutdown();
  });

  it('100,000 jobs, none due within the hour: one timer handle and no wakeup', async () => {
    const timeoutsBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const scheduler = new Scheduler({ timezone: 'UTC' });
    let woke = 0;
    scheduler.on('jobSubmitted', () => woke++);
    await scheduler.start();
    const base = Date.now() + 2 * 3_600_000;
    for (let i = 0; i < 100_000; i++) await scheduler.addJob(() => {}, 'date', { runDate: new Date(base + i) });
    await new Promise((r) => setTimeout(r, 200));
    const timeouts = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(timeouts - timeoutsBefore).toBeLessThanOrEqual(1);
    expect(woke).toBe(0);
    await scheduler.shutdown();
  });

  it('a delay beyond setTimeout’s 2^31-1 ms never fires early (system clock under vi.useFakeTimers)', async () => {
    vi.useFakeTimers({ now: Date.parse(START) });
    try {
      const scheduler = new Scheduler({ timezone: 'UTC' });
      const r = recorder();
      await scheduler.start();
      await scheduler.addJob(r.fn, 'date', { runDate: '2026-03-02T00:00:00Z' });
      await vi.advanceTimersByTimeAsync(25 * 86_400_000);
      expect(r.runs).toEqual([]);
      await vi.advanceTimersByTimeAsync(25 * 86_400_000);
      expect(r.runs).toEqual([]);
      await vi.advanceTimersByTimeAsync(11 * 86_400_000);
      expect(r.runs).toEqual(['2026-03-02T00:00:00.000Z']);
      await scheduler.shutdown();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a clock stepped back fires nothing early; a jump forward follows the misfire rules', async () => {
    const { clock, scheduler, of } = fakeSetup();
    const r = recorder();
    await scheduler.start();
    await scheduler.addJob(r.fn, 'interval', { minutes: 1 }, { id: 'i', misfireGraceTime: 10_000 });
    await clock.advance({ seconds: 90 });
    expect(r.runs).toEqual([at('00:01:00')]);
    await clock.set('2025-12-31T23:00:00Z');
    await clock.advance({ minutes: 30 });
    expect(r.runs).toEqual([at('00:01:00')]);
    await clock.set('2026-01-01T05:00:05Z');
    expect(r.runs).toEqual([at('00:01:00'), at('05:00:00')]);
    expect(of('jobMissed', 'i')).toEqual([
      expect.objectContaining({ scheduledRunTime: new Date(at('00:02:00')), lastScheduledRunTime: new Date(at('04:59:00')), missedCount: 298 }),
    ]);
  });

  it('after shutdown() and start() the runs missed meanwhile are coalesced', async () => {
    const { clock, scheduler } = fakeSetup();
    const r = recorder();
    await scheduler.start();
    await scheduler.addJob(r.fn, 'interval', { minutes: 1 }, { id: 'i' });
    await clock.advance({ seconds: 70 });
    await scheduler.shutdown();
    await clock.advance({ minutes: 5 });
    await scheduler.start();
    await clock.advance(1);
    expect(r.runs).toEqual([at('00:01:00'), at('00:06:00')]);
  });

  it('jitter delays each run by at most the jitter, never before its fire time', async () => {
    const { clock, scheduler } = fakeSetup();
    const starts: number[] = [];
    await scheduler.start();
    await scheduler.addJob((ctx: { scheduledRunTime: Date }) => void starts.push(clock.now().getTime() - ctx.scheduledRunTime.getTime()), 'interval', { minutes: 1 }, { jitter: 20_000 });
    await clock.advance({ minutes: 60 });
    expect(starts.length).toBeGreaterThanOrEqual(59);
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...starts)).toBeLessThan(20_000);
    expect(new Set(starts).size).toBeGreaterThan(10);
  });
});

describe('Scheduler: extension points', () => {
  it('takes any Executor: the scheduler hands it the request and reports its result', async () => {
    const seen: ExecutionRequest[] = [];
    const executor: Executor = {
      start: async () => {},
      submit: async (req) => {
        seen.push(req);
        return `ran ${req.taskId}`;
      },
      shutdown: async () => {},
    };
    const { clock, scheduler, of } = fakeSetup({ executors: { default: new AsyncExecutor(), custom: executor } });
    scheduler.registerTask('hello', () => 'never called here');
    await scheduler.start();
    await scheduler.addJob('hello', 'date', { runDate: '2026-01-01T00:00:10Z' }, { id: 'h', executor: 'custom', args: [1] });
    await clock.advance({ seconds: 20 });
    expect(seen.map((r) => [r.taskId, r.args])).toEqual([['hello', [1]]]);
    expect(of('jobExecuted', 'h').map((e) => e.result)).toEqual(['ran hello']);
  });

  it('several stores, each with its own jobs', async () => {
    const { clock, scheduler } = fakeSetup({ jobStores: { default: new MemoryJobStore(), other: new MemoryJobStore() } });
    const r = recorder();
    await scheduler.start();
    await scheduler.addJob(r.fn, 'date', { runDate: '2026-01-01T00:00:10Z' }, { id: 'a' });
    await scheduler.addJob(r.fn, 'date', { runDate: '2026-01-01T00:00:05Z' }, { id: 'b', jobStore: 'other' });
    expect((await scheduler.getJobs({ jobStore: 'other' })).map((j) => j.id)).toEqual(['b']);
    await clock.advance({ seconds: 20 });
    expect(r.runs).toEqual(['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:10.000Z']);
  });

  it('SystemClock re-checks the time on wake', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const fired: number[] = [];
      new SystemClock().setTimer(2 ** 31 + 5000, () => fired.push(Date.now()));
      await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
      expect(fired).toEqual([]);
      await vi.advanceTimersByTimeAsync(5001);
      expect(fired).toEqual([2 ** 31 + 5000]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Scheduler: real time', () => {
  it('a run planned ahead of its time is not refused for a previous run that ends before it is due', async () => {
    const scheduler = new Scheduler({ timezone: 'UTC' });
    const starts: number[] = [];
    let refused = 0;
    scheduler.on('jobMaxInstances', () => refused++);
    await scheduler.start();
    // each run lasts 110 ms of its 200 ms: still in flight when the next is planned 100 ms ahead,
    // and over 90 ms before the next is due (room for a loaded machine)
    await scheduler.addJob(async () => {
      starts.push(Date.now());
      await new Promise((r) => setTimeout(r, 110));
    }, 'interval', { milliseconds: 200 }, { maxInstances: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    await scheduler.shutdown();
    expect(refused).toBe(0);
    expect(starts.length).toBeGreaterThanOrEqual(6);
  });

  it('1,000 jobs due in the same second all start, each no earlier than its time', async () => {
    const scheduler = new Scheduler({ timezone: 'UTC' });
    const at = Math.ceil((Date.now() + 1500) / 1000) * 1000;
    const delays: number[] = [];
    await scheduler.start();
    for (let i = 0; i < 1000; i++) await scheduler.addJob(() => void delays.push(Date.now() - at), 'date', { runDate: new Date(at) });
    await vi.waitFor(() => expect(delays).toHaveLength(1000), { timeout: 5000 });
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    await scheduler.shutdown();
  });
});

describe('Scheduler: a failing store', () => {
  it('asks again to record a run whose completion failed, so the run is not taken over and repeated', async () => {
    class FlakyStore extends MemoryJobStore {
      failures = 2;
      override async completeRun(...a: Parameters<MemoryJobStore['completeRun']>) {
        if (this.failures-- > 0) throw new Error('connection lost');
        return super.completeRun(...a);
      }
    }
    const store = new FlakyStore();
    const { clock, scheduler, of } = fakeSetup({ jobStores: { default: store } });
    let runs = 0;
    await scheduler.start();
    await scheduler.addJob(() => ++runs, 'date', { runDate: '2026-01-01T00:00:10Z' }, { id: 'f' });
    await clock.advance({ seconds: 20 });
    await vi.waitFor(() => expect(of('jobExecuted', 'f')).toHaveLength(1));
    expect(runs).toBe(1);
    expect(store.failures).toBe(-1);
    expect(await scheduler.getJob('f')).toBeNull();
  });
});

describe('Scheduler: shutdown', () => {
  it('shutdown({ wait: false }) aborts runs in flight; wait: true lets them finish', async () => {
    const scheduler = new Scheduler({ timezone: 'UTC' });
    const signals: AbortSignal[] = [];
    await scheduler.start();
    await scheduler.addJob(async (ctx: { signal: AbortSignal }) => {
      signals.push(ctx.signal);
      await new Promise((r) => ctx.signal.addEventListener('abort', r));
    }, 'date', { runDate: new Date(Date.now() + 10) });
    await vi.waitFor(() => expect(signals).toHaveLength(1));
    await scheduler.shutdown({ wait: false });
    expect(signals[0]!.aborted).toBe(true);
    expect(scheduler.state).toBe('stopped');
  });
});
