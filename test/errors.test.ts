/**
 * Every error a user can meet is exported from 'kairos', extends KairosError and has a stable
 * code (hardening issue, point 5); then each of the newer classes met through the API: a shutdown
 * without waiting, an executor the scheduler lacks, a closed store, a schema newer than the
 * library (the same class for SQLite and PostgreSQL), a store that cannot be opened, a driver
 * that cannot be loaded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as kairos from '../src/index.js';
import {
  AsyncExecutor,
  ExecutorLookupError,
  FakeClock,
  KairosError,
  MissingDependencyError,
  PostgresJobStore,
  Scheduler,
  SchemaTooNewError,
  ShutdownAbortError,
  SQLiteJobStore,
  StoreClosedError,
  StoreOpenError,
  type JobEvent,
  type TaskContext,
} from '../src/index.js';
import { LATEST_VERSION as PG_LATEST } from '../src/stores/postgres/migrations.js';
import { loadPgDriver } from '../src/stores/postgres/driver.js';
import { LATEST_VERSION as SQLITE_LATEST } from '../src/stores/sqlite/migrations.js';
import { loadSqliteDriver } from '../src/stores/sqlite/driver.js';
import { startTestPostgres, type TestPostgres } from './helpers/postgres.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const cause = new Error('boom');

/** One instance of every error class kairos exports, and its code. */
const SAMPLES: Record<string, [Error, string]> = {
  AdminMountError: [new kairos.AdminMountError('kairosRouter', 'give authorize(request), or readOnly: true'), 'KAIROS_ADMIN_MOUNT'],
  AdminRequestError: [new kairos.AdminRequestError(403, 'KAIROS_ADMIN_FORBIDDEN', 'authorize(request) refused this request'), 'KAIROS_ADMIN_FORBIDDEN'],
  ConflictingIdError: [new kairos.ConflictingIdError('j', 'default'), 'KAIROS_CONFLICTING_ID'],
  ExecutorLookupError: [new kairos.ExecutorLookupError('cpu', 'j'), 'KAIROS_EXECUTOR_LOOKUP'],
  ExecutorQueueFullError: [new kairos.ExecutorQueueFullError('j', 't', 5), 'KAIROS_EXECUTOR_QUEUE_FULL'],
  JobLookupError: [new kairos.JobLookupError('j'), 'KAIROS_JOB_LOOKUP'],
  JobTimeoutError: [new kairos.JobTimeoutError('j', 100), 'KAIROS_JOB_TIMEOUT'],
  LeaseLostError: [new kairos.LeaseLostError('r', 'j', 'default'), 'KAIROS_LEASE_LOST'],
  MissingDependencyError: [new kairos.MissingDependencyError('pg', 'PostgresJobStore', cause), 'KAIROS_MISSING_DEPENDENCY'],
  SchedulerStateError: [new kairos.SchedulerStateError('the scheduler is not running; call start() first'), 'KAIROS_SCHEDULER_STATE'],
  SchemaTooNewError: [new kairos.SchemaTooNewError('SQLite', '"x.sqlite"', 3, 2), 'KAIROS_SCHEMA_TOO_NEW'],
  SerializationError: [new kairos.SerializationError('job "j" cannot be stored: its args are not JSON'), 'KAIROS_SERIALIZATION'],
  ShutdownAbortError: [new kairos.ShutdownAbortError(), 'KAIROS_SHUTDOWN'],
  StoreClosedError: [new kairos.StoreClosedError('default', 'SQLite'), 'KAIROS_STORE_CLOSED'],
  StoreOpenError: [new kairos.StoreOpenError('default', 'PostgreSQL', 'schema "kairos"', cause, 'check it'), 'KAIROS_STORE_OPEN'],
  TaskLookupError: [new kairos.TaskLookupError('t'), 'KAIROS_TASK_LOOKUP'],
  WorkerThreadError: [new kairos.WorkerThreadError('exit', { threadId: 1, exitCode: 3 }), 'KAIROS_WORKER_THREAD'],
};

