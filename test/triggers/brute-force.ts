/**
 * A deliberately naive model of SPEC "Triggers" / "Time zones and DST" for property tests: walk
 * real time step by step, read each instant's local wall clock from luxon, and apply the rule
 * literally. It shares no code with src/triggers (field sets come from the test's generators).
 */
import { IANAZone } from 'luxon';

export interface Local {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday */
  weekday: number;
  daysInMonth: number;
}

/** Local wall-clock fields of a UTC-encoded wall time (ms). */
export function localOfWall(wall: number): Local {
  const d = new Date(wall);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  return {
    year, month, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
    weekday: d.getUTCDay(), daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
  };
}

export function offsetMs(zone: string, instant: number): number {
  return IANAZone.create(zone).offset(instant) * 60_000;
}

/** The rule a model job follows: what it matches, and whether it is a fixed-time job. */
export interface ModelJob {
  zone: string;
  matches(local: Local): boolean;
  fixedTime: boolean;
}

const GAP_LIMIT = 3 * 3_600_000;
const REPEAT_STEPS = [30 * 60_000, 3_600_000, 2 * 3_600_000, 3 * 3_600_000];

/**
 * Fire times of `job` in `[from, to]`, walking every `step` ms (60 000 when the job only fires
 * on second 0, else 1000) and applying SPEC's rule at each instant:
 * - a wall time that matches fires, except that a fixed-time job skips the second occurrence of
 *   a repeated wall time (an earlier instant, 30 min to 3 h before, showed the same wall time);
 * - where the offset jumps forward by at most 3 h, a fixed-time job whose wall time lies in the
 *   skipped span fires at the jump.
 */
export function bruteFireTimes(job: ModelJob, from: number, to: number, step: number): number[] {
  const out: number[] = [];
  const wallAt = (t: number) => t + offsetMs(job.zone, t);
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    const wall = wallAt(t);
    let fires = job.matches(localOfWall(wall));
    if (fires && job.fixedTime && REPEAT_STEPS.some((d) => wallAt(t - d) === wall)) fires = false;
    if (!fires && job.fixedTime) {
      const before = wallAt(t - step) + step;
      const jump = wall - before;
      if (jump > 0 && jump <= GAP_LIMIT) {
        for (let w = before; w < wall; w += step) {
          if (job.matches(localOfWall(w))) {
            fires = true;
            break;
          }
        }
      }
    }
    if (fires) out.push(t);
  }
  return out;
}

/** Instants in `[from, to]` (ms) where the offset of `zone` changes, found by sampling (hourly by default). */
export function transitionsOf(zone: string, from: number, to: number, sample = 3_600_000): number[] {
  const out: number[] = [];
  let prev = offsetMs(zone, from);
  for (let t = from + sample; t <= to; t += sample) {
    const o = offsetMs(zone, t);
    if (o !== prev) {
      let a = t - sample;
      let b = t;
      while (b - a > 60_000) {
        const m = Math.floor((a + b) / 120_000) * 60_000;
        if (offsetMs(zone, m) === prev) a = m;
        else b = m;
      }
      out.push(b);
      prev = o;
    }
  }
  return out;
}

/**
 * The first fire time at or after `from` (ms) of a job that fires at the UTC time of day `time`
 * on the days `matches` accepts, up to the end of 9999, or null. It walks day by day through
 * every year `yearAllowed` accepts and assumes nothing about calendars repeating, so it checks
 * the search's year skipping without sharing its reasoning.
 */
export function firstDailyFire(
  matches: (l: Local) => boolean, yearAllowed: (year: number) => boolean, time: readonly [number, number, number], from: number,
): number | null {
  const [hour, minute, second] = time;
  const start = new Date(from);
  for (let year = Math.max(1970, start.getUTCFullYear()); year <= 9999; year++) {
    if (!yearAllowed(year)) continue;
    for (let month = 1; month <= 12; month++) {
      const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
      const firstWeekday = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
      for (let day = 1; day <= daysInMonth; day++) {
        const local = { year, month, day, hour, minute, second, weekday: (firstWeekday + day - 1) % 7, daysInMonth };
        if (matches(local) && Date.UTC(year, month - 1, day, hour, minute, second) >= from) return Date.UTC(year, month - 1, day, hour, minute, second);
      }
    }
  }
  return null;
}
