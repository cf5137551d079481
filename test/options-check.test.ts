/**
 * Unknown option keys are refused, never ignored, by every options object kairos takes, through
 * the one checker of src/options-check.ts: the message names the field, the value and the keys
 * allowed, with a "did you mean" for a near miss (hardening issue, point 3).
 */
import { describe, expect, it } from 'vitest';
import {
  AsyncExecutor,
  IntervalTrigger,
  KairosTypeError,
  MemoryJobStore,
  PostgresJobStore,
  Scheduler,
  SQLiteJobStore,
  WorkerThreadsExecutor,
} from '../src/index.js';
import { checkKnownKeys, suggestKey } from '../src/options-check.js';

/** The error `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): KairosTypeError {
  try {
    fn();
  } catch (err) {
    return err as KairosTypeError;
  }
  throw new Error('expected a throw');
}

describe('checkKnownKeys', () => {
  it('returns the options when every key is allowed', () => {
    const options = { a: 1, b: undefined };
    expect(checkKnownKeys(options, ['a', 'b', 'c'], 'Thing')).toBe(options);
    expect(checkKnownKeys({}, [], 'Thing')).toEqual({});
  });

  it('refuses an unknown key with field, value, allowed and a message saying all three', () => {
    const err = thrown(() => checkKnownKeys({ size: 2, colour: 'red' }, ['size', 'shape'], 'Thing'));
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toBeInstanceOf(KairosTypeError);
    expect(err.code).toBe('KAIROS_INVALID_ARGUMENT');
    expect(err.field).toBe('Thing.colour');
    expect(err.value).toBe('red');
    expect(err.allowed).toBe('an option of Thing: one of size, shape');
    expect(err.message).toBe('Thing.colour: expected an option of Thing: one of size, shape, received "red"; "colour" is not an option of Thing');
  });

  it('counts a key whose value is undefined as given', () => {
    expect(() => checkKnownKeys({ colour: undefined }, ['size'], 'Thing')).toThrow(/Thing\.colour/);
  });

  it('refuses a value that is not an options object', () => {
    for (const value of [null, 5, 'size', [1], new Date(0)]) {
      const err = thrown(() => checkKnownKeys(value, ['size'], 'Thing'));
      expect(err).toBeInstanceOf(KairosTypeError);
      expect(err.field).toBe('Thing');
      expect(err.message).toMatch(/^Thing: expected an options object with keys among size, received/);
    }
  });

  it('appends the hint of the caller', () => {
    expect(() => checkKnownKeys({ hour: 3 }, ['id'], 'options', 'trigger arguments go in the third argument of addJob')).toThrow(
      /"hour" is not an option of options; trigger arguments go in the third argument of addJob$/,
    );
  });

  it.each([
    ['jobstores', 'jobStores'], // APScheduler's spelling
    ['job_stores', 'jobStores'],
    ['JobStores', 'jobStores'],
    ['jobStore', 'jobStores'], // singular / plural
    ['hours', 'hour'],
    ['misfire_grace_time', 'misfireGraceTime'],
    ['concurency', 'concurrency'], // one typo
    ['leaseDuartion', 'leaseDuration'], // two neighbours swapped
    ['maxInstance', 'maxInstances'],
  ])('suggests %s -> %s', (key, expected) => {
    const allowed = ['timezone', 'jobStores', 'hour', 'misfireGraceTime', 'concurrency', 'leaseDuration', 'maxInstances'];
    expect(suggestKey(key, allowed)).toBe(expected);
  });

  it('suggests nothing for a key far from every allowed one', () => {
    expect(suggestKey('colour', ['size', 'shape'])).toBeUndefined();
    expect(suggestKey('id', ['ab'])).toBeUndefined(); // two edits on a short key is another word
  });
});

describe('every options object refuses unknown keys', () => {
  const cases: Array<[string, () => unknown, string, RegExp]> = [
    ['Scheduler (APScheduler spelling)', () => new Scheduler({ jobstores: { default: new MemoryJobStore() } } as never), 'Scheduler.jobstores', /did you mean "jobStores"\?/],
    ['Scheduler', () => new Scheduler({ timeZone: 'UTC' } as never), 'Scheduler.timeZone', /did you mean "timezone"\?/],
    ['Scheduler jobDefaults', () => new Scheduler({ jobDefaults: { maxInstance: 2 } } as never), 'jobDefaults.maxInstance', /did you mean "maxInstances"\?/],
    ['Scheduler jobDefaults retry', () => new Scheduler({ jobDefaults: { retry: { attempt: 2 } } } as never), 'retry.attempt', /did you mean "attempts"\?/],
    ['MemoryJobStore', () => new MemoryJobStore({ lease_duration: 10 } as never), 'MemoryJobStore.lease_duration', /did you mean "leaseDuration"\?/],
    ['SQLiteJobStore', () => new SQLiteJobStore({ path: 'x.sqlite', pollIntervall: 5 } as never), 'SQLiteJobStore.pollIntervall', /did you mean "pollInterval"\?/],
    ['SQLiteJobStore (filename)', () => new SQLiteJobStore({ path: 'x.sqlite', filename: 'y' } as never), 'SQLiteJobStore.filename', /"filename" is not an option of SQLiteJobStore/],
    ['PostgresJobStore config', () => new PostgresJobStore({ connectionString: 'postgres://x', schemaName: 'k' } as never), 'PostgresJobStore.schemaName', /"schemaName" is not an option/],
    ['PostgresJobStore options', () => new PostgresJobStore({ connectionString: 'postgres://x' }, { pool_size: 3 } as never), 'PostgresJobStore.pool_size', /did you mean "poolSize"\?/],
    ['AsyncExecutor', () => new AsyncExecutor({ concurency: 3 } as never), 'AsyncExecutor.concurency', /did you mean "concurrency"\?/],
    ['WorkerThreadsExecutor', () => new WorkerThreadsExecutor({ maxWorkers: 3 } as never), 'WorkerThreadsExecutor.maxWorkers', /one of size, maxQueue, abortGrace, resourceLimits, execArgv/],
    ['IntervalTrigger (same checker)', () => new IntervalTrigger({ hour: 1 } as never), 'IntervalTrigger.hour', /did you mean "hours"\?/],
  ];
  it.each(cases)('%s', (_name, make, field, message) => {
    const err = thrown(make);
    expect(err).toBeInstanceOf(KairosTypeError);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('addJob options, modifyJob changes and retry', async () => {
    const scheduler = new Scheduler({ timezone: 'UTC' });
    const noop = (): void => {};
    await expect(scheduler.addJob(noop, 'interval', { hours: 1 }, { maxInstance: 2 } as never)).rejects.toMatchObject({
      field: 'options.maxInstance',
      message: expect.stringMatching(/did you mean "maxInstances"\? \(trigger arguments go in the third argument of addJob\)$/),
    });
    await expect(scheduler.addJob(noop, 'interval', { hours: 1 }, { retry: { attempts: 2, backoff: 2 } } as never)).rejects.toMatchObject({
      field: 'retry.backoff',
    });
    const job = await scheduler.addJob(noop, 'interval', { hours: 1 }, { id: 'j' });
    await expect(scheduler.modifyJob(job.id, { trigger: 'cron' } as never)).rejects.toMatchObject({
      field: 'changes.trigger',
      message: expect.stringMatching(/to change the trigger, use rescheduleJob$/),
    });
  });
});
