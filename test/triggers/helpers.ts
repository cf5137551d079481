import type { Trigger } from '../../src/triggers/trigger.js';

/** The first `n` fire times from `start`, walked as the scheduler does; `null` marks the end. */
export function fires(trigger: Trigger, start: string, n: number): (string | null)[] {
  const out: (string | null)[] = [];
  let previous: Date | null = null;
  let now = new Date(start);
  for (let i = 0; i < n; i++) {
    const next = trigger.getNextFireTime(previous, now);
    if (next === null) {
      out.push(null);
      break;
    }
    out.push(next.toISOString());
    previous = next;
    now = new Date(next.getTime() + 1);
  }
  return out;
}

/** ISO texts as `Date#toISOString` prints them. */
export const isos = (...xs: (string | null)[]): (string | null)[] => xs.map((x) => (x === null ? null : new Date(x).toISOString()));

/** Every fire time (ms) in `[from, to]`, walked as the scheduler does. */
export function walk(trigger: Trigger, from: number, to: number): number[] {
  const out: number[] = [];
  let next = trigger.getNextFireTime(null, new Date(from));
  while (next !== null && next.getTime() <= to) {
    out.push(next.getTime());
    next = trigger.getNextFireTime(next, new Date(next.getTime() + 1));
  }
  return out;
}
