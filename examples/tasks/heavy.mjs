// A CPU-heavy task module for WorkerThreadsExecutor (examples/worker-threads.mjs). Each worker
// thread imports it once. Plain data in, plain data out: args and results are structured-cloned.
import { threadId } from 'node:worker_threads';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/**
 * Counts the primes below `limit` by trial division, in chunks. Between chunks it yields to the
 * thread's event loop, which is when an abort (a job timeout, shutdown({ wait: false })) can reach
 * `ctx.signal`; a task that never yields is terminated after the executor's abortGrace instead.
 */
export async function countPrimes(limit, ctx) {
  const started = Date.now();
  let count = 0;
  for (let n = 2; n < limit; n++) {
    if (n % 50_000 === 0) {
      await yieldToEventLoop();
      ctx.signal.throwIfAborted();
    }
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return { limit, count, threadId, ms: Date.now() - started };
}
