/**
 * Type tests of the job API's signatures typed by trigger alias (`addJob`, `rescheduleJob`):
 * checked by vitest's typecheck mode and by `tsc -p tsconfig.json`; nothing here executes. The
 * rejected calls (`@ts-expect-error`; an unused one fails the run) each have an accepted twin in
 * the test before them that differs only in what is rejected, so the error is the one meant.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  CronTrigger,
  IntervalTrigger,
  type CronTriggerOptions,
  type Job,
  type Scheduler,
  type TaskContext,
  type Trigger,
  type TriggerAlias,
} from '../../src/index.js';

declare const scheduler: Scheduler;
declare const task: () => void;
declare const trigger: Trigger;

describe("addJob(task, 'cron', …)", () => {
  it('takes CronTrigger options or crontab text', () => {
    expectTypeOf(scheduler.addJob(task, 'cron', { hour: 3 })).toEqualTypeOf<Promise<Job>>();
    void scheduler.addJob(task, 'cron', '0 3 * * *');
    void scheduler.addJob(task, 'cron', '0 0 3 * * * 2027', { id: 'nightly', replaceExisting: true });
    void scheduler.addJob(task, 'cron', { dayOfWeek: 'mon-fri', minute: '*/5', second: 0, timezone: 'Europe/Berlin' });
    void scheduler.addJob(task, 'cron', { day: 'last', dayOfWeek: '1#2,5L', year: '2027-2030', jitter: { seconds: 5 } });
    const options: CronTriggerOptions = { hour: 3 };
    void scheduler.addJob(task, 'cron', options);
  });

  it('rejects interval units, misspelled fields and values that are no field value', () => {
    // @ts-expect-error -- `hours` is an interval unit; cron takes `hour`
    void scheduler.addJob(task, 'cron', { hours: 3 });
    // @ts-expect-error -- `dayOfWeek`, not `weekday`
    void scheduler.addJob(task, 'cron', { weekday: 'mon' });
    // @ts-expect-error -- a field value is a number or text
    void scheduler.addJob(task, 'cron', { hour: true });
    // @ts-expect-error -- a list is text (`'3,15'`), not an array
    void scheduler.addJob(task, 'cron', { hour: [3, 15] });
    // @ts-expect-error -- an alias needs its trigger arguments
    void scheduler.addJob(task, 'cron');
  });
});

describe("addJob(task, 'interval', …)", () => {
  it('takes IntervalTrigger options', () => {
    expectTypeOf(scheduler.addJob(task, 'interval', { hours: 1 })).toEqualTypeOf<Promise<Job>>();
    void scheduler.addJob(task, 'interval', { minutes: 5, startDate: '2026-01-01T00:00:00Z', endDate: Date.now() });
  });

  it('rejects cron fields, text and non-numbers', () => {
    // @ts-expect-error -- `hour` is a cron field; interval takes `hours`
    void scheduler.addJob(task, 'interval', { hour: 1 });
    // @ts-expect-error -- no crontab (or duration) text for an interval
    void scheduler.addJob(task, 'interval', '5 minutes');
    // @ts-expect-error -- units are numbers
    void scheduler.addJob(task, 'interval', { minutes: '5' });
  });
});

describe("addJob(task, 'date', …)", () => {
  it('takes DateTrigger options, runDate as a Date, ISO text or epoch ms', () => {
    expectTypeOf(scheduler.addJob(task, 'date', { runDate: new Date() })).toEqualTypeOf<Promise<Job>>();
    void scheduler.addJob(task, 'date', { runDate: '2026-05-01T12:00:00Z' });
    void scheduler.addJob(task, 'date', { runDate: 1_777_636_800_000, timezone: 'UTC' }, { misfireGraceTime: { minutes: 5 } });
  });

  it('rejects a bare instant (not accepted at runtime either), a missing or misspelled runDate', () => {
    // @ts-expect-error -- the instant goes in `{ runDate }`
    void scheduler.addJob(task, 'date', new Date());
    // @ts-expect-error -- the instant goes in `{ runDate }`
    void scheduler.addJob(task, 'date', '2026-05-01T12:00:00Z');
    // @ts-expect-error -- `runDate` is required
    void scheduler.addJob(task, 'date', { timezone: 'UTC' });
    // @ts-expect-error -- `runDate`, not `run_date`
    void scheduler.addJob(task, 'date', { run_date: new Date() });
  });
});

describe("addJob(task, 'calendarinterval', …)", () => {
  it('takes CalendarIntervalTrigger options', () => {
    expectTypeOf(scheduler.addJob(task, 'calendarinterval', { months: 1, hour: 9 })).toEqualTypeOf<Promise<Job>>();
  });

  it('rejects units it does not have and cron text', () => {
    // @ts-expect-error -- `months`, not `month`
    void scheduler.addJob(task, 'calendarinterval', { month: 1 });
    // @ts-expect-error -- calendar intervals have no `hours` (elapsed time is 'interval')
    void scheduler.addJob(task, 'calendarinterval', { days: 1, hours: 1 });
    // @ts-expect-error -- no crontab text
    void scheduler.addJob(task, 'calendarinterval', '0 9 1 * *');
  });
});

