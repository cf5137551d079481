import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CronTrigger } from '../../src/triggers/index.js';
import { bruteFireTimes, firstDailyFire, offsetMs, transitionsOf } from './brute-force.js';
import { walk } from './helpers.js';
import {
  ZONES, cronArb, dayArb, dowArb, farYearArb, fieldArb, isFixedTime, matcher, nearYearArb, type GenCron, type GenField,
} from './generators.js';

const YEARS_FROM = Date.UTC(2026, 0, 1);
const YEARS_TO = Date.UTC(2030, 11, 31);
const HOUR = 3_600_000;

const transitions = new Map<string, number[]>();
function transitionsFor(zone: string): number[] {
  let list = transitions.get(zone);
  if (!list) {
    list = transitionsOf(zone, YEARS_FROM, YEARS_TO);
    // Pacific/Apia has had no DST since 2021; its 2011 skip is the interesting case.
    if (zone === 'Pacific/Apia') list.push(Date.UTC(2011, 11, 30, 10));
    transitions.set(zone, list);
  }
  return list;
}

/** A start instant: half the time within a day of one of the zone's transitions. */
const startArb = (zone: string) =>
  fc.oneof(
    fc.integer({ min: YEARS_FROM, max: YEARS_TO }),
    fc.tuple(fc.nat(), fc.integer({ min: -30 * HOUR, max: 6 * HOUR })).map(([i, delta]) => {
      const list = transitionsFor(zone);
      return list.length === 0 ? YEARS_FROM + delta + 40 * HOUR : list[i % list.length]! + delta;
    }),
  );

const caseArb = fc
  .record({ cron: fc.tuple(cronArb, nearYearArb).map(([c, year]) => ({ ...c, year })), zone: fc.constantFrom(...ZONES), keyword: fc.boolean() })
  .chain((c) => fc.record({ cron: fc.constant(c.cron), zone: fc.constant(c.zone), keyword: fc.constant(c.keyword), start: startArb(c.zone) }));

function build(c: GenCron, zone: string, keyword: boolean): CronTrigger {
  if (!keyword) {
    const text = `${c.second.text} ${c.minute.text} ${c.hour.text} ${c.day.text} ${c.month.text} ${c.dayOfWeek.text}${c.year ? ` ${c.year.text}` : ''}`;
    return CronTrigger.fromCrontab(text, { timezone: zone });
  }
  return new CronTrigger({
    second: c.second.text, minute: c.minute.text, hour: c.hour.text, day: c.day.text, month: c.month.text, dayOfWeek: c.dayOfWeek.text,
    ...(c.year && { year: c.year.text }), ...(c.week && { week: c.week.text }), timezone: zone,
  });
}

describe('CronTrigger against the brute-force walker', () => {
  it('gives exactly the brute-force fire times over a window (random fields, zones, starts near DST)', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(caseArb, ({ cron, zone, keyword, start }) => {
        let trigger: CronTrigger;
        try {
          trigger = build(cron, zone, keyword);
        } catch (err) {
          // Only expressions that can never fire (31st of a short month, ...) may be refused.
          expect(String(err)).toMatch(/never fire/);
          return;
        }
        const secondsMatter = cron.second.text !== '0';
        const step = secondsMatter ? 1000 : 60_000;
        const span = secondsMatter ? 3 * HOUR : 36 * HOUR;
        const expected = bruteFireTimes({ zone, matches: matcher(cron, !keyword), fixedTime: isFixedTime(cron) }, start, start + span, step);
        expect(walk(trigger, start, start + span).map((t) => new Date(t).toISOString())).toEqual(expected.map((t) => new Date(t).toISOString()));
      }),
      { numRuns: 60 },
    );
  });

  // Only the time fields vary and every start is a few hours before a transition of a DST
  // zone: the cases where gap, repeat and wildcard rules decide.
  const dstCaseArb = fc.record({
    second: cronArb.map((c) => c.second),
    minute: cronArb.map((c) => c.minute),
    hour: cronArb.map((c) => c.hour),
    zone: fc.constantFrom('America/New_York', 'Europe/London', 'Australia/Sydney', 'Australia/Lord_Howe', 'Pacific/Apia'),
    pick: fc.nat(),
    lead: fc.integer({ min: 0, max: 4 * HOUR }),
    keyword: fc.boolean(),
  });

  it('gives exactly the brute-force fire times around every kind of transition (time fields only)', () => {
    fc.assert(
      fc.property(dstCaseArb, ({ second, minute, hour, zone, pick, lead, keyword }) => {
        const star = { text: '*', set: null, wildcard: true };
        const cron: GenCron = { second, minute, hour, day: star, month: star, dayOfWeek: star };
        const list = transitionsFor(zone);
        const at = list[pick % list.length]!;
        const secondsMatter = second.text !== '0';
        const start = secondsMatter ? at - Math.min(lead, HOUR) : at - lead;
        const span = secondsMatter ? 90 * 60_000 : 8 * HOUR;
        const trigger = build(cron, zone, keyword);
        const expected = bruteFireTimes({ zone, matches: matcher(cron, !keyword), fixedTime: isFixedTime(cron) }, start, start + span, secondsMatter ? 1000 : 60_000);
        expect(walk(trigger, start, start + span).map((t) => new Date(t).toISOString())).toEqual(expected.map((t) => new Date(t).toISOString()));
      }),
      { numRuns: 150 },
    );
  });

  it('answers getNextFireTime(null, t) monotonically in t, and never earlier than t', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 2 * HOUR }), ({ cron, zone, keyword, start }, delta) => {
        let trigger: CronTrigger;
        try {
          trigger = build(cron, zone, keyword);
        } catch {
          return;
        }
        const a = trigger.getNextFireTime(null, new Date(start));
        const b = trigger.getNextFireTime(null, new Date(start + delta));
        if (a !== null) expect(a.getTime()).toBeGreaterThanOrEqual(start);
        if (a !== null && b !== null) expect(b.getTime()).toBeGreaterThanOrEqual(a.getTime());
      }),
      { numRuns: 300 },
    );
  });
});

