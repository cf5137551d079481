/**
 * Real schedulers in real processes on one SQLite file, through the public API and the real
 * clock: a restart that catches up by the misfire rules, a SIGKILL mid-run taken over once after
 * the lease expires, and three processes sharing a 200 ms job where every fire time runs once.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Scheduler, SQLiteJobStore } from '../../src/index.js';
import { events, killAllChildren, killChild, readStarts, sleep, startScheduler, stopChild, tempDir, until, type TaskStart } from './helpers.js';

afterEach(killAllChildren);

/** Writes jobs into the file with a paused scheduler, as a deploy script would. */
async function seed(file: string, add: (s: Scheduler) => Promise<unknown>): Promise<void> {
  const s = new Scheduler({ timezone: 'UTC', jobStores: { default: new SQLiteJobStore({ path: file }) } });
  for (const task of ['tick', 'ghost', 'slow']) s.registerTask(task, () => {});
  await s.start({ paused: true });
  await add(s);
  await s.shutdown();
}

async function jobIds(file: string): Promise<string[]> {
  const store = new SQLiteJobStore({ path: file });
  await store.open({ name: 'check', logger: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    return (await store.getJobs()).map((j) => j.id).sort();
  } finally {
    await store.close();
  }
}

const times = (starts: TaskStart[], jobId: string): number[] => starts.filter((s) => s.jobId === jobId).map((s) => Date.parse(s.t));

describe('SQLite store with real schedulers in separate processes', () => {
  it('a restarted process sees every job, coalesces or replays the runs missed while down, and keeps a job whose task it lacks', { timeout: 60_000 }, async () => {
    const { dir, cleanup } = tempDir('kairos-restart-');
    try {
      const file = path.join(dir, 'jobs.sqlite');
      const log = path.join(dir, 'starts.log');
      const T0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
      await seed(file, async (s) => {
        await s.addJob('tick', 'interval', { seconds: 1, startDate: new Date(T0) }, { id: 'coalesced' });
        await s.addJob('tick', 'interval', { seconds: 1, startDate: new Date(T0) }, { id: 'every', coalesce: false, maxInstances: 10 });
        await s.addJob('ghost', 'interval', { seconds: 1, startDate: new Date(T0) }, { id: 'ghost' });
      });

      const first = await startScheduler({ file, log, tasks: { tick: {}, ghost: {} } });
      await until(() => times(readStarts(log), 'every').length >= 2, 10_000);
      expect((await stopChild(first)).code).toBe(0);
      const before = readStarts(log);
      const lastCoalesced = Math.max(...times(before, 'coalesced'));
      const lastEvery = Math.max(...times(before, 'every'));

      await sleep(3200); // down for more than three fire times
      // The first wakeup happens at start(); start it half-way between two fire times, so that
      // the latest missed fire time is known exactly: the one just before `startCalled`.
      let startCalled = 0;
      const second = await startScheduler({ file, log, tasks: { tick: {} } }, async () => {
        await sleep(1000 - ((Date.now() - T0 + 500) % 1000));
        startCalled = Date.now();
      });
      const latestMissed = startCalled - ((startCalled - T0) % 1000);
      second.cp.send('jobs');
      const listed = (await second.message((m) => typeof m === 'object' && m.type === 'jobs')) as { ids: string[] };
      expect(listed.ids).toEqual(['coalesced', 'every', 'ghost']);
      await until(() => events(second, 'jobError', 'ghost').length > 0 && times(readStarts(log), 'every').some((t) => t >= second.startedAt), 10_000);
      await sleep(300);
      expect((await stopChild(second)).code).toBe(0);

      const after = readStarts(log).filter((s) => s.pid === second.pid);
      // coalesce: false: every fire time missed while down ran, once, in order.
      const every = times(after, 'every');
      const expected = Array.from({ length: (Math.max(...every) - lastEvery) / 1000 }, (_, i) => lastEvery + (i + 1) * 1000);
      expect(every).toEqual(expected);
      expect(every.filter((t) => t <= latestMissed).length, 'fewer than three missed fire times were replayed').toBeGreaterThanOrEqual(3);
      // coalesce (default): those fire times became one run, the latest of them; then the schedule went on.
      const coalesced = times(after, 'coalesced').sort((a, b) => a - b);
      expect(coalesced[0], 'the catch-up run is not the latest missed fire time').toBe(latestMissed);
      expect(coalesced[0]! - lastCoalesced, 'missed fire times were run one by one instead of coalesced').toBeGreaterThanOrEqual(3000);
      expect(coalesced).toEqual(Array.from({ length: coalesced.length }, (_, i) => latestMissed + i * 1000));
      expect(events(second, 'jobMissed')).toEqual([]);
      // the job whose task is not registered here: reported, never deleted.
      const ghostErrors = events(second, 'jobError', 'ghost');
      expect(ghostErrors[0]!.error).toMatchObject({ name: 'TaskLookupError' });
      expect(after.filter((s) => s.jobId === 'ghost')).toEqual([]);
      expect(await jobIds(file)).toEqual(['coalesced', 'every', 'ghost']);
    } finally {
      cleanup();
    }
  });

  it('a process SIGKILLed mid-run: once its lease expires another process runs it again, once, as the next attempt', { timeout: 60_000 }, async () => {
    const { dir, cleanup } = tempDir('kairos-sigkill-');
    try {
      const file = path.join(dir, 'jobs.sqlite');
      const log = path.join(dir, 'starts.log');
      writeFileSync(log, '');
      const leaseMs = 1500;
      const runDate = new Date(Date.now() + 2500);
      await seed(file, (s) => s.addJob('slow', 'date', { runDate }, { id: 'once' }));
      // The first attempt hangs (it will be killed); a later one finishes at once.
      const kids = await Promise.all([0, 1].map(() => startScheduler({ file, log, leaseMs, tasks: { slow: { firstAttemptMs: 60_000 } } })));
      const firstStart = await until(() => readStarts(log)[0], 15_000, 2);
      expect(firstStart, 'the date job never started').toBeTruthy();
      const victim = kids.find((k) => k.pid === firstStart!.pid)!;
      const survivor = kids.find((k) => k !== victim)!;
      await killChild(victim);
      const tKill = Date.now();

      await until(() => events(survivor, 'jobExecuted', 'once').length > 0, 15_000);
      await sleep(leaseMs); // room for a wrong second takeover to show
      const starts = readStarts(log);
      expect(starts.map((s) => [s.pid, s.runId, s.attempt])).toEqual([
        [victim.pid, firstStart!.runId, 1],
        [survivor.pid, firstStart!.runId, 2],
      ]);
      expect(firstStart!.runId).toBe(`once@${runDate.toISOString()}`);
      // not before the victim's lease ran out: it was claimed with the lookahead, up to 100 ms
      // before its task started (its lease counts from the claim), so allow that and 100 ms more
      expect(starts[1]!.at).toBeGreaterThanOrEqual(firstStart!.at + leaseMs - 200);
      expect(starts[1]!.at).toBeGreaterThanOrEqual(tKill - 100);
      expect(events(survivor, 'jobExecuted', 'once')).toMatchObject([{ attempt: 2, runId: firstStart!.runId }]);
      expect(events(survivor, 'jobRemoved', 'once')).toHaveLength(1); // a date job: gone after its last run
      expect((await stopChild(survivor)).code).toBe(0);
      expect(await jobIds(file)).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('three processes sharing one file for 4 s with a 200 ms job: every fire time runs exactly once', { timeout: 60_000 }, async () => {
    const { dir, cleanup } = tempDir('kairos-fleet-');
    try {
      const file = path.join(dir, 'jobs.sqlite');
      const log = path.join(dir, 'starts.log');
      writeFileSync(log, '');
      const T0 = Math.ceil((Date.now() + 2500) / 1000) * 1000;
      // coalesce: false, so a late wakeup replays every fire time instead of merging them: then
      // "each fire time exactly once" can be checked without holes allowed.
      await seed(file, (s) => s.addJob('tick', 'interval', { milliseconds: 200, startDate: new Date(T0) }, { id: 'tick', coalesce: false, maxInstances: 10 }));
      const kids = await Promise.all([0, 1, 2].map(() => startScheduler({ file, log, tasks: { tick: {} } })));
      await sleep(Math.max(0, T0 + 4000 - Date.now()));
      const exits = await Promise.all(kids.map((k) => stopChild(k)));
      expect(exits.map((e) => e.code), kids.map((k) => k.output()).join('\n')).toEqual([0, 0, 0]);

      const starts = readStarts(log);
      const byTime = new Map<number, number[]>();
      for (const s of starts) byTime.set(Date.parse(s.t), [...(byTime.get(Date.parse(s.t)) ?? []), s.pid]);
      const dups = [...byTime].filter(([, pids]) => pids.length > 1).map(([t, pids]) => `${new Date(t).toISOString()} ran in ${pids.join(',')}`);
      expect(dups).toEqual([]);
      const ran = [...byTime.keys()].sort((a, b) => a - b);
      const last = ran[ran.length - 1]!;
      expect(ran[0]).toBe(T0);
      expect(last).toBeGreaterThanOrEqual(T0 + 3000);
      expect(ran).toEqual(Array.from({ length: (last - T0) / 200 + 1 }, (_, i) => T0 + i * 200));
      const pids = new Set(starts.map((s) => s.pid));
      expect(pids.size, 'the work was not shared').toBeGreaterThanOrEqual(2);
      for (const k of kids) expect(events(k, 'jobError')).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
