// CPU-heavy jobs on worker threads: four prime counts on a pool of two threads, while the main
// event loop stays free (its heartbeat keeps ticking). Then a job that times out is aborted
// across the thread boundary. Run: npm run build && node examples/worker-threads.mjs  (about 2 s)
import { Scheduler, WorkerThreadsExecutor } from 'kairos';

const scheduler = new Scheduler({
  executors: { workers: new WorkerThreadsExecutor({ size: 2, maxQueue: 100 }) },
});
// A worker thread cannot receive a function: register the task by module and export.
scheduler.registerTask('countPrimes', { module: new URL('./tasks/heavy.mjs', import.meta.url), export: 'countPrimes' });

const done = new Set();
scheduler.on('jobExecuted', (e) => {
  const { count, limit, threadId, ms } = e.result;
  console.log(`${e.jobId}: ${count} primes below ${limit} on worker thread ${threadId} in ${ms} ms`);
  done.add(e.jobId);
});
scheduler.on('jobError', (e) => {
  console.log(`${e.jobId} failed: ${e.error.name}: ${e.error.message}`);
  done.add(e.jobId);
});

await scheduler.start();
let ticks = 0;
const heartbeat = setInterval(() => ticks++, 10);

const runDate = new Date(Date.now() + 100);
for (const id of ['primes-a', 'primes-b', 'primes-c', 'primes-d']) {
  await scheduler.addJob('countPrimes', 'date', { runDate }, { id, executor: 'workers', args: [600_000] });
}
const settled = async (n) => {
  while (done.size < n) await new Promise((resolve) => setTimeout(resolve, 20));
};
await settled(4);
clearInterval(heartbeat);
console.log(`main event loop heartbeat ticked ${ticks} times meanwhile`);

// Far too much work for its 300 ms timeout: its ctx.signal aborts inside the worker thread.
await scheduler.addJob('countPrimes', 'date', { runDate: new Date() }, { id: 'too-slow', executor: 'workers', args: [1e9], timeout: 300 });
await settled(5);
await scheduler.shutdown();
