// @ts-check
/**
 * `npm run bench [-- --quick] [-- --only=add,idle,...]`: kairos against the peer schedulers,
 * side by side in one run (issue 9). Every measurement is a fresh `node --expose-gc` child
 * process (bench/cases/*.mjs, protocol in bench/lib/common.mjs) with a time cap; a child that
 * runs out of memory or past its cap is reported as such and the run goes on.
 *
 * Cases: 1 add N jobs (time, heap per job, timer handles) and 1,000,000 in the memory store;
 * 2 idle CPU; 3 firing accuracy (cron and date); 4 next fire time (speed and correctness against
 * a reference); 5 persistent stores (SQLite and PostgreSQL: add, dispatch, wakeup at 1k vs 1M
 * jobs, pg-boss); plus bench/workers.mjs (worker_threads speed-up) and bench/postgres.mjs when
 * present, run as child cases printing `BENCH_RESULT {json}`.
 *
 * Output: a table on stdout and in bench/results/latest.txt, the same data in
 * bench/results/latest.json. "ratio" is always how many times better kairos is than the best
 * peer (best peer / kairos when lower is better, kairos / best peer when higher is better).
 * `--quick` divides every N by 10 (and shortens the idle window) so that the run fits in 3 min.
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULT_PREFIX, round } from './lib/common.mjs';
import { IMPLS, PEERS, WITH_DATE } from './lib/impls.mjs';
import { checkNextFire } from './lib/nextfire-check.mjs';
import { EXPRESSIONS } from './lib/nextfire-spec.mjs';
import { startPostgres } from '../scripts/embedded-postgres.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const want = (/** @type {string} */ group) => only === undefined || only.includes(group);
const scale = quick ? 10 : 1;
/** Cap of one peer or kairos child in cases 1-3, s (the issue: e.g. 60 s). */
const CAP_S = Number(argv.find((a) => a.startsWith('--cap='))?.slice('--cap='.length) ?? (quick ? 10 : 60));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kairos-bench-'));
/**
 * The committed run before this one (bench/results/latest.json), for targets stated against
 * "today": a single addJob must be no slower than there. Null when there is none.
 * @type {{ cases: Array<{ case: string, kairos: unknown, note?: string }> } | null}
 */
const previousRun = (() => {
  // The committed file, not the working copy: a part run again after a full one compares with
  // the committed run too.
  try {
    return JSON.parse(execFileSync('git', ['show', 'HEAD:bench/results/latest.json'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    try {
      return JSON.parse(readFileSync(path.join(here, 'results', 'latest.json'), 'utf8'));
    } catch {
      return null;
    }
  }
})();
/** The previous run's figure of a case (kairos), or null. @param {string} name */
const previous = (name) => {
  const c = previousRun?.cases.find((x) => x.case === name);
  return c === undefined ? null : { value: c.kairos, note: c.note ?? '' };
};

// ------------------------------------------------------------------------------ children
/**
 * @typedef {{ ok: true, value: any, ms: number } | { ok: false, failure: string, ms: number, progress: any }} ChildResult
 */

/**
 * Runs one case child and waits for it.
 * @param {string} file path under bench/
 * @param {unknown} childParams
 * @param {{ capS?: number, args?: string[] }} [options]
 * @returns {Promise<ChildResult>}
 */
function child(file, childParams, { capS = CAP_S, args } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--expose-gc', path.join(here, file), ...(args ?? [JSON.stringify(childParams)])], {
      cwd: path.join(here, '..'),
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timedOut = false;
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err = (err + d).slice(-20_000)));
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, capS * 1000);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      const lines = out.split('\n');
      // A case prints `BENCH_RESULT {json}`; a benchmark written elsewhere may print bare JSON last.
      const marked = lines.filter((l) => l.startsWith(RESULT_PREFIX)).pop();
      const bare = lines.filter((l) => l.trim().startsWith('{')).pop();
      const result = marked ?? (bare === undefined ? undefined : `${RESULT_PREFIX}${bare.trim()}`);
      const progressLine = lines.filter((l) => l.startsWith('BENCH_PROGRESS ')).pop();
      const progress = progressLine === undefined ? null : JSON.parse(progressLine.slice('BENCH_PROGRESS '.length));
      if (result !== undefined && !timedOut) {
        resolve({ ok: true, value: JSON.parse(result.slice(RESULT_PREFIX.length)), ms });
        return;
      }
      let failure;
      if (timedOut) failure = `timeout >${capS} s`;
      else if (/heap out of memory|Allocation failed|Reached heap limit/i.test(err)) failure = 'out of memory';
      else failure = `error (${signal ?? `exit ${code}`}): ${err.trim().split('\n').filter((l) => l.trim() !== '').slice(-1)[0]?.slice(0, 160) ?? 'no output'}`;
      resolve({ ok: false, failure, ms, progress });
    });
  });
}

