// @ts-check
/**
 * Case 3: firing accuracy. N jobs due at the same whole second (a cron `S M H * * *` or a one-off
 * date), real clock; each task records when it started. Reports the delay from the scheduled
 * instant to each start: p50, p99, max (max only once every job started; a job that never
 * started within 10 s leaves max undefined) and min (negative = fired early).
 *
 * Also how long the main thread was blocked around the due instant: from 300 ms before it (so
 * the scheduler's planning ahead is inside) until every job started plus 100 ms,
 * `monitorEventLoopDelay` (1 ms resolution) gives the largest delay of its 1 ms probe, and a
 * setImmediate chain gives the longest gap between two turns of the loop (`blockMs`, the
 * sharper figure: a turn that ran for x ms delays the next one by x).
 * Params: { impl, kind: 'cron' | 'date', n, leadMs }.
 * @module
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { cronAt, emit, params, preciseNow, quantile } from '../lib/common.mjs';
import { load } from '../lib/impls.mjs';

const { impl: name, kind, n, leadMs = 3000 } = params();
const impl = await load(name);
const stamps = new Float64Array(n);
let started = 0;
/** @type {() => void} */
let allStarted = () => {};
const done = new Promise((resolve) => {
  allStarted = () => resolve(undefined);
});
const task = () => {
  stamps[started++] = preciseNow();
  if (started === n) allStarted();
};
const at = Math.ceil((Date.now() + leadMs) / 1000) * 1000;
for (let i = 0; i < n; i++) {
  const r = kind === 'cron' ? impl.addCron(cronAt(at), task) : impl.addDate(new Date(at), task);
  if (r instanceof Promise) await r;
}
const addedBy = Date.now();
if (addedBy >= at - 400) throw new Error(`adding ${n} jobs took too long (${addedBy - (at - leadMs)} ms) for a ${leadMs} ms lead`);

// Watching the loop from 300 ms before the instant.
await new Promise((resolve) => setTimeout(resolve, at - 300 - Date.now()));
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
let watching = true;
let lastTurn = performance.now();
let longestGap = 0;
const turn = () => {
  const t = performance.now();
  if (t - lastTurn > longestGap) longestGap = t - lastTurn;
  lastTurn = t;
  if (watching) setImmediate(turn);
};
setImmediate(turn);

/** @type {ReturnType<typeof setTimeout> | undefined} */
let deadline;
await Promise.race([done, new Promise((resolve) => (deadline = setTimeout(resolve, at - Date.now() + 10_000)))]);
clearTimeout(deadline);
await new Promise((resolve) => setTimeout(resolve, 100));
watching = false;
histogram.disable();
const delays = Array.from(stamps.subarray(0, started), (t) => t - at).sort((a, b) => a - b);
emit({
  started,
  n,
  p50: quantile(delays, 0.5),
  p99: quantile(delays, 0.99),
  max: started === n ? delays[delays.length - 1] : null,
  min: delays[0] ?? null,
  // The probe's own 1 ms interval is not a delay.
  loopDelayMaxMs: Math.max(0, histogram.max / 1e6 - 1),
  blockMs: longestGap,
});
