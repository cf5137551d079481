/**
 * The two ways to write a cron expression -> one {@link CronExpression}: the keyword form with
 * APScheduler's defaulting rule, and crontab text (5, 6 or 7 fields, or an `@daily`-style macro).
 * @module
 */
import { CronExpressionParser } from 'cron-parser';
import { KairosRangeError, KairosTypeError } from '../../errors.js';
import { FIELD_NAMES, parseField, type CronField, type FieldName } from './fields.js';
import type { WallSearch } from './search.js';

/** A compiled expression: every field parsed, plus the two rules that depend on the form. */
export interface CronExpression {
  readonly fields: Readonly<Record<FieldName, CronField>>;
  /** Crontab text with both day and dayOfWeek restricted: a day matches if either does. */
  readonly vixieOr: boolean;
  /** SPEC "fixed-time": second, minute and hour are each a value, list or partial range/step. */
  readonly fixedTime: boolean;
  /** Identifies the date part (year, month, day, week, dayOfWeek, Vixie OR): what the day search depends on. */
  readonly dateKey: string;
  /**
   * The expression's search, made on first use (see `WallSearch.for`). A slot rather than a
   * WeakMap: a hundred thousand distinct expressions made a WeakMap the costliest part of adding jobs.
   */
  search: WallSearch | undefined;
}

/** Keyword-form field values as the user may give them. */
export type CronFieldValue = number | string;

/** What a field defaults to when it is finer than the finest field given (APScheduler). */
const MINIMUM: Readonly<Record<FieldName, CronFieldValue>> = {
  year: '*', month: 1, day: 1, week: '*', dayOfWeek: '*', hour: 0, minute: 0, second: 0,
};

function finish(fields: Record<FieldName, CronField>, vixieOr: boolean): CronExpression {
  const fixedTime = !fields.second.wildcard && !fields.minute.wildcard && !fields.hour.wildcard;
  const dateKey = `${fields.year.text}|${fields.month.text}|${fields.day.text}|${fields.week.text}|${fields.dayOfWeek.text}|${vixieOr ? 'or' : 'and'}`;
  return { fields, vixieOr, fixedTime, dateKey, search: undefined };
}

/**
 * Keyword form: a field not given defaults to its minimum when it is finer than the finest field
 * given, else to `*`; `week` and `dayOfWeek` always to `*`. So `{ hour: 3 }` is 03:00:00 daily.
 */
export function fromKeywords(given: Partial<Record<FieldName, unknown>>): CronExpression {
  const finest = FIELD_NAMES.reduce((acc, name, i) => (given[name] !== undefined ? i : acc), -1);
  const fields = makeFields((name) => (given[name] !== undefined ? given[name] : FIELD_NAMES.indexOf(name) > finest ? MINIMUM[name] : '*'));
  return finish(fields, false);
}

const CRONTAB_ALLOWED =
  '5 fields "minute hour day month dayOfWeek", 6 with seconds first, 7 with seconds first and year last, or a macro such as @daily';

/**
 * Crontab text. Macros (`@daily`, `@weekly`, ...) are expanded by cron-parser, which knows the
 * usual set; the fields themselves go through our own parser (cron-parser rejects SPEC syntax
 * such as `1#1,5L` and has no year field).
 */
export function fromCrontab(text: unknown): CronExpression {
  if (typeof text !== 'string') throw new KairosTypeError('crontab', text, `crontab text: ${CRONTAB_ALLOWED}`);
  let expr = parsedCrontabs.get(text);
  if (expr === undefined) {
    expr = parseCrontab(text);
    // Starting over when full is O(1) amortized (see TriggerCache).
    if (parsedCrontabs.size >= CRONTAB_CACHE_SIZE) parsedCrontabs.clear();
    parsedCrontabs.set(text, expr);
  }
  return expr;
}

/**
 * Crontab texts parsed already. Many jobs share an expression (`0 * * * *`), and an expression is
 * immutable, so identical text is parsed once: its trigger then shares the search tables too
 * (the search is kept per expression). Text that fails to parse is not kept.
 */
const parsedCrontabs = new Map<string, CronExpression>();
const CRONTAB_CACHE_SIZE = 10_000;

/** Crontab field positions by field count: 5 (no seconds), 6 (seconds first), 7 (and year last). */
const CRONTAB_LAYOUTS: Readonly<Record<number, readonly FieldName[]>> = {
  5: ['minute', 'hour', 'day', 'month', 'dayOfWeek'],
  6: ['second', 'minute', 'hour', 'day', 'month', 'dayOfWeek'],
  7: ['second', 'minute', 'hour', 'day', 'month', 'dayOfWeek', 'year'],
};

function parseCrontab(text: string): CronExpression {
  let source = text.trim();
  if (source.startsWith('@')) {
    try {
      source = CronExpressionParser.parse(source.toLowerCase()).stringify(true);
    } catch (err) {
      throw new KairosRangeError('crontab', text, CRONTAB_ALLOWED, `unknown macro (${(err as Error).message})`);
    }
  }
  const parts = source.split(/\s+/);
  const names = CRONTAB_LAYOUTS[parts.length];
  if (names === undefined) {
    const found = source === '' ? 0 : parts.length;
    throw new KairosRangeError('crontab', text, CRONTAB_ALLOWED, `found ${found} field${found === 1 ? '' : 's'}`);
  }
  const given: Partial<Record<FieldName, string>> = { second: '0', year: '*', week: '*' };
  for (let i = 0; i < names.length; i++) given[names[i]!] = parts[i];
  const fields = makeFields((name) => given[name]);
  return finish(fields, !fields.day.star && !fields.dayOfWeek.star);
}

/**
 * The fields of an expression, parsed from each field's value, built as one object literal: every
 * expression then has the same shape, which keeps the search's reads of them fast.
 */
function makeFields(value: (name: FieldName) => unknown): Record<FieldName, CronField> {
  return {
    year: parseField('year', value('year')),
    month: parseField('month', value('month')),
    day: parseField('day', value('day')),
    week: parseField('week', value('week')),
    dayOfWeek: parseField('dayOfWeek', value('dayOfWeek')),
    hour: parseField('hour', value('hour')),
    minute: parseField('minute', value('minute')),
    second: parseField('second', value('second')),
  };
}
