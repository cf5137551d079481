/**
 * `IntervalTrigger`: fixed elapsed time, unaffected by DST.
 * @module
 */
import { KairosRangeError, KairosTypeError } from '../errors.js';
import { DURATION_UNITS, checkTimezone, type DurationObject } from '../units.js';
import type { ResolveContext, SerializedTrigger, Trigger } from './trigger.js';
import {
  BASE_KEYS, MAX_DATE_MS, capped, checkKeys, checkQuery, optionsToJSON, resolveBase, restoreResolved,
  type ResolvedBase, type TriggerBaseOptions,
} from './common.js';

/**
 * Options of {@link IntervalTrigger}. The units are added up; each is a finite number >= 0 and
 * the total must be greater than zero. All default to 0.
 */
export interface IntervalTriggerOptions extends TriggerBaseOptions, DurationObject {
  /** Weeks of 7 × 24 h (elapsed time, not calendar weeks). @default 0 */
  weeks?: number;
  /** Days of 24 h (elapsed time: across DST a run moves by an hour on the wall clock). @default 0 */
  days?: number;
  /** @default 0 */
  hours?: number;
  /** @default 0 */
  minutes?: number;
  /** @default 0 */
  seconds?: number;
  /** @default 0 */
  milliseconds?: number;
}

const UNITS = Object.keys(DURATION_UNITS) as (keyof DurationObject)[];
const KEYS = [...UNITS, ...BASE_KEYS];

/**
 * Fires every `interval` from `startDate`, which is its first fire time. Without `startDate`
 * the first fire time is one interval after the job is added (`resolve({ now })`), as
 * `setInterval`; an interval trigger used before it is resolved counts from `now`/`previous`.
 * @example
 * new IntervalTrigger({ minutes: 15, startDate: '2026-01-01T00:00:00Z' });
 */
export class IntervalTrigger implements Trigger {
  readonly kind = 'interval' as const;
  /** Upper bound of the random delay per run, ms. */
  readonly jitter: number;
  /** The interval in milliseconds (> 0). */
  readonly interval: number;
  /** The zone given or resolved (informational: elapsed time ignores zones). */
  readonly timezone: string | undefined;
  /** The first fire time: given, or resolved; `undefined` until resolved. */
  readonly startDate: Date | undefined;
  readonly endDate: Date | undefined;
  readonly #options: Record<string, unknown>;
  readonly #base: ResolvedBase;

  /**
   * @throws TypeError for an unknown option (`hour` instead of `hours`) or a non-number unit
   * @throws RangeError for a negative unit, a zero total, or `endDate` before `startDate`
   */
  constructor(options: IntervalTriggerOptions) {
    const given = checkKeys(options, KEYS, 'IntervalTrigger');
    let interval = 0;
    for (const unit of UNITS) {
      const amount = given[unit];
      if (amount === undefined) continue;
      if (typeof amount !== 'number' || !Number.isFinite(amount)) throw new KairosTypeError(unit, amount, 'a finite number of ' + unit);
      if (amount < 0) throw new KairosRangeError(unit, amount, `a number of ${unit} >= 0 (the interval must be positive)`);
      interval += amount * DURATION_UNITS[unit];
    }
    if (!(interval > 0)) {
      throw new KairosRangeError('interval', interval, `a total greater than zero: give at least one of ${UNITS.join(', ')}`);
    }
    // Past this, every fire time would overflow a Date (an Invalid Date, then a bare "Invalid time value").
    if (interval > MAX_DATE_MS) {
      throw new KairosRangeError('interval', interval, `a total of at most ${MAX_DATE_MS} ms (about 273,790 years, the range of a Date)`);
    }
    this.interval = interval;
    this.#options = given;
    this.#base = resolveBase(given);
    this.jitter = this.#base.jitter;
    this.timezone = this.#base.timezone;
    this.startDate = this.#base.startDate;
    this.endDate = this.#base.endDate;
  }

  getNextFireTime(previous: Date | null, now: Date): Date | null {
    checkQuery(previous, now);
    const start = this.startDate?.getTime();
    let next: number;
    if (start === undefined) {
      next = (previous ?? now).getTime() + this.interval;
    } else {
      const from = previous === null ? now.getTime() : previous.getTime() + 1;
      next = from <= start ? start : start + Math.ceil((from - start) / this.interval) * this.interval;
      // Over more than 2^53 ms (start and now near opposite ends of the Date range) the division
      // rounds, and `next` can land a few ms before `from`: step on to the next fire time.
      if (next < from) next = Math.max(from, next + Math.ceil((from - next) / this.interval) * this.interval);
    }
    return capped(next, this.endDate);
  }

  /** How many fire times lie in `(after, upTo]`, computed, not walked; null until resolved. */
  countFireTimes(after: Date, upTo: Date): number | null {
    const start = this.startDate?.getTime();
    if (start === undefined) return null;
    const hi = this.endDate === undefined ? upTo.getTime() : Math.min(upTo.getTime(), this.endDate.getTime());
    if (hi < start) return 0;
    const first = after.getTime() < start ? 0 : Math.floor((after.getTime() - start) / this.interval) + 1;
    const last = Math.floor((hi - start) / this.interval);
    return Math.max(0, last - first + 1);
  }

  /** Fills the zone and, when no `startDate` was given, sets it to `now` + one interval. */
  resolve(context: ResolveContext): IntervalTrigger {
    if (this.startDate !== undefined && this.timezone !== undefined) return this;
    const start = this.startDate?.getTime() ?? context.now.getTime() + this.interval;
    if (start > MAX_DATE_MS) {
      throw new KairosRangeError('interval', this.interval, `an interval whose first fire time (now + interval) a Date can hold, at most ${MAX_DATE_MS - context.now.getTime()} ms from now`);
    }
    return this[restoreResolved](this.timezone ?? context.timezone, new Date(start));
  }

  /** Used by `triggerFromJSON`; not part of the public API. */
  [restoreResolved](timezone: string | undefined, startDate: Date | undefined): IntervalTrigger {
    const copy = new IntervalTrigger(this.#options as IntervalTriggerOptions);
    const base = copy.#base;
    if (timezone !== undefined) base.timezone = checkTimezone(timezone);
    if (startDate !== undefined) base.startDate = startDate;
    // A resolved start past endDate is not an error: the trigger simply never fires.
    Object.assign(copy, { timezone: base.timezone, startDate: base.startDate });
    return copy;
  }

  toJSON(): SerializedTrigger {
    const out: SerializedTrigger = { kind: 'interval', options: optionsToJSON(this.#options) };
    if (this.timezone !== undefined) out.timezone = this.timezone;
    if (this.startDate !== undefined) out.startDate = this.startDate.toISOString();
    return out;
  }
}
