/**
 * Wall clock <-> instant in an IANA zone, with the DST transitions made explicit.
 *
 * A "wall" is a local date-time encoded as the epoch ms it would have in UTC
 * (`Date.UTC(y, m, d, h, mi, s)`), so calendar arithmetic on it is plain integer arithmetic.
 * Offsets come from luxon's `IANAZone.offset` (Intl data). A wall time is either normal (one
 * instant), in a gap (no instant: spring forward) or in an overlap (two instants: fall back).
 * @module
 */
import { IANAZone } from 'luxon';

const HOUR = 3_600_000;
/** Offsets lie in [-12 h, +14 h], so the instants of a wall time lie in [wall - 14 h, wall + 12 h]. */
const BEFORE = 14 * HOUR;
const AFTER = 12 * HOUR;

/** A change of offset: before `at` the offset is `before`, from `at` on it is `after` (all ms). */
export interface Transition {
  at: number;
  before: number;
  after: number;
}

export type WallResolution =
  | { kind: 'normal'; instant: number }
  /** No instant shows this wall time; walls `[start, end)` were skipped at instant `at`. */
  | { kind: 'gap'; at: number; start: number; end: number }
  /** Two instants show this wall time; walls `[start, end)` repeat, the second pass from `at`. */
  | { kind: 'overlap'; first: number; second: number; at: number; start: number; end: number };

/** One UTC calendar year of a zone: the offset at its start and the transitions inside it. */
interface YearTable {
  startOffset: number;
  transitions: Transition[];
}

/** Spacing of the offset samples that find transitions; two transitions closer than this are missed. */
const SAMPLE = 2 * 86_400_000;

/**
 * tzdata lists transitions one by one up to 2087 (Africa/Casablanca); after that every zone
 * follows a fixed yearly rule ("second Sunday in March"), and such rules repeat with the
 * Gregorian calendar every 400 years (146 097 days, a whole number of weeks). So a year from
 * FOLD_FROM on reuses the table of its counterpart in [FOLD_BASE, FOLD_FROM), shifted: a year
 * costs ~180 Intl calls at most once per zone, however far a sparse cron search goes (to 9999).
 * Checked for every Intl zone: years 2100-2499 equal their counterparts 400 and 7600 years on.
 */
const FOLD_BASE = 2100;
const FOLD_FROM = FOLD_BASE + 400;
const CYCLE_MS = 146_097 * 86_400_000;
/**
 * Sample spacing from FOLD_BASE on: yearly rules put months between transitions (126 days at
 * the least, America/Adak, in every Intl zone), so weekly samples miss none and cost a third.
 */
const RULE_SAMPLE = 7 * 86_400_000;

/**
 * A zone's offsets. Asking Intl for an offset costs ~10 µs, far more than a whole cron search,
 * so each UTC year's transitions are found once (sampled every 2 days, then bisected to the
 * second) and every later offset is a lookup in that table.
 */
export class ZoneRules {
  readonly name: string;
  /** True for UTC and fixed-offset zones: every wall time is normal. */
  readonly fixed: boolean;
  readonly #zone: IANAZone;
  /** Tables scanned from Intl: years before FOLD_FROM, so about 530 in practice. */
  readonly #scanned = new Map<number, YearTable>();
  /** Tables of later years, shifted copies of scanned ones. */
  readonly #folded = new Map<number, YearTable>();

  private constructor(name: string) {
    this.name = name;
    this.#zone = IANAZone.create(name);
    this.fixed = /^(etc\/)?(utc|uct|gmt|zulu|universal|greenwich)([+-]\d{1,2})?$/i.test(name);
  }

  static #cache = new Map<string, ZoneRules>();

  /** The rules of a zone name already checked with `checkTimezone`. */
  static for(name: string): ZoneRules {
    let rules = ZoneRules.#cache.get(name);
    if (rules === undefined) {
      rules = new ZoneRules(name);
      ZoneRules.#cache.set(name, rules);
    }
    return rules;
  }

