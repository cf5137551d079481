import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CalendarIntervalTrigger } from '../../src/triggers/index.js';
import { bruteFireTimes, offsetMs, transitionsOf, type Local } from './brute-force.js';
import { fires, isos, walk } from './helpers.js';

const DAY = 86_400_000;

describe('CalendarIntervalTrigger', () => {
  it.each([
    ['months from Jan 31 skip months without a 31st', { months: 1, hour: 9, startDate: '2026-01-31T00:00:00Z' }, '2026-01-01T00:00:00Z',
      ['2026-01-31T09:00:00Z', '2026-03-31T09:00:00Z', '2026-05-31T09:00:00Z', '2026-07-31T09:00:00Z']],
    ['years from Feb 29 fire on leap days only (2100 is not one)', { years: 4, startDate: '2092-02-29T00:00:00Z' }, '2092-01-01T00:00:00Z',
      ['2092-02-29T00:00:00Z', '2096-02-29T00:00:00Z', '2104-02-29T00:00:00Z']],
    ['first fire is the next period when the time has passed on startDate', { days: 2, hour: 6, startDate: '2026-01-01T12:00:00Z' }, '2026-01-01T00:00:00Z',
      ['2026-01-03T06:00:00Z', '2026-01-05T06:00:00Z']],
    ['weeks + days add up', { weeks: 1, days: 1, startDate: '2026-01-01T00:00:00Z' }, '2026-01-01T00:00:00Z',
      ['2026-01-01T00:00:00Z', '2026-01-09T00:00:00Z', '2026-01-17T00:00:00Z']],
    ['endDate ends it', { days: 1, hour: 6, startDate: '2026-01-01T00:00:00Z', endDate: '2026-01-02T12:00:00Z' }, '2025-12-31T00:00:00Z',
      ['2026-01-01T06:00:00Z', '2026-01-02T06:00:00Z', null]],
  ] as const)('%s', (_n, options, start, expected) => {
    expect(fires(new CalendarIntervalTrigger({ timezone: 'UTC', ...options }), start, expected.length)).toEqual(isos(...expected));
  });

  it('keeps its wall-clock time across DST', () => {
    const t = new CalendarIntervalTrigger({ days: 1, hour: 9, minute: 30, startDate: '2027-03-12T05:00:00Z', timezone: 'America/New_York' });
    expect(fires(t, '2027-03-12T20:00:00Z', 3)).toEqual(isos('2027-03-13T14:30:00Z', '2027-03-14T13:30:00Z', '2027-03-15T13:30:00Z'));
  });

  it('counts from the local date of now when resolved without startDate', () => {
    const t = new CalendarIntervalTrigger({ days: 1, hour: 3 }).resolve({ timezone: 'Asia/Kolkata', now: new Date('2026-01-01T20:00:00Z') });
    // now is 2026-01-02 01:30 in Kolkata: 03:00 that day is still ahead
    expect(t.getNextFireTime(null, new Date('2026-01-01T20:00:00Z'))?.toISOString()).toBe('2026-01-01T21:30:00.000Z');
    expect(t.toJSON()).toEqual({ kind: 'calendarinterval', options: { days: 1, hour: 3 }, timezone: 'Asia/Kolkata', startDate: '2026-01-01T20:00:00.000Z' });
  });

  it.each([
    ['no unit', { hour: 3 }, RangeError, /at least one/],
    ['hour 24', { days: 1, hour: 24 }, RangeError, /hour/],
    ['fractional months', { months: 1.5 }, RangeError, /months/],
    ['hours (interval option)', { days: 1, hours: 3 }, TypeError, /did you mean "hour"/],
    ['unknown zone', { days: 1, timezone: 'Mars/Base' }, RangeError, /Mars\/Base/],
  ] as const)('rejects %s', (_n, options, type, message) => {
    expect(() => new CalendarIntervalTrigger(options as never)).toThrow(type);
    expect(() => new CalendarIntervalTrigger(options as never)).toThrow(message);
  });

  const zones = ['UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu'] as const;
  const transitions = new Map(zones.map((z) => [z, transitionsOf(z, Date.UTC(2026, 0, 1), Date.UTC(2028, 11, 31))]));

  it('matches the brute-force walker over days/weeks periods near DST', () => {
    const arb = fc.record({
      zone: fc.constantFrom(...zones),
      days: fc.integer({ min: 1, max: 3 }),
      weeks: fc.integer({ min: 0, max: 1 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.constantFrom(0, 15, 30, 45),
      pick: fc.nat(),
      lead: fc.integer({ min: 0, max: 4 * DAY }),
      startLag: fc.integer({ min: 0, max: 2 * DAY }),
    });
    fc.assert(
      fc.property(arb, ({ zone, days, weeks, hour, minute, pick, lead, startLag }) => {
        const list = transitions.get(zone)!;
        const at = list.length ? list[pick % list.length]! : Date.UTC(2027, 5, 1);
        const startDate = at - lead;
        const from = startDate + startLag;
        const t = new CalendarIntervalTrigger({ days, weeks, hour, minute, startDate, timezone: zone });
        const period = weeks * 7 + days;
        const anchorWall = startDate + offsetMs(zone, startDate);
        const anchorDay = Math.floor(anchorWall / DAY);
        const matches = (l: Local) => {
          const dayNumber = Math.floor(Date.UTC(l.year, l.month - 1, l.day) / DAY) - anchorDay;
          return l.hour === hour && l.minute === minute && l.second === 0 && dayNumber >= 0 && dayNumber % period === 0;
        };
        const span = 4 * DAY;
        const expected = bruteFireTimes({ zone, matches, fixedTime: true }, from, from + span, 60_000).filter((x) => x >= startDate);
        expect(walk(t, from, from + span).map((x) => new Date(x).toISOString())).toEqual(expected.map((x) => new Date(x).toISOString()));
      }),
      { numRuns: 40 },
    );
  });
});