describe('the error classes', () => {
  it('every exported error class has a sample here (a new one needs its line)', () => {
    const exported = Object.keys(kairos).filter((name) => name.endsWith('Error') && name !== 'KairosError' && name !== 'KairosTypeError' && name !== 'KairosRangeError');
    expect(exported.sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(Object.entries(SAMPLES))('%s extends KairosError, has its code and its name, and a message', (name, [err, code]) => {
    expect(err).toBeInstanceOf(KairosError);
    expect(err).toBeInstanceOf(Error);
    expect((err as KairosError).code).toBe(code);
    expect(err.name).toBe(name);
    expect(err.message.length).toBeGreaterThan(20);
  });

  it('argument errors are TypeError/RangeError (as the spec asks) with a code', () => {
    expect(new kairos.KairosTypeError('f', 1, 'x')).toBeInstanceOf(TypeError);
    expect(new kairos.KairosRangeError('f', 1, 'x')).toBeInstanceOf(RangeError);
    expect(new kairos.KairosTypeError('f', 1, 'x').code).toBe('KAIROS_INVALID_ARGUMENT');
  });

  it('argument errors quote any received value without throwing, and at most ~200 characters of it (issue 16)', () => {
    const nullProto = Object.assign(Object.create(null), { big: 12n });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: Array<[unknown, string]> = [
      [nullProto, '{"big":"12n"} (null-prototype object)'],
      [[1n], '["1n"] (Array)'],
      [cyclic, '[object Object] (object)'],
      [new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } }), '(object)'],
      [{ toJSON: () => undefined }, '[object Object] (Object)'],
      [Symbol('s'), 'Symbol(s) (symbol)'],
    ];
    for (const [value, shown] of cases) {
      const message = new kairos.KairosTypeError('field', value, 'a number').message;
      expect(message).toContain(shown);
    }
    const long = new kairos.KairosRangeError('name', 'x'.repeat(100_000), 'a short name').message;
    expect(long.length).toBeLessThan(400);
    expect(long).toContain('(100000 characters)');
    expect(new kairos.KairosTypeError('f', { a: 'y'.repeat(5000) }, 'x').message.length).toBeLessThan(400);
    // Escapes count: 5,000 NULs quote as at most ~200 characters of \u0000s, none cut in half.
    const nuls = new kairos.KairosTypeError('f', '\u0000'.repeat(5000), 'x').message;
    expect(nuls.length).toBeLessThan(400);
    expect(nuls).toMatch(/received "(\\u0000)+…" \(5000 characters\)$/);
    expect(new kairos.KairosTypeError('f', 'short', 'x').message).toBe('f: expected x, received "short"');
    expect(new kairos.KairosTypeError('f', 10n ** 500n, 'x').message.length).toBeLessThan(400);
    // A hint quoting part of the value is capped too (a cron field of 100 kB quoted itself whole).
    expect(() => new kairos.CronTrigger({ minute: 'x'.repeat(100_000) })).toThrow(expect.objectContaining({ field: 'minute', message: expect.stringMatching(/^.{0,1000}$/s) }));
  });

  it('wrapped failures keep their cause', () => {
    expect(SAMPLES.StoreOpenError![0].cause).toBe(cause);
    expect(SAMPLES.MissingDependencyError![0].cause).toBe(cause);
    expect(SAMPLES.MissingDependencyError![0].message).toMatch(/npm install pg/);
  });
});

