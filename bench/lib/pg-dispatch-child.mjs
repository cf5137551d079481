// @ts-check
/**
 * One process of the PostgreSQL dispatch case (bench/postgres.mjs): kairos (a Scheduler on a
 * PostgresJobStore) or graphile-worker (`run()` with a no-op task), working off jobs already in
 * the database. Protocol over IPC: the child prepares (kairos: started paused; graphile-worker:
 * migrations done), sends `ready`; on `go` it starts working and reports `{ done: n }` (its own
 * count so far) every 20 ms and once more at `stop`; then it shuts down and exits.
 * argv[2]: JSON { kind: 'kairos' | 'graphile-worker', url, schema, concurrency, localQueue }.
 * @module
 */
import process from 'node:process';

const { kind, url, schema, concurrency = 10, localQueue = 500 } = JSON.parse(process.argv[2] ?? '{}');
const send = (/** @type {unknown} */ m) => process.send?.(m);
let done = 0;
/** @type {() => Promise<void>} */
let stop = async () => {};
/** @type {() => Promise<void>} */
let go = async () => {};

if (kind === 'kairos') {
  const { Scheduler, PostgresJobStore, AsyncExecutor } = await import('kairos');
  const quiet = { debug() {}, info() {}, warn() {}, error: (/** @type {unknown[]} */ ...a) => console.error(...a) };
  const s = new Scheduler({
    timezone: 'UTC', logger: quiet, executors: { default: new AsyncExecutor({ concurrency }) },
    jobStores: { default: new PostgresJobStore({ connectionString: url }, { schema }) },
  });
  s.registerTask('noop', () => {});
  s.on('jobExecuted', () => void done++);
  await s.start({ paused: true });
  go = () => s.resume();
  stop = () => s.shutdown();
} else {
  const { run, runMigrations } = await import('graphile-worker');
  const options = {
    connectionString: url, schema, concurrency, noHandleSignals: true, pollInterval: 500,
    // Batching as its performance docs describe: jobs locked and fetched in batches, completions batched.
    preset: { worker: { localQueue: { size: localQueue }, completeJobBatchDelay: 0 } },
  };
  await runMigrations(options);
  /** @type {import('graphile-worker').Runner | undefined} */
  let runner;
  go = async () => {
    runner = await run({ ...options, taskList: { noop: async () => void done++ } });
  };
  stop = async () => runner?.stop();
}

const timer = setInterval(() => send({ done }), 20);
process.on('message', async (/** @type {any} */ m) => {
  if (m === 'go') await go();
  if (m === 'stop') {
    clearInterval(timer);
    await stop();
    send({ done, stopped: true });
    process.exit(0);
  }
});
send('ready');
