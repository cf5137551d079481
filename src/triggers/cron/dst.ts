/**
 * From matching wall times to fire instants, by SPEC "Time zones and DST" (ISC/Vixie cron):
 * - fixed-time jobs: a wall time in a spring-forward gap of up to 3 h fires once, when the gap
 *   ends; in a bigger skip it does not fire; a repeated wall time fires at its first occurrence;
 * - wildcard jobs fire by real time: nothing in a gap, both occurrences of a repeated wall time;
 * - never twice at one instant (several gap times collapse onto the gap's end).
 *
 * Wall order and time order differ only around a fall-back: from an instant just before one,
 * the second pass of the repeated hour comes after the first pass but has earlier wall times.
 * That one case is looked at separately; everywhere else the first matching wall time at or
 * after the wall time of the threshold, resolved to instants, gives the answer.
 * @module
 */
import { MAX_BRIDGED_GAP, type ZoneRules } from '../zone.js';
import type { WallSearch } from './search.js';

/** A fall-back can repeat at most this much wall time (real zones: 30 min to 2 h). */
const MAX_REPEAT = 3 * 3_600_000;

/** The earliest fire instant (ms) at or after `from`, or null (none up to the year cap). */
export function nextFireInstant(search: WallSearch, rules: ZoneRules, fixedTime: boolean, from: number): number | null {
  const t0 = Math.ceil(from / 1000) * 1000;
  const offset = rules.offset(t0);
  if (rules.fixed) {
    const wall = search.next(t0 + offset);
    return wall === null ? null : wall - offset;
  }
  let wall = t0 + offset;
  if (fixedTime) {
    // t0 is exactly the end of a gap: the gap's wall times fire at t0, so search from its start.
    const before = rules.offset(t0 - 1000);
    if (before < offset) wall = t0 + before;
  }
  let secondPass: number | null = null;
  if (!fixedTime) {
    // A fall-back ahead of t0: wall times from the repeat's start up to t0's wall time come
    // round again after t0, later in time than the first pass but earlier in wall order.
    const t = rules.transitionIn(t0, t0 + MAX_REPEAT);
    if (t !== null && t.after < t.before) {
      const repeated = search.next(t.at + t.after);
      if (repeated !== null && repeated < t.at + t.before) secondPass = repeated - t.after;
    }
  }
  const first = firstFromWall(search, rules, fixedTime, t0, wall);
  if (secondPass === null) return first;
  return first === null ? secondPass : Math.min(first, secondPass);
}

function firstFromWall(search: WallSearch, rules: ZoneRules, fixedTime: boolean, t0: number, startWall: number): number | null {
  let wall = startWall;
  // Every pass moves `wall` strictly forward and the wall search stops at its year cap; the
  // guard only turns a bug into an error instead of a hang.
  for (let guard = 0; guard < 1_000_000; guard++) {
    const w = search.next(wall);
    if (w === null) return null;
    const r = rules.resolveWall(w);
    if (r.kind === 'normal') {
      if (r.instant >= t0) return r.instant;
      wall = w + 1000;
    } else if (r.kind === 'gap') {
      if (fixedTime && r.end - r.start <= MAX_BRIDGED_GAP && r.at >= t0) return r.at;
      wall = r.end;
    } else {
      if (r.first >= t0) return r.first;
      if (!fixedTime) {
        if (r.second >= t0) return r.second;
        wall = w + 1000;
      } else {
        // t0 is past the first pass, so no repeated wall time can fire again for a fixed job.
        wall = r.end;
      }
    }
  }
  throw new Error('kairos: DST search did not terminate (bug)');
}
