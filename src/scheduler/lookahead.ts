/**
 * The scheduler's lookahead: due jobs are planned and their runs claimed a little before they
 * are due (`SchedulerOptions.lookahead`), so that at the due instant the runs only have to start.
 * This is the one place that knows the window; it is the same on every clock (a FakeClock test
 * runs the production path), and 0 turns it off.
 * @module
 */
import { KairosRangeError } from '../errors.js';
import type { ClaimedRun, JobStore } from '../stores/job-store.js';
import type { RunAttempt } from './run-attempt.js';
import { toMilliseconds } from '../units.js';

/** The default lookahead, in ms: wide enough to plan a thousand due jobs in slices before they are due. */
export const DEFAULT_LOOKAHEAD_MS = 100;
/**
 * The widest lookahead, in ms. Runs are claimed that long before they start: a wider window
 * holds claims (and `maxInstances` slots) long before their time, which other schedulers see.
 */
export const MAX_LOOKAHEAD_MS = 60_000;

/**
 * Checks the `lookahead` option: a duration (ms or a duration object) from 0 (off) to 60 s.
 * @throws TypeError / RangeError naming `lookahead`
 */
export function resolveLookahead(value: unknown): number {
  if (value === undefined) return DEFAULT_LOOKAHEAD_MS;
  const ms = toMilliseconds(value, 'lookahead');
  if (ms > MAX_LOOKAHEAD_MS) throw new KairosRangeError('lookahead', value, `a duration from 0 (off) to ${MAX_LOOKAHEAD_MS} ms`);
  return ms;
}

/** The plan-ahead window: when to wake for work due at an instant, and how far a wakeup looks. */
export class Lookahead {
  /** The window in ms; 0 when off. */
  readonly ms: number;

  constructor(ms: number) {
    this.ms = ms;
  }

  /** When to wake for work due at `due`. */
  wakeFor(due: number): number {
    return due - this.ms;
  }

  /** How far a wakeup at `now` plans: jobs due by then are planned, their runs claimed. */
  horizon(now: number): number {
    return now + this.ms;
  }
}

/** A run claimed ahead of its time (or due and not started yet), with where it came from. */
export interface HeldRun {
  storeName: string;
  store: JobStore;
  claimed: ClaimedRun;
  /** `performance.now()` before the claim was asked for (see the runner's stale-claim check). */
  claimedAt: number;
  /** The run's attempt, made by the runner when the run was held (ahead of its time). */
  attempt?: RunAttempt;
}

/** Runs claimed ahead of their time, earliest `notBefore` first, until they are due. */
export class HeldRuns {
  #held: HeldRun[] = [];

  get size(): number {
    return this.#held.length;
  }

  /** Keeps a run until its `notBefore` (stable: runs due together keep their claim order). */
  hold(run: HeldRun): void {
    const at = run.claimed.run.notBefore;
    let i = this.#held.length;
    while (i > 0 && this.#held[i - 1]!.claimed.run.notBefore > at) i--;
    this.#held.splice(i, 0, run);
  }

  /** When the earliest held run is due, or null when none is held. */
  get nextDueAt(): number | null {
    return this.#held[0]?.claimed.run.notBefore ?? null;
  }

  /**
   * Takes out the runs due by `now`, in order. (A binary search and one native splice: this runs
   * at the due instant, often the first time in the process, when a loop over a thousand held
   * runs still runs in the interpreter.)
   */
  takeDue(now: number): HeldRun[] {
    const held = this.#held;
    let lo = 0;
    let hi = held.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (held[mid]!.claimed.run.notBefore <= now) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? [] : held.splice(0, lo);
  }

  /** Takes out the runs that match. */
  takeWhere(match: (run: HeldRun) => boolean): HeldRun[] {
    const taken = this.#held.filter(match);
    if (taken.length > 0) {
      const gone = new Set(taken);
      this.#held = this.#held.filter((h) => !gone.has(h));
    }
    return taken;
  }

  /** The runs held, in order (a copy). */
  list(): HeldRun[] {
    return [...this.#held];
  }
}
