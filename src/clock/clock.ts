/**
 * The scheduler's source of time. Every schedule decision (due runs, misfires, timeouts, retry
 * delays) reads this clock; only leases use real time (see the job store contract).
 * @module
 */

/** Cancels a timer set with {@link Clock.setTimer}. */
export type CancelTimer = () => void;

/** A source of time and timers, injected into the Scheduler (`clock` option). */
export interface Clock {
  /** The current instant. */
  now(): Date;
  /**
   * Calls `callback` once the clock reaches `at` (epoch ms), never earlier. A delay beyond what
   * `setTimeout` can hold (2^31-1 ms) is waited in several steps.
   */
  setTimer(at: number, callback: () => void): CancelTimer;
  /**
   * Lets a clock that controls time (FakeClock) wait for the scheduler: `settle` resolves once
   * the work that can finish without the clock moving has finished. The system clock ignores it.
   * A clock serves one scheduler at a time.
   */
  attach?(settle: () => Promise<void>): void;
  /** Undoes {@link Clock.attach}. */
  detach?(settle: () => Promise<void>): void;
}
