/**
 * Run history (issue 14 item 1) through the public API under a FakeClock: every outcome is
 * recorded with its fields, getRuns reads it newest first with filters and cursor paging, and a
 * store that cannot record history neither fails nor delays a run.
 */
import { describe, expect, it } from 'vitest';
import {
  JobClient, KairosRangeError, KairosTypeError, LeaseLostError, MemoryJobStore, SchedulerStateError,
  type Logger, type RunHistoryEntry, type RunHistoryRecord, type RunOutcome,
} from '../../src/index.js';
import { at, fakeSetup } from './helpers.js';

const d = (hhmmss: string): Date => new Date(at(hhmmss));
/** The fields that matter in most checks, without the stack and the opaque cursor. */
const brief = (e: RunHistoryEntry) => ({
  jobId: e.jobId, runId: e.runId, outcome: e.outcome, attempt: e.attempt,
  scheduledRunTime: e.scheduledRunTime.toISOString(), startedAt: e.startedAt?.toISOString() ?? null, finishedAt: e.finishedAt.toISOString(),
});

describe('run history: each outcome is recorded with its fields', () => {
  it('succeeded (with its JSON result) and failed tries, each try its own entry, newest first', async () => {
    const { clock, scheduler } = fakeSetup();
    await scheduler.start();
    let calls = 0;
    await scheduler.addJob(async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
      if (calls === 1) throw new TypeError('first try fails');
      return { rows: 3, at: new Date(0) };
    }, 'date', { runDate: at('00:00:10') }, { id: 'flaky', retry: { attempts: 2, delay: 5_000 } });
    await clock.advance({ seconds: 20 });
    const runs = await scheduler.getRuns();
    expect(runs.map(brief)).toEqual([
      { jobId: 'flaky', runId: `flaky@${at('00:00:10')}`, outcome: 'succeeded', attempt: 2, scheduledRunTime: at('00:00:10'), startedAt: at('00:00:15'), finishedAt: at('00:00:15') },
      { jobId: 'flaky', runId: `flaky@${at('00:00:10')}`, outcome: 'failed', attempt: 1, scheduledRunTime: at('00:00:10'), startedAt: at('00:00:10'), finishedAt: at('00:00:10') },
    ]);
    expect(runs[0]!.result).toEqual({ rows: 3, at: '1970-01-01T00:00:00.000Z' }); // as it reads back from JSON
    expect(runs[0]!.error).toBeUndefined();
    expect(runs[1]!.error).toMatchObject({ name: 'TypeError', message: 'first try fails', stack: expect.stringContaining('first try fails') });
    expect(runs[1]!).not.toHaveProperty('result');
    expect(runs[0]!.jobStore).toBe('default');
  });

  it('timedOut, with the time the timeout fired', async () => {
    const { clock, scheduler } = fakeSetup();
    await scheduler.start();
    await scheduler.addJob(() => new Promise(() => {}), 'date', { runDate: at('00:00:10') }, { id: 'stuck', timeout: 3_000 });
    await clock.advance({ seconds: 20 });
    const [run] = await scheduler.getRuns({ jobId: 'stuck' });
    expect(brief(run!)).toMatchObject({ outcome: 'timedOut', startedAt: at('00:00:10'), finishedAt: at('00:00:13') });
    expect(run!.error).toMatchObject({ name: 'JobTimeoutError' });
  });

  it('missed: one entry per wakeup with the first and last fire time missed and how many', async () => {
    const { clock, scheduler } = fakeSetup();
    await scheduler.start({ paused: true });
    await scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { id: 'tick', misfireGraceTime: 1_000 });
    await clock.advance({ minutes: 5, seconds: 30 });
    await scheduler.resume();
    await clock.advance(0);
    const runs = await scheduler.getRuns({ jobId: 'tick' });
    expect(runs).toHaveLength(1);
    expect(brief(runs[0]!)).toEqual({
      jobId: 'tick', runId: `tick@${at('00:01:00')}`, outcome: 'missed', attempt: 1,
      scheduledRunTime: at('00:01:00'), startedAt: null, finishedAt: at('00:05:30'),
    });
    expect(runs[0]).toMatchObject({ lastScheduledRunTime: d('00:05:00'), missedCount: 5 });
    expect(runs[0]!.error).toBeUndefined();
  });

  it('missed: a pending retry that became too late is recorded with its attempt', async () => {
    const { clock, scheduler } = fakeSetup();
    await scheduler.start();
    await scheduler.addJob(() => {
      throw new Error('down');
    }, 'date', { runDate: at('00:00:10') }, { id: 'late', misfireGraceTime: 5_000, retry: { attempts: 3, delay: 60_000 } });
    await clock.advance({ seconds: 20 });
    await scheduler.pause();
    await clock.advance({ minutes: 5 });
    await scheduler.resume();
    await clock.advance(0);
    const runs = await scheduler.getRuns({ jobId: 'late' });
    expect(runs.map((r) => [r.outcome, r.attempt, r.startedAt?.toISOString() ?? null, r.finishedAt.toISOString()])).toEqual([
      ['missed', 2, null, at('00:05:20')],
      ['failed', 1, at('00:00:10'), at('00:00:10')],
    ]);
    expect(runs[0]).toMatchObject({ scheduledRunTime: d('00:00:10'), lastScheduledRunTime: d('00:00:10'), missedCount: 1 });
  });

  it('maxInstances: the fire time refused, never started', async () => {
    const { clock, scheduler } = fakeSetup();
    await scheduler.start();
    let release = (): void => {};
    await scheduler.addJob(() => new Promise<void>((r) => (release = r)), 'interval', { minutes: 1 }, { id: 'slow', timeout: 3_600_000 });
    await clock.advance({ minutes: 2 });
    const refused = await scheduler.getRuns({ jobId: 'slow', outcome: 'maxInstances' });
    expect(refused.map(brief)).toEqual([{
      jobId: 'slow', runId: `slow@${at('00:02:00')}`, outcome: 'maxInstances', attempt: 1,
      scheduledRunTime: at('00:02:00'), startedAt: null, finishedAt: at('00:02:00'),
    }]);
    release();
    await clock.advance(0);
    expect((await scheduler.getRuns({ jobId: 'slow' })).map((r) => r.outcome)).toEqual(['succeeded', 'maxInstances']);
  });

  it('aborted: a run in flight at shutdown({ wait: false }), recorded before the store closes', async () => {
    const store = new MemoryJobStore();
    const { clock, scheduler } = fakeSetup({ jobStores: { default: store } });
    await scheduler.start();
    await scheduler.addJob((ctx: { signal: AbortSignal }) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      'date', { runDate: at('00:00:10') }, { id: 'long', timeout: 3_600_000 });
    await clock.advance({ seconds: 10 });
    await scheduler.shutdown({ wait: false });
    await expect(scheduler.getRuns()).rejects.toBeInstanceOf(SchedulerStateError);
    // The history stays in the store: read it without a loop.
    const client = new JobClient({ jobStores: { default: store } });
    await client.open();
    const [run] = await client.getRuns();
    expect(brief(run!)).toMatchObject({ jobId: 'long', outcome: 'aborted', startedAt: at('00:00:10'), finishedAt: at('00:00:10') });
    expect(run!.error).toMatchObject({ name: 'ShutdownAbortError' });
    await client.close();
  });

  it('leaseLost: the store refused the outcome (the run was taken over); its result is not kept', async () => {
    class TakenOver extends MemoryJobStore {
      override async completeRun(runId: string, claimToken: string, outcome: RunOutcome) {
        if (runId.startsWith('lost@')) throw new LeaseLostError(runId, 'lost', 'default');
        return super.completeRun(runId, claimToken, outcome);
      }
    }
    const { clock, scheduler, of } = fakeSetup({ jobStores: { default: new TakenOver() } });
    await scheduler.start();
    await scheduler.addJob(() => 'done', 'date', { runDate: at('00:00:10') }, { id: 'lost' });
    await clock.advance({ seconds: 10 });
    const [run] = await scheduler.getRuns();
    expect(brief(run!)).toMatchObject({ outcome: 'leaseLost', startedAt: at('00:00:10'), finishedAt: at('00:00:10') });
    expect(run!.error).toMatchObject({ name: 'LeaseLostError' });
    expect(run).not.toHaveProperty('result');
    expect(of('jobError', 'lost')).toHaveLength(1);
  });

  it('a failed try whose task is not registered has no startedAt', async () => {
    const store = new MemoryJobStore();
    const { clock, scheduler } = fakeSetup({ jobStores: { default: store } });
    scheduler.registerTask('gone', () => {});
    await scheduler.addJob('gone', 'date', { runDate: at('00:00:10') }, { id: 'orphan' });
    await scheduler.start();
    // A job whose task this process no longer has (registered by another process, say)
    Object.defineProperty(store, 'claimDueRuns', {
      value: async (...a: Parameters<MemoryJobStore['claimDueRuns']>) => (await MemoryJobStore.prototype.claimDueRuns.apply(store, a)).map((c) => ({ ...c, job: { ...c.job, taskId: 'never-registered' } })),
    });
    await clock.advance({ seconds: 10 });
    const [run] = await scheduler.getRuns();
    expect(brief(run!)).toMatchObject({ outcome: 'failed', startedAt: null });
    expect(run!.error).toMatchObject({ name: 'TaskLookupError' });
  });

  it('results: a result JSON cannot hold is not kept, a long one is cut past maxResultBytes and marked', async () => {
    const { clock, scheduler } = fakeSetup({ jobStores: { default: new MemoryJobStore({ maxResultBytes: 16 }) } });
    await scheduler.start();
    await scheduler.addJob(() => 10n, 'date', { runDate: at('00:00:01') }, { id: 'bigint' });
    await scheduler.addJob(() => 'x'.repeat(100), 'date', { runDate: at('00:00:02') }, { id: 'long' });
    await scheduler.addJob(() => undefined, 'date', { runDate: at('00:00:03') }, { id: 'nothing' });
    await clock.advance({ seconds: 5 });
    const byJob = Object.fromEntries((await scheduler.getRuns()).map((r) => [r.jobId, r]));
    expect(byJob.bigint!.outcome).toBe('succeeded');
    expect(byJob.bigint).not.toHaveProperty('result');
    expect(byJob.nothing).not.toHaveProperty('result');
    expect(byJob.long).toMatchObject({ result: `"${'x'.repeat(15)}`, resultTruncated: true });
  });

  it("a removed job's history stays", async () => {
    const { clock, scheduler } = fakeSetup();
    await scheduler.start();
    await scheduler.addJob(() => 1, 'interval', { minutes: 1 }, { id: 'tmp' });
    await clock.advance({ minutes: 2 });
    await scheduler.removeJob('tmp');
    expect((await scheduler.getRuns({ jobId: 'tmp' })).map((r) => r.outcome)).toEqual(['succeeded', 'succeeded']);
  });
});

