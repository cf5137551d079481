/**
 * `CronTrigger`: fires when every field matches the local wall clock of its zone.
 * @module
 */
import { KairosRangeError } from '../../errors.js';
import { checkTimezone, systemTimezone } from '../../units.js';
import type { ResolveContext, SerializedTrigger, Trigger } from '../trigger.js';
import {
  BASE_KEYS, capped, checkKeys, optionsToJSON, resolveBase, restoreResolved, searchFrom,
  type ResolvedBase, type TriggerBaseOptions,
} from '../common.js';
import { ZoneRules } from '../zone.js';
import { nextFireInstant } from './dst.js';
import { fromCrontab, fromKeywords, type CronExpression, type CronFieldValue } from './expression.js';
import { FIELD_NAMES, MAX_YEAR, MIN_YEAR } from './fields.js';
import { WallSearch } from './search.js';

/**
 * Cron fields in keyword form. Each is a number or text with `*`, `*\/n`, `a-b`, `a-b/n`, lists
 * `a,b` and names. A field not given defaults to its minimum when it is finer than the finest
 * field given, else to `*` (`week` and `dayOfWeek` always `*`): `{ hour: 3 }` is 03:00:00 daily.
 * `day` and `dayOfWeek` must both match.
 */
export interface CronTriggerOptions extends TriggerBaseOptions {
  /** Year, 1970 to 9999; after the last allowed year `getNextFireTime` returns null. @default `*` */
  year?: CronFieldValue;
  /** Month, 1 to 12 or `jan`-`dec`. @default `*`, or 1 when a finer field is given */
  month?: CronFieldValue;
  /** Day of the month, 1 to 31, or `L`/`last` for the month's last day. @default `*`, or 1 */
  day?: CronFieldValue;
  /** ISO-8601 week number, 1 to 53. @default `*` */
  week?: CronFieldValue;
  /**
   * Day of the week, 0 to 7 with 0 and 7 Sunday (as in crontab), or `sun`-`sat`; also
   * `5L`/`last fri` (last Friday of the month) and `1#2`/`2nd mon` (second Monday).
   * @default `*`
   */
  dayOfWeek?: CronFieldValue;
  /** Hour, 0 to 23. @default `*`, or 0 when a finer field is given */
  hour?: CronFieldValue;
  /** Minute, 0 to 59. @default `*`, or 0 */
  minute?: CronFieldValue;
  /** Second, 0 to 59. @default `*`, or 0 */
  second?: CronFieldValue;
}

/** Options of {@link CronTrigger.fromCrontab}: the base options only. */
export type CrontabOptions = TriggerBaseOptions;

const KEYWORD_KEYS = [...FIELD_NAMES, ...BASE_KEYS];

/** Everything a CronTrigger is built from; passed under a private symbol by the factories. */
interface Parts {
  /** The options as given (crontab text under `crontab`), for `toJSON`. */
  source: Record<string, unknown>;
  expr: CronExpression;
  base: ResolvedBase;
}
const PARTS = Symbol('kairos.cronParts');

// Whether an expression can fire depends only on its date fields (every time field allows some
// value), so the verdict is kept per date part: the check costs a search only the first time.
const firesByDate = new Map<string, boolean>();

function canFire(expr: CronExpression): boolean {
  const key = expr.dateKey;
  let fires = firesByDate.get(key);
  if (fires === undefined) {
    fires = new WallSearch(expr).next(Date.UTC(MIN_YEAR, 0, 1)) !== null;
    if (firesByDate.size >= 4096) firesByDate.clear();
    firesByDate.set(key, fires);
  }
  return fires;
}

function neverFiresError(expr: CronExpression, field: string, value: unknown): KairosRangeError | null {
  if (canFire(expr)) return null;
  return new KairosRangeError(field, value, `an expression that fires at least once up to year ${MAX_YEAR}`, 'it can never fire: no allowed month has such a day (Feb 30, Apr 31) or the other fields exclude every date');
}

/**
 * Fires when all fields match the wall clock of `timezone`, with SPEC's DST rules.
 * @example
 * new CronTrigger({ dayOfWeek: 'mon-fri', hour: 9, timezone: 'Europe/Berlin' });
 * CronTrigger.fromCrontab('30 2 * * *', { timezone: 'America/New_York' });
 */
