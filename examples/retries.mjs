// Retries with backoff, and ctx.runId as an idempotency key: the side effect is written under a
// unique constraint on runId, so a retry (or a run taken over after a crash) never does it twice.
// Run: npm run build && node examples/retries.mjs
import Database from 'better-sqlite3';
import { FakeClock, Scheduler } from 'kairos';

const db = new Database(':memory:');
db.exec('CREATE TABLE invoices (run_id TEXT PRIMARY KEY, amount INTEGER)');
const insert = db.prepare('INSERT INTO invoices (run_id, amount) VALUES (?, ?) ON CONFLICT (run_id) DO NOTHING');

let flaky = 0;
async function sendInvoices(amount, ctx) {
  insert.run(ctx.runId, amount); // at most once per scheduled run, whatever happens next
  if (++flaky <= 2) throw new Error(`mail server down (try ${ctx.attempt})`);
  return `sent on try ${ctx.attempt}`;
}

const clock = new FakeClock('2026-01-01T00:00:00Z');
const scheduler = new Scheduler({ clock, timezone: 'UTC' });
scheduler.registerTask('sendInvoices', sendInvoices);
scheduler.on('jobError', (e) => console.log(`${clock.now().toISOString()} try ${e.attempt} failed (${e.error.message}); willRetry=${e.willRetry}`));
scheduler.on('jobExecuted', (e) => console.log(`${clock.now().toISOString()} ${e.result}`));

await scheduler.addJob('sendInvoices', 'cron', { day: 1, hour: 6 }, {
  args: [120],
  retry: { attempts: 5, delay: { seconds: 30 }, factor: 2, maxDelay: { minutes: 10 } },
});
await scheduler.start();
await clock.advance({ hours: 7 });
console.log('invoices written:', db.prepare('SELECT count(*) AS n FROM invoices').get().n); // 1
await scheduler.shutdown();
