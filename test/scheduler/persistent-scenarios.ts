/**
 * Scheduler scenarios that only a persistent store can show (a restart in the middle), written
 * once and run per store. `newDatabase` makes fresh, empty storage for one test and returns a
 * factory of stores on it (each scheduler, before and after the restart, gets its own store).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, Scheduler, type JobStore } from '../../src/index.js';

type Ctx = { runId: string; attempt: number; scheduledRunTime: Date };

export function describePersistentScenarios(name: string, newDatabase: () => Promise<() => JobStore>): void {
  describe(`${name}: retries and restarts`, () => {
    const open: Scheduler[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.shutdown({ wait: false });
    });
    let makeStore: () => JobStore;
    beforeEach(async () => {
      makeStore = await newDatabase();
    });
    async function scheduler(clock: FakeClock, tries: Array<[string, number, string]>, fail: (attempt: number) => boolean) {
      const s = new Scheduler({ timezone: 'UTC', clock, jobStores: { default: makeStore() } });
      open.push(s);
      s.registerTask('flaky', (ctx: Ctx) => {
        tries.push([clock.now().toISOString(), ctx.attempt, ctx.runId]);
        if (fail(ctx.attempt)) throw new Error(`try ${ctx.attempt}`);
        return 'ok';
      });
      return s;
    }

    it('a pending retry survives a restart and runs once, under the same runId', async () => {
      const clock = new FakeClock('2026-01-01T00:00:00Z');
      const tries: Array<[string, number, string]> = [];
      const a = await scheduler(clock, tries, (attempt) => attempt < 2);
      await a.start();
      await a.addJob('flaky', 'date', { runDate: '2026-01-01T00:01:00Z' }, { id: 'r', retry: { attempts: 3, delay: { minutes: 5 } } });
      await clock.advance({ minutes: 2 });
      expect(tries.map((t) => t.slice(0, 2))).toEqual([['2026-01-01T00:01:00.000Z', 1]]);
      await a.shutdown({ wait: false });

      // down while the retry falls due; the new process has no grace limit: it runs late, once
      await clock.advance({ minutes: 10 });
      const b = await scheduler(clock, tries, (attempt) => attempt < 2);
      const executed: unknown[] = [];
      b.on('jobExecuted', (e) => executed.push([e.attempt, e.result]));
      await b.start();
      await clock.advance({ minutes: 30 });
      expect(tries.map((t) => t.slice(0, 2))).toEqual([['2026-01-01T00:01:00.000Z', 1], ['2026-01-01T00:12:00.000Z', 2]]);
      expect(new Set(tries.map((t) => t[2]))).toEqual(new Set(['r@2026-01-01T00:01:00.000Z']));
      expect(executed).toEqual([[2, 'ok']]);
      expect(await b.getJob('r')).toBeNull();
    });

    it('a retry that became too late during the downtime is missed, not run', async () => {
      const clock = new FakeClock('2026-01-01T00:00:00Z');
      const tries: Array<[string, number, string]> = [];
      const a = await scheduler(clock, tries, () => true);
      await a.start();
      await a.addJob('flaky', 'interval', { hours: 1 }, { id: 'g', misfireGraceTime: 60_000, retry: { attempts: 3, delay: { minutes: 5 } } });
      await clock.advance({ minutes: 61 });
      expect(tries).toHaveLength(1);
      await a.shutdown({ wait: false });
      await clock.advance({ minutes: 30 });
      const b = await scheduler(clock, tries, () => true);
      const missed: unknown[] = [];
      b.on('jobMissed', (e) => missed.push([e.scheduledRunTime.toISOString(), e.attempt]));
      await b.start();
      await clock.advance(1000);
      expect(tries).toHaveLength(1);
      expect(missed).toEqual([['2026-01-01T01:00:00.000Z', 2]]);
      // the schedule goes on
      await clock.advance({ minutes: 30 });
      expect(tries.map((t) => t.slice(0, 2))).toEqual([['2026-01-01T01:00:00.000Z', 1], ['2026-01-01T02:00:00.000Z', 1]]);
    });
  });
}
