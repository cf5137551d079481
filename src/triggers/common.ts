/**
 * What every trigger shares: the `startDate`/`endDate`/`timezone`/`jitter` options, their
 * validation, unknown-key detection (the shared checker of `options-check.ts`), and the JSON form of options.
 * Not exported from the package.
 * @module
 */
import { KairosRangeError, KairosTypeError } from '../errors.js';
import { checkKnownKeys } from '../options-check.js';
import { checkTimezone, toMilliseconds, toOptionalDate, type DurationLike, type InstantLike } from '../units.js';

/** Options every trigger takes. */
export interface TriggerBaseOptions {
  /**
   * No fire time earlier than this instant. For `IntervalTrigger` it is also the first fire
   * time, for `CalendarIntervalTrigger` the date periods are counted from.
   * @default none (interval and calendar interval: when the job is added)
   */
  startDate?: InstantLike;
  /** No fire time later than this instant (inclusive). Must not be earlier than `startDate`. @default none */
  endDate?: InstantLike;
  /**
   * IANA zone whose wall clock the fields match (`'Europe/Berlin'`). Wins over the scheduler's.
   * @default the scheduler's zone, or the system zone when the trigger is used on its own
   */
  timezone?: string;
  /**
   * Upper bound of a random delay added to each run: milliseconds or a duration object, >= 0.
   * The trigger only stores it (as ms in `.jitter`); the scheduler applies it.
   * @default 0
   */
  jitter?: DurationLike;
}

/** The base options, checked and converted once. */
export interface ResolvedBase {
  startDate: Date | undefined;
  endDate: Date | undefined;
  timezone: string | undefined;
  jitter: number;
}

export const BASE_KEYS = ['startDate', 'endDate', 'timezone', 'jitter'] as const;

/**
 * Symbol-keyed method through which `triggerFromJSON` gives a trigger back its resolved zone
 * and start. Kept off the package surface on purpose: users resolve through `resolve()`.
 */
export const restoreResolved: unique symbol = Symbol('kairos.restoreResolved');

export interface Restorable {
  [restoreResolved](timezone: string | undefined, startDate: Date | undefined): unknown;
}

/**
 * Throws a TypeError for an options value that is not a plain object, or for a key the trigger
 * does not know. Mixing up `hours` (interval) and `hour` (cron) is common, hence the "did you
 * mean" of the shared checker ({@link checkKnownKeys}), which this is.
 */
export function checkKeys(options: unknown, allowed: readonly string[], what: string): Record<string, unknown> {
  return checkKnownKeys(options, allowed, what);
}

/** Checks and converts the base options. */
export function resolveBase(options: Record<string, unknown>): ResolvedBase {
  const startDate = toOptionalDate(options.startDate, 'startDate');
  const endDate = toOptionalDate(options.endDate, 'endDate');
  if (startDate && endDate && endDate.getTime() < startDate.getTime()) {
    throw new KairosRangeError('endDate', options.endDate, `an instant not earlier than startDate (${startDate.toISOString()})`, 'endDate is before startDate');
  }
  const timezone = options.timezone === undefined || options.timezone === null ? undefined : checkTimezone(options.timezone);
  const jitter = options.jitter === undefined || options.jitter === null ? 0 : toMilliseconds(options.jitter, 'jitter');
  return { startDate, endDate, timezone, jitter };
}

/** The options as given, for `toJSON`: instants become ISO text, `undefined` values are dropped. */
export function optionsToJSON(options: Record<string, unknown>, instantKeys: readonly string[] = ['startDate', 'endDate']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (instantKeys.includes(key) && value !== null) {
      out[key] = toOptionalDate(value, key)?.toISOString();
    } else {
      out[key] = value !== null && typeof value === 'object' ? structuredClone(value) : value;
    }
  }
  return out;
}

/**
 * Refuses the argument of `getNextFireTime` that the answer depends on (`previous`, or `now`
 * when `previous` is null) unless it is a valid Date. An Invalid Date makes every threshold NaN,
 * which compares false with everything: a search never meets its "past the last year" test
 * (a calendar interval asked with `now = new Date(NaN)` spun forever) or answers a silent null.
 * @throws TypeError for a non-Date, RangeError for an Invalid Date
 */
export function checkQuery(previous: Date | null, now: Date): void {
  const [field, value] = previous === null ? ['now', now] : ['previous', previous];
  if (!(value instanceof Date)) throw new KairosTypeError(field, value, `a Date${field === 'previous' ? ' or null' : ''}`);
  if (Number.isNaN(value.getTime())) throw new KairosRangeError(field, value, 'a valid Date (this one is an Invalid Date)');
}

/**
 * The threshold instant (ms) from which the earliest fire time is searched, inclusive.
 * @throws as {@link checkQuery}
 */
export function searchFrom(previous: Date | null, now: Date, startDate: Date | undefined): number {
  checkQuery(previous, now);
  const from = previous === null ? now.getTime() : previous.getTime() + 1;
  return startDate === undefined ? from : Math.max(from, startDate.getTime());
}

/** The latest instant a Date can hold (ms since the epoch, 275760-09-13): later is "never". */
export const MAX_DATE_MS = 8.64e15;

/** `ms` as a Date, or null when beyond `endDate` or beyond what a Date can hold. */
export function capped(ms: number | null, endDate: Date | undefined): Date | null {
  if (ms === null || !(ms <= MAX_DATE_MS)) return null;
  if (endDate !== undefined && ms > endDate.getTime()) return null;
  return new Date(ms);
}
