// @ts-check
/**
 * Case 2: idle CPU. N jobs (cron `S M H * * *`) all due 65 to 120 minutes from now; after two
 * gc() calls and a 1 s settle, `process.cpuUsage()` (every thread of the process) over the
 * window, three windows in a row; the median is the result (idle CPU is a fraction of a
 * millisecond per second, so one window is at the mercy of one stray wakeup). `impl: 'empty'`
 * measures an empty Node process the same way (the floor).
 * Params: { impl, n, windowMs, seed, windows? }.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { activeTimers, cronAt, emit, params, prng, settledHeap } from '../lib/common.mjs';
import { load } from '../lib/impls.mjs';

const { impl: name, n, windowMs, seed = 2, windows = 3 } = params();
const random = prng(seed);
if (name !== 'empty') {
  const impl = await load(name);
  const now = Date.now();
  const noop = () => {};
  for (let i = 0; i < n; i++) {
    const r = impl.addCron(cronAt(now + 65 * 60_000 + Math.floor(random() * 55 * 60_000)), noop);
    if (r instanceof Promise) await r;
  }
}
await settledHeap();
await sleep(1000);
const timers = activeTimers();
/** @type {number[]} */
const cpu = [];
for (let w = 0; w < windows; w++) {
  const start = process.cpuUsage();
  await sleep(windowMs);
  const used = process.cpuUsage(start);
  cpu.push((used.user + used.system) / 1000);
}
emit({ cpuMs: [...cpu].sort((a, b) => a - b)[Math.floor(cpu.length / 2)], windows: cpu, windowMs, timers });
