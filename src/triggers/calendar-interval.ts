/**
 * `CalendarIntervalTrigger`: every N calendar units at a wall-clock time.
 * @module
 */
import { KairosRangeError } from '../errors.js';
import { checkInteger, checkTimezone, systemTimezone } from '../units.js';
import type { ResolveContext, SerializedTrigger, Trigger } from './trigger.js';
import {
  BASE_KEYS, MAX_DATE_MS, capped, checkKeys, optionsToJSON, resolveBase, restoreResolved, searchFrom,
  type ResolvedBase, type TriggerBaseOptions,
} from './common.js';
import { MAX_YEAR } from './cron/fields.js';
import { ZoneRules, fixedTimeInstant } from './zone.js';

/** Options of {@link CalendarIntervalTrigger}. At least one of the units must be > 0. */
export interface CalendarIntervalTriggerOptions extends TriggerBaseOptions {
  /** Whole years between fire dates, >= 0. @default 0 */
  years?: number;
  /** Whole months between fire dates, >= 0. A date the month lacks (31st) is skipped. @default 0 */
  months?: number;
  /** Whole weeks between fire dates, >= 0. @default 0 */
  weeks?: number;
  /** Whole calendar days between fire dates, >= 0 (a day is 23 or 25 h across DST). @default 0 */
  days?: number;
  /** Wall-clock hour of each fire time, 0 to 23. @default 0 */
  hour?: number;
  /** Wall-clock minute, 0 to 59. @default 0 */
  minute?: number;
  /** Wall-clock second, 0 to 59. @default 0 */
  second?: number;
}

const UNITS = ['years', 'months', 'weeks', 'days'] as const;
const KEYS = [...UNITS, 'hour', 'minute', 'second', ...BASE_KEYS];
const DAY = 86_400_000;
/** Average lengths (days), only to jump close to the answer before stepping period by period. */
const APPROX_DAYS = { years: 365.2425, months: 30.436875, weeks: 7, days: 1 } as const;
/** Most periods one search steps through (a few are needed); see getNextFireTime. */
const MAX_STEPS = 10_000;

/**
 * Fires every N calendar units at a wall-clock time (default 00:00:00), counted from
 * `startDate`'s local date (default: when the job is added). The first fire is that date at that
 * time, or the next period's date when that is before `startDate`. A date a month lacks (Jan 31
 * + 1 month) is skipped, never clamped. DST: the fixed-time rule (a time in a gap fires when the
 * gap ends; a repeated time fires once, at its first occurrence).
 * @example
 * new CalendarIntervalTrigger({ months: 1, hour: 9, startDate: '2026-01-31', timezone: 'UTC' });
 */
export class CalendarIntervalTrigger implements Trigger {
  readonly kind = 'calendarinterval' as const;
  /** Upper bound of the random delay per run, ms. */
  readonly jitter: number;
  readonly timezone: string | undefined;
  /** The instant whose local date periods count from: given, or resolved; `undefined` until resolved. */
  readonly startDate: Date | undefined;
  readonly endDate: Date | undefined;
  readonly #options: Record<string, unknown>;
  readonly #base: ResolvedBase;
  readonly #units: Record<(typeof UNITS)[number], number>;
  readonly #time: number;
  #rules: ZoneRules;

  /** @throws TypeError/RangeError for an unknown option, a bad unit or time, or no unit > 0 */
  constructor(options: CalendarIntervalTriggerOptions) {
    const given = checkKeys(options, KEYS, 'CalendarIntervalTrigger');
    const units = { years: 0, months: 0, weeks: 0, days: 0 };
    for (const unit of UNITS) if (given[unit] !== undefined) units[unit] = checkInteger(given[unit], unit, 0);
    if (UNITS.every((u) => units[u] === 0)) {
      throw new KairosRangeError('years/months/weeks/days', given, 'at least one of years, months, weeks, days greater than zero');
    }
    const hour = given.hour === undefined ? 0 : checkInteger(given.hour, 'hour', 0, 23);
    const minute = given.minute === undefined ? 0 : checkInteger(given.minute, 'minute', 0, 59);
    const second = given.second === undefined ? 0 : checkInteger(given.second, 'second', 0, 59);
    this.#units = units;
    this.#time = ((hour * 60 + minute) * 60 + second) * 1000;
    this.#options = given;
    this.#base = resolveBase(given);
    this.jitter = this.#base.jitter;
    this.timezone = this.#base.timezone;
    this.startDate = this.#base.startDate;
    this.endDate = this.#base.endDate;
    this.#rules = ZoneRules.for(this.timezone ?? systemTimezone());
  }

