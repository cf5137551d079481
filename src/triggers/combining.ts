/**
 * `AndTrigger` and `OrTrigger`: triggers made of other triggers.
 * @module
 */
import { KairosRangeError, KairosTypeError } from '../errors.js';
import type { ResolveContext, SerializedTrigger, Trigger } from './trigger.js';
import {
  BASE_KEYS, MAX_DATE_MS, capped, checkKeys, optionsToJSON, resolveBase, searchFrom,
  type ResolvedBase, type TriggerBaseOptions,
} from './common.js';

/** Options of {@link AndTrigger} and {@link OrTrigger}: the base options only. */
export type CombiningTriggerOptions = TriggerBaseOptions;

/**
 * Most rounds an {@link AndTrigger} takes to find a time all children agree on before it gives
 * up and answers `null` (as APScheduler's `max_iterations`); each round moves every child to
 * the latest of their next times, so only children that almost never coincide reach it.
 * AndTriggers nested in one another share the budget of the outermost.
 */
export const AND_MAX_ROUNDS = 10_000;

/**
 * Rounds left to the AndTrigger search in progress, null when none is. Shared because a budget
 * per AndTrigger multiplies when they nest: an outer one that never agrees, around an inner one
 * needing 1,000 rounds per answer, took 24 s for one answer (10,000 x 1,000 rounds). Calls are
 * synchronous, so the outermost call sets it and clears it on the way out.
 */
let budget: { roundsLeft: number } | null = null;

function checkChildren(triggers: unknown, what: string): Trigger[] {
  if (!Array.isArray(triggers)) throw new KairosTypeError(what, triggers, 'an array of triggers');
  if (triggers.length === 0) throw new KairosRangeError(what, triggers, 'at least one trigger');
  triggers.forEach((t: unknown, i) => {
    const ok = t !== null && typeof t === 'object' && typeof (t as Trigger).getNextFireTime === 'function' && typeof (t as Trigger).toJSON === 'function';
    if (!ok) throw new KairosTypeError(`${what}[${i}]`, t, 'a trigger (DateTrigger, IntervalTrigger, CronTrigger, ...)');
  });
  return [...triggers] as Trigger[];
}

/**
 * The first fire time of `child` at or after `t`, asked as "the first after t - 1 ms"; at the
 * first instant a Date holds there is no t - 1 ms (an Invalid Date, refused), so it is asked with
 * previous null there: nothing is earlier, so even a DateTrigger's "passed runDate" is not.
 */
function firstAtOrAfter(child: Trigger, t: number): Date | null {
  return t - 1 < -MAX_DATE_MS ? child.getNextFireTime(null, new Date(t)) : child.getNextFireTime(new Date(t - 1), new Date(t));
}

abstract class CombiningTrigger implements Trigger {
  abstract readonly kind: 'and' | 'or';
  /** Upper bound of the random delay per run, ms (the children's own jitter is ignored). */
  readonly jitter: number;
  readonly timezone: string | undefined;
  readonly startDate: Date | undefined;
  readonly endDate: Date | undefined;
  /** The children, in the order given. */
  readonly triggers: readonly Trigger[];
  protected readonly options: Record<string, unknown>;
  /** @hidden */
  protected readonly base: ResolvedBase;

  constructor(triggers: readonly Trigger[], options: CombiningTriggerOptions, what: string) {
    this.triggers = Object.freeze(checkChildren(triggers, `${what} triggers`));
    this.options = checkKeys(options, BASE_KEYS, what);
    this.base = resolveBase(this.options);
    this.jitter = this.base.jitter;
    this.timezone = this.base.timezone;
    this.startDate = this.base.startDate;
    this.endDate = this.base.endDate;
  }

  abstract getNextFireTime(previous: Date | null, now: Date): Date | null;

  protected abstract make(triggers: Trigger[], options: CombiningTriggerOptions): CombiningTrigger;

  /** Resolves every child, in this trigger's zone when it has one. */
  resolve(context: ResolveContext): Trigger {
    const timezone = this.timezone ?? context.timezone;
    const children = this.triggers.map((t) => t.resolve({ timezone, now: context.now }));
    if (children.every((c, i) => c === this.triggers[i])) return this;
    return this.make(children, this.options as CombiningTriggerOptions);
  }

  toJSON(): SerializedTrigger {
    const out: SerializedTrigger = {
      kind: this.kind,
      options: { triggers: this.triggers.map((t) => t.toJSON()), ...optionsToJSON(this.options) },
    };
    if (this.timezone !== undefined) out.timezone = this.timezone;
    return out;
  }
}

/**
 * Fires when all children fire at the same instant. Each round asks every child for its first
 * time at or after the latest answer so far, until they agree, at most 10,000
 * rounds in all, those of AndTriggers nested in it included (then `null`).
 * @example
 * new AndTrigger([new CronTrigger({ hour: '*\/2' }), new CronTrigger({ hour: '*\/3' })]);
 */
export class AndTrigger extends CombiningTrigger {
  readonly kind = 'and' as const;

  /** @throws TypeError/RangeError for an empty list, a non-trigger, or a bad base option */
  constructor(triggers: readonly Trigger[], options: CombiningTriggerOptions = {}) {
    super(triggers, options, 'AndTrigger');
  }

  protected make(triggers: Trigger[], options: CombiningTriggerOptions): AndTrigger {
    return new AndTrigger(triggers, options);
  }

  getNextFireTime(previous: Date | null, now: Date): Date | null {
    const outermost = budget === null;
    budget ??= { roundsLeft: AND_MAX_ROUNDS };
    try {
      return this.#search(searchFrom(previous, now, this.startDate), budget);
    } finally {
      if (outermost) budget = null;
    }
  }

  #search(from: number, rounds: { roundsLeft: number }): Date | null {
    let t = from;
    for (; rounds.roundsLeft > 0; rounds.roundsLeft--) {
      if (this.endDate !== undefined && t > this.endDate.getTime()) return null;
      let latest = -Infinity;
      let agree = true;
      for (const child of this.triggers) {
        const next = firstAtOrAfter(child, t);
        if (next === null) return null;
        const ms = next.getTime();
        if (latest !== -Infinity && ms !== latest) agree = false;
        latest = Math.max(latest, ms);
      }
      if (agree) return capped(latest, this.endDate);
      t = latest;
    }
    return null;
  }
}

/**
 * Fires whenever any child fires: the earliest of the children's next times (once per instant).
 * @example
 * new OrTrigger([new CronTrigger({ hour: 3 }), new CronTrigger({ day: 1, hour: 5 })]);
 */
export class OrTrigger extends CombiningTrigger {
  readonly kind = 'or' as const;

  /** @throws TypeError/RangeError for an empty list, a non-trigger, or a bad base option */
  constructor(triggers: readonly Trigger[], options: CombiningTriggerOptions = {}) {
    super(triggers, options, 'OrTrigger');
  }

  protected make(triggers: Trigger[], options: CombiningTriggerOptions): OrTrigger {
    return new OrTrigger(triggers, options);
  }

  getNextFireTime(previous: Date | null, now: Date): Date | null {
    const from = searchFrom(previous, now, this.startDate);
    // Keep the children's own "previous null" meaning (a passed DateTrigger still answers)
    // unless startDate moved the threshold.
    const asIs = previous === null && from === now.getTime();
    let best: number | null = null;
    for (const child of this.triggers) {
      const next = asIs ? child.getNextFireTime(null, now) : firstAtOrAfter(child, from);
      if (next !== null && (best === null || next.getTime() < best)) best = next.getTime();
    }
    return capped(best, this.endDate);
  }
}
