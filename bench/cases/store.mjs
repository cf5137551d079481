// @ts-check
/**
 * Case 5: persistent stores. One part per child process:
 * - `add`: N `addJob` calls (cron `S M H * * *`, a registered no-op task) on a started
 *   scheduler; wall time.
 * - `addjobs`: the same N jobs in one `scheduler.addJobs` call (one transaction); wall time.
 * - `dispatch`: N interval jobs written while the scheduler is paused, all due; then `resume()`
 *   and the time until N runs were claimed, run (no-op task) and their jobs rescheduled, as
 *   counted by `jobExecuted` events: runs per second.
 * - `wakeup`: the store work of one scheduler wakeup with one job due among N stored jobs
 *   (acquireDueJobs, releaseJobs creating its run, claimDueRuns, completeRun, getWakeTimes:
 *   what `Scheduler` does per wakeup), median over K wakeups. The N jobs are written with the
 *   store's own `addJob` (the scheduler would add nothing but the trigger parsing).
 * - `pgboss-dispatch`: pg-boss working off N no-op jobs already queued, on the same server.
 * Params: { store: 'sqlite' | 'postgres', part, n, path?, connectionString?, k? }.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { emit, params, prng, quantile } from '../lib/common.mjs';

const { store: kind, part, n, path, connectionString, k = 200 } = params();
const HOUR = 3_600_000;
const noop = () => {};

/**
 * A store of the kind asked for, or null when this build of kairos has none.
 * @returns {Promise<import('kairos').JobStore | null>}
 */
async function openStore() {
  const kairos = /** @type {Record<string, any>} */ (await import('kairos'));
  if (kind === 'sqlite') return new kairos.SQLiteJobStore({ path });
  if (typeof kairos.PostgresJobStore !== 'function') return null;
  return new kairos.PostgresJobStore({ connectionString });
}

/** @param {number} i @param {number | null} nextRunTime @returns {import('kairos').JobRecord} */
function record(i, nextRunTime) {
  return {
    id: `job-${i}`, name: 'noop', taskId: 'noop', trigger: { kind: 'interval', options: { hours: 24 } }, args: [], nextRunTime, exhausted: false,
    misfireGraceTime: null, coalesce: true, maxInstances: 1, jitter: 0, executor: 'default', timeout: null, retry: null,
  };
}

/** A started scheduler on a fresh store with the `noop` task; `null` when the store is unavailable. */
async function startedScheduler() {
  const { Scheduler } = await import('kairos');
  const store = await openStore();
  if (store === null) return null;
  const scheduler = new Scheduler({ jobStores: { default: store } });
  scheduler.registerTask('noop', noop);
  await scheduler.start();
  return scheduler;
}

/** A daily crontab at a random second of the day (86,400 distinct texts, as users' jobs are). @param {() => number} random */
function dailyCron(random) {
  const s = Math.floor(random() * 86_400);
  return `${s % 60} ${Math.floor(s / 60) % 60} ${Math.floor(s / 3600)} * * *`;
}

async function add() {
  const scheduler = await startedScheduler();
  if (scheduler === null) return { unavailable: 'kairos exports no PostgresJobStore' };
  const random = prng(7);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await scheduler.addJob('noop', 'cron', dailyCron(random));
  const ms = performance.now() - t0;
  await scheduler.shutdown();
  return { ms, perSecond: (n * 1000) / ms };
}

/** `scheduler.addJobs`: the same N cron jobs in one call (one transaction). */
async function addMany() {
  const scheduler = await startedScheduler();
  if (scheduler === null) return { unavailable: 'kairos exports no PostgresJobStore' };
  const random = prng(7);
  const specs = Array.from({ length: n }, () => ({ task: 'noop', trigger: /** @type {const} */ ('cron'), triggerArgs: dailyCron(random) }));
  const t0 = performance.now();
  await scheduler.addJobs(specs);
  const ms = performance.now() - t0;
  const { stores } = await scheduler.stats();
  await scheduler.shutdown();
  if (stores.default?.jobs !== n) throw new Error(`addJobs: ${stores.default?.jobs} jobs stored, expected ${n}`);
  return { ms, perSecond: (n * 1000) / ms };
}

async function dispatch() {
  const { Scheduler } = await import('kairos');
  const store = await openStore();
  if (store === null) return { unavailable: 'kairos exports no PostgresJobStore' };
  const scheduler = new Scheduler({ jobStores: { default: store } });
  scheduler.registerTask('noop', noop);
  await scheduler.start({ paused: true });
  const due = new Date();
  for (let i = 0; i < n; i++) await scheduler.addJob('noop', 'interval', { hours: 1 }, { id: `d${i}`, nextRunTime: due });
  let executed = 0;
  let errors = 0;
  /** @type {() => void} */
  let finished = () => {};
  const done = new Promise((resolve) => {
    finished = () => resolve(undefined);
  });
  scheduler.on('jobExecuted', () => {
    if (++executed === n) finished();
  });
  scheduler.on('jobError', () => {
    errors++;
  });
  const t0 = performance.now();
  await scheduler.resume();
  await done;
  const ms = performance.now() - t0;
  const sample = await scheduler.getJob('d0');
  await scheduler.shutdown();
  return { ms, perSecond: (n * 1000) / ms, errors, rescheduledTo: sample?.nextRunTime?.toISOString() ?? null };
}

