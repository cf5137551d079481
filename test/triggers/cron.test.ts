import { describe, expect, it } from 'vitest';
import { CronTrigger } from '../../src/triggers/index.js';
import { fires, isos } from './helpers.js';

const cron = (fields: ConstructorParameters<typeof CronTrigger>[0]) => new CronTrigger({ timezone: 'UTC', ...fields });
const tab = (text: string, timezone = 'UTC') => CronTrigger.fromCrontab(text, { timezone });

describe('keyword form: APScheduler defaulting', () => {
  it.each([
    ['{hour: 3} daily 03:00:00', { hour: 3 }, '2026-01-01T00:00:00Z', ['2026-01-01T03:00:00Z', '2026-01-02T03:00:00Z']],
    ['{month: 6} June 1 at midnight', { month: 6 }, '2026-01-01T00:00:00Z', ['2026-06-01T00:00:00Z', '2027-06-01T00:00:00Z']],
    ['{month: 6, minute: 5} hourly in June', { month: 6, minute: 5 }, '2026-06-30T22:00:00Z', ['2026-06-30T22:05:00Z', '2026-06-30T23:05:00Z', '2027-06-01T00:05:00Z']],
    ['{minute: 30} hourly at :30', { minute: 30 }, '2026-01-01T00:00:00Z', ['2026-01-01T00:30:00Z', '2026-01-01T01:30:00Z']],
    ['{} yearly on Jan 1', {}, '2026-03-01T00:00:00Z', ['2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z']],
    ['{week: 1, dayOfWeek: mon} Monday of ISO week 1', { week: 1, dayOfWeek: 'mon' }, '2026-01-01T00:00:00Z', ['2027-01-04T00:00:00Z', '2028-01-03T00:00:00Z']],
  ] as const)('%s', (_name, fields, start, expected) => {
    expect(fires(cron(fields), start, expected.length)).toEqual(isos(...expected));
  });

  it('day and dayOfWeek must both match (not the Vixie OR)', () => {
    // Friday the 13th: 2026-02-13, 2026-03-13, 2026-11-13
    expect(fires(cron({ day: 13, dayOfWeek: 'fri' }), '2026-01-01T00:00:00Z', 3)).toEqual(isos('2026-02-13', '2026-03-13', '2026-11-13'));
  });
});

