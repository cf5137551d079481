/**
 * The two ways to write a cron expression -> one {@link CronExpression}: the keyword form with
 * APScheduler's defaulting rule, and crontab text (5, 6 or 7 fields, or an `@daily`-style macro).
 * @module
 */
import { CronExpressionParser } from 'cron-parser';
import { KairosRangeError, KairosTypeError } from '../../errors.js';
import { FIELD_NAMES, parseField, type CronField, type FieldName } from './fields.js';

/** A compiled expression: every field parsed, plus the two rules that depend on the form. */
export interface CronExpression {
  readonly fields: Readonly<Record<FieldName, CronField>>;
  /** Crontab text with both day and dayOfWeek restricted: a day matches if either does. */
  readonly vixieOr: boolean;
  /** SPEC "fixed-time": second, minute and hour are each a value, list or partial range/step. */
  readonly fixedTime: boolean;
}

/** Keyword-form field values as the user may give them. */
export type CronFieldValue = number | string;

/** What a field defaults to when it is finer than the finest field given (APScheduler). */
const MINIMUM: Readonly<Record<FieldName, CronFieldValue>> = {
  year: '*', month: 1, day: 1, week: '*', dayOfWeek: '*', hour: 0, minute: 0, second: 0,
};

function finish(fields: Record<FieldName, CronField>, vixieOr: boolean): CronExpression {
  const fixedTime = !fields.second.wildcard && !fields.minute.wildcard && !fields.hour.wildcard;
  return { fields, vixieOr, fixedTime };
}

/**
 * Keyword form: a field not given defaults to its minimum when it is finer than the finest field
 * given, else to `*`; `week` and `dayOfWeek` always to `*`. So `{ hour: 3 }` is 03:00:00 daily.
 */
export function fromKeywords(given: Partial<Record<FieldName, unknown>>): CronExpression {
  const finest = FIELD_NAMES.reduce((acc, name, i) => (given[name] !== undefined ? i : acc), -1);
  const fields = {} as Record<FieldName, CronField>;
  FIELD_NAMES.forEach((name, i) => {
    const value = given[name] !== undefined ? given[name] : i > finest ? MINIMUM[name] : '*';
    fields[name] = parseField(name, value);
  });
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

function parseCrontab(text: string): CronExpression {
  let source = text.trim();
  if (source.startsWith('@')) {
    try {
      source = CronExpressionParser.parse(source.toLowerCase()).stringify(true);
    } catch (err) {
      throw new KairosRangeError('crontab', text, CRONTAB_ALLOWED, `unknown macro (${(err as Error).message})`);
    }
  }
  const parts = source.split(/\s+/).filter((p) => p !== '');
  let names: FieldName[];
  if (parts.length === 5) names = ['minute', 'hour', 'day', 'month', 'dayOfWeek'];
  else if (parts.length === 6) names = ['second', 'minute', 'hour', 'day', 'month', 'dayOfWeek'];
  else if (parts.length === 7) names = ['second', 'minute', 'hour', 'day', 'month', 'dayOfWeek', 'year'];
  else throw new KairosRangeError('crontab', text, CRONTAB_ALLOWED, `found ${parts.length} field${parts.length === 1 ? '' : 's'}`);
  const given: Partial<Record<FieldName, string>> = { second: '0', year: '*', week: '*' };
  names.forEach((name, i) => {
    given[name] = parts[i];
  });
  const fields = {} as Record<FieldName, CronField>;
  for (const name of FIELD_NAMES) fields[name] = parseField(name, given[name]);
  return finish(fields, !fields.day.star && !fields.dayOfWeek.star);
}
