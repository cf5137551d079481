/**
 * Triggers and instants in words, for people reading the admin API and dashboard: `every 5 min`,
 * `cron "0 3 * * *"`, `once at 2027-01-01 09:00:00 +01:00 (CET)`. The trigger's data goes beside
 * the words, so nothing is lost to the phrasing.
 * @module
 */
import { DateTime } from 'luxon';
import type { SerializedTrigger } from '../triggers/trigger.js';

const UNITS: Array<[string, string]> = [
  ['years', 'year'],
  ['months', 'month'],
  ['weeks', 'week'],
  ['days', 'day'],
  ['hours', 'h'],
  ['minutes', 'min'],
  ['seconds', 's'],
  ['milliseconds', 'ms'],
];
const CRON_FIELDS = ['year', 'month', 'day', 'week', 'dayOfWeek', 'hour', 'minute', 'second'];

/** `2027-01-01 09:00:00 +01:00 (CET)` in `zone` (milliseconds shown only when there are any). */
export function wallTime(at: Date, zone: string): string {
  const dt = DateTime.fromJSDate(at, { zone }).setLocale('en-US');
  const wall = dt.toFormat(dt.millisecond === 0 ? 'yyyy-MM-dd HH:mm:ss ZZ' : 'yyyy-MM-dd HH:mm:ss.SSS ZZ');
  const abbreviation = dt.toFormat('ZZZZ');
  // "GMT+2" says no more than the offset beside it.
  return /^(GMT|UTC)[+-]/.test(abbreviation) ? wall : `${wall} (${abbreviation})`;
}

/** ISO-8601 with the zone's offset: `2027-01-01T09:00:00.000+01:00`. */
export function localIso(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toISO() ?? at.toISOString();
}

/** `2 days 3 h 30 min`: words for calendar units (plural past one), symbols for clock units. */
function amounts(options: Record<string, unknown>): string {
  const parts = UNITS.filter(([key]) => typeof options[key] === 'number' && options[key] !== 0).map(([key, unit]) => {
    const n = options[key] as number;
    return n !== 1 && !['h', 'min', 's', 'ms'].includes(unit) ? `${n} ${unit}s` : `${n} ${unit}`;
  });
  return parts.join(' ');
}

function pad(v: unknown): string {
  return typeof v === 'number' ? String(v).padStart(2, '0') : String(v);
}

/**
 * The trigger in words. Zones are named only where they differ from `outerZone` (the zone the
 * reader already sees, such as the job's).
 */
export function describeTrigger(t: SerializedTrigger, outerZone?: string): string {
  const o = t.options;
  const zone = t.timezone !== undefined && t.timezone !== outerZone ? ` (${t.timezone})` : '';
  switch (t.kind) {
    case 'date':
      return `once at ${typeof o.runDate === 'string' ? wallTime(new Date(o.runDate), t.timezone ?? outerZone ?? 'UTC') : String(o.runDate)}`;
    case 'interval':
      return `every ${amounts(o) || '?'}${zone}`;
    case 'calendarinterval': {
      const at = `${pad(o.hour ?? 0)}:${pad(o.minute ?? 0)}:${pad(o.second ?? 0)}`;
      return `every ${amounts(o) || '?'} at ${at}${zone}`;
    }
    case 'cron': {
      if (typeof o.crontab === 'string') return `cron "${o.crontab}"${zone}`;
      const fields = CRON_FIELDS.filter((f) => o[f] !== undefined).map((f) => `${f}=${String(o[f])}`);
      return `cron ${fields.join(' ')}${zone}`;
    }
    case 'and':
    case 'or': {
      const children = Array.isArray(o.triggers) ? (o.triggers as SerializedTrigger[]) : [];
      const inner = children.map((c) => describeTrigger(c, t.timezone ?? outerZone)).join(t.kind === 'and' ? ' and ' : ' or ');
      return `${t.kind === 'and' ? 'when all agree' : 'the earliest'}: ${inner}${zone}`;
    }
    default:
      return String(t.kind);
  }
}
