/**
 * Next matching wall-clock time of a cron expression, with no time zone involved.
 *
 * Why our own search rather than cron-parser's iterator: checked against SPEC "Time zones and
 * DST", cron-parser 5 fires a fixed-time job in a spring-forward gap an hour late (02:30 in
 * America/New_York on 2027-03-14 at 03:30 EDT instead of 03:00; the same in Australia/Sydney and
 * Europe/London), and it rejects SPEC syntax (`1#1,5L`, year fields). So cron-parser only parses
 * macros, and fire times come from this search plus the DST rules in `dst.ts` (luxon offsets).
 *
 * The search increments field by field (year -> month -> day -> hour -> minute -> second), as
 * croner does: each step jumps to the next allowed value of one field via a precomputed table,
 * never walking minute by minute. Days come from a per-month bitmask (day, dayOfWeek, `L`, `5L`,
 * `1#2`, ISO week), cached.
 *
 * Years are skipped, never walked: the year field's table jumps to the next allowed year, and a
 * year is entered only if some allowed month of it has a matching day. That is known per year
 * mod 400, because the Gregorian calendar repeats every 400 years (146 097 days, exactly 20 871
 * weeks), and with it weekdays, leap days, `L`, `5L`, `1#2` and ISO weeks. So a query enters at
 * most two years (the rest of the start year, then one that surely matches), however sparse the
 * expression (Feb 29 on a Monday, year 9999 only). Past MAX_YEAR the answer is null.
 * @module
 */
import { FIELD_SPECS, MAX_YEAR, nextTable } from './fields.js';
import type { CronExpression } from './expression.js';

const DAY = 86_400_000;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** ISO-8601 week number of a date (1..53). */
function isoWeek(year: number, month: number, day: number): number {
  const ms = Date.UTC(year, month - 1, day);
  const isoDay = ((new Date(ms).getUTCDay() + 6) % 7) + 1;
  const thursday = new Date(ms + (4 - isoDay) * DAY);
  const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return Math.floor((thursday.getTime() - jan1) / DAY / 7) + 1;
}


/** What the search learns about the date part of an expression. */
interface DateCache {
  // Matching days per (year, month), as a bitmask over days 1..31 (bit d). A schedule keeps
  // asking about the same few months, and computing one costs 31 day checks.
  readonly masks: Map<number, number>;
  /** Per year mod 400: 0 not known yet, 1 some allowed month has a matching day, 2 none. */
  readonly yearClasses: Uint8Array;
}

// These depend only on the date fields, so expressions that differ in their time fields (the
// usual case: many jobs at different times of day) share one cache.
const sharedDates = new Map<string, DateCache>();

function dateCacheFor(expr: CronExpression): DateCache {
  const key = expr.dateKey;
  let cache = sharedDates.get(key);
  if (cache === undefined) {
    if (sharedDates.size >= 1024) sharedDates.clear();
    sharedDates.set(key, (cache = { masks: new Map(), yearClasses: new Uint8Array(400) }));
  }
  return cache;
}

export class WallSearch {
  /**
   * The search of `expr`, made once: a trigger and its resolved copy (same expression, other
   * zone) share it, as do triggers of the same crontab text.
   */
  static for(expr: CronExpression): WallSearch {
    return (expr.search ??= new WallSearch(expr));
  }

  readonly #expr: CronExpression;
  readonly #year: Int16Array;
  readonly #month: Int16Array;
  readonly #hour: Int16Array;
  readonly #minute: Int16Array;
  readonly #second: Int16Array;
  readonly #weekAll: boolean;
  readonly #masks: Map<number, number>;
  readonly #yearClasses: Uint8Array;

  constructor(expr: CronExpression) {
    this.#expr = expr;
    this.#year = nextTable(expr.fields.year);
    this.#month = nextTable(expr.fields.month);
    this.#hour = nextTable(expr.fields.hour);
    this.#minute = nextTable(expr.fields.minute);
    this.#second = nextTable(expr.fields.second);
    this.#weekAll = expr.fields.week.star || expr.fields.week.values.every((v) => v === 1);
    const dates = dateCacheFor(expr);
    this.#masks = dates.masks;
    this.#yearClasses = dates.yearClasses;
  }

