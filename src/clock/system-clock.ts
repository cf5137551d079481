import type { CancelTimer, Clock } from './clock.js';

/** setTimeout's limit: a longer delay overflows to 1 ms (with a TimeoutOverflowWarning). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * setTimeout fires 1-2 ms after its delay (whole milliseconds, and the loop's own turn), so the
 * timer wakes this much early and waits out the rest itself: a due run then starts within a
 * fraction of a millisecond of its instant, not a couple of milliseconds after it.
 */
const EARLY_MS = 2;

/**
 * Real time. Reads `Date.now()` and `setTimeout` at call time (not at import), so
 * `vi.useFakeTimers()` and @sinonjs/fake-timers drive it too.
 */
export class SystemClock implements Clock {
  now(): Date {
    return new Date(Date.now());
  }

  setTimer(at: number, callback: () => void): CancelTimer {
    let handle: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    const arm = (): void => {
      handle = undefined;
      const delay = at - Date.now();
      if (delay <= 0) {
        callback();
        return;
      }
      if (delay <= EARLY_MS && this.#waitOut(at)) {
        callback();
        return;
      }
      // Re-check on wake: the delay may have been clamped, or the wall clock may have moved.
      handle = setTimeout(() => {
        if (!cancelled) arm();
      }, Math.min(delay > EARLY_MS ? delay - EARLY_MS : delay, MAX_TIMEOUT_MS));
    };
    // Never call back synchronously from setTimer: callers arm timers while holding state.
    handle = setTimeout(() => {
      if (!cancelled) arm();
    }, Math.max(0, Math.min(at - Date.now() - EARLY_MS, MAX_TIMEOUT_MS)));
    return () => {
      cancelled = true;
      if (handle !== undefined) clearTimeout(handle);
    };
  }

  /**
   * Busy-waits until `at` (at most a few milliseconds). Gives up, returning false, when time
   * does not move (fake timers move it only between timers): the caller then waits on a timer.
   */
  #waitOut(at: number): boolean {
    const start = performance.now();
    let last = start;
    let still = 0;
    while (Date.now() < at) {
      const t = performance.now();
      if (t === last && ++still > 1000) return false;
      if (t - start > EARLY_MS + 1) return false;
      last = t;
    }
    return true;
  }
}
