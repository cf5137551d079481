/**
 * `kairos next '<cron>' [--tz Zone] [--count N] [--from instant]`: the next fire times of a
 * crontab expression, computed by `CronTrigger` itself (so the command and the scheduler always
 * agree), each with its local wall time and UTC offset. Fire times that DST moved are marked: a
 * fixed-time job whose wall time falls in a spring-forward gap fires when the gap ends (02:30
 * New York on 2027-03-14 fires at 03:00 EDT). So are wall times a fall-back repeats.
 *
 * Whether DST moved a fire time is read off the trigger too: the same expression in UTC (a zone
 * without DST) matches exactly the wall times that fire, so a fire instant whose local wall time
 * it does not match was moved, from the first matching wall time of the gap it jumped.
 * @module
 */
import { DateTime } from 'luxon';
import { KairosRangeError } from '../errors.js';
import { CronTrigger } from '../triggers/cron/cron-trigger.js';
import { checkTimezone, systemTimezone } from '../units.js';
import { intOption, type Command } from './command.js';
import { emit, formatInstant } from './output.js';

/** How DST changed a fire time: moved out of a gap, or at a wall time that occurs twice. */
export type DstNote =
  | { kind: 'moved'; /** The local wall time it stands for, which did not exist (ISO, no offset). */ wallTime: string }
  | { kind: 'repeated'; /** 1: the first of the two, 2: the second. */ occurrence: 1 | 2 };

/** One fire time as `next` reports it. */
export interface FireTime {
  /** The instant, ISO-8601 UTC. */
  utc: string;
  /** Local wall time with its offset, ISO-8601. */
  local: string;
  /** The UTC offset, `-04:00`. */
  offset: string;
  /** The zone's abbreviation where it has one (`EDT`), else the offset. */
  abbreviation: string;
  dst: DstNote | null;
}

const offsetMs = (at: number, zone: string): number => DateTime.fromMillis(at, { zone }).offset * 60_000;
const wallIso = (wall: number): string => DateTime.fromMillis(wall, { zone: 'UTC' }).toFormat("yyyy-MM-dd'T'HH:mm:ss");

/** The DST note of fire instant `at`, or null. `wallTrigger` is the expression in UTC. */
function dstNote(at: number, zone: string, wallTrigger: CronTrigger): DstNote | null {
  const wall = at + offsetMs(at, zone);
  if (wallTrigger.getNextFireTime(null, new Date(wall))?.getTime() !== wall) {
    // Not a wall time of the expression: it fired for one skipped by the gap that ends at `at`.
    const gapStart = at - 1000 + offsetMs(at - 1000, zone) + 1000;
    const intended = wallTrigger.getNextFireTime(null, new Date(gapStart));
    return { kind: 'moved', wallTime: wallIso(intended !== null && intended.getTime() < wall ? intended.getTime() : wall) };
  }
  // A wall time occurs twice when both offsets around a fall-back map it back to itself.
  const offsets = new Set([offsetMs(at - 3 * 3_600_000, zone), offsetMs(at + 3 * 3_600_000, zone), offsetMs(at, zone)]);
  const instants = [...offsets].map((o) => wall - o).filter((t) => t + offsetMs(t, zone) === wall).sort((a, b) => a - b);
  if (instants.length < 2) return null;
  return { kind: 'repeated', occurrence: instants[0] === at ? 1 : 2 };
}

/**
 * `--from`: epoch ms, or ISO-8601 text; text without an offset is a wall time in `zone`.
 * @throws KairosRangeError for anything else
 */
