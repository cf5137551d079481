// @ts-check
/**
 * Case 1: add N jobs with cron expressions `S M H * * *` to a started scheduler. Measures the
 * wall time of the add loop, heap bytes per job after two gc() calls, and active timer handles.
 * The expressions are a seeded permutation of the 86,400 seconds of a day (distinct up to 86,400
 * jobs, then repeating), built inside the loop so that a library that keeps the text pays for it.
 * Params: { impl, n, seed }.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { activeTimers, emit, heapLimit, params, prng, settledHeap } from '../lib/common.mjs';
import { load } from '../lib/impls.mjs';

const { impl: name, n, seed = 1 } = params();
const random = prng(seed);
const day = new Int32Array(86_400).map((_, i) => i);
for (let i = day.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  const t = /** @type {number} */ (day[i]);
  day[i] = /** @type {number} */ (day[j]);
  day[j] = t;
}
const noop = () => {};

const impl = await load(name);
const before = await settledHeap();
const timersBefore = activeTimers();
const step = Math.max(1, Math.floor(n / 10));
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const s = /** @type {number} */ (day[i % 86_400]);
  const r = impl.addCron(`${s % 60} ${Math.floor(s / 60) % 60} ${Math.floor(s / 3600)} * * *`, noop);
  if (r instanceof Promise) await r;
  if ((i + 1) % step === 0) process.stdout.write(`BENCH_PROGRESS ${JSON.stringify({ done: i + 1, ms: Math.round(performance.now() - t0) })}\n`);
}
const ms = performance.now() - t0;
const after = await settledHeap();
emit({
  ms,
  bytesPerJob: (after - before) / n,
  heapUsed: after,
  heapLimit: heapLimit(),
  timers: activeTimers(),
  timersBefore,
});
