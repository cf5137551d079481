// @ts-check
/**
 * Case 2: idle CPU. N jobs (cron `S M H * * *`) all due 65 to 120 minutes from now; after two
 * gc() calls and a 1 s settle, `process.cpuUsage()` over the window. `impl: 'empty'` measures an
 * empty Node process the same way (the floor).
 * Params: { impl, n, windowMs, seed }.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { activeTimers, cronAt, emit, params, prng, settledHeap } from '../lib/common.mjs';
import { load } from '../lib/impls.mjs';

const { impl: name, n, windowMs, seed = 2 } = params();
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
const start = process.cpuUsage();
await sleep(windowMs);
const used = process.cpuUsage(start);
emit({ cpuMs: (used.user + used.system) / 1000, windowMs, timers });
