/**
 * `DateTrigger`: fires once.
 * @module
 */
import { toDate, type InstantLike } from '../units.js';
import type { ResolveContext, SerializedTrigger, Trigger } from './trigger.js';
import { BASE_KEYS, checkKeys, checkQuery, optionsToJSON, resolveBase, type TriggerBaseOptions } from './common.js';

/** Options of {@link DateTrigger}. */
export interface DateTriggerOptions extends TriggerBaseOptions {
  /** The one fire time: a `Date`, ISO-8601 text or epoch ms. Required. */
  runDate: InstantLike;
}

const KEYS = ['runDate', ...BASE_KEYS];

/**
 * Fires once, at `runDate`. Asked with `previous` null it returns `runDate` even when that has
 * passed, so a one-off added late is decided by the misfire rules instead of being dropped.
 * `startDate`/`endDate` are accepted for symmetry; a `runDate` outside them never fires.
 * @example
 * new DateTrigger({ runDate: '2026-05-01T12:00:00Z' });
 */
export class DateTrigger implements Trigger {
  readonly kind = 'date' as const;
  /** Upper bound of the random delay per run, ms. */
  readonly jitter: number;
  readonly runDate: Date;
  readonly timezone: string | undefined;
  readonly #options: Record<string, unknown>;
  readonly #inBounds: boolean;

  /** @throws TypeError/RangeError for a missing or invalid `runDate` or a bad base option */
  constructor(options: DateTriggerOptions) {
    const given = checkKeys(options, KEYS, 'DateTrigger');
    this.runDate = toDate(given.runDate, 'runDate');
    const base = resolveBase(given);
    this.jitter = base.jitter;
    this.timezone = base.timezone;
    const at = this.runDate.getTime();
    this.#inBounds = (base.startDate === undefined || at >= base.startDate.getTime()) && (base.endDate === undefined || at <= base.endDate.getTime());
    this.#options = given;
  }

  getNextFireTime(previous: Date | null, now: Date): Date | null {
    checkQuery(previous, now);
    if (!this.#inBounds) return null;
    if (previous !== null && previous.getTime() >= this.runDate.getTime()) return null;
    return new Date(this.runDate.getTime());
  }

  /** Nothing depends on when or where a date trigger is scheduled. */
  resolve(_context: ResolveContext): DateTrigger {
    return this;
  }

  toJSON(): SerializedTrigger {
    const out: SerializedTrigger = { kind: 'date', options: optionsToJSON(this.#options, ['runDate', 'startDate', 'endDate']) };
    if (this.timezone !== undefined) out.timezone = this.timezone;
    return out;
  }
}
