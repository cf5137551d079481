/**
 * Every trigger answers in bounded time, on any valid options and any instant a Date can hold,
 * and refuses an Invalid Date by name. The hostile-input fuzz hung here: a calendar interval
 * asked with `now = new Date(NaN)` spun forever (NaN periods never pass "past the last year").
 * Calls run under a watchdog, so a regression fails the file instead of hanging it.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { KairosRangeError, KairosTypeError } from '../../src/errors.js';
import { AndTrigger, CalendarIntervalTrigger, CronTrigger, DateTrigger, IntervalTrigger, OrTrigger } from '../../src/triggers/index.js';
import type { Trigger } from '../../src/triggers/trigger.js';
import { AND_MAX_ROUNDS } from '../../src/triggers/combining.js';
import { startWatchdog } from '../helpers/watchdog.js';
import { cronArb, farYearArb } from './generators.js';

const watchdog = startWatchdog(10_000);
afterAll(() => watchdog.stop());

const MAX_DATE_MS = 8.64e15;
const ZONES = [
  'UTC', 'Etc/GMT-14', 'Etc/GMT+12', 'Pacific/Apia', 'Pacific/Kiritimati', 'America/New_York', 'Europe/Dublin',
  'Australia/Lord_Howe', 'Asia/Kathmandu', 'Africa/Casablanca',
] as const;

/** `getNextFireTime` under the watchdog. */
function next(what: string, t: Trigger, previous: Date | null, now: Date): Date | null {
  return watchdog.guard(`${what}.getNextFireTime(${String(previous && +previous)}, ${+now})`, () => t.getNextFireTime(previous, now));
}

describe('an Invalid Date or a non-Date is refused by name, never searched from', () => {
  const kinds: Array<[string, () => Trigger]> = [
    // The input the fuzz hung on (HOSTILE_SEED=1), then the same with a startDate (it hung too).
    ['calendar interval', () => new CalendarIntervalTrigger({ days: 30, hour: 23 })],
    ['calendar interval with startDate', () => new CalendarIntervalTrigger({ days: 3, hour: 21, startDate: '2026-01-01T00:00:00Z' })],
    ['cron', () => new CronTrigger({ hour: 3 })],
    ['interval', () => new IntervalTrigger({ seconds: 5 })],
    ['interval with startDate', () => new IntervalTrigger({ seconds: 5, startDate: '2026-01-01T00:00:00Z' })],
    ['date', () => new DateTrigger({ runDate: '2027-01-01T00:00:00Z' })],
    ['and', () => new AndTrigger([new CalendarIntervalTrigger({ days: 1 }), new CronTrigger({ hour: 0 })])],
    ['or', () => new OrTrigger([new CalendarIntervalTrigger({ days: 1 }), new DateTrigger({ runDate: 0 })])],
  ];
  const good = new Date('2026-06-01T00:00:00Z');
  const invalid = new Date(NaN);

  it.each(kinds)('%s', (what, make) => {
    const t = make();
    for (const [previous, now, field, type] of [
      [null, invalid, 'now', KairosRangeError],
      [invalid, good, 'previous', KairosRangeError],
      [invalid, invalid, 'previous', KairosRangeError],
      [null, good.getTime(), 'now', KairosTypeError],
      [good.toISOString(), good, 'previous', KairosTypeError],
    ] as const) {
      let error: unknown;
      try {
        next(what, t, previous as never, now as never);
      } catch (e) {
        error = e;
      }
      expect(error, `${what}(${String(previous)}, ${String(now)})`).toBeInstanceOf(type);
      expect(error).toMatchObject({ field, code: 'KAIROS_INVALID_ARGUMENT' });
    }
    // `now` is not consulted when `previous` is given (SPEC), so it is not checked either.
    expect(() => next(what, t, good, invalid)).not.toThrow();
  });
});