describe('field syntax (both forms)', () => {
  it.each([
    ['value', '0 3 * * *', ['2026-01-01T03:00:00Z', '2026-01-02T03:00:00Z']],
    ['*/n', '*/20 * * * *', ['2026-01-01T00:00:00Z', '2026-01-01T00:20:00Z', '2026-01-01T00:40:00Z']],
    ['a-b', '0 8-9 * * *', ['2026-01-01T08:00:00Z', '2026-01-01T09:00:00Z', '2026-01-02T08:00:00Z']],
    ['a-b/n (steps start at the range start)', '0 7-20/6 * * *', ['2026-01-01T07:00:00Z', '2026-01-01T13:00:00Z', '2026-01-01T19:00:00Z', '2026-01-02T07:00:00Z']],
    ['list', '15,45 8 * * *', ['2026-01-01T08:15:00Z', '2026-01-01T08:45:00Z', '2026-01-02T08:15:00Z']],
    ['month names', '0 0 1 jan,JUL *', ['2026-01-01T00:00:00Z', '2026-07-01T00:00:00Z']],
    ['weekday names and ranges (fri-sun wraps to 7)', '0 0 * * fri-sun', ['2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z', '2026-01-09T00:00:00Z']],
    ['L: last day of the month', '0 0 L * *', ['2026-01-31T00:00:00Z', '2026-02-28T00:00:00Z', '2026-03-31T00:00:00Z']],
    ['5L: last Friday', '0 0 * * 5L', ['2026-01-30T00:00:00Z', '2026-02-27T00:00:00Z']],
    ['1#2: second Monday', '0 0 * * 1#2', ['2026-01-12T00:00:00Z', '2026-02-09T00:00:00Z']],
    ['1#1,5L as list elements', '0 0 * * 1#1,5L', ['2026-01-05T00:00:00Z', '2026-01-30T00:00:00Z', '2026-02-02T00:00:00Z', '2026-02-27T00:00:00Z']],
    ['dow 7 is Sunday', '0 12 * * 7', ['2026-01-04T12:00:00Z', '2026-01-11T12:00:00Z']],
    ['6 fields: seconds first', '*/15 0 0 1 1 *', ['2026-01-01T00:00:00Z', '2026-01-01T00:00:15Z', '2026-01-01T00:00:30Z']],
    ['7 fields: year last', '0 0 12 1 1 * 2027-2028', ['2027-01-01T12:00:00Z', '2028-01-01T12:00:00Z', null]],
    ['@daily macro (expanded by cron-parser)', '@daily', ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z']],
  ] as const)('%s: %s', (_name, text, expected) => {
    expect(fires(tab(text), '2026-01-01T00:00:00Z', expected.length)).toEqual(isos(...expected));
  });

  it.each([
    ['day last', { day: 'last' }, ['2026-01-31T00:00:00Z', '2026-02-28T00:00:00Z']],
    ['last fri', { dayOfWeek: 'last fri' }, ['2026-01-30T00:00:00Z', '2026-02-27T00:00:00Z']],
    ['2nd mon', { dayOfWeek: '2nd mon' }, ['2026-01-12T00:00:00Z', '2026-02-09T00:00:00Z']],
    ['dayOfWeek 0 = Sunday in keyword form too', { dayOfWeek: 0, hour: 12 }, ['2026-01-04T12:00:00Z', '2026-01-11T12:00:00Z']],
    ['dayOfWeek 7 = Sunday', { dayOfWeek: 7, hour: 12 }, ['2026-01-04T12:00:00Z', '2026-01-11T12:00:00Z']],
  ] as const)('keyword %s', (_name, fields, expected) => {
    expect(fires(cron(fields), '2026-01-01T00:00:00Z', expected.length)).toEqual(isos(...expected));
  });
});

describe('month ends and leap years', () => {
  it.each([
    ['day 31 skips short months', { day: 31 }, '2026-01-01T00:00:00Z', ['2026-01-31', '2026-03-31', '2026-05-31', '2026-07-31', '2026-08-31']],
    ['day 30 skips February', { day: 30 }, '2026-01-31T00:00:00Z', ['2026-03-30', '2026-04-30']],
    ['Feb L in a leap year is the 29th', { month: 2, day: 'L' }, '2027-03-01T00:00:00Z', ['2028-02-29', '2029-02-28']],
    ['Feb 29 only in leap years', { month: 'feb', day: 29 }, '2026-01-01T00:00:00Z', ['2028-02-29', '2032-02-29']],
    ['2100 is not a leap year', { month: 'feb', day: 29 }, '2096-03-01T00:00:00Z', ['2104-02-29']],
    ['2000 was one', { month: 'feb', day: 29 }, '1999-01-01T00:00:00Z', ['2000-02-29']],
  ] as const)('%s', (_name, fields, start, expected) => {
    expect(fires(cron(fields), start, expected.length)).toEqual(isos(...expected));
  });

  it('answers a sparse expression (Feb 29 that is a Monday) fast', () => {
    const t0 = performance.now();
    const got = fires(cron({ month: 2, day: 29, dayOfWeek: 'mon' }), '2026-01-01T00:00:00Z', 3);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(got).toEqual(isos('2044-02-29', '2072-02-29', '2112-02-29'));
    for (const d of got) expect(new Date(d!).getUTCDay()).toBe(1);
  });

  it('returns null after the last year of a year field, and after 9999', () => {
    expect(fires(cron({ year: 2026, month: 12, day: 31, hour: 23 }), '2026-06-01T00:00:00Z', 2)).toEqual(isos('2026-12-31T23:00:00Z', null));
    // 9996 is the last leap year up to 9999
    expect(fires(cron({ month: 2, day: 29 }), '9990-01-01T00:00:00Z', 3)).toEqual(isos('9992-02-29', '9996-02-29', null));
  });
});

describe('years 1970 to 9999', () => {
  it('accepts far years in both forms', () => {
    expect(fires(cron({ year: '2009-2299/2' }), '2026-01-01T00:00:00Z', 2)).toEqual(isos('2027-01-01', '2029-01-01'));
    expect(fires(cron({ year: '2009-2299/2' }), '2298-01-01T00:00:00Z', 2)).toEqual(isos('2299-01-01', null));
    expect(fires(tab('0 0 0 1 1 * 1971-2299/2'), '2296-01-01T00:00:00Z', 3)).toEqual(isos('2297-01-01', '2299-01-01', null));
    expect(fires(tab('0 0 0 1 1 * 1970,9999'), '1970-01-01T00:00:01Z', 2)).toEqual(isos('9999-01-01', null));
  });

  it.each([
    ['keyword 10000', () => cron({ year: 10000 })],
    ['keyword 1969', () => cron({ year: 1969 })],
    ['keyword text 2026-10000', () => cron({ year: '2026-10000' })],
    ['crontab 10000', () => tab('0 0 0 1 1 * 10000')],
    ['crontab 1969-2026', () => tab('0 0 0 1 1 * 1969-2026')],
  ] as const)('refuses %s, naming the field and 1970 to 9999', (_name, make) => {
    expect(make).toThrow(RangeError);
    expect(make).toThrow(/^year: expected an integer from 1970 to 9999/);
  });

  it('fires in 9999 up to its last second, in UTC and west of it', () => {
    const last = { year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59 };
    expect(fires(cron(last), '2026-01-01T00:00:00Z', 2)).toEqual(isos('9999-12-31T23:59:59Z', null));
    // 23:59:59 EST on Dec 31, 9999 is an instant of year 10000 UTC, still a valid Date.
    const ny = new CronTrigger({ ...last, timezone: 'America/New_York' });
    expect(fires(ny, '2026-01-01T00:00:00Z', 2)).toEqual(isos('+010000-01-01T04:59:59Z', null));
  });

  it('answers null for instants past 9999, up to the last Date', () => {
    const daily = cron({ hour: 3 });
    expect(daily.getNextFireTime(null, new Date('9999-12-31T03:00:01Z'))).toBeNull();
    expect(daily.getNextFireTime(null, new Date('+020000-01-01T00:00:00Z'))).toBeNull();
    expect(daily.getNextFireTime(new Date(8.64e15), new Date(8.64e15))).toBeNull();
    const ny = new CronTrigger({ hour: 3, timezone: 'America/New_York' });
    expect(ny.getNextFireTime(null, new Date(8.64e15))).toBeNull();
  });

  it('iterates a daily job 100,000 times from 2026, past 2199, in UTC and New York', () => {
    const n = 100_000;
    for (const timezone of ['UTC', 'America/New_York']) {
      const got = fires(new CronTrigger({ hour: 3, timezone }), '2026-01-01T12:00:00Z', n);
      expect(got).toHaveLength(n);
      expect(got).not.toContain(null);
      // The first fire is on Jan 2, so the last is n - 1 days later, at 03:00 local (EST or EDT).
      const lastDay = new Date(Date.UTC(2026, 0, 2) + (n - 1) * 86_400_000).toISOString().slice(0, 10);
      expect(lastDay).toBe('2299-10-17');
      const local = new Intl.DateTimeFormat('sv-SE', { timeZone: timezone, dateStyle: 'short', timeStyle: 'medium' }).format(new Date(got[n - 1]!));
      expect(local).toBe(`${lastDay} 03:00:00`);
    }
  });

  // Bounded time, not a micro-timing: the search jumps over years, so these would take minutes
  // if it walked days, and seconds if it walked years one by one with a month check each.
  it('answers sparse expressions in bounded time, all the way to 9999', () => {
    const t0 = performance.now();
    const leapMondays = fires(cron({ month: 2, day: 29, dayOfWeek: 'mon', year: '*' }), '1970-01-01T00:00:00Z', 1000);
    expect(leapMondays.at(-1)).toBeNull();
    const expected: string[] = [];
    for (let y = 1970; y <= 9999; y++) {
      const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
      if (leap && new Date(Date.UTC(y, 1, 29)).getUTCDay() === 1) expected.push(new Date(Date.UTC(y, 1, 29)).toISOString());
    }
    expect(leapMondays.slice(0, -1)).toEqual(expected);
    // The same at local midnight in a DST zone (whose offsets far ahead come from folded tables)
    const ny = fires(new CronTrigger({ month: 2, day: 29, dayOfWeek: 'mon', timezone: 'America/New_York' }), '1970-01-01T00:00:00Z', 1000);
    const nyDate = new Intl.DateTimeFormat('sv-SE', { timeZone: 'America/New_York', dateStyle: 'short', timeStyle: 'medium' });
    expect(ny.slice(0, -1).map((t) => nyDate.format(new Date(t!)))).toEqual(expected.map((t) => `${t.slice(0, 10)} 00:00:00`));
    // Every 400 years from 2000: a Tuesday each time (the calendar repeats every 400 years).
    const centuries = fires(cron({ year: '2000-9999/400', month: 2, day: 29, dayOfWeek: 'tue' }), '1970-01-01T00:00:00Z', 30);
    expect(centuries).toEqual(isos(...Array.from({ length: 20 }, (_, i) => `${2000 + 400 * i}-02-29`), null));
    // One year only, searched from 1000 starts spread over 1970-9999
    const only9999 = cron({ year: 9999, month: 2, day: 'L', dayOfWeek: 'sun' });
    for (let i = 0; i < 1000; i++) {
      const now = new Date(Date.UTC(1970 + Math.floor((i * 8029) / 1000), i % 12, 1));
      expect(only9999.getNextFireTime(null, now)?.toISOString()).toBe('9999-02-28T00:00:00.000Z');
    }
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it.each([
    ['2100-9999/400 has no leap year', { year: '2100-9999/400', month: 2, day: 29 }],
    ['a Feb 29 of 2000 + 400k is never a Monday', { year: '2000-9999/400', month: 2, day: 29, dayOfWeek: 'mon' }],
    // (2020's week 53 ran into Jan 3, 2021; 2026's starts on Dec 28, 2026)
    ['the 53rd ISO week in 2022-2025', { year: '2022-2025', week: 53 }],
  ] as const)('refuses at once what can never fire: %s', (_name, fields) => {
    const t0 = performance.now();
    expect(() => cron(fields)).toThrow(/never fire/);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('options that are not an object are a TypeError naming them (issue 16: null read a symbol off null)', () => {
    for (const options of [null, 5, 'hour']) {
      expect(() => new CronTrigger(options as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'KAIROS_INVALID_ARGUMENT' }));
    }
  });
});

describe('Vixie OR rule (crontab text only)', () => {
  it('0 0 */2 * 1 is odd days or Mondays', () => {
    // Jan 2026: odd days 1,3,5,...; Mondays 5, 12, 19, 26
    expect(fires(tab('0 0 */2 * 1'), '2026-01-01T00:00:00Z', 8)).toEqual(
      isos('2026-01-01', '2026-01-03', '2026-01-05', '2026-01-07', '2026-01-09', '2026-01-11', '2026-01-12', '2026-01-13'),
    );
  });

  it('a day-of-week with day * is not OR-ed', () => {
    expect(fires(tab('0 0 * * 1'), '2026-01-01T00:00:00Z', 2)).toEqual(isos('2026-01-05', '2026-01-12'));
  });
});

describe('bad arguments', () => {
  it.each([
    ['hour out of range', () => cron({ hour: 24 }), RangeError, /hour.*0 to 23/],
    ['month out of range', () => cron({ month: 13 }), RangeError, /month.*1 to 12/],
    ['*/0', () => cron({ minute: '*/0' }), RangeError, /minute/],
    ['unknown name', () => cron({ dayOfWeek: 'funday' }), RangeError, /dayOfWeek.*funday/],
    ['backwards range', () => cron({ hour: '5-3' }), RangeError, /hour.*backwards/],
    ['non-integer', () => cron({ second: 1.5 }), RangeError, /second/],
    ['wrong type', () => cron({ hour: true as unknown as number }), TypeError, /hour/],
    ['hours given to CronTrigger', () => cron({ hours: 3 } as never), TypeError, /hours.*did you mean "hour"/],
    ['snake_case day_of_week', () => cron({ day_of_week: 'mon' } as never), TypeError, /did you mean "dayOfWeek"/],
    ['Feb 30 never fires', () => cron({ month: 2, day: 30 }), RangeError, /never fire/],
    ['Apr 31 never fires', () => cron({ month: 4, day: 31 }), RangeError, /never fire/],
    ['0 0 30 2 * never fires', () => tab('0 0 30 2 *'), RangeError, /crontab.*never fire/],
    ['too few crontab fields', () => tab('* * *'), RangeError, /crontab.*3 fields/],
    ['minute 61 in crontab', () => tab('61 * * * *'), RangeError, /minute.*0 to 59/],
    ['unknown macro', () => tab('@fortnightly'), RangeError, /macro/],
    ['unknown zone', () => tab('0 3 * * *', 'Mars/Base'), RangeError, /timezone.*Mars\/Base/],
    ['endDate before startDate', () => cron({ startDate: '2026-02-01', endDate: '2026-01-01' }), RangeError, /endDate.*startDate/],
    ['6th occurrence', () => cron({ dayOfWeek: '1#6' }), RangeError, /1 to 5/],
  ] as const)('%s', (_name, make, type, message) => {
    expect(make).toThrow(type);
    expect(make).toThrow(message);
  });

  it('errors carry field, value and allowed', () => {
    try {
      cron({ hour: 25 });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ field: 'hour', value: 25, code: 'KAIROS_INVALID_ARGUMENT' });
      expect((err as { allowed: string }).allowed).toMatch(/0 to 23/);
    }
  });
});

describe('startDate, endDate, previous and now', () => {
  it('now is inclusive, previous exclusive', () => {
    const t = cron({ hour: 3 });
    expect(t.getNextFireTime(null, new Date('2026-01-01T03:00:00Z'))?.toISOString()).toBe('2026-01-01T03:00:00.000Z');
    expect(t.getNextFireTime(new Date('2026-01-01T03:00:00Z'), new Date('2026-01-09T00:00:00Z'))?.toISOString()).toBe('2026-01-02T03:00:00.000Z');
  });

  it('honours startDate and endDate', () => {
    const t = cron({ minute: 0, startDate: '2026-01-01T05:30:00Z', endDate: '2026-01-01T07:00:00Z' });
    expect(fires(t, '2026-01-01T00:00:00Z', 3)).toEqual(isos('2026-01-01T06:00:00Z', '2026-01-01T07:00:00Z', null));
  });

  it('an unresolved trigger uses the system zone; resolve fills the scheduler zone', () => {
    const t = new CronTrigger({ hour: 3 });
    expect(t.timezone).toBeUndefined();
    const r = t.resolve({ timezone: 'Asia/Kolkata', now: new Date() });
    expect(r.timezone).toBe('Asia/Kolkata');
    expect(r.getNextFireTime(null, new Date('2026-01-01T00:00:00Z'))?.toISOString()).toBe('2026-01-01T21:30:00.000Z');
    const own = cron({ hour: 3 });
    expect(own.resolve({ timezone: 'Asia/Kolkata', now: new Date() })).toBe(own);
  });

  it('stores jitter as milliseconds', () => {
    expect(cron({ jitter: { seconds: 2 } }).jitter).toBe(2000);
    expect(() => cron({ jitter: -1 })).toThrow(RangeError);
  });
});
