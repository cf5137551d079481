/**
 * The misfire rules as one pure function: a due job, its trigger and `now` in; the runs to
 * submit, the fire times missed and the job's next fire time out. The loop calls it at each
 * wakeup for each due job; it never touches a store or a clock, so it is tested directly.
 *
 * Its cost does not grow with the number of missed fire times: the latest fire time at or before
 * an instant is found by bisection over `getNextFireTime(null, ·)`, which is monotone.
 * @module
 */
import type { Trigger } from '../triggers/trigger.js';

/** At most this many runs of one job are submitted at one wakeup (coalesce false, no grace limit). */
export const MAX_RUNS_PER_WAKEUP = 1000;

/** What the misfire rules decided for one job at one wakeup. */
export interface WakeupPlan {
  /** Fire times to run, oldest first. */
  runs: number[];
  /** The fire times too late to run, or null when none was. */
  missed: { first: number; last: number; count: number | null } | null;
  /** The first fire time not yet handled (> now, unless the per-wakeup cap was hit); null: none. */
  nextRunTime: number | null;
}

/** The inputs of {@link planWakeup}. */
export interface PlanInput {
  trigger: Trigger;
  /** The job's stored next fire time (<= now). */
  nextRunTime: number;
  misfireGraceTime: number | null;
  coalesce: boolean;
  now: number;
}

const next = (trigger: Trigger, previous: number): number | null => {
  const d = trigger.getNextFireTime(new Date(previous), new Date(previous + 1));
  return d === null ? null : d.getTime();
};

/**
 * The latest fire time in `[from, upTo]`, given that `from` is a fire time <= upTo.
 * Bisection over t ↦ getNextFireTime(null, t): the set of t with a fire time in [t, upTo] is an
 * interval starting at `from`, and the answer is the fire time at its right end.
 */
export function latestFireTimeAtOrBefore(trigger: Trigger, from: number, upTo: number): number {
  const after = next(trigger, from);
  if (after === null || after > upTo) return from;
  let lo = after; // invariant: lo is a fire time <= upTo
  let hi = upTo + 1; // invariant: no fire time lies in [hi, upTo]
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const f = trigger.getNextFireTime(null, new Date(mid));
    if (f !== null && f.getTime() <= upTo) lo = f.getTime();
    else hi = mid;
  }
  return lo;
}

/** The earliest fire time at or after `from` (a job's fire time <= from is known to exist before it). */
function firstAtOrAfter(trigger: Trigger, previousFire: number, from: number): number | null {
  const n = next(trigger, previousFire);
  if (n === null || n >= from) return n;
  const f = trigger.getNextFireTime(null, new Date(from));
  return f === null ? null : f.getTime();
}

/** Applies the misfire, coalescing and catch-up rules of the spec to one due job. */
export function planWakeup({ trigger, nextRunTime: first, misfireGraceTime, coalesce, now }: PlanInput): WakeupPlan {
  const cutoff = misfireGraceTime === null ? -Infinity : now - misfireGraceTime;
  const latest = latestFireTimeAtOrBefore(trigger, first, now);
  let missed: WakeupPlan['missed'] = null;
  if (first < cutoff) {
    const last = latest < cutoff ? latest : latestFireTimeAtOrBefore(trigger, first, Math.ceil(cutoff) - 1);
    const count = trigger.countFireTimes ? trigger.countFireTimes(new Date(first - 1), new Date(last)) : null;
    missed = { first, last, count: count ?? null };
  }
  if (latest < cutoff) return { runs: [], missed, nextRunTime: next(trigger, latest) };
  if (coalesce) return { runs: [latest], missed, nextRunTime: next(trigger, latest) };

  // One run per fire time still in grace, oldest first, at most MAX_RUNS_PER_WAKEUP.
  const runs: number[] = [];
  let f: number | null = missed ? firstAtOrAfter(trigger, missed.last, cutoff) : first;
  while (f !== null && f <= now && runs.length < MAX_RUNS_PER_WAKEUP) {
    runs.push(f);
    f = next(trigger, f);
  }
  return { runs, missed, nextRunTime: f };
}
