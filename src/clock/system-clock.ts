import type { CancelTimer, Clock } from './clock.js';

/** setTimeout's limit: a longer delay overflows to 1 ms (with a TimeoutOverflowWarning). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

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
      const delay = at - Date.now();
      if (delay <= 0) {
        handle = undefined;
        callback();
        return;
      }
      // Re-check on wake: the delay may have been clamped, or the wall clock may have moved.
      handle = setTimeout(() => {
        if (!cancelled) arm();
      }, Math.min(delay, MAX_TIMEOUT_MS));
    };
    // Never call back synchronously from setTimer: callers arm timers while holding state.
    handle = setTimeout(() => {
      if (!cancelled) arm();
    }, Math.max(0, Math.min(at - Date.now(), MAX_TIMEOUT_MS)));
    return () => {
      cancelled = true;
      if (handle !== undefined) clearTimeout(handle);
    };
  }
}
