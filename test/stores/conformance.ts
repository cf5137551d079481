/**
 * The behaviour of a job store, written once and run against every store (memory, SQLite,
 * PostgreSQL): `describeJobStore('SQLiteJobStore', factory)`. The run history cases are in
 * history-conformance.ts and run from here, for the same stores.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictingIdError, JobLookupError, LeaseLostError } from '../../src/errors.js';
import type { JobRecord, JobStore, NewRun } from '../../src/stores/job-store.js';
import { describeRunHistory, type HistoryHarnessFactory } from './history-conformance.js';

/** What a test harness gives the suite for one fresh, empty store. */
export interface StoreHarness {
  store: JobStore;
  /** Makes every lease and acquisition currently held look expired (lease clock or back-dated rows). */
  expireLeases(): Promise<void>;
  /** Closes the store and opens a new instance on the same data (persistent stores only). */
  reopen?(): Promise<JobStore>;
  /** A second store instance on the same data, as another process would have (persistent stores only). */
  second?(): Promise<JobStore>;
  cleanup(): Promise<void>;
}

export function jobRecord(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    name: id,
    taskId: 'task',
    trigger: { kind: 'interval', options: { minutes: 1 }, timezone: 'UTC', startDate: '2026-01-01T00:01:00.000Z' },
    args: [1, 'two', { three: [3] }],
    nextRunTime: Date.parse('2026-01-01T00:01:00Z'),
    exhausted: false,
    misfireGraceTime: null,
    coalesce: true,
    maxInstances: 1,
    jitter: 0,
    executor: 'default',
    timeout: null,
    retry: null,
    ...overrides,
  };
}

const T0 = Date.parse('2026-01-01T00:00:00Z');
const min = (n: number): number => T0 + n * 60_000;
const run = (runId: string, at: number, extra: Partial<NewRun> = {}): NewRun => ({ runId, scheduledRunTime: at, notBefore: at, ...extra });

