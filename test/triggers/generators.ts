/**
 * fast-check generators of cron fields that carry, next to their text, the set of values they
 * allow, so the brute-force model never parses cron text itself.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import type { Local } from './brute-force.js';

export interface GenField {
  text: string;
  /** Allowed values; null means every value. */
  set: ReadonlySet<number> | null;
  /** `*`, `*\/n` or a full-range step or range (SPEC's wildcard). */
  wildcard: boolean;
}

function range(from: number, to: number, step = 1): Set<number> {
  const s = new Set<number>();
  for (let v = from; v <= to; v += step) s.add(v);
  return s;
}

/** A field over `[min, max]`: `*`, `*\/n`, a value, a list, a range, a stepped range. */
export function fieldArb(min: number, max: number): fc.Arbitrary<GenField> {
  return fc.oneof(
    fc.constant<GenField>({ text: '*', set: null, wildcard: true }),
    fc.integer({ min: 2, max: Math.max(2, Math.floor((max - min) / 2)) }).map((n) => ({ text: `*/${n}`, set: range(min, max, n), wildcard: true })),
    fc.integer({ min, max }).map((v) => ({ text: String(v), set: new Set([v]), wildcard: false })),
    fc.uniqueArray(fc.integer({ min, max }), { minLength: 2, maxLength: 3 }).map((vs) => ({ text: vs.join(','), set: new Set(vs), wildcard: false })),
    fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.integer({ min: 1, max: 4 })).map(([a, b, n]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const text = n === 1 ? `${lo}-${hi}` : `${lo}-${hi}/${n}`;
      return { text, set: range(lo, hi, n), wildcard: lo === min && hi === max };
    }),
  );
}

/** Day of month, sometimes `L`. */
export const dayArb: fc.Arbitrary<GenField & { last?: boolean }> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ text: '*', set: null, wildcard: true }) },
  { weight: 2, arbitrary: fieldArb(1, 31) },
  { weight: 1, arbitrary: fc.constant({ text: 'L', set: new Set<number>(), wildcard: false, last: true }) },
);

export interface GenDow extends GenField {
  nth?: [number, number];
  lastOf?: number;
}

/** Day of week (0 and 7 Sunday), sometimes `5L` or `1#2`. */
export const dowArb: fc.Arbitrary<GenDow> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<GenDow>({ text: '*', set: null, wildcard: true }) },
  {
    weight: 2,
    arbitrary: fieldArb(0, 7).map((f) => ({ ...f, set: f.set && new Set([...f.set].map((v) => v % 7)) })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }).map((w) => ({ text: `${w}L`, set: new Set<number>(), wildcard: false, lastOf: w })) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 5 })).map(([w, n]) => ({
      text: `${w}#${n}`, set: new Set<number>(), wildcard: false, nth: [w, n] as [number, number],
    })),
  },
);

export interface GenCron {
  second: GenField;
  minute: GenField;
  hour: GenField;
  day: GenField & { last?: boolean };
  month: GenField;
  dayOfWeek: GenDow;
  /** Absent: every year (the 5/6-field crontab text). */
  year?: GenField;
  /** ISO week; absent: every week. Keyword form only. */
  week?: GenField;
}

export const cronArb: fc.Arbitrary<GenCron> = fc.record({
  second: fc.oneof({ weight: 3, arbitrary: fc.constant<GenField>({ text: '0', set: new Set([0]), wildcard: false }) }, { weight: 1, arbitrary: fieldArb(0, 59) }),
  minute: fieldArb(0, 59),
  hour: fieldArb(0, 23),
  day: dayArb,
  month: fc.oneof({ weight: 5, arbitrary: fc.constant<GenField>({ text: '*', set: null, wildcard: true }) }, { weight: 1, arbitrary: fieldArb(1, 12) }),
  dayOfWeek: dowArb,
});

/** Years around the 2026-2030 windows of the brute-force properties, sometimes with far ones listed. */
export const nearYearArb: fc.Arbitrary<GenField> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<GenField>({ text: '*', set: null, wildcard: true }) },
  // (not `*\/n`: in a year field its steps count from 1970, not from 2024)
  { weight: 2, arbitrary: fieldArb(2024, 2032).filter((f) => !f.text.startsWith('*')) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 2025, max: 2031 }), fc.integer({ min: 2100, max: 9999 })).map(([a, b]) => ({
      text: `${a},${b}`, set: new Set([a, b]), wildcard: false,
    })),
  },
);

/** Any years 1970-9999: single far years, lists, `*\/n`, and steps that keep to one leap class. */
export const farYearArb: fc.Arbitrary<GenField> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<GenField>({ text: '*', set: null, wildcard: true }) },
  { weight: 4, arbitrary: fieldArb(1970, 9999) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.integer({ min: 1970, max: 9999 }), fc.constantFrom(4, 100, 400, 28, 7)).map(([a, n]) => ({
      text: `${a}-9999/${n}`, set: range(a, 9999, n), wildcard: false,
    })),
  },
);

const has = (f: GenField, v: number) => f.set === null || f.set.has(v);

/** SPEC matching of a generated expression; `vixie` is crontab text's OR rule. */
export function matcher(c: GenCron, vixie: boolean): (l: Local) => boolean {
  return (l) => {
    if (!has(c.second, l.second) || !has(c.minute, l.minute) || !has(c.hour, l.hour) || !has(c.month, l.month)) return false;
    if (c.year && !has(c.year, l.year)) return false;
    if (c.week && !has(c.week, DateTime.utc(l.year, l.month, l.day).weekNumber)) return false;
    const dom = c.day.last ? l.day === l.daysInMonth : has(c.day, l.day);
    const w = c.dayOfWeek;
    let dow: boolean;
    if (w.nth) dow = l.weekday === w.nth[0] && Math.ceil(l.day / 7) === w.nth[1];
    else if (w.lastOf !== undefined) dow = l.weekday === w.lastOf && l.day + 7 > l.daysInMonth;
    else dow = has(w, l.weekday);
    const bothRestricted = c.day.text !== '*' && c.dayOfWeek.text !== '*';
    return vixie && bothRestricted ? dom || dow : dom && dow;
  };
}

export function isFixedTime(c: GenCron): boolean {
  return !c.second.wildcard && !c.minute.wildcard && !c.hour.wildcard;
}

export const ZONES = [
  'UTC', 'America/New_York', 'Europe/London', 'Australia/Sydney', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Apia',
] as const;
