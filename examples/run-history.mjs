// Run history: did my job run, when, and why not? Every run's outcome is kept beside its job in
// its store (here a SQLite file), read newest first with getRuns and paged by cursor, from the
// scheduler or from a JobClient without the loop (an admin process, or `kairos runs <jobId>`).
// A FakeClock runs two hours of schedule in a moment, so the output is the same on every run.
// Run: npm run build && node examples/run-history.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeClock, JobClient, Scheduler } from 'kairos';
import { SQLiteJobStore } from 'kairos/sqlite';

const dir = mkdtempSync(path.join(tmpdir(), 'kairos-run-history-'));
const file = path.join(dir, 'jobs.sqlite');
// Retention: the 50 newest entries of each job, none older than 30 days (the defaults are 100 and 7 days).
const store = () => new SQLiteJobStore({ path: file, keepRuns: 50, keepRunsFor: { days: 30 } });

const clock = new FakeClock('2026-01-01T00:00:00Z');
const scheduler = new Scheduler({ clock, timezone: 'UTC', jobStores: { default: store() } });
let exports = 0;
scheduler.registerTask('export', () => {
  exports++;
  if (exports === 6) throw new Error('S3 unavailable');
  return { rows: exports * 100 };
});
await scheduler.addJob('export', 'cron', { minute: '*/15' }, { id: 'export', retry: { attempts: 2, delay: { minutes: 1 } } });
await scheduler.start();
await clock.advance({ hours: 2 });

const show = (r) =>
  `${r.finishedAt.toISOString()}  ${r.jobId}  ${r.outcome.padEnd(9)}  attempt ${r.attempt}  ${r.error ? `${r.error.name}: ${r.error.message}` : JSON.stringify(r.result)}`;

// Newest first, three at a time: each entry carries the cursor of the page after it.
const page1 = await scheduler.getRuns({ jobId: 'export', limit: 3 });
const page2 = await scheduler.getRuns({ jobId: 'export', limit: 3, cursor: page1.at(-1).cursor });
console.log('latest runs:');
for (const r of [...page1, ...page2]) console.log(`  ${show(r)}`);
await scheduler.shutdown();

// Later, without the loop: what failed?
const client = new JobClient({ jobStores: { default: store() } });
await client.open();
console.log('failures:');
for (const r of await client.getRuns({ outcome: 'failed' })) console.log(`  ${show(r)}`);
await client.close();
rmSync(dir, { recursive: true, force: true });
