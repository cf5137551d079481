/**
 * FakeClock: time that moves only when a test says so, for unit-testing schedules.
 * @module
 */
import { toDate, toMilliseconds, type DurationLike, type InstantLike } from '../units.js';
import type { CancelTimer, Clock } from './clock.js';

interface FakeTimer {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock for tests. Pass it as the scheduler's `clock`; then `advance` and `set` move time and
 * wait for the scheduler, so a test reads like a timeline:
 *
 * ```ts
 * const clock = new FakeClock('2026-01-01T00:00:00Z');
 * const scheduler = new Scheduler({ clock, timezone: 'UTC' });
 * await scheduler.addJob(report, 'cron', { hour: 3 });
 * await scheduler.start();
 * await clock.advance({ days: 1 }); // report ran once, at 03:00
 * ```
 *
 * Deterministic: timers due at the same instant fire in the order they were set, and the
 * scheduler submits due runs by `nextRunTime`, then in the order the jobs were added, so a test gives the same run order
 * every time. Scope: one clock per scheduler; store I/O (SQLite, PostgreSQL) and leases still
 * take real time.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<FakeTimer>();
  readonly #settlers = new Set<() => Promise<void>>();

  /** @param start the initial time. @default the real current time */
  constructor(start: InstantLike = Date.now()) {
    this.#now = toDate(start, 'start').getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  setTimer(at: number, callback: () => void): CancelTimer {
    const timer: FakeTimer = { at, seq: this.#seq++, callback };
    this.#timers.add(timer);
    return () => {
      this.#timers.delete(timer);
    };
  }

  attach(settle: () => Promise<void>): void {
    this.#settlers.add(settle);
  }

  detach(settle: () => Promise<void>): void {
    this.#settlers.delete(settle);
  }

  /**
   * Moves time forward by `duration`, wakeup by wakeup: time stops at each timer that falls due
   * (the scheduler's next fire time, a retry, a timeout), fires it and waits for what it started.
   * Resolves once every run that can finish without more clock time has finished.
   */
  async advance(duration: DurationLike): Promise<void> {
    const target = this.#now + toMilliseconds(duration, 'duration');
    await this.#settle();
    for (;;) {
      const timer = this.#earliest();
      if (!timer || timer.at > target) break;
      if (timer.at > this.#now) this.#now = timer.at;
      this.#fire(timer);
      await this.#settle();
    }
    this.#now = target;
    await this.#settle();
  }

  /**
   * Jumps to `instant` at once, as a laptop waking from sleep: the timers due by then fire once,
   * at the new time, so the runs in between follow the misfire rules. Moving backwards is allowed
   * (a wall clock stepped back); nothing fires then.
   */
  async set(instant: InstantLike): Promise<void> {
    this.#now = toDate(instant, 'instant').getTime();
    await this.#settle();
    for (;;) {
      const timer = this.#earliest();
      if (!timer || timer.at > this.#now) break;
      this.#fire(timer);
      await this.#settle();
    }
  }

  #earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }

  #fire(timer: FakeTimer): void {
    this.#timers.delete(timer);
    timer.callback();
  }

  async #settle(): Promise<void> {
    // Let promise chains and I/O callbacks started by the last timer run before asking.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const settle of [...this.#settlers]) await settle();
  }
}
