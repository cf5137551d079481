import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CronTrigger } from '../../src/triggers/index.js';
import { bruteFireTimes, transitionsOf } from './brute-force.js';
import { walk } from './helpers.js';
import { ZONES, cronArb, isFixedTime, matcher, type GenCron } from './generators.js';

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
  .record({ cron: cronArb, zone: fc.constantFrom(...ZONES), keyword: fc.boolean() })
  .chain((c) => fc.record({ cron: fc.constant(c.cron), zone: fc.constant(c.zone), keyword: fc.constant(c.keyword), start: startArb(c.zone) }));

function build(c: GenCron, zone: string, keyword: boolean): CronTrigger {
  if (!keyword) {
    const text = `${c.second.text} ${c.minute.text} ${c.hour.text} ${c.day.text} ${c.month.text} ${c.dayOfWeek.text}`;
    return CronTrigger.fromCrontab(text, { timezone: zone });
  }
  return new CronTrigger({
    second: c.second.text, minute: c.minute.text, hour: c.hour.text, day: c.day.text, month: c.month.text, dayOfWeek: c.dayOfWeek.text, timezone: zone,
  });
}

describe('CronTrigger against the brute-force walker', () => {
  it('gives exactly the brute-force fire times over a window (random fields, zones, starts near DST)', () => {
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