/**
 * Runs a store child `times` times, each on a fresh database from `fresh(i)`, and returns the run
 * with the median `metric` (a failed run counts as the worst). One run of a store case varied by
 * up to a quarter from one run to the next on this shared machine; the median of three does less.
 * @param {Record<string, unknown>} childParams
 * @param {(i: number) => Promise<Record<string, unknown>>} fresh
 * @param {(v: any) => number} metric higher is better
 * @param {{ capS?: number }} options
 * @returns {Promise<ChildResult & { runs: Array<number | string> }>}
 */
async function medianChild(childParams, fresh, metric, options, times = 3) {
  /** @type {ChildResult[]} */
  const results = [];
  for (let i = 0; i < times; i++) results.push(await child('cases/store.mjs', { ...childParams, ...(await fresh(i)) }, options));
  const score = (/** @type {ChildResult} */ r) => (r.ok && typeof metric(r.value) === 'number' ? metric(r.value) : -Infinity);
  const sorted = [...results].sort((a, b) => score(a) - score(b));
  const median = /** @type {ChildResult} */ (sorted[Math.floor(sorted.length / 2)]);
  return { ...median, runs: results.map((r) => (r.ok ? Math.round(metric(r.value)) : r.failure)) };
}

/** @param {string} message */
const log = (message) => process.stderr.write(`${message}\n`);

// ------------------------------------------------------------------------------ report
/**
 * @typedef {object} CaseRow
 * @property {string} case
 * @property {string} metric
 * @property {boolean} lowerIsBetter
 * @property {number | string | null} kairos
 * @property {Record<string, number | string>} peers
 * @property {number | null} [ratio]
 * @property {string} target
 * @property {boolean | null} met
 * @property {string} [note]
 * @property {number} [baseline] the empty Node process of the idle case
 */
/** @type {CaseRow[]} */
const rows = [];
/** @type {string[]} */
const notes = [];

/**
 * The best peer value (numbers only) for a row.
 * @param {Record<string, number | string>} peers
 * @param {boolean} lowerIsBetter
 */
function bestPeer(peers, lowerIsBetter) {
  const values = Object.values(peers).filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (values.length === 0) return null;
  return lowerIsBetter ? Math.min(.../** @type {number[]} */ (values)) : Math.max(.../** @type {number[]} */ (values));
}

/**
 * Adds a row; `judge` decides `met` from kairos' value, the best peer's and the ratio.
 * @param {Omit<CaseRow, 'ratio' | 'met'>} row
 * @param {(k: number, best: number | null, ratio: number | null) => boolean | null} [judge]
 */
function addRow(row, judge) {
  const best = bestPeer(row.peers, row.lowerIsBetter);
  const k = row.kairos;
  let ratio = null;
  if (typeof k === 'number' && best !== null) {
    if (row.lowerIsBetter) ratio = k === 0 ? (best === 0 ? 1 : Infinity) : best / k;
    else ratio = best === 0 ? Infinity : k / best;
  }
  const met = typeof k === 'number' && judge !== undefined ? judge(k, best, ratio) : judge === undefined ? null : false;
  rows.push({ ...row, kairos: typeof k === 'number' ? round(k) : k, peers: Object.fromEntries(Object.entries(row.peers).map(([p, v]) => [p, typeof v === 'number' ? round(v) : v])), ratio: ratio === null ? null : round(ratio), met });
}

/** @param {ChildResult} r @param {(v: any) => number | string} pick */
const valueOf = (r, pick) => (r.ok ? pick(r.value) : r.failure);