describe('a calendar interval at the ends of the Date range', () => {
  it.each(ZONES)('starting at either end, or asked at the last instant, answers null or a Date (%s)', (timezone) => {
    for (const startDate of [-MAX_DATE_MS, -MAX_DATE_MS + 1, MAX_DATE_MS - 1, MAX_DATE_MS]) {
      const t = new CalendarIntervalTrigger({ days: 1, startDate, timezone });
      for (const now of [-MAX_DATE_MS, 0, Date.UTC(2026, 0, 1), MAX_DATE_MS]) {
        const at = next('calendar interval', t, null, new Date(now));
        if (at !== null) expect(at.getTime()).toBeGreaterThanOrEqual(Math.max(startDate, now));
      }
    }
    const t = new CalendarIntervalTrigger({ months: 1, timezone });
    expect(next('calendar interval', t, new Date(MAX_DATE_MS), new Date(0))).toBeNull();
    expect(next('calendar interval', t, null, new Date(MAX_DATE_MS))).toBeNull();
  });

  it('a start far from the Date range still counts periods from it', () => {
    // UTC: the local date of the first instant is a date a Date holds, so periods count from it.
    const t = new CalendarIntervalTrigger({ days: 1, startDate: -MAX_DATE_MS, timezone: 'UTC' });
    expect(next('calendar interval', t, null, new Date('2026-01-01T12:00:00Z'))?.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });
});

describe('an interval whose start and query lie more than 2^53 ms apart', () => {
  // (the property below found these: the division rounded, and the answer came 1 ms before now)
  it.each([
    [1, -MAX_DATE_MS + 3, null, MAX_DATE_MS, MAX_DATE_MS],
    [1, -MAX_DATE_MS, null, MAX_DATE_MS - 7, MAX_DATE_MS - 7],
    [1, -MAX_DATE_MS, MAX_DATE_MS, 0, null],
    [7, -MAX_DATE_MS, MAX_DATE_MS - 20, 0, MAX_DATE_MS - 18],
    [3, -MAX_DATE_MS + 1, null, MAX_DATE_MS - 5, MAX_DATE_MS - 5],
  ] as const)('every %s ms from %s, after %s / at %s: %s', (milliseconds, startDate, previous, now, expected) => {
    const t = new IntervalTrigger({ milliseconds, startDate });
    expect(next('interval', t, previous === null ? null : new Date(previous), new Date(now))?.getTime() ?? null).toBe(expected);
  });
});

describe('nested AndTriggers share one budget of rounds', () => {
  /** A trigger that counts the calls it answers. */
  function counted(t: Trigger, counter: { calls: number }): Trigger {
    return {
      kind: t.kind, jitter: 0, resolve: () => counted(t, counter), toJSON: () => t.toJSON(),
      getNextFireTime: (p, n) => {
        counter.calls++;
        return t.getNextFireTime(p, n);
      },
    };
  }

  it('an outer AndTrigger that never agrees, around an inner one that needs many rounds, gives up after AND_MAX_ROUNDS in all', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const counter = { calls: 0 };
    // The inner two agree once every 1,001 s, after ~1,000 rounds; the outer two never agree.
    const inner = new AndTrigger([
      counted(new IntervalTrigger({ milliseconds: 1000, startDate: start }), counter),
      counted(new IntervalTrigger({ milliseconds: 1001, startDate: start }), counter),
    ]);
    const outer = new AndTrigger([inner, new CronTrigger({ second: 1, timezone: 'UTC' }), new CronTrigger({ second: 2, timezone: 'UTC' })]);
    expect(next('nested and', outer, null, new Date(start.getTime() + 1))).toBeNull();
    // Two calls per inner round; one budget: at most AND_MAX_ROUNDS rounds (each budget was its
    // own before, and this took ~10,000 x 1,000 rounds, 24 s).
    expect(counter.calls).toBeGreaterThan(AND_MAX_ROUNDS);
    expect(counter.calls).toBeLessThanOrEqual(2 * AND_MAX_ROUNDS);
    // The budget is per call: the inner one alone still finds its answer afterwards.
    expect(next('inner and', inner, null, new Date(start.getTime() + 1))?.toISOString()).toBe('2026-01-01T00:16:41.000Z');
  });
});

