// The core API in one file: a cron job, an interval job and a one-off, events, then a clean
// shutdown. Run: npm run build && node examples/basic.mjs   (about 4 seconds)
import { Scheduler } from 'kairos';

const scheduler = new Scheduler({ timezone: 'Europe/Berlin' });
scheduler.on('jobExecuted', (e) => console.log(`executed ${e.jobId} (scheduled ${e.scheduledRunTime.toISOString()}) ->`, e.result));
scheduler.on('jobError', (e) => console.log(`failed ${e.jobId}: ${e.error.message}`));

// Every day at 03:00 Berlin time (keyword form: finer fields default to 0).
const nightly = await scheduler.addJob(() => 'report sent', 'cron', { hour: 3 }, { id: 'nightly-report' });
console.log(`nightly-report next runs at ${nightly.nextRunTime.toISOString()}`);

// Every second; crontab text works too: scheduler.addJob(fn, 'cron', '*/5 * * * *').
await scheduler.addJob((name, ctx) => `hello ${name} #${ctx.attempt}`, 'interval', { seconds: 1 }, { id: 'greet', args: ['ada'] });

// Once, two seconds from now.
await scheduler.addJob(() => { throw new Error('one-off failed on purpose'); }, 'date', { runDate: new Date(Date.now() + 2000) }, { id: 'once' });

await scheduler.start();
await new Promise((resolve) => setTimeout(resolve, 3500));
console.log('jobs left:', (await scheduler.getJobs()).map((j) => j.id).join(', '));
await scheduler.shutdown();
