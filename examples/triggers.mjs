// Prints the next 5 fire times of a few triggers. Run after `npm run build`:
//   node examples/triggers.mjs
import { CalendarIntervalTrigger, CronTrigger, IntervalTrigger, OrTrigger } from 'kairos';

function nextFireTimes(trigger, from, n = 5) {
  const out = [];
  let previous = null;
  let now = new Date(from);
  while (out.length < n) {
    const next = trigger.getNextFireTime(previous, now);
    if (next === null) break;
    out.push(next);
    previous = next;
    now = new Date(next.getTime() + 1);
  }
  return out;
}

const from = '2027-03-12T00:00:00Z';
const examples = {
  'every 90 minutes from 2027-03-12': new IntervalTrigger({ minutes: 90, startDate: from }),
  '02:30 New York daily (DST gap on 2027-03-14)': CronTrigger.fromCrontab('30 2 * * *', { timezone: 'America/New_York' }),
  'weekdays 09:00 Berlin': new CronTrigger({ dayOfWeek: 'mon-fri', hour: 9, timezone: 'Europe/Berlin' }),
  'last Friday of the month, 17:00 Sydney': new CronTrigger({ dayOfWeek: 'last fri', hour: 17, timezone: 'Australia/Sydney' }),
  'monthly on the 31st, 08:00 UTC (skips short months)': new CalendarIntervalTrigger({ months: 1, hour: 8, startDate: '2027-01-31', timezone: 'UTC' }),
  '03:00 or 15:00 Kolkata': new OrTrigger([new CronTrigger({ hour: 3 }), new CronTrigger({ hour: 15 })], { timezone: 'Asia/Kolkata' })
    .resolve({ timezone: 'UTC', now: new Date(from) }),
};

for (const [name, trigger] of Object.entries(examples)) {
  console.log(name);
  for (const at of nextFireTimes(trigger, from)) console.log('  ', at.toISOString());
}
