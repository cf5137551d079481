/** Triggers in words, as the admin API and dashboard show them, for each kind of trigger. */
import { describe, expect, it } from 'vitest';
import { describeTrigger, wallTime } from '../../src/admin/describe.js';
import { AndTrigger, CalendarIntervalTrigger, CronTrigger, DateTrigger, IntervalTrigger, OrTrigger, type Trigger } from '../../src/index.js';

const resolve = (t: Trigger) => t.resolve({ timezone: 'Europe/Berlin', now: new Date('2026-06-01T00:00:00Z') }).toJSON();

describe('describeTrigger', () => {
  const cases: Array<[string, Trigger, string]> = [
    ['keyword cron', new CronTrigger({ hour: 3 }), 'cron hour=3'],
    ['keyword cron, fields in order', new CronTrigger({ minute: '*/5', dayOfWeek: 'mon-fri' }), 'cron dayOfWeek=mon-fri minute=*/5'],
    ['crontab', CronTrigger.fromCrontab('30 2 * * *'), 'cron "30 2 * * *"'],
    ['a zone other than the job’s is named', CronTrigger.fromCrontab('0 9 * * *', { timezone: 'America/New_York' }), 'cron "0 9 * * *" (America/New_York)'],
    ['interval', new IntervalTrigger({ minutes: 5 }), 'every 5 min'],
    ['interval of mixed units', new IntervalTrigger({ days: 2, hours: 3, minutes: 30 }), 'every 2 days 3 h 30 min'],
    ['interval of one week', new IntervalTrigger({ weeks: 1 }), 'every 1 week'],
    ['calendar interval', new CalendarIntervalTrigger({ months: 1, hour: 9 }), 'every 1 month at 09:00:00'],
    ['calendar interval, plural', new CalendarIntervalTrigger({ years: 2, hour: 6, minute: 30 }), 'every 2 years at 06:30:00'],
    ['date, in the job’s zone', new DateTrigger({ runDate: '2027-01-01T08:00:00Z' }), 'once at 2027-01-01 09:00:00 +01:00'],
    ['or', new OrTrigger([new CronTrigger({ hour: 3 }), new IntervalTrigger({ hours: 2 })]), 'the earliest: cron hour=3 or every 2 h'],
    ['and', new AndTrigger([new CronTrigger({ hour: '*/2' }), new CronTrigger({ hour: '*/3' })]), 'when all agree: cron hour=*/2 and cron hour=*/3'],
  ];
  it.each(cases)('%s', (_name, trigger, words) => {
    expect(describeTrigger(resolve(trigger), 'Europe/Berlin')).toBe(words);
  });

  it('wall times carry the offset, and the zone abbreviation where it says more than the offset', () => {
    expect(wallTime(new Date('2027-07-01T12:00:00Z'), 'America/New_York')).toBe('2027-07-01 08:00:00 -04:00 (EDT)');
    expect(wallTime(new Date('2027-07-01T12:00:00.250Z'), 'UTC')).toBe('2027-07-01 12:00:00.250 +00:00 (UTC)');
  });
});