// ------------------------------------------------------------------------------ case 1
async function caseAdd() {
  const n = 100_000 / scale;
  const label = quick ? '10k' : '100k';
  /** @type {Record<string, ChildResult>} */
  const results = {};
  /** @type {Record<string, ChildResult>} */
  const fallback = {};
  for (const impl of IMPLS) {
    log(`case 1: add ${n} jobs, ${impl}`);
    // node-cron is the reference of the target: it gets the time it needs (3x the cap) to finish.
    results[impl] = await child('cases/add.mjs', { impl, n }, impl === 'node-cron' ? { capS: 3 * CAP_S } : {});
    const r = results[impl];
    if (!r.ok && !quick) {
      // Heap per job and timers of a peer that cannot finish N, measured at N/10 for orientation.
      log(`  ${impl}: ${r.failure}${r.progress ? ` (${r.progress.done} added in ${r.progress.ms} ms)` : ''}; measuring heap at ${n / 10}`);
      fallback[impl] = await child('cases/add.mjs', { impl, n: n / 10 });
    }
  }
  /** @param {string} impl @param {(v: any) => number} pick @param {string} metric */
  const withFallback = (impl, pick, metric) => {
    const r = /** @type {ChildResult} */ (results[impl]);
    if (r.ok) return pick(r.value);
    const f = fallback[impl];
    if (f?.ok) return `${r.failure}; ${fmt(pick(f.value), metric)} at ${n / 10}`;
    return r.failure;
  };
  const peersOf = (/** @type {(impl: string) => number | string} */ f) => Object.fromEntries(PEERS.map((p) => [p, f(p)]));
  const k = /** @type {ChildResult} */ (results.kairos);
  addRow({
    case: `add-${label}`, metric: 'ms', lowerIsBetter: true, kairos: valueOf(k, (v) => v.ms),
    peers: peersOf((p) => {
      const r = /** @type {ChildResult} */ (results[p]);
      return r.ok ? r.value.ms : `${r.failure}${r.progress ? ` (${r.progress.done} added)` : ''}`;
    }),
    target: '<= 1/20 of node-cron\'s time in the same run',
  }, (kv) => {
    const nc = /** @type {ChildResult} */ (results['node-cron']);
    return nc.ok && nc.value.ms / kv >= 20;
  });
  addRow({
    case: `heap-per-job-${label}`, metric: 'bytes/job', lowerIsBetter: true, kairos: valueOf(k, (v) => v.bytesPerJob),
    peers: peersOf((p) => withFallback(p, (v) => v.bytesPerJob, 'bytes/job')),
    target: '<= half the best peer and <= 1,536 B',
  }, (kv, _best, ratio) => ratio !== null && ratio >= 2 && kv <= 1536);
  addRow({
    case: `timers-${label}`, metric: 'active timer handles', lowerIsBetter: true, kairos: valueOf(k, (v) => v.timers),
    peers: peersOf((p) => withFallback(p, (v) => v.timers, 'count')),
    // 0 is possible: the reading can fall while a wakeup is in progress (the timer is re-armed when it ends).
    target: 'at most 1 whatever the number of jobs',
  }, (kv) => kv <= 1);

  const big = 1_000_000 / scale;
  log(`case 1: ${big} jobs in the memory store, kairos`);
  const fit = await child('cases/add.mjs', { impl: 'kairos', n: big }, { capS: quick ? 60 : 600 });
  addRow({
    case: `fit-${quick ? '100k' : '1m'}-memory`, metric: 'bytes/job', lowerIsBetter: true, kairos: valueOf(fit, (v) => v.bytesPerJob), peers: {},
    target: `${big.toLocaleString('en')} jobs fit on the default heap`,
    note: fit.ok ? `heap used ${round(fit.value.heapUsed / 2 ** 20)} MB of ${round(fit.value.heapLimit / 2 ** 20)} MB; added in ${round(fit.value.ms / 1000)} s; ${fit.value.timers} timer handle(s)` : fit.failure,
  }, () => fit.ok);
}

// ------------------------------------------------------------------------------ case 2
async function caseIdle() {
  const n = 10_000 / scale;
  const windowMs = quick ? 1000 : 10_000;
  /** @type {Record<string, ChildResult>} */
  const results = {};
  for (const impl of ['empty', ...IMPLS]) {
    log(`case 2: idle CPU with ${n} jobs, ${impl}`);
    results[impl] = await child('cases/idle.mjs', { impl, n, windowMs }, { capS: 2 * CAP_S + (3 * windowMs) / 1000 });
  }
  const empty = /** @type {ChildResult} */ (results.empty);
  const floor = empty.ok ? empty.value.cpuMs : null;
  addRow({
    case: `idle-cpu-${n / 1000}k`, metric: `CPU ms in ${windowMs / 1000} s (median of 3)`, lowerIsBetter: true,
    kairos: valueOf(/** @type {ChildResult} */ (results.kairos), (v) => v.cpuMs),
    peers: Object.fromEntries(PEERS.map((p) => [p, valueOf(/** @type {ChildResult} */ (results[p]), (v) => v.cpuMs)])),
    target: `<= 2x an empty Node process (${floor === null ? empty.ok ? '' : empty.failure : `${round(floor)} ms`})`,
    note: `windows: ${IMPLS.map((i) => `${i} ${valueOf(/** @type {ChildResult} */ (results[i]), (v) => v.windows.map(round).join('/'))}`).join(', ')}; empty Node process: ${floor === null ? 'failed' : `${round(floor)} ms (${empty.ok ? empty.value.windows.map(round).join('/') : ''})`}; timer handles while idle: ${IMPLS.map((i) => `${i} ${valueOf(/** @type {ChildResult} */ (results[i]), (v) => v.timers)}`).join(', ')}`,
  }, (kv) => floor !== null && kv <= 2 * floor);
  if (floor !== null) rows[rows.length - 1] = { .../** @type {CaseRow} */ (rows[rows.length - 1]), baseline: round(floor) };
}