  /**
   * The first year >= `from` that the year field allows and that has a matching day, or -1.
   * One pass per allowed year at most (8030), each a lookup once its class is known; learning
   * a class costs at most 12 month masks, and there are 400 classes.
   */
  #nextYear(from: number): number {
    // (NaN too: the wall of an instant near the last Date is past it)
    if (!(from <= MAX_YEAR)) return -1;
    for (let y = this.#year[from]!; y !== -1; y = this.#year[y + 1]!) {
      const c = y % 400;
      let known = this.#yearClasses[c]!;
      if (known === 0) {
        known = 2;
        for (let mo = this.#month[1]!; mo !== -1; mo = this.#month[mo + 1]!) {
          // Uncached: learning classes would otherwise flush the masks the schedule reuses.
          if (this.#computeMask(y, mo) !== 0) {
            known = 1;
            break;
          }
        }
        this.#yearClasses[c] = known;
      }
      if (known === 1) return y;
    }
    return -1;
  }

  /** Bitmask of the days of `month` (1..12) in `year` that match day, dayOfWeek and week. */
  dayMask(year: number, month: number): number {
    const key = year * 16 + month;
    const cached = this.#masks.get(key);
    if (cached !== undefined) return cached;
    const mask = this.#computeMask(year, month);
    if (this.#masks.size >= 512) this.#masks.clear();
    this.#masks.set(key, mask);
    return mask;
  }

  #computeMask(year: number, month: number): number {
    const { day, dayOfWeek, week } = this.#expr.fields;
    const dim = daysInMonth(year, month);
    const firstWeekday = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    let mask = 0;
    for (let d = 1; d <= dim; d++) {
      const wd = (firstWeekday + d - 1) % 7;
      const domOk = day.values[d - 1] === 1 || (day.last && d === dim);
      let dowOk = dayOfWeek.values[wd] === 1;
      if (!dowOk) dowOk = dayOfWeek.nth.some(([w, n]) => w === wd && Math.ceil(d / 7) === n);
      if (!dowOk) dowOk = dayOfWeek.lastWeekday.some((w) => w === wd && d + 7 > dim);
      const dateOk = this.#expr.vixieOr ? domOk || dowOk : domOk && dowOk;
      if (dateOk && (this.#weekAll || week.values[isoWeek(year, month, d) - 1] === 1)) mask |= 1 << d;
    }
    return mask;
  }

  /**
   * The earliest matching wall time (whole seconds, as UTC-encoded ms) at or after `wall`, or
   * null when there is none up to the end of MAX_YEAR.
   */
  next(wall: number): number | null {
    const start = new Date(Math.ceil(wall / 1000) * 1000);
    let y = start.getUTCFullYear();
    let mo = start.getUTCMonth() + 1;
    let d = start.getUTCDate();
    let h = start.getUTCHours();
    let mi = start.getUTCMinutes();
    let s = start.getUTCSeconds();
    const years = FIELD_SPECS.year;
    if (y < years.min) {
      y = years.min;
      mo = d = 1;
      h = mi = s = 0;
    }
    // Each pass either returns or moves to a strictly later unit, and at most two years are
    // entered, so the loop ends within a few hundred passes; the counter only guards against a
    // bug turning into a hang.
    let entered = -1;
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (y !== entered) {
        const next = this.#nextYear(y);
        if (next === -1) return null;
        if (next !== y) {
          y = next;
          mo = d = 1;
          h = mi = s = 0;
        }
        entered = y;
      }
      const nextMonth = this.#month[mo]!;
      if (nextMonth === -1) {
        y++;
        mo = d = 1;
        h = mi = s = 0;
        continue;
      }
      if (nextMonth !== mo) {
        mo = nextMonth;
        d = 1;
        h = mi = s = 0;
      }
      // (a shift by 32 would be a shift by 0 in JS, hence the explicit bound)
      const days = d > 31 ? 0 : this.dayMask(y, mo) >>> d;
      if (days === 0) {
        mo++;
        if (mo > 12) {
          mo = 1;
          y++;
        }
        d = 1;
        h = mi = s = 0;
        continue;
      }
      // Count trailing zeros: the first matching day >= d.
      const skip = 31 - Math.clz32(days & -days);
      if (skip > 0) {
        d += skip;
        h = mi = s = 0;
      }
      const nextHour = this.#hour[h]!;
      if (nextHour === -1) {
        d++;
        h = mi = s = 0;
        continue;
      }
      if (nextHour !== h) {
        h = nextHour;
        mi = s = 0;
      }
      const nextMinute = this.#minute[mi]!;
      if (nextMinute === -1) {
        h++;
        mi = s = 0;
        continue;
      }
      if (nextMinute !== mi) {
        mi = nextMinute;
        s = 0;
      }
      const nextSecond = this.#second[s]!;
      if (nextSecond === -1) {
        mi++;
        s = 0;
        continue;
      }
      return Date.UTC(y, mo - 1, d, h, mi, nextSecond);
    }
    throw new Error('kairos: cron search did not terminate (bug)');
  }
}
