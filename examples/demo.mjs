// kairos demo (`npm run demo`): a real scheduler on an SQLite file in a temp folder.
//  1. cron (every 3 s, with a seconds field), interval (every 1 s) and date (once) jobs fire;
//  2. the scheduler shuts down and stays down for 3 s;
//  3. a new scheduler on the same file finds the jobs again, and the interval runs it missed
//     while down are coalesced into one catch-up run (the defaults: coalesce, no grace limit).
// It removes its temp folder and exits by itself in about 16 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Scheduler } from 'kairos';
import { SQLiteJobStore } from 'kairos/sqlite';

const dir = mkdtempSync(path.join(tmpdir(), 'kairos-demo-'));
const file = path.join(dir, 'jobs.sqlite');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hms = (d) => d.toISOString().slice(11, 23);
const say = (text) => console.log(`${hms(new Date())}  ${text}`);
setTimeout(() => {
  console.error('demo: still running after 30 s; giving up');
  process.exit(1);
}, 30_000).unref();

/** Scheduler 2: when it resumed, and the next run times it found stored in the file. */
let resumedAt = Infinity;
const storedNext = new Map();
/** Marks scheduler 2's first runs, which stand for the fire times missed while no scheduler ran. */
function catchUp(ctx) {
  const from = storedNext.get(ctx.jobId);
  if (from === undefined || ctx.scheduledRunTime.getTime() > resumedAt) return '';
  storedNext.delete(ctx.jobId);
  if (from.getTime() === ctx.scheduledRunTime.getTime()) return '  <- catch-up: it fell due while no scheduler ran, so it runs late';
  return `  <- catch-up: the fire times ${hms(from)} to ${hms(ctx.scheduledRunTime)} fell while down; coalesced into this one run`;
}

/** A scheduler on the shared file, with the demo's tasks registered by id (the file stores ids, never code). */
function makeScheduler() {
  const scheduler = new Scheduler({ timezone: 'UTC', jobStores: { default: new SQLiteJobStore({ path: file }) } });
  scheduler.registerTask('cron-report', (ctx) => say(`[cron]     report          scheduled ${hms(ctx.scheduledRunTime)}${catchUp(ctx)}`));
  scheduler.registerTask('heartbeat', (ctx) => say(`[interval] heartbeat       scheduled ${hms(ctx.scheduledRunTime)}${catchUp(ctx)}`));
  scheduler.registerTask('one-off', (message, ctx) => say(`[date]     one-off         scheduled ${hms(ctx.scheduledRunTime)}: ${message}`));
  scheduler.on('jobRemoved', (e) => say(`           job "${e.jobId}" removed: a date job has no further fire time`));
  scheduler.on('jobError', (e) => say(`           job "${e.jobId}" failed: ${e.error?.message ?? e.error}`));
  return scheduler;
}

console.log(`kairos demo: jobs live in ${file}\n`);
const first = makeScheduler();
await first.start();
const nextSecond = Math.ceil(Date.now() / 1000) * 1000;
await first.addJob('cron-report', 'cron', '*/3 * * * * *', { id: 'report' }); // seconds field first: every 3 s
await first.addJob('heartbeat', 'interval', { seconds: 1, startDate: new Date(nextSecond + 1000) }, { id: 'heartbeat' });
await first.addJob('one-off', 'date', { runDate: new Date(nextSecond + 2500) }, { id: 'once', args: ['hello from a date job'] });
say('scheduler 1 started with jobs: report (cron */3 s), heartbeat (interval 1 s), once (date)');

await sleep(nextSecond + 6500 - Date.now());
await first.shutdown();
say('scheduler 1 shut down; down for 3 s, so heartbeat misses about 3 runs\n');
await sleep(3000);

const second = makeScheduler();
await second.start({ paused: true }); // paused, to list what the file holds before anything runs
const jobs = await second.getJobs();
for (const job of jobs) storedNext.set(job.id, job.nextRunTime);
say(`scheduler 2 opened the same file and found: ${jobs.map((j) => `${j.id} (next run ${hms(j.nextRunTime)}, now past)`).join(', ')}`);
resumedAt = Date.now();
await second.resume();
await sleep(3500);
await second.shutdown();
say('scheduler 2 shut down');
rmSync(dir, { recursive: true, force: true });