// ------------------------------------------------------------------------------ case 3
async function caseAccuracy() {
  const n = 1000 / scale;
  for (const kind of /** @type {const} */ (['cron', 'date'])) {
    /** @type {Record<string, ChildResult>} */
    const results = {};
    const impls = kind === 'cron' ? IMPLS : WITH_DATE;
    for (const impl of impls) {
      log(`case 3: ${n} jobs due in the same second (${kind}), ${impl}`);
      results[impl] = await child('cases/accuracy.mjs', { impl, kind, n, leadMs: quick ? 2000 : 5000 });
    }
    const peers = impls.filter((i) => i !== 'kairos');
    const k = /** @type {ChildResult} */ (results.kairos);
    /** @param {ChildResult} r @param {'p50' | 'p99' | 'max'} q */
    const pick = (r, q) => valueOf(r, (v) => (v[q] === null ? `${v.started}/${v.n} started` : v[q]));
    const early = impls.filter((i) => results[i]?.ok && results[i].value.min < 0).map((i) => `${i} fired up to ${round(-/** @type {any} */ (results[i]).value.min)} ms early`);
    if (early.length > 0) notes.push(`accuracy (${kind}): ${early.join('; ')}`);
    for (const q of /** @type {const} */ (['p50', 'p99', 'max'])) {
      const limit = q === 'p50' ? 1 : 3;
      addRow({
        case: `accuracy-${kind}-${q}`, metric: 'ms late', lowerIsBetter: true, kairos: pick(k, q),
        peers: Object.fromEntries(peers.map((p) => [p, pick(/** @type {ChildResult} */ (results[p]), q)])),
        target: q === 'p99' ? '(reported)' : `<= ${limit} ms${q === 'max' ? ' (all started within 3 ms)' : ''} and ahead of every peer`,
      }, q === 'p99' ? undefined : (kv, _best, ratio) => kv <= limit && ratio !== null && ratio > 1);
    }
    /** @param {ChildResult} r */
    const block = (r) => valueOf(r, (v) => v.loopDelayMaxMs);
    addRow({
      case: `accuracy-${kind}-blocked`, metric: 'ms (event loop delay max)', lowerIsBetter: true, kairos: block(k),
      peers: Object.fromEntries(peers.map((p) => [p, block(/** @type {ChildResult} */ (results[p]))])),
      target: 'main thread never blocked > 1 ms by kairos',
      note: `monitorEventLoopDelay (1 ms resolution) from 300 ms before the instant until all started + 100 ms; longest gap between two turns of the loop (setImmediate chain): ${impls.map((i) => `${i} ${valueOf(/** @type {ChildResult} */ (results[i]), (v) => round(v.blockMs))}`).join(', ')} ms`,
    }, (kv) => kv <= 1);
  }
}

// ------------------------------------------------------------------------------ case 4
async function caseNextFire() {
  const n = 100_000 / scale;
  const impls = ['kairos', 'croner', 'cron-parser', 'cron'];
  /** @type {Record<string, ChildResult>} */
  const results = {};
  for (const impl of impls) {
    log(`case 4: next fire time from ${n} instants, ${impl}`);
    results[impl] = await child('cases/nextfire.mjs', { impl, n, out: path.join(tmp, `nextfire-${impl}.bin`), budgetMs: quick ? 600 : 5000 }, { capS: 120 });
  }
  /** @type {Record<string, { file: string, answered: Record<string, number> }>} */
  const answered = {};
  for (const impl of impls) {
    const r = /** @type {ChildResult} */ (results[impl]);
    if (r.ok) answered[impl] = { file: path.join(tmp, `nextfire-${impl}.bin`), answered: r.value.answered };
  }
  for (const { expr, tz } of EXPRESSIONS) {
    const key = `${expr} ${tz}`;
    /** @param {string} impl */
    const us = (impl) => valueOf(/** @type {ChildResult} */ (results[impl]), (v) => v.usPerCall[key] ?? `error: ${v.errors[key]}`);
    const partial = impls.filter((i) => results[i]?.ok && results[i].value.answered[key] < n).map((i) => `${i} ${results[i]?.ok ? results[i].value.answered[key] : 0}`);
    addRow({
      case: `next-fire ${key}`, metric: 'µs/call', lowerIsBetter: true, kairos: us('kairos'),
      peers: Object.fromEntries(impls.slice(1).map((p) => [p, us(p)])),
      target: 'no slower than croner',
      ...(partial.length > 0 ? { note: `timed on fewer instants (time budget): ${partial.join(', ')}` } : {}),
    }, (kv) => {
      const c = /** @type {ChildResult} */ (results.croner);
      return c.ok && typeof c.value.usPerCall[key] === 'number' && kv <= c.value.usPerCall[key];
    });
  }
  log('case 4: comparing answers with each other and with the reference');
  const checks = checkNextFire(answered, n);
  /** @type {Record<string, number>} */
  const wrongTotal = Object.fromEntries(impls.map((i) => [i, 0]));
  for (const c of checks) {
    for (const [impl, w] of Object.entries(c.wrong)) wrongTotal[impl] = (wrongTotal[impl] ?? 0) + w;
    if (c.disagreeing > 0 || Object.values(c.wrong).some((w) => w > 0)) {
      notes.push(`next fire time "${c.key}": implementations disagree on ${c.disagreeing} of ${n} instants; wrong against the reference among ${c.checked} checked: ${Object.entries(c.wrong).map(([i, w]) => `${i} ${w}`).join(', ')}`);
      for (const e of c.examples) notes.push(`  ${e}`);
    }
  }
  addRow({
    case: 'next-fire correctness', metric: 'wrong answers (checked instants)', lowerIsBetter: true,
    kairos: answered.kairos ? (wrongTotal.kairos ?? 0) : 'failed',
    peers: Object.fromEntries(impls.slice(1).map((p) => [p, answered[p] ? (wrongTotal[p] ?? 0) : 'failed'])),
    target: 'correct on every expression (0 wrong)',
    note: `checked against an independent reference (bench/lib/cron-oracle.mjs) on ${checks.reduce((a, c) => a + c.checked, 0)} instants: every disagreement plus an even sample`,
  }, (kv) => kv === 0);
}

