// Speed-up of CPU-bound runs from parallel worker threads: the same batch of runs on
// WorkerThreadsExecutor({ size: 1 }) and ({ size: 2 }); prints the wall times and their ratio.
// Standalone (after npm run build): node bench/workers.mjs [runs=8] [limit=400000] [rounds=3]
// Rounds alternate the sizes (1, 2, 1, 2, …) so that load from other processes hits both alike;
// each size reports its median round.
// Last line: BENCH_RESULT {json} (the protocol of bench/run.mjs's cases).
//
// This file is also the task module: worker threads import it for `countPrimes`, and only the
// main thread runs the benchmark below.
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

/** Fixed work (not a fixed time), so that more threads can finish it sooner. */
export function countPrimes(limit) {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

async function timeBatch(WorkerThreadsExecutor, size, runs, limit) {
  const executor = new WorkerThreadsExecutor({ size });
  await executor.start();
  const request = (i) => ({
    taskId: 'countPrimes',
    task: { module: new URL(import.meta.url), export: 'countPrimes' },
    args: [limit],
    context: { jobId: `bench-${i}`, scheduledRunTime: new Date(), runId: `bench-${i}@0`, attempt: 1, signal: new AbortController().signal },
  });
  try {
    // warm-up: every thread imports the module and JIT-compiles the loop once
    await Promise.all(Array.from({ length: size * 2 }, (_, i) => executor.submit({ ...request(i), args: [100_000] })));
    const started = performance.now();
    const counts = await Promise.all(Array.from({ length: runs }, (_, i) => executor.submit(request(i))));
    const ms = performance.now() - started;
    if (new Set(counts).size !== 1) throw new Error(`runs disagree: ${counts.join(', ')}`);
    return ms;
  } finally {
    await executor.shutdown({ wait: true });
  }
}

if (isMainThread) {
  const { WorkerThreadsExecutor } = await import('kairos');
  const runs = Number(process.argv[2] ?? 8);
  const limit = Number(process.argv[3] ?? 400_000);
  const rounds = Number(process.argv[4] ?? 3);
  const times = { 1: [], 2: [] };
  for (let r = 0; r < rounds; r++) {
    for (const size of [1, 2]) times[size].push(await timeBatch(WorkerThreadsExecutor, size, runs, limit));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const one = median(times[1]);
  const two = median(times[2]);
  const speedup = one / two;
  const load = loadavg()[0];
  // other processes on the machine shrink the speed-up: the 1-minute load average tells how busy it was
  console.log(`${runs} CPU-bound runs (primes below ${limit}), ${availableParallelism()} cores, load average ${load.toFixed(2)}`);
  console.log(`size 1: ${one.toFixed(0)} ms (median of ${rounds})`);
  console.log(`size 2: ${two.toFixed(0)} ms (median of ${rounds})`);
  console.log(`speed-up size 2 vs size 1: ${speedup.toFixed(2)}x`);
  process.stdout.write(
    `BENCH_RESULT ${JSON.stringify({ case: 'workers', runs, limit, rounds, cores: availableParallelism(), loadAverage: Number(load.toFixed(2)), size1Ms: Math.round(one), size2Ms: Math.round(two), speedup: Number(speedup.toFixed(3)) })}\n`,
  );
}
