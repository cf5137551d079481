/**
 * SPEC "Time zones and DST", case by case. Expected instants are worked out by hand from each
 * zone's rules (comments give the local reading).
 */
import { describe, expect, it } from 'vitest';
import { CalendarIntervalTrigger, CronTrigger } from '../../src/triggers/index.js';
import { fires, isos } from './helpers.js';

type Case = readonly [name: string, expr: string, zone: string, start: string, expected: readonly (string | null)[]];

const cases: Record<string, readonly Case[]> = {
  // 2027-03-14 02:00 EST -> 03:00 EDT (07:00Z); 2027-11-07 02:00 EDT -> 01:00 EST (06:00Z)
  'America/New_York': [
    ['spring_fixed_in_gap_fires_at_gap_end', '30 2 * * *', 'America/New_York', '2027-03-12T12:00:00Z', ['2027-03-13T07:30:00Z', '2027-03-14T07:00:00Z', '2027-03-15T06:30:00Z']],
    ['spring_list_in_gap_fires_once', '0,30 2 * * *', 'America/New_York', '2027-03-13T12:00:00Z', ['2027-03-14T07:00:00Z', '2027-03-15T06:00:00Z']],
    ['spring_gap_time_and_gap_end_time_fire_once', '0 2,3 * * *', 'America/New_York', '2027-03-13T12:00:00Z', ['2027-03-14T07:00:00Z', '2027-03-15T06:00:00Z']],
    ['spring_wildcard_minute_nothing_in_gap', '*/30 * * * *', 'America/New_York', '2027-03-14T06:15:00Z', ['2027-03-14T06:30:00Z', '2027-03-14T07:00:00Z', '2027-03-14T07:30:00Z']],
    ['spring_wildcard_minute_fixed_hour_skips_day', '*/20 2 * * *', 'America/New_York', '2027-03-13T12:00:00Z', ['2027-03-15T06:00:00Z']],
    ['spring_hour_step_is_wildcard', '0 */2 * * *', 'America/New_York', '2027-03-14T05:30:00Z', ['2027-03-14T08:00:00Z']],
    ['fall_fixed_first_occurrence_only', '30 1 * * *', 'America/New_York', '2027-11-06T12:00:00Z', ['2027-11-07T05:30:00Z', '2027-11-08T06:30:00Z']],
    ['fall_partial_range_is_fixed', '0 1-3 * * *', 'America/New_York', '2027-11-07T04:00:00Z', ['2027-11-07T05:00:00Z', '2027-11-07T07:00:00Z', '2027-11-07T08:00:00Z']],
    ['fall_start_in_second_pass_fixed', '30 1 * * *', 'America/New_York', '2027-11-07T06:10:00Z', ['2027-11-08T06:30:00Z']],
    ['fall_wildcard_both_occurrences', '*/30 * * * *', 'America/New_York', '2027-11-07T04:45:00Z', ['2027-11-07T05:00:00Z', '2027-11-07T05:30:00Z', '2027-11-07T06:00:00Z', '2027-11-07T06:30:00Z', '2027-11-07T07:00:00Z']],
    ['fall_wildcard_from_first_pass', '*/20 1 * * *', 'America/New_York', '2027-11-07T05:30:00Z', ['2027-11-07T05:40:00Z', '2027-11-07T06:00:00Z', '2027-11-07T06:20:00Z', '2027-11-07T06:40:00Z', '2027-11-08T06:00:00Z']],
    ['fall_wildcard_from_second_pass', '*/20 1 * * *', 'America/New_York', '2027-11-07T06:10:00Z', ['2027-11-07T06:20:00Z', '2027-11-07T06:40:00Z', '2027-11-08T06:00:00Z']],
  ],
  // 2027-03-28 01:00 GMT -> 02:00 BST (01:00Z); 2027-10-31 02:00 BST -> 01:00 GMT (01:00Z)
  'Europe/London': [
    ['spring_fixed_in_gap', '30 1 * * *', 'Europe/London', '2027-03-27T00:00:00Z', ['2027-03-27T01:30:00Z', '2027-03-28T01:00:00Z', '2027-03-29T00:30:00Z']],
    ['fall_fixed_first_occurrence', '30 1 * * *', 'Europe/London', '2027-10-30T12:00:00Z', ['2027-10-31T00:30:00Z', '2027-11-01T01:30:00Z']],
    ['fall_wildcard_hour_both', '15 * * * *', 'Europe/London', '2027-10-31T00:00:00Z', ['2027-10-31T00:15:00Z', '2027-10-31T01:15:00Z', '2027-10-31T02:15:00Z']],
  ],
  // Southern hemisphere: 2026-10-04 02:00 AEST -> 03:00 AEDT (2026-10-03T16:00Z);
  // 2027-04-04 03:00 AEDT -> 02:00 AEST (2027-04-03T16:00Z)
  'Australia/Sydney': [
    ['spring_october_fixed_in_gap', '30 2 * * *', 'Australia/Sydney', '2026-10-02T00:00:00Z', ['2026-10-02T16:30:00Z', '2026-10-03T16:00:00Z', '2026-10-04T15:30:00Z']],
    ['fall_april_fixed_first_occurrence', '30 2 * * *', 'Australia/Sydney', '2027-04-03T00:00:00Z', ['2027-04-03T15:30:00Z', '2027-04-04T16:30:00Z']],
  ],
  // No DST; offsets off the hour
  'half and quarter hours': [
    ['kolkata_plus_0530', '0 3 * * *', 'Asia/Kolkata', '2026-01-01T00:00:00Z', ['2026-01-01T21:30:00Z', '2026-01-02T21:30:00Z']],
    ['kathmandu_plus_0545', '0 0 * * *', 'Asia/Kathmandu', '2026-01-01T00:00:00Z', ['2026-01-01T18:15:00Z', '2026-01-02T18:15:00Z']],
    ['kathmandu_every_30_min', '*/30 * * * *', 'Asia/Kathmandu', '2026-01-01T00:00:00Z', ['2026-01-01T00:15:00Z', '2026-01-01T00:45:00Z']],
  ],
  // 30-minute DST: 2026-10-04 02:00 +10:30 -> 02:30 +11 (2026-10-03T15:30Z);
  // 2027-04-04 02:00 +11 -> 01:30 +10:30 (2027-04-03T15:00Z)
  'Australia/Lord_Howe': [
    ['spring_fixed_in_30min_gap', '15 2 * * *', 'Australia/Lord_Howe', '2026-10-02T00:00:00Z', ['2026-10-02T15:45:00Z', '2026-10-03T15:30:00Z', '2026-10-04T15:15:00Z']],
    ['fall_fixed_first_occurrence', '45 1 * * *', 'Australia/Lord_Howe', '2027-04-03T00:00:00Z', ['2027-04-03T14:45:00Z', '2027-04-04T15:15:00Z']],
    ['fall_wildcard_both_occurrences', '*/15 1 * * *', 'Australia/Lord_Howe', '2027-04-03T14:20:00Z', ['2027-04-03T14:30:00Z', '2027-04-03T14:45:00Z', '2027-04-03T15:00:00Z', '2027-04-03T15:15:00Z', '2027-04-04T14:30:00Z']],
  ],
  // Samoa skipped 2011-12-30 entirely: 2011-12-29 24:00 -10 -> 2011-12-31 00:00 +14 (10:00Z);
  // Dec 2012 is summer time, +14
  'Pacific/Apia': [
    ['fixed_noon_skipped_day_does_not_fire', '0 12 * * *', 'Pacific/Apia', '2011-12-28T00:00:00Z', ['2011-12-28T22:00:00Z', '2011-12-29T22:00:00Z', '2011-12-30T22:00:00Z', '2011-12-31T22:00:00Z']],
    ['fixed_midnight_after_skip', '0 0 * * *', 'Pacific/Apia', '2011-12-29T00:00:00Z', ['2011-12-29T10:00:00Z', '2011-12-30T10:00:00Z', '2011-12-31T10:00:00Z']],
    ['dec_30_never_exists', '0 12 30 12 *', 'Pacific/Apia', '2011-12-01T00:00:00Z', ['2012-12-29T22:00:00Z']],
  ],
};

