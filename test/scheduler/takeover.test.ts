/**
 * Takeover inside one process: two schedulers sharing a MemoryJobStore, where the other holder is
 * a scheduler that stopped without giving its work back (a "ghost" owner written straight into
 * the store). The survivor must wake when the ghost's lease runs out, with no change to tell it,
 * and take the work over under the misfire rules. (The same across processes and persistent
 * stores, with SIGKILL and SIGSTOP: test/e2e/takeover-*.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { FakeClock, MemoryJobStore, Scheduler, type SchedulerOptions } from '../../src/index.js';
import { START } from './helpers.js';

const T0 = Date.parse(START);

function survivor(options: SchedulerOptions) {
  const scheduler = new Scheduler({ timezone: 'UTC', ...options });
  const runs: Array<{ runId: string; attempt: number; at: number }> = [];
  scheduler.registerTask('tick', (ctx: { runId: string; attempt: number }) => {
    runs.push({ runId: ctx.runId, attempt: ctx.attempt, at: Date.now() });
  });
  return { scheduler, runs };
}

describe('a scheduler takes over the work of a holder that stopped renewing', () => {
  it('a run claimed by a dead holder starts again, same runId, next attempt, when its lease runs out (real time)', async () => {
    const store = new MemoryJobStore({ leaseDuration: 300 });
    const { scheduler, runs } = survivor({ jobStores: { default: store } });
    await scheduler.addJob('tick', 'interval', { hours: 1 }, { id: 'tick' });
    await scheduler.start({ paused: true });
    try {
      // The ghost claims a run of the job (as runJob would) and never finishes it.
      await store.addRun('tick', { runId: 'tick@ghost', scheduledRunTime: Date.now(), notBefore: Date.now(), manual: true });
      // The lease is stamped inside claimDueRuns, between these two readings.
      const claimStarted = Date.now();
      const [claimed] = await store.claimDueRuns('ghost', Date.now(), 10);
      const claimedAt = Date.now();
      expect(claimed!.run.runId).toBe('tick@ghost');
      // Resumed, the survivor finds nothing it may take, and nothing due within the hour.
      await scheduler.resume();
      await new Promise((r) => setTimeout(r, 1000));
      expect(runs.map((r) => [r.runId, r.attempt])).toEqual([['tick@ghost', 2]]);
      // Taken over when the lease ran out (300 ms), not at its next fire time or a later change.
      expect(runs[0]!.at - claimStarted).toBeGreaterThanOrEqual(300);
      expect(runs[0]!.at - claimedAt).toBeLessThan(600);
    } finally {
      await scheduler.shutdown();
    }
  });

  it('a job a dead holder acquired is planned by the survivor when the acquisition expires, by the misfire rules', async () => {
    let leaseNow = T0;
    const store = new MemoryJobStore({ leaseDuration: 30_000, leaseClock: () => leaseNow });
    const clock = new FakeClock(START);
    const { scheduler, runs } = survivor({ clock, jobStores: { default: store } });
    const missed: unknown[] = [];
    scheduler.on('jobMissed', (ev) => missed.push(ev));
    await scheduler.addJob('tick', 'interval', { seconds: 10 }, { id: 'tick', misfireGraceTime: 5000 });
    await scheduler.start();
    // The ghost takes the job at its fire time (T0 + 10 s) and dies holding it.
    await store.acquireDueJobs('ghost', T0 + 10_000, 10);
    // Real time and the FakeClock move together here: the lease runs out at T0 + 30 s.
    const advance = async (ms: number): Promise<void> => {
      leaseNow += ms;
      await clock.advance(ms);
    };
    await advance(29_000);
    expect(runs).toEqual([]);
    await advance(2000); // T0 + 31 s: the acquisition has expired, the survivor woke for it
    // 10 s and 20 s are too late (grace 5 s) and reported once; 30 s runs.
    expect(runs.map((r) => r.runId)).toEqual(['tick@2026-01-01T00:00:30.000Z']);
    expect(missed).toMatchObject([{ jobId: 'tick', scheduledRunTime: new Date(T0 + 10_000), lastScheduledRunTime: new Date(T0 + 20_000), missedCount: 2 }]);
    await scheduler.shutdown();
  });

  it('its own leases are no reason to wake: an idle scheduler with a run in flight arms for nothing else', async () => {
    const store = new MemoryJobStore({ leaseDuration: 30_000 });
    await store.open({ name: 'default', logger: console });
    await store.addJob({
      id: 'a', name: 'a', taskId: 'tick', trigger: { kind: 'date', options: { runDate: START }, timezone: 'UTC' }, args: [], nextRunTime: T0,
      exhausted: false, misfireGraceTime: null, coalesce: true, maxInstances: 1, jitter: 0, executor: 'default', timeout: null, retry: null,
    }, { replaceExisting: false });
    await store.acquireDueJobs('me', T0, 10);
    await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: null, exhausted: true, runs: [{ runId: 'a@1', scheduledRunTime: T0, notBefore: T0 }] }]);
    await store.claimDueRuns('me', T0, 10);
    expect(await store.getWakeTimes('me')).toEqual({ dueAt: null, takeoverIn: null });
    expect((await store.getWakeTimes('other')).takeoverIn).toBeGreaterThan(29_000);
  });

  it('a run whose lease ran out while this scheduler still runs it is not started a second time here when the claim comes back to it (issue 16)', async () => {
    // The renewal fails for a while (a store refusing writes, a locked file), the lease runs out,
    // and this same scheduler's next claim takes the run over: it must go on with the one it runs.
    class FlakyRenewals extends MemoryJobStore {
      failRenewals = false;
      override async renewLeases(owner: string, runs: Array<{ runId: string; claimToken: string }>): Promise<string[]> {
        if (this.failRenewals) throw new Error('renewal refused');
        return super.renewLeases(owner, runs);
      }
    }
    const store = new FlakyRenewals({ leaseDuration: 300 });
    const scheduler = new Scheduler({ timezone: 'UTC', jobStores: { default: store } });
    const starts: Array<{ runId: string; attempt: number }> = [];
    const events: string[] = [];
    scheduler.registerTask('slow', async (ctx: { runId: string; attempt: number }) => {
      starts.push({ runId: ctx.runId, attempt: ctx.attempt });
      await new Promise((r) => setTimeout(r, 1200));
      return 'done';
    });
    for (const name of ['jobExecuted', 'jobError'] as const) scheduler.on(name, (e) => events.push(`${name} ${e.runId} ${(e.error as Error | undefined)?.name ?? ''}`.trim()));
    await scheduler.start();
    try {
      await scheduler.addJob('slow', 'date', { runDate: Date.now() + 50 }, { id: 'slow' });
      // Another job keeps the scheduler waking up (and claiming what is due or expired).
      await scheduler.addJob(() => {}, 'interval', { milliseconds: 100 }, { id: 'busy' });
      await new Promise((r) => setTimeout(r, 150));
      expect(starts).toHaveLength(1);
      store.failRenewals = true; // the lease (300 ms) runs out while the task runs
      await new Promise((r) => setTimeout(r, 600));
      store.failRenewals = false;
      await new Promise((r) => setTimeout(r, 1500));
      expect(starts, 'the run was started twice in one process').toHaveLength(1);
      expect(events.filter((e) => e.includes(' slow@'))).toEqual([`jobExecuted ${starts[0]!.runId}`]);
      expect(await store.getJob('slow')).toBeNull(); // its last run recorded, the date job removed
    } finally {
      await scheduler.shutdown();
    }
  });
});