// ------------------------------------------------------------------------------ case 5
/**
 * @param {'sqlite' | 'postgres'} store
 * @param {(name: string) => Promise<{ path?: string, connectionString?: string }>} target a fresh database per part
 */
async function storeAddDispatch(store, target) {
  const n = 100_000 / scale;
  const dispatchN = 10_000 / scale;
  const label = store === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const cap = 600;
  // Median of three runs, each on a fresh database, where the three fit in the time (SQLite).
  const times = store === 'sqlite' ? 3 : 1;
  const runsNote = (/** @type {{ runs: Array<number | string> }} */ r, /** @type {string} */ unit) => (times > 1 ? `; median of ${times} runs (${r.runs.join(', ')} ${unit})` : '');
  log(`case 5: ${label}, add ${n} jobs${times > 1 ? ` (${times} runs)` : ''}`);
  const add = await medianChild({ store, part: 'add', n }, (i) => target(`add-${i}`), (v) => v.perSecond, { capS: cap }, times);
  const addCase = `${store}-add-${n / 1000}k`;
  const before = previous(addCase);
  const beforeRate = before === null ? null : Number(/(\d+) addJob\/s/.exec(before.note)?.[1] ?? NaN);
  addRow({
    case: addCase, metric: 'ms', lowerIsBetter: true, kairos: valueOf(add, (v) => v.unavailable ?? v.ms), peers: {},
    target: beforeRate ? `single addJob no slower than the previous committed run (${beforeRate} addJob/s)` : '(reported)',
    note: add.ok && add.value.perSecond ? `${Math.round(add.value.perSecond)} addJob/s${beforeRate ? ` (${round(add.value.perSecond / beforeRate)}x the previous committed run)` : ''}${runsNote(add, 'addJob/s')}` : undefined,
  }, beforeRate ? () => add.ok && add.value.perSecond >= beforeRate : undefined);
  log(`case 5: ${label}, addJobs ${n} jobs in one call${times > 1 ? ` (${times} runs)` : ''}`);
  const many = await medianChild({ store, part: 'addjobs', n }, (i) => target(`addjobs-${i}`), (v) => v.perSecond, { capS: cap }, times);
  addRow({
    case: `${store}-addjobs-${n / 1000}k`, metric: 'jobs/s', lowerIsBetter: false, kairos: valueOf(many, (v) => v.unavailable ?? v.perSecond), peers: {},
    target: '>= 50,000 jobs/s', note: many.ok && many.value.ms ? `${n} jobs in one addJobs call: ${round(many.value.ms)} ms${runsNote(many, 'jobs/s')}` : undefined,
  }, (kv) => kv >= 50_000);
  log(`case 5: ${label}, dispatch ${dispatchN} due jobs${times > 1 ? ` (${times} runs)` : ''}`);
  const dispatch = await medianChild({ store, part: 'dispatch', n: dispatchN }, (i) => target(`dispatch-${i}`), (v) => v.perSecond, { capS: cap }, times);
  /** @type {Record<string, number | string>} */
  const dispatchPeers = {};
  if (store === 'postgres') {
    log(`case 5: ${label}, pg-boss working off ${dispatchN} jobs`);
    const boss = await child('cases/store.mjs', { store, part: 'pgboss-dispatch', n: dispatchN, ...(await target('pgboss')) }, { capS: cap });
    dispatchPeers['pg-boss'] = valueOf(boss, (v) => v.perSecond);
    if (boss.ok) notes.push(`pg-boss dispatch: ${boss.value.config}`);
  }
  addRow({
    case: `${store}-dispatch-${dispatchN / 1000}k`, metric: 'runs/s', lowerIsBetter: false, kairos: valueOf(dispatch, (v) => v.unavailable ?? v.perSecond), peers: dispatchPeers,
    target: store === 'sqlite' ? '>= 5,000 runs/s' : '>= pg-boss', note: times > 1 && dispatch.ok ? runsNote(dispatch, 'runs/s').slice(2) : undefined,
  }, store === 'sqlite' ? (kv) => kv >= 5000 : (_kv, _best, ratio) => ratio !== null && ratio >= 1);
}