  /** The wall time of period `i` counted from the local date `anchor` (wall ms), or null if that date does not exist. */
  #periodWall(anchor: Date, i: number): number | null {
    const { years, months, weeks, days } = this.#units;
    const day = anchor.getUTCDate();
    const date = new Date(Date.UTC(anchor.getUTCFullYear() + i * years, anchor.getUTCMonth() + i * months, day));
    if (date.getUTCDate() !== day) return null;
    return date.getTime() + i * (weeks * 7 + days) * DAY + this.#time;
  }

  getNextFireTime(previous: Date | null, now: Date): Date | null {
    const anchorInstant = this.startDate ?? previous ?? now;
    const from = searchFrom(previous, now, this.startDate);
    if (this.endDate !== undefined && from > this.endDate.getTime()) return null;
    // Past the last Date there is no fire time to give (and no wall time to compute).
    if (from > MAX_DATE_MS) return null;
    const anchorWall = this.#rules.wall(anchorInstant.getTime());
    const anchor = new Date(anchorWall - (((anchorWall % DAY) + DAY) % DAY));
    // A start within a day of either end of the Date range (years -271821 and 275760) has a
    // local date no Date can hold, so no period can be counted from it: never, rather than NaN
    // periods that no test below ever stops.
    if (Number.isNaN(anchor.getTime())) return null;
    const periodDays = UNITS.reduce((sum, u) => sum + this.#units[u] * APPROX_DAYS[u], 0);
    // Start two periods before the estimate: month and year lengths vary by a few days only.
    const elapsedDays = (this.#rules.wall(from) - anchor.getTime()) / DAY;
    let i = Math.max(0, Math.floor(elapsedDays / periodDays) - 2);
    // Periods move strictly forward, so past MAX_YEAR we give up (null), like the cron search.
    // The estimate lands within a few periods of the answer and a date a period lacks (Feb 29
    // every 25 years) is skipped in at most 15 steps, so the guard only turns a bug into an
    // error instead of a hang.
    for (let guard = 0; guard < MAX_STEPS; guard++, i++) {
      const wall = this.#periodWall(anchor, i);
      if (wall === null) {
        const year = anchor.getUTCFullYear() + i * this.#units.years + Math.floor((anchor.getUTCMonth() + i * this.#units.months) / 12);
        if (!(year <= MAX_YEAR)) return null;
        continue;
      }
      if (!(wall <= Date.UTC(MAX_YEAR + 1, 0, 1))) return null;
      const at = fixedTimeInstant(this.#rules, wall);
      if (at !== null && at >= from) return capped(at, this.endDate);
    }
    throw new Error('kairos: calendar interval search did not terminate (bug)');
  }

  /** Fills the zone and, when no `startDate` was given, sets it to `now`. */
  resolve(context: ResolveContext): CalendarIntervalTrigger {
    if (this.startDate !== undefined && this.timezone !== undefined) return this;
    return this[restoreResolved](this.timezone ?? context.timezone, this.startDate ?? context.now);
  }

  /** Used by `triggerFromJSON`; not part of the public API. */
  [restoreResolved](timezone: string | undefined, startDate: Date | undefined): CalendarIntervalTrigger {
    const copy = new CalendarIntervalTrigger(this.#options as CalendarIntervalTriggerOptions);
    const base = copy.#base;
    if (timezone !== undefined) base.timezone = checkTimezone(timezone);
    if (startDate !== undefined) base.startDate = new Date(startDate.getTime());
    copy.#rules = ZoneRules.for(base.timezone ?? systemTimezone());
    Object.assign(copy, { timezone: base.timezone, startDate: base.startDate });
    return copy;
  }

  toJSON(): SerializedTrigger {
    const out: SerializedTrigger = { kind: 'calendarinterval', options: optionsToJSON(this.#options) };
    if (this.timezone !== undefined) out.timezone = this.timezone;
    if (this.startDate !== undefined) out.startDate = this.startDate.toISOString();
    return out;
  }
}
