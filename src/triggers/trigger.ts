/**
 * The contract every trigger meets. Triggers are immutable values: `getNextFireTime` is a pure
 * function of its arguments and the trigger's options, so a stored job needs only the trigger's
 * JSON (kind and options, with its resolved zone) and its `nextRunTime`, never iterator state.
 * @module
 */

/** The trigger kinds kairos knows; a stored trigger's `kind`. */
export type TriggerKind = 'date' | 'interval' | 'cron' | 'calendarinterval' | 'and' | 'or';

/**
 * A trigger as plain JSON, as persistent stores keep it. `options` are the options as the user
 * gave them (instants as ISO text), which is what `replaceExisting` compares; `timezone` and
 * `startDate` are the values resolved when the job was scheduled (the zone of the trigger or of
 * the scheduler; an interval's first fire time when none was given).
 */
export interface SerializedTrigger {
  kind: TriggerKind;
  options: Record<string, unknown>;
  timezone?: string;
  startDate?: string;
}

/** What a trigger needs to know from the scheduler when a job is scheduled. */
export interface ResolveContext {
  /** The scheduler's zone, used when the trigger has none of its own. */
  timezone: string;
  /** The scheduler clock's current time (an interval without `startDate` counts from it). */
  now: Date;
}

/** Computes fire times. Implementations must be immutable and answer in bounded time. */
export interface Trigger {
  readonly kind: TriggerKind;
  /** Upper bound in ms of the random delay added to each run (0: none). */
  readonly jitter: number;
  /**
   * The earliest fire time strictly later than `previous` (`now` is not consulted then), or,
   * when `previous` is `null`, the earliest at or after `now`; `null` when it never fires again.
   * @throws TypeError/RangeError naming `previous` (or `now`, when `previous` is null) for a
   *   value that is not a valid Date (the built-in triggers; an Invalid Date has no "after")
   */
  getNextFireTime(previous: Date | null, now: Date): Date | null;
  /**
   * Returns this trigger with the defaults that depend on when and where it is scheduled filled
   * in (its zone, an interval's first fire time). Returns `this` when nothing is left to resolve.
   */
  resolve(context: ResolveContext): Trigger;
  /**
   * How many fire times lie in `(after, upTo]`, when the trigger can tell without walking them
   * (interval triggers can); otherwise absent or `null`.
   */
  countFireTimes?(after: Date, upTo: Date): number | null;
  /** The trigger as JSON; `triggerFromJSON` turns it back into an equal trigger. */
  toJSON(): SerializedTrigger;
}