/**
 * @param {'sqlite' | 'postgres'} store
 * @param {(name: string) => Promise<{ path?: string, connectionString?: string }>} target a fresh database per part
 */
async function storeWakeup(store, target) {
  const label = store === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const cap = 600;
  /** @type {Record<number, ChildResult>} */
  const wake = {};
  for (const jobs of [1000, 1_000_000 / scale]) {
    log(`case 5: ${label}, one wakeup among ${jobs} stored jobs`);
    wake[jobs] = await child('cases/store.mjs', { store, part: 'wakeup', n: jobs, k: quick ? 50 : 200, ...(await target(`wakeup${jobs}`)) }, { capS: cap });
  }
  const small = /** @type {ChildResult} */ (wake[1000]);
  const large = /** @type {ChildResult} */ (wake[1_000_000 / scale]);
  const bigLabel = quick ? '100k' : '1m';
  addRow({ case: `${store}-wakeup-1k`, metric: 'ms/wakeup (median)', lowerIsBetter: true, kairos: valueOf(small, (v) => v.unavailable ?? v.wakeupMs), peers: {}, target: '(reported)' }, undefined);
  addRow({ case: `${store}-wakeup-${bigLabel}`, metric: 'ms/wakeup (median)', lowerIsBetter: true, kairos: valueOf(large, (v) => v.unavailable ?? v.wakeupMs), peers: {}, target: '(reported)', note: large.ok && large.value.populateMs ? `${large.value.n} jobs stored in ${round(large.value.populateMs / 1000)} s` : undefined }, undefined);
  const flat = small.ok && large.ok && typeof small.value.wakeupMs === 'number' && typeof large.value.wakeupMs === 'number' ? large.value.wakeupMs / small.value.wakeupMs : null;
  addRow({ case: `${store}-wakeup-${bigLabel}-vs-1k`, metric: 'cost ratio', lowerIsBetter: true, kairos: flat ?? 'n/a', peers: {}, target: '<= 1.5 (flat: index, no scan)' }, (kv) => kv <= 1.5);
}

async function caseSqlite() {
  const dir = path.join(tmp, 'sqlite');
  mkdirSync(dir, { recursive: true });
  const target = async (/** @type {string} */ name) => ({ path: path.join(dir, `${name}.db`) });
  await storeAddDispatch('sqlite', target);
  await storeWakeup('sqlite', target);
}

async function casePostgres() {
  // bench/postgres.mjs (written alongside, by the PostgreSQL store's author) measures add and
  // dispatch against pg-boss when present; the wakeup parts below are this file's own.
  const external = existsSync(path.join(here, 'postgres.mjs'));
  if (external) await postgresScript();
  log('case 5: starting embedded PostgreSQL');
  let server;
  try {
    server = await startPostgres({ prefix: 'kairos-bench-pg-' });
  } catch (err) {
    addRow({ case: 'postgres', metric: '-', lowerIsBetter: true, kairos: `could not start embedded-postgres: ${String(err).slice(0, 120)}`, peers: {}, target: '-' }, undefined);
    return;
  }
  try {
    const target = async (/** @type {string} */ name) => ({ connectionString: await /** @type {NonNullable<typeof server>} */ (server).createDatabase(`bench_${name}`) });
    if (!external) await storeAddDispatch('postgres', target);
    await storeWakeup('postgres', target);
  } finally {
    await server.destroy();
  }
}

