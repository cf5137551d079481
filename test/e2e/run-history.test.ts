/**
 * Run history end to end (issue 14 item 1), through the public API and the real clock, on a
 * SQLite file and on PostgreSQL: two schedulers share the store; each outcome they meet is in the
 * history with its fields; a JobClient opened afterwards reads it back newest first and pages it
 * by cursor; `keepRuns` bounds a busy job's entries; a removed job's history stays.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobClient, PostgresJobStore, Scheduler, SQLiteJobStore, type JobStore, type RunHistoryEntry } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { sleep, tempDir } from './helpers.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Polls an async condition every 20 ms, up to `ms`. */
async function eventually(cond: () => Promise<boolean>, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !(await cond()); await sleep(20)) if (Date.now() > end) throw new Error(`not within ${ms} ms`);
}

/** The whole history, page by page (50 a page). */
async function allRuns(client: JobClient, query: { jobId?: string } = {}): Promise<RunHistoryEntry[]> {
  const out: RunHistoryEntry[] = [];
  for (;;) {
    const last = out.at(-1);
    const page = await client.getRuns({ ...query, limit: 50, ...(last && { cursor: last.cursor }) });
    out.push(...page);
    if (page.length < 50) return out;
  }
}

/** The scenario on one kind of store; `makeStore` gives a new instance on the same data each call. */
async function historyEndToEnd(makeStore: (options?: { keepRuns?: number }) => JobStore): Promise<void> {
  const schedulers = [0, 1].map(() => new Scheduler({ timezone: 'UTC', jobStores: { default: makeStore({ keepRuns: 5 }) }, logger: quiet }));
  let failedOnce = false;
  for (const s of schedulers) {
    s.registerTask('ok', (n: number) => ({ n }));
    s.registerTask('boom', () => {
      throw new RangeError('out of range');
    });
    s.registerTask('hang', () => sleep(1000)); // past its timeout (an executor waits for it at shutdown)
    s.registerTask('flaky', () => {
      if (!failedOnce) {
        failedOnce = true;
        throw new Error('first try');
      }
      return 'second try';
    });
  }
  const soon = new Date(Date.now() + 300);
  const [a, b] = schedulers as [Scheduler, Scheduler];
  await a.start();
  await a.addJob('ok', 'interval', { milliseconds: 100 }, { id: 'busy', args: [7] });
  await a.addJob('boom', 'date', { runDate: soon }, { id: 'boom' });
  await a.addJob('hang', 'date', { runDate: soon }, { id: 'hang', timeout: 100 });
  await a.addJob('flaky', 'date', { runDate: soon }, { id: 'flaky', retry: { attempts: 2, delay: 100 } });
  await a.addJob('ok', 'date', { runDate: soon }, { id: 'removed', args: [1] });
  await b.start();
  await eventually(async () => (await a.getRuns({ jobId: 'flaky', outcome: 'succeeded' })).length > 0, 10_000);
  await eventually(async () => (await a.getRuns({ jobId: 'hang' })).length > 0, 10_000);
  await sleep(300);
  await a.removeJob('busy');
  await Promise.all(schedulers.map((s) => s.shutdown()));

  // Read back without a loop, as an admin process would.
  const client = new JobClient({ jobStores: { default: makeStore() }, timezone: 'UTC' });
  await client.open();
  try {
    const all = await allRuns(client);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.finishedAt.getTime()).toBeGreaterThanOrEqual(all[i]!.finishedAt.getTime());
    expect(new Set(all.map((r) => r.cursor)).size).toBe(all.length);
    const of = (jobId: string) => all.filter((r) => r.jobId === jobId);

    const [boom] = of('boom');
    expect(boom).toMatchObject({ outcome: 'failed', attempt: 1, error: { name: 'RangeError', message: 'out of range' }, jobStore: 'default' });
    expect(boom!.error!.stack).toContain('out of range');
    expect(boom!.startedAt!.getTime()).toBeGreaterThanOrEqual(soon.getTime());
    expect(boom!.finishedAt.getTime()).toBeGreaterThanOrEqual(boom!.startedAt!.getTime());

    const [hang] = of('hang');
    expect(hang).toMatchObject({ outcome: 'timedOut', error: { name: 'JobTimeoutError' } });
    expect(hang!.finishedAt.getTime() - hang!.startedAt!.getTime()).toBeGreaterThanOrEqual(100);

    expect(of('flaky').map((r) => [r.outcome, r.attempt, r.result ?? r.error?.message])).toEqual([['succeeded', 2, 'second try'], ['failed', 1, 'first try']]);
    expect(of('flaky')[0]!.runId).toBe(of('flaky')[1]!.runId);
    expect(of('removed')).toMatchObject([{ outcome: 'succeeded', result: { n: 1 } }]);

    // busy ran about every 100 ms in either scheduler, each fire time once; keepRuns: 5 kept its newest 5,
    // and its history outlives its removal.
    const busy = await allRuns(client, { jobId: 'busy' });
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.length).toBeLessThanOrEqual(5);
    expect(new Set(busy.map((r) => `${r.runId}#${r.attempt}`)).size).toBe(busy.length);
    expect(busy.every((r) => r.outcome === 'succeeded' || r.outcome === 'maxInstances')).toBe(true);
    expect(busy.filter((r) => r.outcome === 'succeeded').every((r) => (r.result as { n: number }).n === 7)).toBe(true);
    expect(await client.getJob('busy')).toBeNull();

    expect((await client.getRuns({ outcome: 'timedOut' })).map((r) => r.jobId)).toEqual(['hang']);
  } finally {
    await client.close();
  }
}

describe('run history end to end', () => {
  it('SQLite: two schedulers on one file; a JobClient reads every outcome back, paged by cursor', { timeout: 60_000 }, async () => {
    const { dir, cleanup } = tempDir('kairos-history-');
    try {
      const file = path.join(dir, 'jobs.sqlite');
      await historyEndToEnd((options = {}) => new SQLiteJobStore({ path: file, pollInterval: 50, ...options }));
    } finally {
      cleanup();
    }
  });

  describe('PostgreSQL', () => {
    let pg: TestPostgres;
    beforeAll(async () => {
      pg = await startTestPostgres();
    }, 60_000);
    afterAll(async () => {
      await pg?.destroy();
    });

    it('two schedulers on one schema; a JobClient reads every outcome back, paged by cursor', { timeout: 60_000 }, async () => {
      const url = await pg.createDatabase('history');
      await historyEndToEnd((options = {}) => new PostgresJobStore({ connectionString: url }, options));
    });
  });
});
