/**
 * Triggers: the classes, plus `triggerFromJSON` (stored JSON -> trigger) and `createTrigger`
 * (the scheduler's `'cron'`/`'interval'`/... aliases -> trigger).
 * @module
 */
import { KairosTypeError } from '../errors.js';
import { toOptionalDate } from '../units.js';
import type { SerializedTrigger, Trigger, TriggerKind } from './trigger.js';
import { restoreResolved, type Restorable } from './common.js';
import { DateTrigger, type DateTriggerOptions } from './date.js';
import { IntervalTrigger, type IntervalTriggerOptions } from './interval.js';
import { CronTrigger, type CronTriggerOptions } from './cron/cron-trigger.js';
import { CalendarIntervalTrigger, type CalendarIntervalTriggerOptions } from './calendar-interval.js';
import { AndTrigger, OrTrigger } from './combining.js';

export { DateTrigger, IntervalTrigger, CronTrigger, CalendarIntervalTrigger, AndTrigger, OrTrigger };
export type { DateTriggerOptions } from './date.js';
export type { IntervalTriggerOptions } from './interval.js';
export type { CronTriggerOptions, CrontabOptions } from './cron/cron-trigger.js';
export type { CronFieldValue } from './cron/expression.js';
export type { CalendarIntervalTriggerOptions } from './calendar-interval.js';
export type { CombiningTriggerOptions } from './combining.js';
export type { TriggerBaseOptions } from './common.js';

const KINDS: readonly TriggerKind[] = ['date', 'interval', 'cron', 'calendarinterval', 'and', 'or'];

/**
 * Turns `trigger.toJSON()` back into an equal trigger (same fire times, same JSON), with the
 * zone and start it was resolved with.
 * @throws TypeError/RangeError for JSON that is not a serialized trigger
 */
export function triggerFromJSON(json: SerializedTrigger): Trigger {
  if (json === null || typeof json !== 'object' || !KINDS.includes(json.kind)) {
    throw new KairosTypeError('trigger.kind', (json as { kind?: unknown } | null)?.kind, `one of ${KINDS.join(', ')}`);
  }
  const options = json.options ?? {};
  if (options === null || typeof options !== 'object') throw new KairosTypeError('trigger.options', options, 'an object');
  let trigger: Trigger;
  switch (json.kind) {
    case 'date':
      trigger = new DateTrigger(options as unknown as DateTriggerOptions);
      break;
    case 'interval':
      trigger = new IntervalTrigger(options as IntervalTriggerOptions);
      break;
    case 'calendarinterval':
      trigger = new CalendarIntervalTrigger(options as CalendarIntervalTriggerOptions);
      break;
    case 'cron': {
      const { crontab, ...rest } = options;
      trigger = crontab === undefined ? new CronTrigger(options as CronTriggerOptions) : CronTrigger.fromCrontab(crontab as string, rest);
      break;
    }
    case 'and':
    case 'or': {
      const { triggers, ...rest } = options;
      if (!Array.isArray(triggers)) throw new KairosTypeError('trigger.options.triggers', triggers, 'an array of serialized triggers');
      const children = triggers.map((t) => triggerFromJSON(t as SerializedTrigger));
      trigger = json.kind === 'and' ? new AndTrigger(children, rest) : new OrTrigger(children, rest);
      break;
    }
  }
  const startDate = toOptionalDate(json.startDate, 'trigger.startDate');
  if (restoreResolved in trigger && (json.timezone !== undefined || startDate !== undefined)) {
    trigger = (trigger as unknown as Restorable)[restoreResolved](json.timezone, startDate) as Trigger;
  }
  return trigger;
}

/** The aliases `createTrigger` (and `scheduler.addJob(task, alias, args)`) accept. */
export type TriggerAlias = 'date' | 'interval' | 'cron' | 'calendarinterval';

const ALIASES: readonly TriggerAlias[] = ['date', 'interval', 'cron', 'calendarinterval'];

/**
 * A trigger from an alias and its options; for `'cron'` the arguments may also be crontab text.
 * @example
 * createTrigger('cron', '0 3 * * *'); createTrigger('interval', { minutes: 5 });
 * @throws TypeError for an unknown alias (naming the allowed ones) or bad arguments
 */
export function createTrigger(alias: TriggerAlias, args: object | string): Trigger {
  switch (alias) {
    case 'date':
      return new DateTrigger(args as DateTriggerOptions);
    case 'interval':
      return new IntervalTrigger(args as IntervalTriggerOptions);
    case 'cron':
      return typeof args === 'string' ? CronTrigger.fromCrontab(args) : new CronTrigger(args as CronTriggerOptions);
    case 'calendarinterval':
      return new CalendarIntervalTrigger(args as CalendarIntervalTriggerOptions);
    default:
      throw new KairosTypeError('trigger', alias, `a trigger alias: one of ${ALIASES.map((a) => `'${a}'`).join(', ')}, or a Trigger instance`);
  }
}