/** Runs bench/postgres.mjs as a child case and turns its `results` into rows. */
async function postgresScript() {
  log('case 5: PostgreSQL add and dispatch, bench/postgres.mjs');
  const r = await child('postgres.mjs', null, { capS: 1200, args: quick ? ['--quick'] : [] });
  const results = r.ok ? r.value.results : null;
  if (!r.ok || results === null || typeof results !== 'object') {
    addRow({ case: 'postgres (bench/postgres.mjs)', metric: '-', lowerIsBetter: true, kairos: r.ok ? 'no results in its output' : r.failure, peers: {}, target: '-' }, undefined);
    return;
  }
  /** @param {any} x @param {(v: any) => number} pick */
  const value = (x, pick) => (x === undefined ? 'not measured' : x.unavailable ?? pick(x));
  const boss = results['pg-boss, same no-op work'];
  const bossRate = value(boss, (v) => v.perSecond);
  if (boss?.config) notes.push(`pg-boss dispatch: ${boss.config}`);
  const add1 = results['add, 1 at a time'];
  const add10 = results['add, 10 at a time'];
  const addCase = `postgres-add-${(add1?.n ?? 0) / 1000}k`;
  const before = previous(addCase);
  const beforeRate = before === null ? null : Number(/(\d+) addJob\/s one at a time/.exec(before.note)?.[1] ?? NaN);
  addRow({
    case: addCase, metric: 'ms', lowerIsBetter: true, kairos: value(add1, (v) => v.ms), peers: {},
    target: beforeRate ? `single addJob no slower than the previous committed run (${beforeRate} addJob/s)` : '(reported)',
    note: `${value(add1, (v) => v.perSecond)} addJob/s one at a time, ${value(add10, (v) => v.perSecond)}/s ten at a time${beforeRate && add1?.perSecond ? ` (${round(add1.perSecond / beforeRate)}x the previous committed run)` : ''}`,
  }, beforeRate ? () => typeof add1?.perSecond === 'number' && add1.perSecond >= beforeRate : undefined);
  const many = results['addJobs, one call'];
  addRow({
    case: `postgres-addjobs-${(many?.n ?? 0) / 1000}k`, metric: 'jobs/s', lowerIsBetter: false, kairos: value(many, (v) => v.perSecond), peers: {},
    target: '>= 20,000 jobs/s', note: many?.ms ? `${many.n} jobs in one addJobs call: ${many.ms} ms` : undefined,
  }, (kv) => kv >= 20_000);
  for (const procs of [1, 3]) {
    const d = results[`dispatch, ${procs} process${procs === 1 ? '' : 'es'}`];
    const g = results[`graphile-worker, ${procs} process${procs === 1 ? '' : 'es'}`];
    addRow({
      case: `postgres-dispatch-${(d?.n ?? 0) / 1000}k-${procs}-proc`, metric: 'runs/s', lowerIsBetter: false, kairos: value(d, (v) => v.perSecond),
      peers: { 'graphile-worker': value(g, (v) => v.perSecond), ...(procs === 1 ? { 'pg-boss': bossRate } : {}) },
      target: '>= graphile-worker (same processes, same server)',
      note: `runs per process: kairos ${d?.perProcess?.join('/') ?? '-'}, graphile-worker ${g?.perProcess?.join('/') ?? '-'}`,
    }, () => typeof d?.perSecond === 'number' && typeof g?.perSecond === 'number' && d.perSecond >= g.perSecond);
  }
}

/**
 * Runs a benchmark file written by another part of the project (bench/workers.mjs,
 * bench/postgres.mjs) as a child case. Its `BENCH_RESULT` line is either `{ cases: [...] }` in
 * this report's row shape, or one object of its own, shown as a reported row.
 * @param {string} name
 * @param {string} file
 * @param {string[]} args
 */
async function externalChild(name, file, args) {
  if (!existsSync(path.join(here, file))) {
    // SLOT: bench/<file> is being written separately; it joins the run as soon as it exists.
    addRow({ case: name, metric: '-', lowerIsBetter: true, kairos: `bench/${file} not present yet`, peers: {}, target: '-' }, undefined);
    return;
  }
  log(`${name}: bench/${file}`);
  const r = await child(file, null, { capS: 600, args });
  if (!r.ok) {
    addRow({ case: name, metric: '-', lowerIsBetter: true, kairos: r.failure, peers: {}, target: '-' }, undefined);
    return;
  }
  if (Array.isArray(r.value.cases)) {
    for (const c of r.value.cases) rows.push({ met: null, peers: {}, target: '(reported)', ...c });
    return;
  }
  if (name === 'workers' && typeof r.value.speedup === 'number') {
    addRow({
      case: 'workers-speedup', metric: 'x (size 2 vs size 1)', lowerIsBetter: false, kairos: r.value.speedup, peers: {}, target: '(reported; 2 shared cores)',
      note: `${r.value.runs} CPU-bound runs: size 1 ${r.value.size1Ms} ms, size 2 ${r.value.size2Ms} ms, load average ${r.value.loadAverage}`,
    }, undefined);
    return;
  }
  addRow({ case: name, metric: '-', lowerIsBetter: true, kairos: JSON.stringify(r.value).slice(0, 200), peers: {}, target: '(reported)' }, undefined);
}