export class CronTrigger implements Trigger {
  readonly kind = 'cron' as const;
  /** Upper bound of the random delay per run, ms. */
  readonly jitter: number;
  /** The zone given or resolved; `undefined` until resolved (the system zone is used then). */
  readonly timezone: string | undefined;
  readonly startDate: Date | undefined;
  readonly endDate: Date | undefined;
  readonly #parts: Parts;
  readonly #search: WallSearch;
  /** The zone's offsets, looked up on first use (a trigger about to be resolved never needs them). */
  #rules: ZoneRules | undefined;

  /**
   * @throws TypeError for an unknown option (`hours` instead of `hour`) or a value of the wrong type
   * @throws RangeError for a value out of range, an unknown name or zone, `endDate` before
   *   `startDate`, or an expression that can never fire (Feb 30)
   */
  constructor(options: CronTriggerOptions = {}) {
    // null (or a primitive) has no PARTS to read: let checkKeys refuse it by name.
    let parts = options !== null && typeof options === 'object' ? (options as { [PARTS]?: Parts })[PARTS] : undefined;
    if (parts === undefined) {
      const given = checkKeys(options, KEYWORD_KEYS, 'CronTrigger');
      const expr = fromKeywords(given);
      const fields = FIELD_NAMES.filter((f) => given[f] !== undefined);
      const error = neverFiresError(expr, fields.join('/') || 'CronTrigger', Object.fromEntries(fields.map((f) => [f, given[f]])));
      if (error) throw error;
      parts = { source: given, expr, base: resolveBase(given) };
    }
    this.#parts = parts;
    this.jitter = parts.base.jitter;
    this.timezone = parts.base.timezone;
    this.startDate = parts.base.startDate;
    this.endDate = parts.base.endDate;
    this.#search = WallSearch.for(parts.expr);
  }

  /**
   * A trigger from crontab text: 5 fields (`minute hour day month dayOfWeek`), 6 with seconds
   * first, 7 with seconds first and year last, or a macro (`@daily`, `@weekly`, ...). When day
   * and dayOfWeek are both restricted, a day matches if either does (Vixie rule).
   * @throws TypeError/RangeError as the constructor, and for a wrong number of fields
   */
  static fromCrontab(text: string, options: CrontabOptions = {}): CronTrigger {
    const given = checkKeys(options, BASE_KEYS, 'CronTrigger.fromCrontab');
    const expr = fromCrontab(text);
    const error = neverFiresError(expr, 'crontab', text);
    if (error) throw error;
    const parts: Parts = { source: { crontab: text, ...given }, expr, base: resolveBase(given) };
    return new CronTrigger({ [PARTS]: parts } as CronTriggerOptions);
  }

  /** Null after `endDate` and after the last year the expression allows (9999 at the latest). */
  getNextFireTime(previous: Date | null, now: Date): Date | null {
    const from = searchFrom(previous, now, this.startDate);
    if (this.endDate !== undefined && from > this.endDate.getTime()) return null;
    this.#rules ??= ZoneRules.for(this.#parts.base.timezone ?? systemTimezone());
    return capped(nextFireInstant(this.#search, this.#rules, this.#parts.expr.fixedTime, from), this.endDate);
  }

  resolve(context: ResolveContext): CronTrigger {
    return this.timezone !== undefined ? this : this[restoreResolved](context.timezone);
  }

  /** Used by `triggerFromJSON`; not part of the public API. */
  [restoreResolved](timezone: string | undefined): CronTrigger {
    if (timezone === undefined || timezone === this.timezone) return this;
    const parts: Parts = { ...this.#parts, base: { ...this.#parts.base, timezone: checkTimezone(timezone) } };
    return new CronTrigger({ [PARTS]: parts } as CronTriggerOptions);
  }

  toJSON(): SerializedTrigger {
    const out: SerializedTrigger = { kind: 'cron', options: optionsToJSON(this.#parts.source) };
    if (this.timezone !== undefined) out.timezone = this.timezone;
    return out;
  }
}