describe('addJob(task, trigger object, …)', () => {
  it('takes no trigger arguments: options fourth after undefined, or third', () => {
    expectTypeOf(scheduler.addJob(task, trigger)).toEqualTypeOf<Promise<Job>>();
    void scheduler.addJob(task, new IntervalTrigger({ minutes: 5 }), undefined, { id: 'poll' });
    void scheduler.addJob(task, CronTrigger.fromCrontab('0 3 * * *'), { id: 'nightly', coalesce: false });
  });

  it('rejects trigger arguments', () => {
    // @ts-expect-error -- a Trigger object carries its own options
    void scheduler.addJob(task, trigger, { hour: 3 });
    // @ts-expect-error -- nor crontab text
    void scheduler.addJob(task, trigger, '0 3 * * *');
    // @ts-expect-error -- nor options in third place and job options in fourth
    void scheduler.addJob(task, trigger, { hour: 3 }, { id: 'nightly' });
  });
});

describe('addJob: aliases, job options and the task', () => {
  it('rejects an unknown alias', () => {
    void scheduler.addJob(task, 'cron', '0 3 * * *');
    // @ts-expect-error -- the alias is 'cron'
    void scheduler.addJob(task, 'crontab', '0 3 * * *');
    // @ts-expect-error -- 'and' / 'or' are kinds of stored triggers, not aliases: use AndTrigger
    void scheduler.addJob(task, 'and', { triggers: [] });
  });

  it('takes an alias known only at runtime, with the options of any alias (checked at runtime)', () => {
    const alias = 'interval' as TriggerAlias;
    void scheduler.addJob(task, alias, { hours: 1 });
    void scheduler.addJob(task, alias, '0 3 * * *');
  });

  it('checks job options for typos', () => {
    void scheduler.addJob(task, 'cron', { hour: 3 }, { replaceExisting: true, retry: { attempts: 3, delay: 1000 } });
    // @ts-expect-error -- `replaceExisting`
    void scheduler.addJob(task, 'cron', { hour: 3 }, { replaceExistng: true });
    // @ts-expect-error -- `maxInstances`
    void scheduler.addJob(task, trigger, undefined, { maxInstance: 2 });
    // @ts-expect-error -- `maxInstances`, with the Trigger shorthand too
    void scheduler.addJob(task, trigger, { maxInstance: 2 });
    // @ts-expect-error -- retry `delay`
    void scheduler.addJob(task, 'interval', { minutes: 1 }, { retry: { attempts: 3, delays: 1000 } });
  });

  it('takes a function (any parameters, sync or async) or a registered task id', () => {
    void scheduler.addJob('send-report', 'cron', { hour: 3 });
    void scheduler.addJob(async (to: string, ctx: TaskContext) => `${to} ${ctx.runId}`, 'cron', { hour: 3 }, { args: ['ops'] });
    // @ts-expect-error -- a task is a function or a task id
    void scheduler.addJob(42, 'cron', { hour: 3 });
    // @ts-expect-error -- `{ module, export }` targets go through registerTask, then addJob by id
    void scheduler.addJob({ module: './tasks.js' }, 'cron', { hour: 3 });
  });
});

describe('rescheduleJob(id, trigger, triggerArgs?)', () => {
  it('is typed by alias as addJob', () => {
    expectTypeOf(scheduler.rescheduleJob('a', 'cron', { hour: 3 })).toEqualTypeOf<Promise<Job>>();
    void scheduler.rescheduleJob('a', 'cron', '*/5 * * * *');
    void scheduler.rescheduleJob('a', 'interval', { hours: 1 });
    void scheduler.rescheduleJob('a', 'date', { runDate: '2026-05-01T12:00:00Z' });
    void scheduler.rescheduleJob('a', 'calendarinterval', { weeks: 2 });
    void scheduler.rescheduleJob('a', trigger);
    void scheduler.rescheduleJob('a', trigger, undefined);
  });

  it('rejects what addJob rejects', () => {
    // @ts-expect-error -- cron takes `hour`
    void scheduler.rescheduleJob('a', 'cron', { hours: 3 });
    // @ts-expect-error -- interval takes `hours`
    void scheduler.rescheduleJob('a', 'interval', { hour: 1 });
    // @ts-expect-error -- `{ runDate }`
    void scheduler.rescheduleJob('a', 'date', new Date());
    // @ts-expect-error -- `months`
    void scheduler.rescheduleJob('a', 'calendarinterval', { month: 1 });
    // @ts-expect-error -- a Trigger object takes no trigger arguments
    void scheduler.rescheduleJob('a', trigger, { hour: 3 });
    // @ts-expect-error -- unknown alias
    void scheduler.rescheduleJob('a', 'crontab', '0 3 * * *');
    // @ts-expect-error -- an alias needs its trigger arguments
    void scheduler.rescheduleJob('a', 'interval');
  });
});
