// @ts-check
/**
 * A slow, independent reference for case 4: the first fire time strictly after an instant of a
 * 5-field crontab expression in an IANA zone, by SPEC "Time zones and DST" (ISC/Vixie cron):
 * a fixed-time job (minute and hour are values, lists or partial ranges) whose wall time falls in
 * a spring-forward gap of up to 3 h fires once, when the gap ends; on a fall-back day it fires at
 * the first occurrence only; a wildcard job fires by real time (nothing in a gap, both passes of
 * a repeated hour). It walks local days and resolves each matching wall time to instants with
 * offsets read from `Intl.DateTimeFormat`, sharing no code with any implementation measured.
 * @module
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** @type {Map<string, Intl.DateTimeFormat>} */
const formats = new Map();

/**
 * The zone's offset (ms) at an instant.
 * @param {number} ms
 * @param {string} tz
 */
export function offsetAt(ms, tz) {
  let f = formats.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formats.set(tz, f);
  }
  /** @type {Record<string, number>} */
  const p = {};
  for (const { type, value } of f.formatToParts(ms)) p[type] = Number(value);
  const wall = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The values a crontab field allows (`*`, `*\/n`, `a`, `a-b`, `a-b/n`, lists).
 * @param {string} text
 * @param {number} min
 * @param {number} max
 */
function field(text, min, max) {
  /** @type {Set<number>} */
  const out = new Set();
  for (const part of text.split(',')) {
    const [range = '*', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo = min;
    let hi = max;
    if (range !== '*') {
      const [a, b] = range.split('-');
      lo = Number(a);
      hi = b === undefined ? (stepText === undefined ? lo : max) : Number(b);
    }
    for (let v = lo; v <= hi; v += step) out.add(v === 7 && max === 7 ? 0 : v);
  }
  return out;
}

/**
 * The instants at which the wall clock of `tz` shows `wall` (UTC-encoded), and the gap if none.
 * @param {number} wall
 * @param {string} tz
 * @returns {{ instants: number[], gap: { at: number, size: number } | null }}
 */
function resolve(wall, tz) {
  const offsets = new Set([offsetAt(wall - 15 * HOUR, tz), offsetAt(wall, tz), offsetAt(wall + 15 * HOUR, tz)]);
  const instants = [...offsets].map((o) => wall - o).filter((t) => offsetAt(t, tz) === wall - t).sort((a, b) => a - b);
  if (instants.length > 0) return { instants: [...new Set(instants)], gap: null };
  const sorted = [...offsets].sort((a, b) => a - b);
  const before = /** @type {number} */ (sorted[0]);
  const after = /** @type {number} */ (sorted[sorted.length - 1]);
  // The transition lies between the two readings of the wall time; bisect to the second.
  let lo = Math.floor((wall - after) / 1000);
  let hi = Math.ceil((wall - before) / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid * 1000, tz) === before) lo = mid;
    else hi = mid;
  }
  return { instants: [], gap: { at: hi * 1000, size: after - before } };
}

/**
 * A reference `next` for one expression.
 * @param {string} expr 5-field crontab text
 * @param {string} tz
 * @returns {(after: number) => number} first fire time > after, NaN if none within 9 years
 */
export function oracle(expr, tz) {
  const [mi = '*', h = '*', dom = '*', mon = '*', dow = '*'] = expr.trim().split(/\s+/);
  const minutes = [...field(mi, 0, 59)].sort((a, b) => a - b);
  const hours = [...field(h, 0, 23)].sort((a, b) => a - b);
  const days = field(dom, 1, 31);
  const months = field(mon, 1, 12);
  const weekdays = field(dow, 0, 7);
  const vixieOr = dom !== '*' && dow !== '*';
  const fixedTime = minutes.length < 60 && !mi.startsWith('*') && hours.length < 24 && !h.startsWith('*');
  /** @param {number} dayStart UTC-encoded wall midnight */
  const dayMatches = (dayStart) => {
    const d = new Date(dayStart);
    if (!months.has(d.getUTCMonth() + 1)) return false;
    const domOk = days.has(d.getUTCDate());
    const dowOk = weekdays.has(d.getUTCDay());
    return vixieOr ? domOk || dowOk : domOk && dowOk;
  };
  return (after) => {
    const wall = after + offsetAt(after, tz);
    let day = Math.floor(wall / DAY) * DAY - DAY;
    for (let k = 0; k < 9 * 366; k++, day += DAY) {
      if (!dayMatches(day)) continue;
      /** @type {number[]} */
      const fires = [];
      const noChange = offsetAt(day - 15 * HOUR, tz) === offsetAt(day + DAY + 15 * HOUR, tz);
      const fixedOffset = noChange ? offsetAt(day, tz) : 0;
      for (const hh of hours) {
        for (const mm of minutes) {
          const w = day + hh * HOUR + mm * 60_000;
          if (noChange) {
            fires.push(w - fixedOffset);
            continue;
          }
          const r = resolve(w, tz);
          if (r.gap !== null) {
            if (fixedTime && r.gap.size <= 3 * HOUR) fires.push(r.gap.at);
          } else if (fixedTime) {
            fires.push(/** @type {number} */ (r.instants[0]));
          } else {
            fires.push(...r.instants);
          }
        }
      }
      const later = fires.filter((t) => t > after);
      if (later.length > 0) return Math.min(...later);
    }
    return NaN;
  };
}