export function parseFrom(value: string | undefined, zone: string, now: number): number {
  if (value === undefined) return now;
  if (/^-?\d+$/.test(value.trim())) {
    const ms = Number(value);
    // A Date holds ±8.64e15 ms around 1970; past that there is no instant to start from.
    if (Number.isNaN(new Date(ms).getTime())) throw new KairosRangeError('--from', value, 'epoch milliseconds within ±8640000000000000 (what a Date holds), or an ISO-8601 instant');
    return ms;
  }
  const dt = DateTime.fromISO(value.trim(), { zone });
  if (!dt.isValid) {
    throw new KairosRangeError('--from', value, 'an ISO-8601 instant (2027-03-13, 2027-03-13T02:00, 2027-03-13T07:00:00Z) or epoch milliseconds', dt.invalidExplanation ?? undefined);
  }
  return dt.toMillis();
}

/** The next `count` fire times of `expression` in `zone`, at or after `from`. */
export function nextFireTimes(expression: string, zone: string, from: number, count: number): FireTime[] {
  const trigger = CronTrigger.fromCrontab(expression, { timezone: zone });
  const wallTrigger = CronTrigger.fromCrontab(expression, { timezone: 'UTC' });
  const out: FireTime[] = [];
  let next = trigger.getNextFireTime(null, new Date(from));
  while (next !== null && out.length < count) {
    const dt = DateTime.fromJSDate(next, { zone }).setLocale('en-US');
    out.push({
      utc: next.toISOString(),
      local: dt.toISO({ suppressMilliseconds: true })!,
      offset: dt.toFormat('ZZ'),
      abbreviation: dt.toFormat('ZZZZ'),
      dst: dstNote(next.getTime(), zone, wallTrigger),
    });
    next = trigger.getNextFireTime(next, next);
  }
  return out;
}

function noteText(note: DstNote | null): string {
  if (note === null) return '';
  if (note.kind === 'moved') return `moved by DST: ${note.wallTime.slice(11, 16)} does not exist that day (clocks sprang forward)`;
  return note.occurrence === 1 ? 'DST: first of two such wall times (clocks fall back after it)' : 'DST: second of two such wall times (clocks fell back)';
}

export const nextCommand: Command = {
  path: ['next'],
  operands: "'<cron>'",
  arity: [1, 1],
  summary: 'the next fire times of a crontab expression, with DST marked',
  details:
    'Prints the next fire times of a crontab expression (5 fields; 6 with seconds first; 7 with a year last; or @daily…) as the scheduler computes them, ' +
    'each with its local wall time in --tz and its UTC offset. A fire time that DST moved (a fixed time inside a spring-forward gap fires when the gap ends) ' +
    'is marked, and so is a wall time that a fall-back repeats. Needs no database.',
  options: {
    count: { type: 'string', short: 'n' },
    from: { type: 'string' },
  },
  optionHelp: [
    '--tz <zone>       the zone of the expression (IANA name; default the system zone)',
    '-n, --count <N>   how many fire times, 1 to 1000 (default 5)',
    '--from <instant>  start here (ISO-8601, or epoch ms; text without an offset is wall time in --tz; default now)',
  ],
  store: false,
  async run(ctx) {
    const expression = ctx.args[0]!;
    const zone = typeof ctx.values.tz === 'string' ? checkTimezone(ctx.values.tz, '--tz') : systemTimezone();
    const count = intOption(ctx.values.count, '--count', 5, 1, 1000);
    const from = parseFrom(ctx.values.from as string | undefined, zone, Date.now());
    const times = nextFireTimes(expression, zone, from, count);
    emit(ctx.printer, { expression, timezone: zone, from: new Date(from).toISOString(), fireTimes: times }, () => {
      const head = `${expression} in ${zone}, from ${formatInstant(from, zone)}:`;
      if (times.length === 0) return `${head}\n  no fire time (the expression's years have passed)`;
      const rows = times.map((t) => {
        const local = formatInstant(Date.parse(t.utc), zone);
        return { local, utc: t.utc, note: noteText(t.dst) };
      });
      const width = Math.max(...rows.map((r) => r.local.length));
      return [head, ...rows.map((r) => `  ${r.local.padEnd(width)}  ${r.utc}${r.note ? `  ${r.note}` : ''}`)].join('\n');
    });
  },
};