describe('property: every trigger answers in bounded time, null or a Date in its bounds', () => {
  const instant = fc.oneof(
    fc.integer({ min: -MAX_DATE_MS, max: MAX_DATE_MS }),
    fc.integer({ min: Date.UTC(1960, 0, 1), max: Date.UTC(2100, 0, 1) }),
    fc.constantFrom(-MAX_DATE_MS, -MAX_DATE_MS + 1, MAX_DATE_MS - 1, MAX_DATE_MS, 0, -1, Date.UTC(9999, 11, 31, 23, 59, 59), Date.UTC(10_000, 0, 1)),
  );
  const count = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 30 }) },
    { weight: 1, arbitrary: fc.constantFrom(12, 25, 48, 75, 100, 300, 400, 10_000, 1e6, 2 ** 31, Number.MAX_SAFE_INTEGER) },
  );
  const bounds = fc.record({ startDate: instant, endDate: instant, timezone: fc.constantFrom(...ZONES) }, { requiredKeys: ['timezone'] })
    .map((b) => (b.startDate !== undefined && b.endDate !== undefined && b.endDate < b.startDate ? { ...b, startDate: b.endDate, endDate: b.startDate } : b));

  const calendar = fc.tuple(fc.record({ years: count, months: count, weeks: count, days: count }), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), bounds)
    .map(([units, hour, minute, b]) => () => new CalendarIntervalTrigger({ ...units, days: Object.values(units).every((u) => u === 0) ? 1 : units.days, hour, minute, ...b }));
  const interval = fc.tuple(fc.oneof(fc.integer({ min: 1, max: 1e7 }), fc.constantFrom(1, 999, 86_400_000 * 366, 1e15, MAX_DATE_MS)), bounds)
    .map(([milliseconds, b]) => () => new IntervalTrigger({ milliseconds, ...b }));
  const cron = fc.tuple(cronArb, fc.option(farYearArb), bounds).map(([c, year, b]) => () => new CronTrigger({
    second: c.second.text, minute: c.minute.text, hour: c.hour.text, day: c.day.text, month: c.month.text, dayOfWeek: c.dayOfWeek.text,
    ...(year === null ? {} : { year: year.text }), ...b,
  }));
  const date = fc.tuple(instant, bounds).map(([runDate, b]) => () => new DateTrigger({ runDate, ...b }));
  const leaf = fc.oneof(calendar, interval, cron, date);
  const combined = fc.tuple(fc.array(fc.oneof(leaf, fc.array(leaf, { minLength: 1, maxLength: 2 }).map((ms) => () => new AndTrigger(ms.map((m) => m())))), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([ms, and]) => () => (and ? new AndTrigger(ms.map((m) => m())) : new OrTrigger(ms.map((m) => m()))));

  it.each([
    ['calendar interval', calendar, 300],
    ['interval', interval, 200],
    ['cron', cron, 200],
    ['date', date, 100],
    ['and / or', combined, 60],
  ] as const)('%s', (what, make, numRuns) => {
    fc.assert(
      fc.property(make as fc.Arbitrary<() => Trigger>, instant, fc.boolean(), (build, at, withPrevious) => {
        let t: Trigger;
        try {
          t = watchdog.guard(`new ${what}`, build);
        } catch (e) {
          // Options out of a trigger's range (a cron that never fires, an interval past a Date's range).
          expect(e instanceof KairosRangeError || e instanceof KairosTypeError, String(e)).toBe(true);
          return;
        }
        const previous = withPrevious ? new Date(at) : null;
        const result = next(`${what} ${JSON.stringify(t.toJSON())}`, t, previous, new Date(at));
        if (result === null) return;
        expect(Number.isNaN(result.getTime())).toBe(false);
        const { startDate, endDate } = t as { startDate?: Date; endDate?: Date };
        if (endDate !== undefined) expect(result.getTime()).toBeLessThanOrEqual(endDate.getTime());
        // (a DateTrigger asked with previous null gives its runDate even when passed: SPEC)
        if (t.kind === 'date' || t.kind === 'or' || t.kind === 'and') return;
        if (startDate !== undefined) expect(result.getTime()).toBeGreaterThanOrEqual(startDate.getTime());
        if (previous === null) expect(result.getTime()).toBeGreaterThanOrEqual(at);
        else expect(result.getTime()).toBeGreaterThan(at);
      }),
      { numRuns },
    );
  }, 120_000);
});
