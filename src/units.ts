/**
 * The one door for every unit kairos accepts: durations (ms or a duration object), instants
 * (Date, ISO-8601 text or epoch ms) and IANA time zone names. Everything is resolved here once,
 * at the boundary, into plain milliseconds, `Date`s and checked zone names.
 * @module
 */
import { IANAZone } from 'luxon';
import { KairosRangeError, KairosTypeError } from './errors.js';

/** A duration as an object; the parts are added up. */
export interface DurationObject {
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}

/** A duration: milliseconds, or a {@link DurationObject}. */
export type DurationLike = number | DurationObject;

/** An instant: a `Date`, ISO-8601 text (`'2027-03-14T02:30:00Z'`) or epoch milliseconds. */
export type InstantLike = Date | string | number;

/** Milliseconds per duration unit; the keys are the only units accepted. */
export const DURATION_UNITS: Readonly<Record<keyof DurationObject, number>> = {
  weeks: 7 * 86_400_000,
  days: 86_400_000,
  hours: 3_600_000,
  minutes: 60_000,
  seconds: 1_000,
  milliseconds: 1,
};

const UNIT_NAMES = Object.keys(DURATION_UNITS).join(', ');

/**
 * Converts a duration to milliseconds.
 * @param field names the option in error messages
 * @throws TypeError for a value that is not a number or duration object, or an unknown unit
 * @throws RangeError for a non-finite or negative result (or a zero one when `positive`)
 */
export function toMilliseconds(value: unknown, field: string, { positive = false } = {}): number {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
    ms = 0;
    for (const [unit, amount] of Object.entries(value)) {
      if (amount === undefined) continue;
      if (!(unit in DURATION_UNITS)) {
        throw new KairosTypeError(`${field}.${unit}`, amount, `a duration unit (one of ${UNIT_NAMES})`, `"${unit}" is not a unit`);
      }
      if (typeof amount !== 'number' || !Number.isFinite(amount)) {
        throw new KairosTypeError(`${field}.${unit}`, amount, 'a finite number');
      }
      ms += amount * DURATION_UNITS[unit as keyof DurationObject];
    }
  } else {
    throw new KairosTypeError(field, value, `a duration: milliseconds as a number, or an object with ${UNIT_NAMES}`);
  }
  if (!Number.isFinite(ms)) throw new KairosRangeError(field, value, 'a finite duration');
  if (positive ? ms <= 0 : ms < 0) {
    throw new KairosRangeError(field, value, positive ? 'a duration greater than zero' : 'a duration of zero or more');
  }
  return ms;
}

/** Like {@link toMilliseconds}, but `null`/`undefined` pass through as `null`. */
export function toOptionalMilliseconds(value: unknown, field: string): number | null {
  return value === null || value === undefined ? null : toMilliseconds(value, field);
}

/**
 * Converts an instant to a `Date`.
 * @throws TypeError for another type, RangeError for an invalid date or unparseable text
 */
export function toDate(value: unknown, field: string): Date {
  let date: Date;
  if (value instanceof Date) date = new Date(value.getTime());
  else if (typeof value === 'number') date = new Date(value);
  else if (typeof value === 'string') date = new Date(value);
  else throw new KairosTypeError(field, value, 'an instant: a Date, ISO-8601 text or epoch milliseconds');
  if (Number.isNaN(date.getTime())) {
    throw new KairosRangeError(field, value, 'a valid instant (ISO-8601 text such as "2027-03-14T02:30:00Z", a valid Date, or epoch milliseconds)');
  }
  return date;
}

/** Like {@link toDate}, but `null`/`undefined` pass through as `undefined`. */
export function toOptionalDate(value: unknown, field: string): Date | undefined {
  return value === null || value === undefined ? undefined : toDate(value, field);
}

let systemZone: { tz: string | undefined; zone: string } | undefined;

/** The zone Node runs in (`TZ`, else the system's). Cached per value of `TZ`: Intl is slow to ask. */
export function systemTimezone(): string {
  const tz = process.env.TZ;
  if (systemZone === undefined || systemZone.tz !== tz) {
    systemZone = { tz, zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' };
  }
  return systemZone.zone;
}

const checkedZones = new Set<string>();

/**
 * Checks an IANA zone name and returns it.
 * @throws TypeError when not a string, RangeError for a name luxon's Intl data does not know
 */
export function checkTimezone(value: unknown, field = 'timezone'): string {
  if (typeof value !== 'string') throw new KairosTypeError(field, value, "an IANA time zone name such as 'Europe/Berlin'");
  if (checkedZones.has(value)) return value;
  if (!IANAZone.isValidZone(value)) {
    throw new KairosRangeError(field, value, "an IANA time zone name such as 'Europe/Berlin' or 'UTC'", 'unknown time zone');
  }
  checkedZones.add(value);
  return value;
}

/** Checks that `value` is an integer in `[min, max]` and returns it. */
export function checkInteger(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new KairosTypeError(field, value, `an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KairosRangeError(field, value, `an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);
  }
  return value;
}