describe('getRuns: filters and cursor paging', () => {
  it('filters by job, outcome, since and before, and pages by cursor across stores without gaps or repeats', async () => {
    const { clock, scheduler } = fakeSetup({ jobStores: { default: new MemoryJobStore(), other: new MemoryJobStore() } });
    await scheduler.start();
    let n = 0;
    const task = () => {
      if (++n % 3 === 0) throw new Error(`boom ${n}`);
      return n;
    };
    await scheduler.addJob(task, 'interval', { minutes: 1 }, { id: 'a' });
    await scheduler.addJob(task, 'interval', { minutes: 1 }, { id: 'b', jobStore: 'other' });
    await scheduler.addJob(task, 'interval', { minutes: 2 }, { id: 'c' });
    await clock.advance({ minutes: 10 });
    const all = await scheduler.getRuns({ limit: 1000 });
    expect(all).toHaveLength(25);
    // newest first, ties at one instant in one total order
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.finishedAt.getTime()).toBeGreaterThanOrEqual(all[i]!.finishedAt.getTime());
    expect(new Set(all.map((r) => r.cursor)).size).toBe(25);

    for (const limit of [1, 2, 7, 25]) {
      const pages: RunHistoryEntry[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await scheduler.getRuns({ limit, ...(cursor === undefined ? {} : { cursor }) });
        pages.push(...page);
        if (page.length < limit) break;
        cursor = page.at(-1)!.cursor;
      }
      expect(pages.map((r) => r.cursor)).toEqual(all.map((r) => r.cursor));
    }

    expect((await scheduler.getRuns({ jobId: 'b' })).map((r) => r.jobStore)).toEqual(Array(10).fill('other'));
    expect(await scheduler.getRuns({ jobStore: 'other' })).toHaveLength(10);
    const failed = await scheduler.getRuns({ outcome: 'failed' });
    expect(failed.map((r) => r.error!.message)).toEqual(all.filter((r) => r.outcome === 'failed').map((r) => r.error!.message));
    expect(failed.length).toBe(8);
    const window = await scheduler.getRuns({ since: at('00:03:00'), before: new Date(at('00:05:00')) });
    expect([...new Set(window.map((r) => r.finishedAt.toISOString()))]).toEqual([at('00:04:00'), at('00:03:00')]);
    // a cursor with other filters: the entries after it that match them
    const firstA = await scheduler.getRuns({ jobId: 'a', limit: 3 });
    const restA = await scheduler.getRuns({ jobId: 'a', cursor: firstA.at(-1)!.cursor });
    expect([...firstA, ...restA].map((r) => r.scheduledRunTime.toISOString())).toEqual(
      Array.from({ length: 10 }, (_, i) => new Date(Date.parse(at('00:10:00')) - i * 60_000).toISOString()),
    );
  });

  it('refuses a bad query with a typed error naming the field', async () => {
    const { scheduler } = fakeSetup();
    await expect(scheduler.getRuns()).rejects.toBeInstanceOf(SchedulerStateError);
    await scheduler.start();
    const fails = async (query: unknown) => scheduler.getRuns(query as never).then(() => null, (err: unknown) => err);
    expect(await fails({ outcome: 'error' })).toMatchObject({ constructor: KairosRangeError, field: 'outcome' });
    expect(await fails({ limit: 0 })).toMatchObject({ constructor: KairosRangeError, field: 'limit' });
    expect(await fails({ limit: 1001 })).toMatchObject({ constructor: KairosRangeError, field: 'limit' });
    expect(await fails({ since: 'yesterday' })).toMatchObject({ field: 'since' });
    expect(await fails({ cursor: 'abc' })).toMatchObject({ constructor: KairosRangeError, field: 'cursor' });
    expect(await fails({ jobStore: 'nope' })).toMatchObject({ constructor: KairosRangeError, field: 'jobStore' });
    const typo = await fails({ jobid: 'a' });
    expect(typo).toBeInstanceOf(KairosTypeError);
    expect(String((typo as Error).message)).toMatch(/did you mean "jobId"/);
  });
});