describe.each(Object.entries(cases))('%s', (_zone, table) => {
  it.each(table)('%s: %s', (_name, expr, zone, start, expected) => {
    expect(fires(CronTrigger.fromCrontab(expr, { timezone: zone }), start, expected.length)).toEqual(isos(...expected));
  });
});

describe('edges', () => {
  it('a fixed-time job asked at exactly the gap end fires there (now is inclusive)', () => {
    const t = CronTrigger.fromCrontab('30 2 * * *', { timezone: 'America/New_York' });
    expect(t.getNextFireTime(null, new Date('2027-03-14T07:00:00Z'))?.toISOString()).toBe('2027-03-14T07:00:00.000Z');
    expect(t.getNextFireTime(new Date('2027-03-14T07:00:00Z'), new Date('2027-03-14T07:00:00Z'))?.toISOString()).toBe('2027-03-15T06:30:00.000Z');
  });

  it('keyword form follows the same rules', () => {
    const t = new CronTrigger({ hour: 2, minute: 30, timezone: 'America/New_York' });
    expect(fires(t, '2027-03-12T12:00:00Z', 3)).toEqual(isos('2027-03-13T07:30:00Z', '2027-03-14T07:00:00Z', '2027-03-15T06:30:00Z'));
  });

  it('CalendarIntervalTrigger follows the fixed-time rule', () => {
    const ny = { timezone: 'America/New_York', days: 1, hour: 2, minute: 30, startDate: '2027-03-13T00:00:00Z' };
    expect(fires(new CalendarIntervalTrigger(ny), '2027-03-13T00:00:00Z', 3)).toEqual(isos('2027-03-13T07:30:00Z', '2027-03-14T07:00:00Z', '2027-03-15T06:30:00Z'));
    const fall = { ...ny, hour: 1, startDate: '2027-11-06T12:00:00Z' };
    expect(fires(new CalendarIntervalTrigger(fall), '2027-11-06T12:00:00Z', 2)).toEqual(isos('2027-11-07T05:30:00Z', '2027-11-08T06:30:00Z'));
  });
});
