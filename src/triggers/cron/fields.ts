/**
 * One cron field's text -> the set of values it allows. Shared by the keyword form and crontab
 * text, so both accept the same syntax and raise the same errors.
 * @module
 */
import { KairosRangeError, KairosTypeError } from '../../errors.js';

export type FieldName = 'year' | 'month' | 'day' | 'week' | 'dayOfWeek' | 'hour' | 'minute' | 'second';

/** Coarsest first: the order of APScheduler's defaulting rule and of the search. */
export const FIELD_NAMES: readonly FieldName[] = ['year', 'month', 'day', 'week', 'dayOfWeek', 'hour', 'minute', 'second'];

/**
 * The last year a year field may name, as APScheduler and croner: four digits. Past it the search
 * answers null. It is not what bounds a query: the search jumps over years (see `search.ts`).
 */
export const MAX_YEAR = 9999;
export const MIN_YEAR = 1970;

interface FieldSpec {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const FULL_MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

const monthNames = Object.fromEntries([...MONTHS.map((m, i) => [m, i + 1]), ...FULL_MONTHS.map((m, i) => [m, i + 1])]);
const dayNames = Object.fromEntries([...DAYS.map((d, i) => [d, i]), ...FULL_DAYS.map((d, i) => [d, i])]);

export const FIELD_SPECS: Readonly<Record<FieldName, FieldSpec>> = {
  year: { min: MIN_YEAR, max: MAX_YEAR },
  month: { min: 1, max: 12, names: monthNames },
  day: { min: 1, max: 31 },
  week: { min: 1, max: 53 },
  // 7 is accepted as Sunday and folded onto 0 (cron numbering in both forms, per SPEC).
  dayOfWeek: { min: 0, max: 7, names: dayNames },
  hour: { min: 0, max: 23 },
  minute: { min: 0, max: 59 },
  second: { min: 0, max: 59 },
};

/** A parsed field. `values[v - min]` says whether value `v` is allowed. */
export interface CronField {
  readonly name: FieldName;
  readonly text: string;
  readonly values: Uint8Array;
  /** Covers its whole range through `*`, `*\/n` or a full-range range or step (SPEC's wildcard). */
  readonly wildcard: boolean;
  /** Text is exactly `*` (or `?`): decides the Vixie OR rule of crontab text. */
  readonly star: boolean;
  /** day: the month's last day is allowed (`L`, `last`). */
  readonly last: boolean;
  /** dayOfWeek: `[weekday, n]` pairs for `n#k`/`2nd mon` (n = 1..5). */
  readonly nth: readonly (readonly [number, number])[];
  /** dayOfWeek: weekdays allowed on their last occurrence in the month (`5L`, `last fri`). */
  readonly lastWeekday: readonly number[];
}

const ORDINALS: Readonly<Record<string, number>> = { '1st': 1, '2nd': 2, '3rd': 3, '4th': 4, '5th': 5, first: 1, second: 2, third: 3, fourth: 4, fifth: 5 };

function syntax(name: FieldName): string {
  const { min, max } = FIELD_SPECS[name];
  const range = `an integer from ${min} to ${max}`;
  const base = `${range}, or text with *, */n, a-b, a-b/n and lists a,b`;
  switch (name) {
    case 'month':
      return `${base} (names jan-dec allowed)`;
    case 'day':
      return `${base}, or L/last for the month's last day`;
    case 'dayOfWeek':
      return `${base} (0 and 7 are Sunday; names sun-sat), nL/"last fri", n#k/"2nd mon"`;
    default:
      return base;
  }
}

// Parsed fields are immutable, so equal texts share one: a hundred thousand `S M H * * *` jobs
// hold a few hundred distinct fields, not eight hundred thousand.
const parsedFields: Readonly<Record<FieldName, Map<unknown, CronField>>> = {
  year: new Map(), month: new Map(), day: new Map(), week: new Map(), dayOfWeek: new Map(), hour: new Map(), minute: new Map(), second: new Map(),
};
const FIELD_CACHE_SIZE = 1024;

/** Parses one field's value (a number or text) into a {@link CronField}; equal inputs share the result. */
export function parseField(name: FieldName, raw: unknown): CronField {
  if (typeof raw !== 'number' && typeof raw !== 'string') return parseFieldUncached(name, raw);
  const cache = parsedFields[name];
  let field = cache.get(raw);
  if (field === undefined) {
    field = parseFieldUncached(name, raw);
    if (cache.size >= FIELD_CACHE_SIZE) cache.clear();
    cache.set(raw, field);
  }
  return field;
}

function parseFieldUncached(name: FieldName, raw: unknown): CronField {
  const spec = FIELD_SPECS[name];
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw) || raw < spec.min || raw > spec.max) throw new KairosRangeError(name, raw, syntax(name));
  } else if (typeof raw !== 'string') {
    throw new KairosTypeError(name, raw, syntax(name));
  }
  const text = String(raw).trim().toLowerCase();
  const size = spec.max - spec.min + 1;
  const values = new Uint8Array(size);
  const nth: [number, number][] = [];
  const lastWeekday: number[] = [];
  let last = false;
  let wildcard = false;
  const fail = (detail?: string): never => {
    throw new KairosRangeError(name, raw, syntax(name), detail);
  };
  const value = (token: string): number => {
    let v: number | undefined;
    if (/^\d+$/.test(token)) v = Number(token);
    else v = spec.names?.[token];
    if (v === undefined) fail(`"${token}" is not a number${spec.names ? ' or a known name' : ''}`);
    if (v! < spec.min || v! > spec.max) fail(`${token} is out of range`);
    return v!;
  };
  if (text === '') fail('the text is empty');
  for (const element of text.split(',')) {
    const part = element.trim().replace(/\s+/g, ' ');
    if (part === '') fail('a list has an empty element');
    if (name === 'day' && (part === 'l' || part === 'last')) {
      last = true;
      continue;
    }
    if (name === 'dayOfWeek') {
      const lastMatch = /^(?:(\w+)l|last (\w+))$/.exec(part);
      if (lastMatch) {
        lastWeekday.push(value((lastMatch[1] ?? lastMatch[2])!) % 7);
        continue;
      }
      const hash = /^(\w+)#(\d+)$/.exec(part) ?? /^(\w+) (\w+)$/.exec(part);
      if (hash) {
        const ordinalFirst = hash[0].includes(' ');
        const day = value((ordinalFirst ? hash[2] : hash[1])!) % 7;
        const n = ordinalFirst ? ORDINALS[hash[1]!] : Number(hash[2]);
        if (n === undefined || !(n >= 1 && n <= 5)) fail(`"${part}": the occurrence must be 1 to 5 (1st to 5th)`);
        nth.push([day, n!]);
        continue;
      }
    }
    const m = /^(\*|\?|[\w]+)(?:-([\w]+))?(?:\/(\d+))?$/.exec(part);
    if (!m) fail(`"${part}" is not valid syntax`);
    const [, head, tail, stepText] = m!;
    let from: number;
    let to: number;
    if (head === '*' || head === '?') {
      if (tail !== undefined) fail(`"${part}" is not valid syntax`);
      from = spec.min;
      to = spec.max;
    } else {
      from = value(head!);
      to = tail !== undefined ? value(tail) : stepText !== undefined ? spec.max : from;
      // "fri-sun": Sunday as the end of a range means 7.
      if (name === 'dayOfWeek' && tail !== undefined && to === 0 && from > 0) to = 7;
      if (to < from) fail(`the range ${part} runs backwards`);
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) fail(`the step in "${part}" must be 1 or more`);
    if (from === spec.min && to === spec.max && (head === '*' || head === '?' || tail !== undefined || stepText !== undefined)) wildcard = true;
    for (let v = from; v <= to; v += step) values[v - spec.min] = 1;
  }
  if (name === 'dayOfWeek' && values[7]) {
    values[0] = 1;
    values[7] = 0;
  }
  return { name, text, values, wildcard, star: text === '*' || text === '?', last, nth, lastWeekday };
}

/**
 * `next[v]` = the smallest allowed value >= v, or -1. Sized one past the max so "carry into the
 * next unit" is a plain lookup. For month, hour, minute, second and year (20 KB, one per distinct
 * year text, since fields are shared): day and dayOfWeek go through the search's day masks.
 */
const nextTables = new WeakMap<CronField, Int16Array>();

export function nextTable(field: CronField): Int16Array {
  let table = nextTables.get(field);
  if (table === undefined) nextTables.set(field, (table = buildNextTable(field)));
  return table;
}

function buildNextTable(field: CronField): Int16Array {
  const { min, max } = FIELD_SPECS[field.name];
  const table = new Int16Array(max + 2).fill(-1);
  let next = -1;
  for (let v = max + 1; v >= 0; v--) {
    if (v >= min && v <= max && field.values[v - min]) next = v;
    table[v] = next;
  }
  return table;
}