// The walker above cannot reach year 9999 minute by minute. Here the time of day is fixed, the
// zone is UTC, and a day-by-day model (brute-force.ts) that knows nothing of the 400-year cycle
// checks the year skipping, from starts anywhere in 1970-9999.
describe('CronTrigger over years 1970-9999', () => {
  const single = (min: number, max: number) => fc.integer({ min, max }).map((v): GenField => ({ text: String(v), set: new Set([v]), wildcard: false }));
  const farArb = fc.record({
    year: farYearArb,
    month: fc.oneof({ weight: 3, arbitrary: fc.constant<GenField>({ text: '*', set: null, wildcard: true }) }, { weight: 2, arbitrary: fieldArb(1, 12) }),
    day: dayArb,
    dayOfWeek: dowArb,
    week: fc.option(fieldArb(1, 53), { freq: 4, nil: undefined }),
    hour: single(0, 23),
    minute: single(0, 59),
    second: single(0, 59),
    keyword: fc.boolean(),
    start: fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59) }),
  });

  it('gives the first three fire times of a day-by-day model from any start', () => {
    fc.assert(
      fc.property(farArb, ({ keyword, start, ...cron }) => {
        // crontab text has no week field
        const useKeyword = keyword || cron.week !== undefined;
        let trigger: CronTrigger;
        try {
          trigger = build(cron, 'UTC', useKeyword);
        } catch (err) {
          expect(String(err)).toMatch(/never fire/);
          expect(firstDailyFire(matcher(cron, !useKeyword), () => true, [0, 0, 0], 0)).toBeNull();
          return;
        }
        const matches = matcher(cron, !useKeyword);
        const yearAllowed = (y: number) => cron.year.set === null || cron.year.set.has(y);
        const time = [[...cron.hour.set!][0]!, [...cron.minute.set!][0]!, [...cron.second.set!][0]!] as const;
        let from = start;
        let previous: Date | null = null;
        for (let i = 0; i < 3; i++) {
          const expected = firstDailyFire(matches, yearAllowed, time, from);
          const got = trigger.getNextFireTime(previous, new Date(from));
          expect(got?.toISOString() ?? null).toBe(expected === null ? null : new Date(expected).toISOString());
          if (got === null) break;
          previous = got;
          from = got.getTime() + 1;
        }
      }),
      { numRuns: 150 },
    );
  });

  // Zone offsets past 2500 come from tables folded over 400 years (zone.ts): check them at the
  // transitions of far years against luxon, with the brute-force walker.
  const farDstArb = fc.record({
    second: cronArb.map((c) => c.second),
    minute: cronArb.map((c) => c.minute),
    hour: cronArb.map((c) => c.hour),
    zone: fc.constantFrom('America/New_York', 'Europe/London', 'Australia/Sydney', 'Australia/Lord_Howe', 'America/Santiago'),
    year: fc.integer({ min: 2100, max: 9999 }),
    pick: fc.nat(),
    lead: fc.integer({ min: 0, max: 4 * HOUR }),
    keyword: fc.boolean(),
  });

  it('gives exactly the brute-force fire times around the DST transitions of far years', () => {
    fc.assert(
      fc.property(farDstArb, ({ second, minute, hour, zone, year, pick, lead, keyword }) => {
        const star = { text: '*', set: null, wildcard: true };
        const cron: GenCron = { second, minute, hour, day: star, month: star, dayOfWeek: star };
        const list = transitionsOf(zone, Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1), 86_400_000);
        expect(list.length).toBeGreaterThan(0);
        const at = list[pick % list.length]!;
        expect(offsetMs(zone, at)).not.toBe(offsetMs(zone, at - 60_000));
        const secondsMatter = second.text !== '0';
        const start = secondsMatter ? at - Math.min(lead, HOUR) : at - lead;
        const span = secondsMatter ? 90 * 60_000 : 8 * HOUR;
        const expected = bruteFireTimes({ zone, matches: matcher(cron, !keyword), fixedTime: isFixedTime(cron) }, start, start + span, secondsMatter ? 1000 : 60_000);
        const got = walk(build(cron, zone, keyword), start, start + span);
        expect(got.map((t) => new Date(t).toISOString())).toEqual(expected.map((t) => new Date(t).toISOString()));
      }),
      { numRuns: 40 },
    );
  });
});
