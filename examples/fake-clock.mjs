// Testing a schedule with FakeClock: two simulated days pass in milliseconds, and the runs are
// checked against the calendar. The same code works inside vitest, jest or node:test.
// Run: npm run build && node examples/fake-clock.mjs
import assert from 'node:assert/strict';
import { FakeClock, Scheduler } from 'kairos';

const clock = new FakeClock('2027-03-13T00:00:00Z');
const scheduler = new Scheduler({ clock, timezone: 'America/New_York' });
const runs = [];
await scheduler.addJob((ctx) => runs.push(ctx.scheduledRunTime.toISOString()), 'cron', { hour: 2, minute: 30 });
await scheduler.start();

await clock.advance({ days: 2 }); // runs every due job in order, waits for each to finish
// 02:30 New York: EST on the 13th; on the 14th 02:30 does not exist (spring forward) and the
// job fires once, when the gap ends, at 03:00 EDT.
assert.deepEqual(runs, ['2027-03-13T07:30:00.000Z', '2027-03-14T07:00:00.000Z']);
console.log('runs:', runs);
await scheduler.shutdown();