describe('a store that cannot record history', () => {
  it('fails no run, delays none, and is logged with fields and counted in stats()', async () => {
    class NoHistory extends MemoryJobStore {
      override async recordRuns(_entries: RunHistoryRecord[]): Promise<void> {
        throw new Error('disk full');
      }
    }
    const lines: unknown[][] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (...a) => void lines.push(a), error: (...a) => void lines.push(a) };
    const { clock, scheduler, of } = fakeSetup({ jobStores: { default: new NoHistory() }, logger });
    await scheduler.start();
    await scheduler.addJob(() => 'ok', 'interval', { minutes: 1 }, { id: 'a' });
    await scheduler.addJob(() => 'ok', 'interval', { minutes: 1 }, { id: 'b' });
    await clock.advance({ minutes: 3 });
    expect(of('jobExecuted').map((e) => [e.jobId, (e.scheduledRunTime as Date).toISOString()])).toEqual([
      ['a', at('00:01:00')], ['b', at('00:01:00')], ['a', at('00:02:00')], ['b', at('00:02:00')], ['a', at('00:03:00')], ['b', at('00:03:00')],
    ]);
    expect(of('jobError')).toEqual([]);
    const stats = (await scheduler.stats()).stores.default!;
    expect(stats.runsNotRecorded).toBe(6);
    expect(stats.errors).toBe(3); // one write per wakeup: both jobs' outcomes in one batch
    expect(lines).toHaveLength(3);
    expect(lines[0]![0]).toBe('kairos: store "default" failed to record 2 run outcome(s) in its run history; the runs themselves are unaffected');
    expect(lines[0]![1]).toEqual({ jobStore: 'default', entries: 2, runIds: [`a@${at('00:01:00')}`, `b@${at('00:01:00')}`] });
    expect((lines[0]![2] as Error).message).toBe('disk full');
  });

  it('a store without run history (no recordRuns) is skipped, and getRuns finds nothing there', async () => {
    const store = new MemoryJobStore();
    Object.defineProperty(store, 'recordRuns', { value: undefined });
    Object.defineProperty(store, 'getRunHistory', { value: undefined });
    const { clock, scheduler } = fakeSetup({ jobStores: { default: store, other: new MemoryJobStore() } });
    await scheduler.start();
    await scheduler.addJob(() => 1, 'date', { runDate: at('00:00:01') }, { id: 'a' });
    await scheduler.addJob(() => 1, 'date', { runDate: at('00:00:01') }, { id: 'b', jobStore: 'other' });
    await clock.advance({ seconds: 1 });
    expect((await scheduler.getRuns()).map((r) => r.jobId)).toEqual(['b']);
    expect((await scheduler.stats()).stores.default!.runsNotRecorded).toBe(0);
  });
});
