/**
 * What the SQLite store does beyond the shared conformance suite: options, a connection given by
 * the caller, JSON storage and SerializationError, change notification between connections,
 * SQLITE_BUSY handling, and lease expiry arranged by back-dating rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SerializationError } from '../../src/errors.js';
import { SQLiteJobStore } from '../../src/stores/sqlite/index.js';
import { jobRecord } from './conformance.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const ctx = { name: 'default', logger: silent };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let file: string;
const cleanups: Array<() => unknown> = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kairos-sqlite-'));
  file = path.join(dir, 'jobs.sqlite');
});
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  rmSync(dir, { recursive: true, force: true });
});
async function opened(options: Partial<ConstructorParameters<typeof SQLiteJobStore>[0]> = {}): Promise<SQLiteJobStore> {
  const store = new SQLiteJobStore({ path: file, ...options } as ConstructorParameters<typeof SQLiteJobStore>[0]);
  await store.open(ctx);
  cleanups.push(() => store.close());
  return store;
}
function connection(): Database.Database {
  const db = new Database(file);
  cleanups.push(() => db.close());
  return db;
}

describe('options', () => {
  it('takes exactly one of path or database, and checks durations', () => {
    expect(() => new SQLiteJobStore({} as never)).toThrow(TypeError);
    expect(() => new SQLiteJobStore({ path: file, database: new Database(':memory:') } as never)).toThrow(/exactly one of `path`/);
    expect(() => new SQLiteJobStore({ path: file, leaseDuration: 0 })).toThrow(RangeError);
    expect(() => new SQLiteJobStore({ path: file, pollInterval: -1 })).toThrow(/pollInterval/);
    // Issue 16: a null or primitive connection read .prepare of it and threw the engine's TypeError, naming no field.
    for (const database of [null, 5, 'file.sqlite', {}]) expect(() => new SQLiteJobStore({ database } as never)).toThrow(expect.objectContaining({ name: 'TypeError', field: 'database' }));
    expect(new SQLiteJobStore({ path: file }).leaseDuration).toBe(30_000);
    expect(new SQLiteJobStore({ path: file, leaseDuration: { seconds: 3 } }).leaseDuration).toBe(3000);
    expect(new SQLiteJobStore({ path: file }).persistent).toBe(true);
  });

  it('creates the folder of a new file, and uses a connection it is given without closing it', async () => {
    const nested = path.join(dir, 'a', 'b', 'jobs.sqlite');
    const own = new SQLiteJobStore({ path: nested });
    await own.open(ctx);
    await own.addJob(jobRecord('x'), { replaceExisting: false });
    await own.close();

    const db = new Database(nested);
    const given = new SQLiteJobStore({ database: db });
    await given.open(ctx);
    expect((await given.getJob('x'))!.id).toBe('x');
    await given.close();
    expect(db.open).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('a closed store refuses calls with an error that says so, and opens again', async () => {
    const store = await opened();
    await store.close();
    await expect(store.getJobs()).rejects.toThrow(/not open/);
    await store.open(ctx);
    expect(await store.getJobs()).toEqual([]);
  });
});

describe('what is stored', () => {
  it('keeps trigger, args and retry as JSON text a person can query', async () => {
    const store = await opened();
    await store.addJob(jobRecord('a', { args: [{ to: 'ops@example.com' }], retry: { attempts: 3, delay: 1000, factor: 2, maxDelay: 60_000, jitter: false } }), { replaceExisting: false });
    const row = connection().prepare("SELECT json_extract(args, '$[0].to') AS to_, json_extract(trigger, '$.kind') AS kind, json_extract(retry, '$.attempts') AS attempts FROM kairos_jobs").get();
    expect(row).toEqual({ to_: 'ops@example.com', kind: 'interval', attempts: 3 });
  });

  it('refuses args JSON cannot round-trip with SerializationError, writing nothing', async () => {
    const store = await opened();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const bad of [() => 1, 10n, circular, new Map(), new Date(0), undefined, Number.NaN]) {
      await expect(store.addJob(jobRecord('bad', { args: [bad] }), { replaceExisting: false })).rejects.toBeInstanceOf(SerializationError);
    }
    const err = await store.addJob(jobRecord('bad', { args: [{ cb: () => 1 }] }), { replaceExisting: true }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/job "bad".*store "default".*args\[0\]\.cb is a function/);
    expect(await store.getJobs()).toEqual([]);

    await store.addJob(jobRecord('good', { args: [1] }), { replaceExisting: false });
    await expect(store.updateJob('good', { args: [1n] })).rejects.toBeInstanceOf(SerializationError);
    expect((await store.getJob('good'))!.args).toEqual([1]);
  });

  it('addJobs writes nothing when any job cannot be stored: bad args (checked first) or a trigger that is not JSON (met mid-transaction)', async () => {
    const store = await opened();
    const cyclic: Record<string, unknown> = { kind: 'interval' };
    cyclic.options = cyclic;
    const batch = (i: number, bad: Partial<ReturnType<typeof jobRecord>>) =>
      Array.from({ length: 50 }, (_, k) => ({ job: jobRecord(`j${k}`, k === i ? bad : {}), replaceExisting: k % 2 === 0 }));
    const cases: Array<[number, Partial<ReturnType<typeof jobRecord>>]> = [[0, { args: [1n] }], [49, { args: [() => 1] }], [30, { trigger: cyclic as never }], [49, { retry: { attempts: 2n } as never }]];
    for (const [i, bad] of cases) {
      const err = await store.addJobs(batch(i, bad)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SerializationError);
      expect((err as SerializationError).jobId).toBe(`j${i}`);
      expect(await store.getJobs()).toEqual([]);
    }
    await store.addJobs(batch(-1, {}));
    expect((await store.getJobs()).map((j) => j.id).sort()).toEqual(Array.from({ length: 50 }, (_, k) => `j${k}`).sort());
  });
});

describe('change notification', () => {
  it('calls the listener when another connection commits, not for its own writes', async () => {
    const store = await opened({ pollInterval: 20 });
    const other = await opened();
    let calls = 0;
    const unsubscribe = store.subscribe(() => calls++);
    await store.addJob(jobRecord('mine'), { replaceExisting: false });
    await sleep(100);
    expect(calls).toBe(0);

    await other.addJob(jobRecord('theirs'), { replaceExisting: false });
    const t = Date.now();
    while (calls === 0 && Date.now() - t < 1000) await sleep(5);
    expect(calls).toBe(1);

    unsubscribe();
    await other.removeJob('theirs');
    await sleep(100);
    expect(calls).toBe(1);
  });

  it('stops polling when closed', async () => {
    const store = await opened({ pollInterval: 20 });
    const other = await opened();
    let calls = 0;
    store.subscribe(() => calls++);
    await store.close();
    await other.addJob(jobRecord('x'), { replaceExisting: false });
    await sleep(100);
    expect(calls).toBe(0);
  });
});

describe('SQLITE_BUSY', () => {
  it('waits for a write lock held by another connection and then writes, never dropping work', async () => {
    const store = await opened({ busyTimeout: 5 });
    const other = connection();
    other.exec('BEGIN IMMEDIATE');
    let done = 0;
    const writes = Array.from({ length: 5 }, (_, i) => store.addJob(jobRecord(`j${i}`), { replaceExisting: false }).then(() => done++));
    await sleep(250);
    expect(done).toBe(0);
    other.exec('COMMIT');
    await Promise.all(writes);
    expect((await store.getJobs()).map((j) => j.id)).toEqual(['j0', 'j1', 'j2', 'j3', 'j4']);
  });
});

describe('leases arranged by back-dating rows', () => {
  it('a run is taken over at exactly its lease expiry, not a millisecond before', async () => {
    let leaseNow = T0;
    const store = await opened({ leaseDuration: 3000, leaseClock: () => leaseNow });
    await store.addJob(jobRecord('a', { nextRunTime: T0 }), { replaceExisting: false });
    await store.acquireDueJobs('dead', T0, 10);
    await store.releaseJobs('dead', [{ jobId: 'a', nextRunTime: T0 + 60_000, exhausted: false, runs: [{ runId: 'a@0', scheduledRunTime: T0, notBefore: T0 }] }]);
    const [held] = await store.claimDueRuns('dead', T0, 10);
    expect(held!.run.leaseExpiresAt).toBe(T0 + 3000);

    const db = connection();
    db.prepare('UPDATE kairos_runs SET lease_expires_at = lease_expires_at - 2000').run();
    leaseNow = T0 + 999;
    expect(await store.claimDueRuns('alive', T0, 10)).toEqual([]);
    leaseNow = T0 + 1000;
    const [taken] = await store.claimDueRuns('alive', T0, 10);
    expect([taken!.run.runId, taken!.run.attempt, taken!.takenOver, taken!.run.leaseExpiresAt]).toEqual(['a@0', 2, true, T0 + 4000]);
    await expect(store.completeRun('a@0', held!.run.claimToken!, { status: 'succeeded' })).rejects.toThrow(/taken over/);
  });

  it('a job acquisition left by a dead scheduler is taken over once expired', async () => {
    const store = await opened({ leaseDuration: 3000 });
    await store.addJob(jobRecord('a', { nextRunTime: T0 }), { replaceExisting: false });
    expect(await store.acquireDueJobs('dead', T0, 10)).toHaveLength(1);
    expect((await store.getWakeTimes('alive')).dueAt).toBeNull(); // held jobs are not this scheduler's work (until the lease runs out)
    connection().prepare('UPDATE kairos_jobs SET acquired_until = 0').run();
    expect((await store.acquireDueJobs('alive', T0, 10)).map((j) => j.id)).toEqual(['a']);
  });
});