describe('met through the API', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kairos-errors-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const file = (): string => path.join(dir, `${++files}.sqlite`);

  it('shutdown({ wait: false }): the run signal reason is a ShutdownAbortError', async () => {
    const scheduler = new Scheduler({ timezone: 'UTC' });
    const signals: AbortSignal[] = [];
    await scheduler.start();
    await scheduler.addJob(async (ctx: TaskContext) => {
      signals.push(ctx.signal);
      await new Promise((r) => ctx.signal.addEventListener('abort', r));
    }, 'date', { runDate: new Date(Date.now() + 10) });
    await vi.waitFor(() => expect(signals).toHaveLength(1));
    await scheduler.shutdown({ wait: false });
    expect(signals[0]!.reason).toBeInstanceOf(ShutdownAbortError);
    expect((signals[0]!.reason as ShutdownAbortError).code).toBe('KAIROS_SHUTDOWN');
    expect((signals[0]!.reason as ShutdownAbortError).by).toBe('scheduler');
  });

  it('an AsyncExecutor shut down without waiting rejects its queued runs with a ShutdownAbortError', async () => {
    const executor = new AsyncExecutor({ concurrency: 1 });
    const request = (jobId: string) => ({
      taskId: 't', args: [], task: () => new Promise(() => {}),
      context: { jobId, scheduledRunTime: new Date(0), runId: jobId, attempt: 1, signal: new AbortController().signal },
    });
    void executor.submit(request('running'));
    const queued = executor.submit(request('queued'));
    await executor.shutdown({ wait: false });
    await expect(queued).rejects.toMatchObject({ code: 'KAIROS_SHUTDOWN', by: 'executor' });
    await expect(queued).rejects.toBeInstanceOf(ShutdownAbortError);
  });

  it('a stored job naming an executor this scheduler lacks is reported with ExecutorLookupError', async () => {
    const path = file();
    const start = '2026-01-01T00:00:00Z';
    const a = new Scheduler({
      timezone: 'UTC', clock: new FakeClock(start), logger: quiet,
      jobStores: { default: new SQLiteJobStore({ path }) },
      executors: { default: new AsyncExecutor(), cpu: new AsyncExecutor() },
    });
    a.registerTask('t', () => 'ran');
    await a.start({ paused: true });
    await a.addJob('t', 'date', { runDate: '2026-01-01T00:01:00Z' }, { id: 'j', executor: 'cpu' });
    await a.shutdown();

    const clock = new FakeClock(start);
    const b = new Scheduler({ timezone: 'UTC', clock, logger: quiet, jobStores: { default: new SQLiteJobStore({ path }) } });
    b.registerTask('t', () => 'ran');
    const errors: JobEvent[] = [];
    b.on('jobError', (ev) => errors.push(ev));
    await b.start();
    await clock.advance(60_000);
    await b.shutdown();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toBeInstanceOf(ExecutorLookupError);
    expect(errors[0]!.error).toMatchObject({ code: 'KAIROS_EXECUTOR_LOOKUP', executor: 'cpu', jobId: 'j' });
    expect((errors[0]!.error as Error).message).toMatch(/new Scheduler\(\{ executors \}\)/);
  });

  it('addJob refuses an unknown executor name up front', async () => {
    const scheduler = new Scheduler({ timezone: 'UTC' });
    await expect(scheduler.addJob(() => {}, 'interval', { hours: 1 }, { executor: 'cpu' })).rejects.toMatchObject({ field: 'executor', value: 'cpu' });
  });

  it('a closed SQLite store throws StoreClosedError', async () => {
    const store = new SQLiteJobStore({ path: file() });
    const scheduler = new Scheduler({ timezone: 'UTC', jobStores: { jobs: store } });
    await scheduler.start();
    await scheduler.shutdown();
    const err = await store.getJobs().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreClosedError);
    expect(err).toMatchObject({ code: 'KAIROS_STORE_CLOSED', jobStore: 'jobs', storeKind: 'SQLite' });
  });

  it('a SQLite file migrated by a newer kairos: SchemaTooNewError at start()', async () => {
    const path = file();
    const db = new Database(path);
    db.exec('CREATE TABLE kairos_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    db.prepare('INSERT INTO kairos_migrations VALUES (?, ?, 0)').run(SQLITE_LATEST + 1, 'from the future');
    db.close();
    const scheduler = new Scheduler({ timezone: 'UTC', jobStores: { default: new SQLiteJobStore({ path }) } });
    const err = await scheduler.start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect(err).toMatchObject({ code: 'KAIROS_SCHEMA_TOO_NEW', storeKind: 'SQLite', version: SQLITE_LATEST + 1, knownVersion: SQLITE_LATEST });
    expect((err as Error).message).toContain(path);
    expect(scheduler.state).toBe('stopped');
  });

  it('a driver that cannot be loaded: MissingDependencyError naming the npm install', async () => {
    const notFound = Object.assign(new Error("Cannot find package 'pg' imported from /app/node_modules/kairos/dist/stores/postgres/driver.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const err = await loadPgDriver(() => Promise.reject(notFound)).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(MissingDependencyError);
    expect(err).toMatchObject({ code: 'KAIROS_MISSING_DEPENDENCY', packageName: 'pg', neededBy: 'PostgresJobStore', cause: notFound });
    expect((err as Error).message).toMatch(/PostgresJobStore needs the "pg" package.*Cannot find package 'pg'.*npm install pg$/);
    expect(() => loadSqliteDriver(() => {
      throw new Error("Cannot find module 'better-sqlite3'");
    })).toThrow(/npm install better-sqlite3/);
    // and the real loaders find the real packages
    expect((await loadPgDriver()).Pool).toBe(pg.Pool);
    expect(loadSqliteDriver()).toBe(Database);
  });
});

describe('met through the API, on PostgreSQL', () => {
  let server: TestPostgres;
  let url: string;
  const started: Scheduler[] = [];
  beforeAll(async () => {
    server = await startTestPostgres();
    url = await server.createDatabase('errors');
  }, 60_000);
  afterEach(async () => {
    for (const s of started.splice(0)) await s.shutdown({ wait: false });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('a closed PostgreSQL store throws StoreClosedError, naming the store', async () => {
    const store = new PostgresJobStore({ connectionString: url }, { schema: 'closed' });
    const scheduler = new Scheduler({ timezone: 'UTC', logger: quiet, jobStores: { main: store } });
    await scheduler.start();
    await scheduler.shutdown();
    const err = await store.getJobs().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreClosedError);
    expect(err).toMatchObject({ code: 'KAIROS_STORE_CLOSED', jobStore: 'main', storeKind: 'PostgreSQL' });
    expect((err as Error).message).toMatch(/^PostgreSQL job store "main" is not open/);
  });

  it('a PostgreSQL schema migrated by a newer kairos: the same SchemaTooNewError as SQLite', async () => {
    const store = new PostgresJobStore({ connectionString: url }, { schema: 'future' });
    await store.open({ name: 'default', logger: quiet });
    await store.close();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`INSERT INTO future.migrations (version, name) VALUES ($1, 'from the future')`, [PG_LATEST + 1]);
    await admin.end();
    const scheduler = new Scheduler({ timezone: 'UTC', logger: quiet, jobStores: { default: new PostgresJobStore({ connectionString: url }, { schema: 'future' }) } });
    const err = await scheduler.start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect(err).toMatchObject({ code: 'KAIROS_SCHEMA_TOO_NEW', storeKind: 'PostgreSQL', version: PG_LATEST + 1, knownVersion: PG_LATEST });
    expect((err as Error).message).toMatch(/schema "future".*upgrade kairos.*store option `schema`/);
  });

  it('a server that cannot be reached: StoreOpenError at start(), with the cause', async () => {
    const scheduler = new Scheduler({ timezone: 'UTC', logger: quiet, jobStores: { remote: new PostgresJobStore({ connectionString: 'postgres://postgres:postgres@127.0.0.1:1/none' }) } });
    const err = await scheduler.start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreOpenError);
    expect(err).toMatchObject({ code: 'KAIROS_STORE_OPEN', jobStore: 'remote', storeKind: 'PostgreSQL' });
    expect((err as Error).cause).toBeInstanceOf(Error);
  });
});
