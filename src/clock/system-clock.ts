import type { CancelTimer, Clock } from './clock.js';

/** setTimeout's limit: a longer delay overflows to 1 ms (with a TimeoutOverflowWarning). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * setTimeout fires 1-2 ms after its delay (whole milliseconds, and the loop's own turn), so the
 * timer is armed this much early and the rest is waited out turn by turn of the event loop
 * (setImmediate): a due run then starts within a fraction of a millisecond of its instant, and
 * the thread is never held meanwhile (I/O and other callbacks run between the turns).
 */
const EARLY_MS = 2;

/**
 * Real time. Reads `Date.now()`, `setTimeout` and `setImmediate` at call time (not at import),
 * so `vi.useFakeTimers()` and @sinonjs/fake-timers drive it too.
 */
export class SystemClock implements Clock {
  now(): Date {
    return new Date(Date.now());
  }

  setTimer(at: number, callback: () => void): CancelTimer {
    let handle: ReturnType<typeof setTimeout> | undefined;
    let hop: ReturnType<typeof setImmediate> | undefined;
    let cancelled = false;
    /** Hops in a row that saw no time pass: fake timers (vi.useFakeTimers) move time only between timers. */
    let still = 0;
    let last = -1;
    const arm = (): void => {
      handle = undefined;
      hop = undefined;
      const delay = at - Date.now();
      if (delay <= 0) {
        callback();
        return;
      }
      if (delay <= EARLY_MS) {
        const t = performance.now();
        still = t === last ? still + 1 : 0;
        last = t;
        if (still < 20) {
          hop = setImmediate(() => {
            if (!cancelled) arm();
          });
          return;
        }
      }
      still = 0;
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
      if (hop !== undefined) clearImmediate(hop);
    };
  }
}