// ------------------------------------------------------------------------------ main
/** The commit measured, and whether src/ had uncommitted changes (the tree is shared while it is built). */
function gitState() {
  try {
    const git = (/** @type {string[]} */ ...a) => execFileSync('git', a, { cwd: path.join(here, '..'), encoding: 'utf8' }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), uncommittedSrcFiles: git('status', '--porcelain', '--', 'src').split('\n').filter((l) => l !== '').length };
  } catch {
    return { commit: null, uncommittedSrcFiles: null };
  }
}
const source = gitState();
const started = new Date();
const loadBefore = os.loadavg();
log(`kairos bench (${quick ? 'quick: N/10' : 'full'}), node ${process.version}, ${os.cpus().length} cpus, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
try {
  if (want('add')) await caseAdd();
  if (want('idle')) await caseIdle();
  if (want('accuracy')) await caseAccuracy();
  if (want('nextfire')) await caseNextFire();
  if (want('sqlite')) await caseSqlite();
  if (want('postgres')) await casePostgres();
  if (want('workers')) await externalChild('workers', 'workers.mjs', quick ? ['4', '200000', '1'] : []);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const loadAfter = os.loadavg();

/**
 * @param {number | string | null | undefined} v
 * @param {string} metric
 */
function fmt(v, metric) {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (metric === 'ms' || metric.startsWith('ms')) return v >= 10_000 ? `${round(v / 1000)} s` : `${round(v)} ms`;
  if (metric === 'bytes/job') return v >= 1024 ? `${round(v / 1024)} KB` : `${Math.round(v)} B`;
  if (metric === 'runs/s' || metric === 'jobs/s') return `${Math.round(v)}/s`;
  return String(round(v));
}

const columns = ['case', 'metric', 'kairos', ...PEERS, 'cron-parser', 'graphile-worker', 'pg-boss', 'ratio', 'target', 'met'];
const table = rows.map((r) => [
  r.case, r.metric, fmt(r.kairos, r.metric), ...columns.slice(3, -3).map((p) => (p in r.peers ? fmt(r.peers[p], r.metric) : '')),
  r.ratio === null || r.ratio === undefined ? '' : `${r.ratio}x`, r.target, r.met === null ? '' : r.met ? 'met' : 'MISSED',
]);
// Long failure texts go under the table, not into its cells.
const cellNotes = /** @type {string[]} */ ([]);
for (const row of table) {
  for (let c = 2; c < row.length - 3; c++) {
    const cell = /** @type {string} */ (row[c]);
    if (cell.length > 16) {
      cellNotes.push(`${row[0]} / ${columns[c]}: ${cell}`);
      row[c] = `${cell.split(/[;(]/)[0]?.trim().slice(0, 13)} [${cellNotes.length}]`;
    }
  }
}
const widths = columns.map((c, i) => Math.max(c.length, ...table.map((r) => String(r[i]).length)));
const line = (/** @type {string[]} */ cells) => cells.map((c, i) => String(c).padEnd(/** @type {number} */ (widths[i]))).join('  ').trimEnd();
const text = [
  `kairos bench: ${quick ? 'quick run (N/10)' : 'full run'}, ${started.toISOString()}, node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${round(os.totalmem() / 2 ** 30)} GB`,
  `kairos at commit ${source.commit}${source.uncommittedSrcFiles ? ` plus uncommitted changes in ${source.uncommittedSrcFiles} src/ file(s)` : ''}`,
  `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}${loadBefore[0] !== undefined && loadBefore[0] > 0.5 ? ' (the machine was shared with other work: timings are noisy; ratios come from the same run)' : ''}`,
  'ratio = how many times better kairos is than the best peer of the row',
  '',
  line(columns),
  line(widths.map((w) => '-'.repeat(w))),
  ...table.map(line),
  ...(cellNotes.length > 0 ? ['', ...cellNotes.map((c, i) => `[${i + 1}] ${c}`)] : []),
  ...rows.filter((r) => r.note).map((r) => `${r.case}: ${r.note}`),
  ...(notes.length > 0 ? ['', ...notes] : []),
].join('\n');
process.stdout.write(`${text}\n`);

const results = path.join(here, 'results');
mkdirSync(results, { recursive: true });
// A partial run (--only) prints its table but leaves the committed results alone.
if (only !== undefined) process.exit(0);
writeFileSync(path.join(results, 'latest.txt'), `${text}\n`);
writeFileSync(path.join(results, 'latest.json'), `${JSON.stringify({
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? null,
  date: started.toISOString(),
  mode: quick ? 'quick' : 'full',
  kairosCommit: source.commit,
  uncommittedSrcFiles: source.uncommittedSrcFiles,
  loadAverage: { before: loadBefore.map((l) => round(l)), after: loadAfter.map((l) => round(l)) },
  sharedMachine: (loadBefore[0] ?? 0) > 0.5,
  cases: rows,
  notes,
}, null, 2)}\n`);
