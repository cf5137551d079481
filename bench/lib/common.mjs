// @ts-check
/**
 * Helpers shared by the benchmark cases: the child-process protocol, a seeded PRNG, heap and
 * timer-handle readings, and percentiles. Every case runs in its own `node --expose-gc` child
 * started by bench/run.mjs; it reads its parameters from argv[2] (JSON) and prints its result as
 * one line `BENCH_RESULT {json}` on stdout.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';

export const RESULT_PREFIX = 'BENCH_RESULT ';

/**
 * The parameters the parent passed (argv[2], JSON).
 * @returns {Record<string, any>}
 */
export function params() {
  const raw = process.argv[2];
  return raw === undefined ? {} : JSON.parse(raw);
}

/**
 * Prints the result line and exits (peers may leave timers behind; the parent only needs the line).
 * @param {unknown} result
 */
export function emit(result) {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => process.exit(0));
}

/**
 * mulberry32: the same seed gives the same sequence in every child, so every implementation gets
 * the same expressions and instants.
 * @param {number} seed
 * @returns {() => number} uniform in [0, 1)
 */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Two full collections (the rule for heap readings), then the heap in use. */
export async function settledHeap() {
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  if (gc === undefined) throw new Error('run with node --expose-gc (bench/run.mjs does)');
  gc();
  await sleep(10);
  gc();
  return process.memoryUsage().heapUsed;
}

/** Active `setTimeout`/`setInterval` handles of this process. */
export function activeTimers() {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** The heap limit of this process (the default heap unless --max-old-space-size was given). */
export function heapLimit() {
  return v8.getHeapStatistics().heap_size_limit;
}

/** Epoch ms with sub-millisecond resolution. */
export function preciseNow() {
  return performance.timeOrigin + performance.now();
}

/**
 * The q-quantile (0..1) of sorted numbers, nearest rank.
 * @param {number[]} sorted
 * @param {number} q
 */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return /** @type {number} */ (sorted[i]);
}

/**
 * Rounds for the report: 3 significant digits, integers as they are.
 * @param {number} x
 */
export function round(x) {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x;
  return Number(x.toPrecision(3));
}

/**
 * `S M H * * *` for an instant, in the zone of this process (the children run with TZ=UTC).
 * @param {number} ms
 */
export function cronAt(ms) {
  const d = new Date(ms);
  return `${d.getSeconds()} ${d.getMinutes()} ${d.getHours()} * * *`;
}
