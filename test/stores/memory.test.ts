import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { Scheduler } from '../../src/index.js';
import type { JobRecord } from '../../src/stores/job-store.js';
import { describeJobStore } from './conformance.js';

describeJobStore('MemoryJobStore', async (history = {}) => {
  let leaseNow = Date.parse('2026-01-01T00:00:00Z');
  const store = new MemoryJobStore({ leaseDuration: 30_000, leaseClock: () => leaseNow, ...history });
  return {
    store,
    expireLeases: async () => {
      leaseNow += 30_000;
    },
    cleanup: async () => {},
  };
});

describe('MemoryJobStore run history ring', () => {
  const entry = (jobId: string, finishedAt: number) => ({
    runId: `${jobId}@${finishedAt}`, jobId, scheduledRunTime: finishedAt, lastScheduledRunTime: null, missedCount: null, attempt: 1,
    startedAt: finishedAt, finishedAt, outcome: 'succeeded' as const, error: null,
  });

  it('keeps at most keepRunsTotal entries in all, dropping the oldest of any job first', async () => {
    const store = new MemoryJobStore({ keepRunsTotal: 5 });
    for (let i = 0; i < 4; i++) await store.recordRuns([entry('a', i), entry('b', i + 0.5)]);
    const kept = await store.getRunHistory({ limit: 100 });
    expect(kept.map((r) => r.runId)).toEqual(['b@3.5', 'a@3', 'b@2.5', 'a@2', 'b@1.5']);
    // each job's own list follows: a lost its two oldest, b its oldest
    expect((await store.getRunHistory({ jobId: 'a', limit: 100 })).map((r) => r.finishedAt)).toEqual([3, 2]);
    expect((await store.getRunHistory({ jobId: 'b', limit: 100 })).map((r) => r.finishedAt)).toEqual([3.5, 2.5, 1.5]);
  });

  it('refuses a keepRunsTotal below 1, naming it', () => {
    expect(() => new MemoryJobStore({ keepRunsTotal: 0 })).toThrow(/keepRunsTotal/);
    expect(() => new MemoryJobStore({ keepRuns: -1 })).toThrow(/keepRuns/);
    expect(() => new MemoryJobStore({ keepRunsFor: 'a week' as never })).toThrow(/keepRunsFor/);
  });
});

describe('MemoryJobStore leases', () => {
  const job = (id: string): JobRecord => ({
    id, name: id, taskId: 't', trigger: { kind: 'date', options: { runDate: '2026-01-01T00:00:00.000Z' } }, args: [], nextRunTime: 0, exhausted: false,
    misfireGraceTime: null, coalesce: true, maxInstances: 5, jitter: 0, executor: 'default', timeout: null, retry: null,
  });

  it('refuses a leaseDuration that is not a positive duration, and a leaseClock that is not a function, naming them', () => {
    expect(() => new MemoryJobStore({ leaseDuration: 0 })).toThrow(/leaseDuration/);
    expect(() => new MemoryJobStore({ leaseDuration: -5 })).toThrow(/leaseDuration/);
    expect(() => new MemoryJobStore({ leaseDuration: 'soon' as never })).toThrow(/leaseDuration/);
    expect(() => new MemoryJobStore({ leaseClock: 5 as never })).toThrow(/leaseClock/);
    expect(new MemoryJobStore({ leaseDuration: { seconds: 2 } }).leaseDuration).toBe(2000);
  });

  it('takes over expired claims oldest lease first, each once, and never a renewed one', async () => {
    let leaseNow = 1_000;
    const store = new MemoryJobStore({ leaseDuration: 100, leaseClock: () => leaseNow });
    for (const id of ['a', 'b', 'c']) {
      await store.addJob(job(id), { replaceExisting: false });
      await store.addRun(id, { runId: `${id}@run`, scheduledRunTime: 0, notBefore: 0, manual: true });
    }
    // claimed at three lease instants: a first, then c, then b
    const claimOne = async () => (await store.claimDueRuns('dead', 0, 1))[0]!;
    const first = await claimOne();
    leaseNow += 10;
    const [c, b] = await store.claimDueRuns('dead', 0, 2);
    expect([first.run.runId, c!.run.runId, b!.run.runId].sort()).toEqual(['a@run', 'b@run', 'c@run']);
    leaseNow += 95; // the first claim expired, the other two not
    // the live owner renews the second batch's first run; the rest of that batch stays as it was
    expect(await store.renewLeases('dead', [{ runId: c!.run.runId, claimToken: c!.run.claimToken! }])).toEqual([]);
    const taken = await store.claimDueRuns('alive', 0, 10);
    expect(taken.map((t) => [t.run.runId, t.takenOver, t.run.attempt])).toEqual([[first.run.runId, true, 2]]);
    leaseNow += 10; // now b's lease expired too; c was renewed at +105 and holds until +205
    const later = await store.claimDueRuns('alive', 0, 10);
    expect(later.map((t) => t.run.runId)).toEqual([b!.run.runId]);
    expect(later[0]!.run.claimToken).not.toBe(b!.run.claimToken);
  });
});

describe('MemoryJobStore shared by schedulers of one process', () => {
  it('a job one scheduler writes wakes the other, which runs it at its time (real time)', async () => {
    const store = new MemoryJobStore();
    const ran: Array<{ by: string; late: number }> = [];
    const make = (by: string) => {
      const s = new Scheduler({ jobStores: { default: store } });
      s.registerTask('ping', (ctx: { scheduledRunTime: Date }) => ran.push({ by, late: Date.now() - ctx.scheduledRunTime.getTime() }));
      return s;
    };
    const writer = make('writer');
    const runner = make('runner');
    await runner.start();
    await writer.start({ paused: true }); // a paused scheduler writes jobs but runs none
    try {
      // The runner has nothing to do and no timer armed: only the store's word can wake it.
      await new Promise((r) => setTimeout(r, 50));
      await writer.addJob('ping', 'date', { runDate: new Date(Date.now() + 200) }, { id: 'p' });
      const until = Date.now() + 2000;
      while (ran.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(ran.map((r) => r.by)).toEqual(['runner']);
      expect(ran[0]!.late).toBeLessThan(500);
    } finally {
      await writer.shutdown();
      await runner.shutdown();
    }
  });
});
