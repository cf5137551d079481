import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../src/stores/memory.js';
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