  #intlOffset(ms: number): number {
    return this.#zone.offset(ms) * 60_000;
  }

  #table(year: number): YearTable {
    if (year < FOLD_FROM) return this.#scannedTable(year);
    let table = this.#folded.get(year);
    if (table !== undefined) return table;
    const cycles = Math.floor((year - FOLD_BASE) / 400);
    const base = this.#scannedTable(year - cycles * 400);
    const shift = cycles * CYCLE_MS;
    table = { startOffset: base.startOffset, transitions: base.transitions.map((t) => ({ at: t.at + shift, before: t.before, after: t.after })) };
    if (this.#folded.size >= 400) this.#folded.clear();
    this.#folded.set(year, table);
    return table;
  }

  #scannedTable(year: number): YearTable {
    let table = this.#scanned.get(year);
    if (table !== undefined) return table;
    const lo = Date.UTC(year, 0, 1);
    const hi = Date.UTC(year + 1, 0, 1);
    const startOffset = this.#intlOffset(lo);
    const transitions: Transition[] = [];
    let before = startOffset;
    const sample = year >= FOLD_BASE ? RULE_SAMPLE : SAMPLE;
    for (let t = lo; t < hi; ) {
      const next = Math.min(t + sample, hi);
      const after = this.#intlOffset(next);
      if (after !== before) {
        // Transitions happen on whole seconds; bisect over seconds.
        let a = Math.floor(t / 1000);
        let b = Math.ceil(next / 1000);
        while (b - a > 1) {
          const mid = Math.floor((a + b) / 2);
          if (this.#intlOffset(mid * 1000) === before) a = mid;
          else b = mid;
        }
        transitions.push({ at: b * 1000, before, after });
      }
      before = after;
      t = next;
    }
    table = { startOffset, transitions };
    // Only a caller asking about many years before 1970 could fill it this far.
    if (this.#scanned.size >= 2048) this.#scanned.clear();
    this.#scanned.set(year, table);
    return table;
  }

  /** Offset (ms) in effect at instant `ms`. */
  offset(ms: number): number {
    if (this.fixed) return this.#intlOffsetCached();
    const table = this.#table(new Date(ms).getUTCFullYear());
    let offset = table.startOffset;
    for (const t of table.transitions) {
      if (t.at > ms) break;
      offset = t.after;
    }
    return offset;
  }

  #fixedOffset: number | undefined;
  #intlOffsetCached(): number {
    this.#fixedOffset ??= this.#intlOffset(0);
    return this.#fixedOffset;
  }

  /** The wall time of instant `ms`. */
  wall(ms: number): number {
    return ms + this.offset(ms);
  }

  /** The first transition in `(lo, hi]`, or null. */
  transitionIn(lo: number, hi: number): Transition | null {
    if (this.fixed) return null;
    const last = new Date(hi).getUTCFullYear();
    for (let year = new Date(lo).getUTCFullYear(); year <= last; year++) {
      for (const t of this.#table(year).transitions) {
        if (t.at > lo && t.at <= hi) return t;
      }
    }
    return null;
  }

  /** The instants (none, one or two) at which the wall clock shows `wall`. */
  resolveWall(wall: number): WallResolution {
    if (this.fixed) return { kind: 'normal', instant: wall - this.offset(wall) };
    const t = this.transitionIn(wall - BEFORE, wall + AFTER);
    if (t === null) return { kind: 'normal', instant: wall - this.offset(wall) };
    const early = wall - t.before;
    const late = wall - t.after;
    const earlyOk = early < t.at;
    const lateOk = late >= t.at;
    if (earlyOk && lateOk) {
      return { kind: 'overlap', first: early, second: late, at: t.at, start: t.at + t.after, end: t.at + t.before };
    }
    if (earlyOk) return { kind: 'normal', instant: early };
    if (lateOk) return { kind: 'normal', instant: late };
    return { kind: 'gap', at: t.at, start: t.at + t.before, end: t.at + t.after };
  }
}

/** The largest spring-forward jump (ms) that the fixed-time gap rule bridges (SPEC: 3 hours). */
export const MAX_BRIDGED_GAP = 3 * HOUR;

/**
 * The instant a fixed-time wall time fires at (SPEC "Time zones and DST"): its only instant; the
 * first of two on a fall-back day; the end of a spring-forward gap of up to 3 h; none in a
 * bigger skip. Used by cron fixed-time jobs and by `CalendarIntervalTrigger`.
 */
export function fixedTimeInstant(rules: ZoneRules, wall: number): number | null {
  const r = rules.resolveWall(wall);
  switch (r.kind) {
    case 'normal':
      return r.instant;
    case 'overlap':
      return r.first;
    case 'gap':
      return r.end - r.start <= MAX_BRIDGED_GAP ? r.at : null;
  }
}