/** @param makeHarness a fresh, empty store; with run-history options when the history cases ask for them */
export function describeJobStore(name: string, makeHarness: HistoryHarnessFactory): void {
  describeRunHistory(name, makeHarness);
  describe(`${name} (job store conformance)`, () => {
    let h: StoreHarness;
    let store: JobStore;
    beforeEach(async () => {
      h = await makeHarness();
      store = h.store;
      await store.open({ name: 'default', logger: console });
    });
    afterEach(async () => {
      await store.close();
      await h.cleanup();
    });

    it('adds and gets a job with every field intact', async () => {
      const job = jobRecord('a', { retry: { attempts: 3, delay: 1000, factor: 2, maxDelay: 60_000, jitter: true }, timeout: 500, jitter: 250, misfireGraceTime: 1000 });
      await store.addJob(job, { replaceExisting: false });
      expect(await store.getJob('a')).toEqual(job);
      expect(await store.getJob('nope')).toBeNull();
    });

    it('refuses a taken id with ConflictingIdError, or replaces it with replaceExisting', async () => {
      await store.addJob(jobRecord('a'), { replaceExisting: false });
      await expect(store.addJob(jobRecord('a', { name: 'again' }), { replaceExisting: false })).rejects.toBeInstanceOf(ConflictingIdError);
      expect((await store.getJob('a'))!.name).toBe('a');
      await store.addJob(jobRecord('a', { name: 'replaced' }), { replaceExisting: true });
      expect((await store.getJob('a'))!.name).toBe('replaced');
      expect(await store.getJobs()).toHaveLength(1);
    });

    it('addJobs adds many jobs in one call, every field intact, and they are due like any other', async () => {
      const jobs = Array.from({ length: 1200 }, (_, i) => jobRecord(`b${String(i).padStart(4, '0')}`, { nextRunTime: min(i % 3), maxInstances: 1 + (i % 2) }));
      await store.addJobs!(jobs.map((job) => ({ job, replaceExisting: false })));
      expect(await store.getJobs()).toEqual([...jobs].sort((a, b) => a.nextRunTime! - b.nextRunTime! || (a.id < b.id ? -1 : 1)));
      expect((await store.acquireDueJobs('me', min(0), 2000)).length).toBe(400);
      await store.addJobs!([]);
      expect((await store.getJobs()).length).toBe(1200);
    });

    it('addJobs is all or nothing: a taken id anywhere adds none and names that id; replaceExisting entries overwrite', async () => {
      await store.addJob(jobRecord('taken'), { replaceExisting: false });
      const batch = ['x1', 'x2', 'taken', 'x3'].map((id) => ({ job: jobRecord(id, { name: `new ${id}` }), replaceExisting: false }));
      const refused = await store.addJobs!(batch).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConflictingIdError);
      expect((refused as ConflictingIdError).jobId).toBe('taken');
      expect((await store.getJobs()).map((j) => [j.id, j.name])).toEqual([['taken', 'taken']]);
      batch[2]!.replaceExisting = true;
      await store.addJobs!(batch);
      expect((await store.getJobs()).map((j) => [j.id, j.name])).toEqual(['taken', 'x1', 'x2', 'x3'].map((id) => [id, `new ${id}`]));
    });

    it('lists jobs by nextRunTime, paused last, ties by id', async () => {
      await store.addJob(jobRecord('c', { nextRunTime: min(2) }), { replaceExisting: false });
      await store.addJob(jobRecord('p', { nextRunTime: null }), { replaceExisting: false });
      await store.addJob(jobRecord('b', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.addJob(jobRecord('a', { nextRunTime: min(2) }), { replaceExisting: false });
      expect((await store.getJobs()).map((j) => j.id)).toEqual(['b', 'a', 'c', 'p']);
    });

    it('updates and removes jobs; unknown ids give JobLookupError', async () => {
      await store.addJob(jobRecord('a'), { replaceExisting: false });
      const updated = await store.updateJob('a', { name: 'renamed', args: [42], nextRunTime: null });
      expect(updated.name).toBe('renamed');
      expect((await store.getJob('a'))!.args).toEqual([42]);
      expect((await store.getJob('a'))!.nextRunTime).toBeNull();
      await expect(store.updateJob('nope', { name: 'x' })).rejects.toBeInstanceOf(JobLookupError);
      await expect(store.removeJob('nope')).rejects.toBeInstanceOf(JobLookupError);
      await store.removeJob('a');
      expect(await store.getJob('a')).toBeNull();
      await store.addJob(jobRecord('x'), { replaceExisting: false });
      await store.addJob(jobRecord('y'), { replaceExisting: false });
      await store.removeAllJobs();
      expect(await store.getJobs()).toEqual([]);
    });

    it('getWakeTimes: dueAt is the earliest nextRunTime or pending run', async () => {
      expect((await store.getWakeTimes('me')).dueAt).toBeNull();
      await store.addJob(jobRecord('a', { nextRunTime: min(5) }), { replaceExisting: false });
      await store.addJob(jobRecord('b', { nextRunTime: min(3) }), { replaceExisting: false });
      await store.addJob(jobRecord('p', { nextRunTime: null }), { replaceExisting: false });
      expect((await store.getWakeTimes('me')).dueAt).toBe(min(3));
      await store.addRun('a', run('a@manual', min(1), { manual: true }));
      expect((await store.getWakeTimes('me')).dueAt).toBe(min(1));
      await store.updateJob('b', { nextRunTime: min(10) });
      await store.claimDueRuns('me', min(1), 10);
      expect((await store.getWakeTimes('me')).dueAt).toBe(min(5));
    });

    it('getWakeTimes: a lease another owner holds is a takeover due when it runs out; its work is due once it has', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.addJob(jobRecord('b', { nextRunTime: min(1) }), { replaceExisting: false });
      expect(await store.acquireDueJobs('holder', min(1), 10)).toHaveLength(2);
      // Held by another: not due for 'me', but taken over when the acquisition runs out.
      const held = await store.getWakeTimes('me');
      expect(held.dueAt).toBeNull();
      expect(held.takeoverIn).toBeGreaterThan(store.leaseDuration - 5000);
      expect(held.takeoverIn).toBeLessThanOrEqual(store.leaseDuration);
      // One's own leases are not something to take over.
      expect(await store.getWakeTimes('holder')).toEqual({ dueAt: null, takeoverIn: null });
      await store.releaseJobs('holder', [
        { jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] },
        { jobId: 'b', nextRunTime: min(2), exhausted: false, runs: [] },
      ]);
      expect(await store.claimDueRuns('holder', min(1), 10)).toHaveLength(1);
      const running = await store.getWakeTimes('me');
      expect(running.dueAt).toBe(min(2));
      expect(running.takeoverIn).toBeGreaterThan(store.leaseDuration - 5000);
      expect(running.takeoverIn).toBeLessThanOrEqual(store.leaseDuration);
      expect((await store.getWakeTimes('holder')).takeoverIn).toBeNull();
      // The holder dies: once its lease has run out, the run is due work (at its notBefore) for everyone.
      await h.expireLeases();
      expect(await store.getWakeTimes('me')).toEqual({ dueAt: min(1), takeoverIn: null });
      const [taken] = await store.claimDueRuns('me', min(1), 10);
      expect([taken!.run.runId, taken!.takenOver, taken!.run.attempt]).toEqual(['a@1', true, 2]);
      expect((await store.getWakeTimes('holder')).takeoverIn).toBeGreaterThan(0);
    });

    it('getWakeTimes: an expired acquisition makes its job due again', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.addJob(jobRecord('later', { nextRunTime: min(7) }), { replaceExisting: false });
      await store.acquireDueJobs('dead', min(1), 10);
      expect(await store.getWakeTimes('me')).toMatchObject({ dueAt: min(7) });
      await h.expireLeases();
      expect(await store.getWakeTimes('me')).toEqual({ dueAt: min(1), takeoverIn: null });
      expect((await store.acquireDueJobs('me', min(1), 10)).map((j) => j.id)).toEqual(['a']);
      expect(await store.releaseJobs('dead', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] }]))
        .toEqual([{ jobId: 'a', created: [], refused: [], removed: false }]);
    });

    it('acquires due jobs oldest first, within the limit, once', async () => {
      for (const [id, at] of [['a', 3], ['b', 1], ['c', 2], ['d', 9]] as const) {
        await store.addJob(jobRecord(id, { nextRunTime: min(at) }), { replaceExisting: false });
      }
      expect((await store.acquireDueJobs('me', min(5), 2)).map((j) => j.id)).toEqual(['b', 'c']);
      expect((await store.acquireDueJobs('other', min(5), 10)).map((j) => j.id)).toEqual(['a']);
      expect(await store.acquireDueJobs('other', min(5), 10)).toEqual([]);
    });

    it('an acquisition held by a dead scheduler expires and can be taken', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      expect(await store.acquireDueJobs('dead', min(1), 10)).toHaveLength(1);
      expect(await store.acquireDueJobs('alive', min(1), 10)).toHaveLength(0);
      await h.expireLeases();
      expect((await store.acquireDueJobs('alive', min(1), 10)).map((j) => j.id)).toEqual(['a']);
      // the dead scheduler's late release is ignored
      expect((await store.releaseJobs('dead', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [] }]))[0]!.created).toEqual([]);
    });

    it('a change made while a job is acquired wins over the release of the plan made before it', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      expect(await store.acquireDueJobs('me', min(1), 10)).toHaveLength(1);
      await store.updateJob('a', { nextRunTime: null });
      const [res] = await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] }]);
      expect(res!.created).toEqual([]);
      expect((await store.getJob('a'))!.nextRunTime).toBeNull();
      expect(await store.getLiveRuns('a')).toEqual([]);
    });

    it('releases jobs: moves nextRunTime, creates runs once, refuses beyond maxInstances', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1), maxInstances: 2 }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(4), 10);
      const [res] = await store.releaseJobs('me', [
        { jobId: 'a', nextRunTime: min(5), exhausted: false, runs: [run('a@1', min(1)), run('a@2', min(2)), run('a@3', min(3))] },
      ]);
      expect(res).toEqual({ jobId: 'a', created: ['a@1', 'a@2'], refused: ['a@3'], removed: false });
      expect((await store.getJob('a'))!.nextRunTime).toBe(min(5));
      expect((await store.getLiveRuns('a')).map((r) => [r.runId, r.state, r.attempt])).toEqual([['a@1', 'pending', 1], ['a@2', 'pending', 1]]);
      // the same runId again is a no-op, never a second run
      await store.acquireDueJobs('me', min(5), 10);
      const [again] = await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(6), exhausted: false, runs: [run('a@1', min(1))] }]);
      expect(again!.created).toEqual([]);
      expect(await store.getLiveRuns('a')).toHaveLength(2);
    });

    it('claims pending runs by notBefore and fences completion by claim token', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1), maxInstances: 5 }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(3), 10);
      await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(9), exhausted: false, runs: [run('a@2', min(2)), run('a@1', min(1)), run('a@late', min(1), { notBefore: min(8) })] }]);
      const claimed = await store.claimDueRuns('me', min(3), 10);
      expect(claimed.map((c) => c.run.runId)).toEqual(['a@1', 'a@2']);
      expect(claimed[0]!.job.id).toBe('a');
      expect(claimed[0]!.takenOver).toBe(false);
      expect(claimed[0]!.run.state).toBe('running');
      expect(claimed[0]!.run.owner).toBe('me');
      expect(await store.claimDueRuns('other', min(3), 10)).toEqual([]);
      await expect(store.completeRun('a@1', 'wrong-token', { status: 'succeeded' })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await store.completeRun('a@1', claimed[0]!.run.claimToken!, { status: 'succeeded' })).toEqual({ jobRemoved: false });
      expect((await store.getLiveRuns('a')).map((r) => r.runId)).toEqual(['a@late', 'a@2']);
    });

    it('an expired lease is taken over with the next attempt; the old holder is fenced', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.acquireDueJobs('dead', min(1), 10);
      await store.releaseJobs('dead', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] }]);
      const [mine] = await store.claimDueRuns('dead', min(1), 10);
      expect(await store.claimDueRuns('alive', min(1), 10)).toEqual([]);
      expect(await store.renewLeases('dead', [{ runId: 'a@1', claimToken: mine!.run.claimToken! }])).toEqual([]);
      await h.expireLeases();
      const [taken] = await store.claimDueRuns('alive', min(1), 10);
      expect(taken!.run.runId).toBe('a@1');
      expect(taken!.takenOver).toBe(true);
      expect(taken!.run.attempt).toBe(2);
      expect(taken!.run.owner).toBe('alive');
      expect(await store.renewLeases('dead', [{ runId: 'a@1', claimToken: mine!.run.claimToken! }])).toEqual(['a@1']);
      await expect(store.completeRun('a@1', mine!.run.claimToken!, { status: 'succeeded' })).rejects.toBeInstanceOf(LeaseLostError);
      await store.completeRun('a@1', taken!.run.claimToken!, { status: 'succeeded' });
      expect(await store.getLiveRuns('a')).toEqual([]);
    });

    it('a retry outcome keeps the run pending for its next attempt; it counts toward maxInstances', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(1), 10);
      await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] }]);
      const [c] = await store.claimDueRuns('me', min(1), 10);
      await store.completeRun('a@1', c!.run.claimToken!, { status: 'retry', attempt: 2, notBefore: min(1) + 5000 });
      expect((await store.getWakeTimes('me')).dueAt).toBe(min(1) + 5000);
      expect(await store.claimDueRuns('me', min(1) + 4999, 10)).toEqual([]);
      await store.acquireDueJobs('me', min(2), 10);
      const [res] = await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(3), exhausted: false, runs: [run('a@2', min(2))] }]);
      expect(res!.refused).toEqual(['a@2']);
      const [retry] = await store.claimDueRuns('me', min(2), 10);
      expect([retry!.run.runId, retry!.run.attempt, retry!.takenOver]).toEqual(['a@1', 2, false]);
    });

    it('getCounts: every job (paused too), and the pending runs waiting for a retry', async () => {
      expect(store.getCounts).toBeTypeOf('function'); // optional in the contract; every store of ours has it
      expect(await store.getCounts!()).toEqual({ jobs: 0, pendingRetries: 0 });
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.addJob(jobRecord('b', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.addJob(jobRecord('p', { nextRunTime: null }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(1), 10);
      await store.releaseJobs('me', [
        { jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] },
        { jobId: 'b', nextRunTime: min(2), exhausted: false, runs: [run('b@1', min(1))] },
      ]);
      expect(await store.getCounts!()).toEqual({ jobs: 3, pendingRetries: 0 }); // first tries are not retries
      const claimed = await store.claimDueRuns('me', min(1), 10);
      for (const c of claimed) await store.completeRun(c.run.runId, c.run.claimToken!, { status: 'retry', attempt: 2, notBefore: min(1) + 5000 });
      expect(await store.getCounts!()).toEqual({ jobs: 3, pendingRetries: 2 });
      const [retry] = await store.claimDueRuns('me', min(1) + 5000, 1);
      expect(await store.getCounts!()).toEqual({ jobs: 3, pendingRetries: 1 }); // in flight now, not waiting
      await store.completeRun(retry!.run.runId, retry!.run.claimToken!, { status: 'succeeded' });
      await store.removeJob('p');
      expect(await store.getCounts!()).toEqual({ jobs: 2, pendingRetries: 1 });
    });

    it('an exhausted job is deleted once its last run ends', async () => {
      await store.addJob(jobRecord('once', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(1), 10);
      const [res] = await store.releaseJobs('me', [{ jobId: 'once', nextRunTime: null, exhausted: true, runs: [run('once@1', min(1))] }]);
      expect(res!.removed).toBe(false);
      expect((await store.getJob('once'))!.exhausted).toBe(true);
      const [c] = await store.claimDueRuns('me', min(1), 10);
      expect(await store.completeRun('once@1', c!.run.claimToken!, { status: 'failed' })).toEqual({ jobRemoved: true });
      expect(await store.getJob('once')).toBeNull();
      // exhausted with nothing to run: deleted at release
      await store.addJob(jobRecord('gone', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(1), 10);
      expect((await store.releaseJobs('me', [{ jobId: 'gone', nextRunTime: null, exhausted: true, runs: [] }]))[0]!.removed).toBe(true);
      expect(await store.getJob('gone')).toBeNull();
    });

    it('manual runs (runJob) are outside maxInstances; removeJob and cancelPendingRuns drop pending runs', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(1), 10);
      await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1), { notBefore: min(5) })] }]);
      await store.addRun('a', run('a@m1', min(1), { manual: true }));
      await expect(store.addRun('nope', run('x', min(1)))).rejects.toBeInstanceOf(JobLookupError);
      expect(await store.getLiveRuns('a')).toHaveLength(2);
      await store.updateJob('a', { name: 'x' }, { cancelPendingRuns: true });
      expect(await store.getLiveRuns('a')).toEqual([]);
      await store.addRun('a', run('a@m2', min(1), { manual: true }));
      await store.removeJob('a');
      expect(await store.claimDueRuns('me', min(10), 10)).toEqual([]);
    });

    it('a run whose job was removed while in flight completes without error and is dropped', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(1), 10);
      await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] }]);
      const [c] = await store.claimDueRuns('me', min(1), 10);
      await store.removeJob('a');
      await store.completeRun('a@1', c!.run.claimToken!, { status: 'retry', attempt: 2, notBefore: min(2) });
      expect((await store.getWakeTimes('me')).dueAt).toBeNull();
    });

    it('acquires neither paused nor future jobs; a released job is due again at its new nextRunTime', async () => {
      await store.addJob(jobRecord('due', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.addJob(jobRecord('later', { nextRunTime: min(2) }), { replaceExisting: false });
      await store.addJob(jobRecord('paused', { nextRunTime: null }), { replaceExisting: false });
      expect((await store.acquireDueJobs('me', min(1), 10)).map((j) => j.id)).toEqual(['due']);
      expect((await store.getWakeTimes('me')).dueAt).toBe(min(2));
      await store.releaseJobs('me', [{ jobId: 'due', nextRunTime: min(3), exhausted: false, runs: [] }]);
      expect((await store.acquireDueJobs('me', min(2), 10)).map((j) => j.id)).toEqual(['later']);
      expect((await store.acquireDueJobs('me', min(3), 10)).map((j) => j.id)).toEqual(['due']);
    });

    it('replaceExisting keeps the pending runs of the job it replaces', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(1), 10);
      await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1), { notBefore: min(5) })] }]);
      await store.addJob(jobRecord('a', { name: 'new', nextRunTime: min(2) }), { replaceExisting: true });
      expect((await store.getLiveRuns('a')).map((r) => r.runId)).toEqual(['a@1']);
      expect((await store.getJob('a'))!.name).toBe('new');
    });

    it('claims runs within the limit, leaving the rest pending; renewal by a stranger is refused', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1), maxInstances: 3 }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(1), 10);
      await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(9), exhausted: false, runs: [run('a@1', min(1)), run('a@2', min(2)), run('a@3', min(3))] }]);
      const first = await store.claimDueRuns('me', min(5), 2);
      expect(first.map((c) => c.run.runId)).toEqual(['a@1', 'a@2']);
      expect((await store.getLiveRuns('a')).map((r) => [r.runId, r.state])).toEqual([['a@1', 'running'], ['a@2', 'running'], ['a@3', 'pending']]);
      const token = first[0]!.run.claimToken!;
      expect(await store.renewLeases('stranger', [{ runId: 'a@1', claimToken: token }])).toEqual(['a@1']);
      expect(await store.renewLeases('me', [{ runId: 'a@1', claimToken: token }, { runId: 'nope', claimToken: token }])).toEqual(['nope']);
      expect((await store.claimDueRuns('other', min(5), 10)).map((c) => c.run.runId)).toEqual(['a@3']);
    });

    it('a taken-over run can end with a retry, and runs again under its runId', async () => {
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.acquireDueJobs('dead', min(1), 10);
      await store.releaseJobs('dead', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] }]);
      await store.claimDueRuns('dead', min(1), 10);
      await h.expireLeases();
      const [taken] = await store.claimDueRuns('alive', min(1), 10);
      await store.completeRun('a@1', taken!.run.claimToken!, { status: 'retry', attempt: 3, notBefore: min(1) + 1000 });
      const [again] = await store.claimDueRuns('alive', min(1) + 1000, 10);
      expect([again!.run.runId, again!.run.attempt, again!.takenOver, again!.run.scheduledRunTime]).toEqual(['a@1', 3, false, min(1)]);
    });

    it('runs in flight of removed jobs are dropped when their holder dies; removeAllJobs lets live ones complete', async () => {
      for (const id of ['a', 'b']) {
        await store.addJob(jobRecord(id, { nextRunTime: min(1) }), { replaceExisting: false });
      }
      await store.acquireDueJobs('me', min(1), 10);
      await store.releaseJobs('me', ['a', 'b'].map((id) => ({ jobId: id, nextRunTime: min(2), exhausted: false, runs: [run(`${id}@1`, min(1))] })));
      const claimed = await store.claimDueRuns('me', min(1), 10);
      expect(claimed).toHaveLength(2);
      await store.removeAllJobs();
      expect(await store.getJobs()).toEqual([]);
      expect(await store.completeRun('a@1', claimed[0]!.run.claimToken!, { status: 'succeeded' })).toEqual({ jobRemoved: false });
      await h.expireLeases();
      expect(await store.claimDueRuns('other', min(10), 10)).toEqual([]);
      expect(await store.getLiveRuns('b')).toEqual([]);
      expect((await store.getWakeTimes('me')).dueAt).toBeNull();
    });

    it('keeps jobs and pending runs across a reopen (persistent stores)', async (ctx) => {
      if (!h.reopen) return ctx.skip();
      await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(1), 10);
      await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] }]);
      store = await h.reopen();
      await store.open({ name: 'default', logger: console });
      expect((await store.getJob('a'))!.nextRunTime).toBe(min(2));
      expect((await store.getLiveRuns('a')).map((r) => r.runId)).toEqual(['a@1']);
    });

    it('two instances on the same data never claim the same run (persistent stores)', async (ctx) => {
      if (!h.second) return ctx.skip();
      const other = await h.second();
      await other.open({ name: 'default', logger: console });
      try {
        for (let i = 0; i < 20; i++) await store.addJob(jobRecord(`j${i}`, { nextRunTime: min(1) }), { replaceExisting: false });
        const [a, b] = await Promise.all([store.acquireDueJobs('A', min(1), 100), other.acquireDueJobs('B', min(1), 100)]);
        const ids = [...a!, ...b!].map((j) => j.id).sort();
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
      } finally {
        await other.close();
      }
    });

    it('maxInstances counts the runs in flight of every instance on the same data (persistent stores)', async (ctx) => {
      if (!h.second) return ctx.skip();
      const other = await h.second();
      await other.open({ name: 'default', logger: console });
      try {
        await store.addJob(jobRecord('a', { nextRunTime: min(1), maxInstances: 1 }), { replaceExisting: false });
        await store.acquireDueJobs('A', min(1), 10);
        await store.releaseJobs('A', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] }]);
        expect(await other.claimDueRuns('B', min(1), 10)).toHaveLength(1);
        expect(await other.acquireDueJobs('B', min(2), 10)).toHaveLength(1);
        const [res] = await other.releaseJobs('B', [{ jobId: 'a', nextRunTime: min(3), exhausted: false, runs: [run('a@2', min(2))] }]);
        expect(res!.refused).toEqual(['a@2']);
        expect(await store.claimDueRuns('A', min(2), 10)).toEqual([]);
      } finally {
        await other.close();
      }
    });
  });
}