async function wakeup() {
  const store = await openStore();
  if (store === null) return { unavailable: 'kairos exports no PostgresJobStore' };
  await store.open({ name: 'default', logger: { debug() {}, info() {}, warn() {}, error() {} } });
  const random = prng(8);
  const now = Date.now();
  const t0 = performance.now();
  // Far-future jobs (1 day to 1 year ahead). The first thousand through the store's addJob;
  // beyond that, copies of a row the store wrote, made in one SQL statement (a million addJob
  // transactions would take minutes and measure nothing this part is about).
  const viaApi = Math.min(n, 1000);
  for (let i = 0; i < viaApi; i++) await store.addJob(record(i, now + 24 * HOUR + Math.floor(random() * 364 * 24 * HOUR)), { replaceExisting: false });
  if (n > viaApi) await cloneJobs(n - viaApi, now + 24 * HOUR, 364 * 24 * HOUR);
  const populateMs = performance.now() - t0;
  await store.addJob(record(-1, null), { replaceExisting: false });
  const owner = 'bench';
  /** @type {number[]} */
  const times = [];
  for (let w = 0; w < k; w++) {
    const at = Date.now();
    await store.updateJob('job--1', { nextRunTime: at - 1 });
    const s = performance.now();
    const jobs = await store.acquireDueJobs(owner, at, 1000);
    await store.releaseJobs(owner, jobs.map((j) => ({
      jobId: j.id, nextRunTime: at + 12 * HOUR, exhausted: false, runs: [{ runId: `${j.id}@${at}-${w}`, scheduledRunTime: at - 1, notBefore: at - 1 }],
    })));
    const claimed = await store.claimDueRuns(owner, at, 1000);
    for (const c of claimed) await store.completeRun(c.run.runId, /** @type {string} */ (c.run.claimToken), { status: 'succeeded' });
    await store.getWakeTimes(owner);
    times.push(performance.now() - s);
    if (jobs.length !== 1 || claimed.length !== 1) throw new Error(`wakeup ${w}: ${jobs.length} job(s) acquired, ${claimed.length} run(s) claimed; expected 1 and 1`);
  }
  await store.close();
  times.sort((a, b) => a - b);
  return { n, populateMs, wakeupMs: quantile(times, 0.5), p90Ms: quantile(times, 0.9), k };
}

/**
 * Inserts `count` copies of the job row `job-0` with ids `copy-<i>` and next run times spread
 * over [from, from + span), in one statement, on a connection of the bench's own.
 * @param {number} count @param {number} from @param {number} span
 */
async function cloneJobs(count, from, span) {
  if (kind === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path);
    const columns = /** @type {Array<{ name: string }>} */ (db.prepare('PRAGMA table_info(kairos_jobs)').all()).map((c) => c.name);
    const select = columns.map((c) => (c === 'id' ? "'copy-' || x" : c === 'next_run_time' ? `${from} + abs(random()) % ${span}` : c));
    db.exec(`WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ${count})
      INSERT INTO kairos_jobs (${columns.join(', ')}) SELECT ${select.join(', ')} FROM s, (SELECT * FROM kairos_jobs WHERE id = 'job-0')`);
    db.close();
    return;
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString });
  await client.connect();
  const { rows } = await client.query("SELECT column_name FROM information_schema.columns WHERE table_schema = 'kairos' AND table_name = 'jobs' ORDER BY ordinal_position");
  const columns = rows.map((r) => /** @type {string} */ (r.column_name));
  const select = columns.map((c) => (c === 'id' ? "'copy-' || g" : c === 'next_run_time' ? `${from} + floor(random() * ${span})::bigint` : `t.${c}`));
  await client.query(`INSERT INTO kairos.jobs (${columns.join(', ')}) SELECT ${select.join(', ')} FROM generate_series(1, ${count}) g, (SELECT * FROM kairos.jobs WHERE id = 'job-0') t`);
  await client.query('ANALYZE kairos.jobs');
  await client.end();
}

async function pgbossDispatch() {
  const { default: PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString, schedule: false, supervise: false });
  boss.on('error', () => {});
  await boss.start();
  const queue = 'bench';
  await boss.createQueue(queue);
  for (let i = 0; i < n; i += 1000) {
    await boss.insert(Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ name: queue, data: { i: i + j } })));
  }
  let done = 0;
  /** @type {() => void} */
  let finished = () => {};
  const all = new Promise((resolve) => {
    finished = () => resolve(undefined);
  });
  const workers = 4;
  const batchSize = 500;
  const t0 = performance.now();
  for (let w = 0; w < workers; w++) {
    await boss.work(queue, { batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      done += jobs.length;
      // pg-boss marks the batch completed once this resolves; count it after that write.
      setImmediate(() => {
        if (done >= n) finished();
      });
    });
  }
  await all;
  // The last batch's completion is written right after the handler resolves; wait for it.
  for (;;) {
    const q = await boss.getQueueSize(queue, { before: 'completed' });
    if (q === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const ms = performance.now() - t0;
  await boss.stop({ graceful: false, wait: false });
  return { ms, perSecond: (n * 1000) / ms, config: `${workers} workers x batchSize ${batchSize}, polling 0.5 s (its minimum)` };
}

/** @type {Record<string, () => Promise<unknown>>} */
const PARTS = { add, addjobs: addMany, dispatch, wakeup, 'pgboss-dispatch': pgbossDispatch };
const run = PARTS[part];
if (run === undefined) throw new Error(`unknown part ${part}`);
emit(await run());
