/**
 * Hostile input, fuzzed (issue 16, part 4): fast-check feeds random and hostile values to every
 * public entry point. Every call either succeeds or throws a KairosError, or a TypeError/RangeError
 * naming the field (`field`, code KAIROS_INVALID_ARGUMENT) whose message can be read; none hangs,
 * pollutes a prototype, crashes the scheduler or changes another job; a refused write leaves the
 * SQLite file as it was (a dump of its rows before and after).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AndTrigger, AsyncExecutor, CalendarIntervalTrigger, CronTrigger, DateTrigger, FakeClock, IntervalTrigger, JobClient, KairosError,
  KairosRangeError, KairosTypeError, MemoryJobStore, OrTrigger, Scheduler,
} from '../../src/index.js';
import { SQLiteJobStore } from '../../src/sqlite.js';
import { PostgresJobStore } from '../../src/postgres.js';
import { tempDir } from '../e2e/helpers.js';
import { startWatchdog } from '../helpers/watchdog.js';
import { anything, crontabText, cronFields, durations, edgeNumbers, hostile, instants, options, POISON_KEYS, zoneNames } from './hostile-values.js';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 150);
// A fixed seed in npm test, so CI replays inputs known to pass; HOSTILE_SEED=random (or a number)
// fuzzes afresh, and test/chaos/hostile-sweep.sh runs it on many random seeds. A random seed is drawn here, not by fast-check, so that a run the watchdog kills
// (fast-check reports its seed only when a property fails) still names it.
const SEED = process.env.HOSTILE_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.HOSTILE_SEED ?? 20261202);
fc.configureGlobal({ seed: SEED });
// A call spinning in a synchronous loop (once: a calendar interval asked with an Invalid Date)
// blocks the timers of attempt() and vitest alike; the watchdog kills the file's process
// instead, naming the seed and the call, so CI fails rather than hangs.
const watchdog = startWatchdog(Number(process.env.HOSTILE_HANG_MS ?? 10_000));
afterAll(() => watchdog.stop());
const BASE_KEYS = ['startDate', 'endDate', 'timezone', 'jitter'];

/** Nothing was added to the prototypes every object shares. */
function assertNoPollution(): void {
  for (const proto of [Object.prototype, Array.prototype, Function.prototype]) {
    expect(Object.getOwnPropertyNames(proto).filter((k) => k === 'polluted' || k === 'x'), 'prototype polluted').toEqual([]);
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

/** The error is one the contract allows, names its field when it is about an argument, and reads. */
function assertAllowedError(err: unknown, what: string): void {
  const e = err as Error & { field?: unknown; code?: unknown };
  const described = `${what} threw ${(() => {
    try {
      return `${e?.name}: ${e?.message}`;
    } catch {
      return 'an unreadable error';
    }
  })()}`;
  expect(err instanceof KairosError || err instanceof KairosTypeError || err instanceof KairosRangeError, described).toBe(true);
  expect(typeof e.message, described).toBe('string');
  if (err instanceof KairosTypeError || err instanceof KairosRangeError) {
    expect(typeof e.field === 'string' && e.field.length > 0, described).toBe(true);
    // The received value is quoted in at most ~200 characters (an id or crontab text given back
    // by other errors is the user's own and quoted whole).
    expect(e.message.length, `${what}: message of ${e.message.length} chars`).toBeLessThan(1500);
  }
  expect(() => String(err)).not.toThrow();
}

/** Calls `fn`; returns whether it succeeded; fails on a disallowed error or a hang (`ms`). */
async function attempt(what: string, fn: () => unknown, ms = 2000): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(() => watchdog.guard(`${what} (HOSTILE_SEED=${SEED})`, fn)),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms))),
    ]);
    return true;
  } catch (err) {
    if (err instanceof Error && err.message.endsWith(`hung for ${ms} ms`)) throw err;
    assertAllowedError(err, what);
    return false;
  } finally {
    clearTimeout(timer);
    assertNoPollution();
  }
}

const safe = (v: unknown): string => {
  try {
    // (`this[k]` is the value before its toJSON, which turns an Invalid Date into null)
    return JSON.stringify(v, function (this: Record<string, unknown>, k, x) {
      const raw = this[k];
      if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? 'Invalid Date' : raw.toISOString();
      return typeof x === 'bigint' ? `${x}n` : x;
    })?.slice(0, 200) ?? String(v);
  } catch {
    return '(unprintable)';
  }
};

describe('triggers', () => {
  const kinds = {
    interval: (o: unknown) => new IntervalTrigger(o as never),
    date: (o: unknown) => new DateTrigger(o as never),
    cron: (o: unknown) => new CronTrigger(o as never),
    calendarinterval: (o: unknown) => new CalendarIntervalTrigger(o as never),
  };
  const optionsOf = {
    interval: options(['weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', ...BASE_KEYS], fc.oneof(fc.integer({ min: 0, max: 1000 }), edgeNumbers)),
    date: options(['runDate', ...BASE_KEYS], instants),
    cron: cronFields,
    calendarinterval: options(['years', 'months', 'weeks', 'days', 'hour', 'minute', 'second', ...BASE_KEYS], fc.oneof(fc.integer({ min: 0, max: 30 }), edgeNumbers)),
  };

  // Plain valid options now and then: drawn from the hostile generators alone, a set valid in every
  // key is rare enough that a run of 150 could build nothing, and 'both paths' would fail by chance.
  const plainOf = {
    interval: fc.record({ seconds: fc.integer({ min: 1, max: 86_400 }) }),
    date: fc.record({ runDate: instants }),
    cron: cronFields,
    calendarinterval: fc.record({ days: fc.integer({ min: 1, max: 30 }), hour: fc.integer({ min: 0, max: 23 }) }),
  };

  /** A built trigger answers for any instant, in bounded time, with a Date or null. */
  async function probe(what: string, trigger: { getNextFireTime(p: Date | null, n: Date): Date | null }, at: Date): Promise<void> {
    for (const previous of [null, at]) {
      await attempt(`${what}.getNextFireTime(${previous && safe(previous)}, ${safe(at)})`, () => {
        const next = trigger.getNextFireTime(previous, at);
        expect(next === null || (next instanceof Date && !Number.isNaN(next.getTime()))).toBe(true);
      });
    }
  }

  for (const kind of Object.keys(kinds) as Array<keyof typeof kinds>) {
    it(`new ${kind} trigger: hostile options are refused by field, a built one answers in bounded time`, async () => {
      const tally = { built: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(fc.oneof(optionsOf[kind], plainOf[kind], hostile), fc.date({ min: new Date('1970-01-02'), max: new Date('9000-01-01') }), async (o, at) => {
          let built: ReturnType<(typeof kinds)[typeof kind]> | undefined;
          if (await attempt(`new ${kind}(${safe(o)})`, () => (built = kinds[kind](o)))) {
            tally.built++;
            await probe(`new ${kind}(${safe(o)})`, built!, at);
          } else tally.refused++;
        }),
        { numRuns: RUNS },
      );
      // Both paths were exercised: the fuzzing is not all refusals.
      expect(tally.built, JSON.stringify(tally)).toBeGreaterThan(0);
      expect(tally.refused, JSON.stringify(tally)).toBeGreaterThan(0);
    });
  }

  it('CronTrigger.fromCrontab: broken text is refused by field, good text answers in bounded time', async () => {
    await fc.assert(
      fc.asyncProperty(crontabText, fc.option(fc.oneof(options(['timezone'], zoneNames), hostile)), fc.date({ min: new Date('1970-01-02'), max: new Date('9000-01-01') }), async (text, o, at) => {
        let built: CronTrigger | undefined;
        if (await attempt(`fromCrontab(${safe(text)}, ${safe(o)})`, () => (built = CronTrigger.fromCrontab(text, o as never)))) await probe(`fromCrontab(${safe(text)}, ${safe(o)})`, built!, at);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('AndTrigger / OrTrigger: hostile lists are refused by field', async () => {
    const member = fc.oneof(hostile, fc.constant(new IntervalTrigger({ seconds: 5 })), fc.constant(new CronTrigger({ second: '*/7' })));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(member, { maxLength: 3 }), hostile), fc.option(options(['jitter']), { nil: undefined }), async (list, o) => {
        await attempt(`AndTrigger(${safe(list)})`, () => new AndTrigger(list as never, o as never));
        await attempt(`OrTrigger(${safe(list)})`, () => new OrTrigger(list as never, o as never));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('constructors of the scheduler, stores, executors, clock, client', () => {
  it('refuse hostile options by field and never throw anything else', async () => {
    const schedulerOptions = options(['timezone', 'clock', 'jobStores', 'executors', 'jobDefaults', 'logger']);
    const sqliteOptions = options(['path', 'database', 'leaseDuration', 'leaseClock', 'pollInterval', 'busyTimeout', 'keepRuns', 'keepRunsFor', 'maxResultBytes']);
    const pgOptions = options(['schema', 'leaseDuration', 'safetyPollInterval', 'maxReconnectDelay', 'poolSize', 'keepRuns', 'keepRunsFor', 'maxResultBytes']);
    await fc.assert(
      fc.asyncProperty(fc.oneof(schedulerOptions, hostile), fc.oneof(sqliteOptions, hostile), fc.oneof(options(['connectionString', 'pool']), hostile), fc.oneof(pgOptions, hostile), hostile, async (so, lo, pc, po, h) => {
        await attempt(`new Scheduler(${safe(so)})`, () => new Scheduler(so as never));
        await attempt(`new SQLiteJobStore(${safe(lo)})`, () => new SQLiteJobStore(lo as never));
        await attempt(`new PostgresJobStore(${safe(pc)}, ${safe(po)})`, () => new PostgresJobStore(pc as never, po as never));
        await attempt(`new MemoryJobStore(${safe(h)})`, () => new MemoryJobStore(h as never));
        await attempt(`new AsyncExecutor(${safe(h)})`, () => new AsyncExecutor(h as never));
        await attempt(`new FakeClock(${safe(h)})`, () => new FakeClock(h as never));
        await attempt(`new JobClient(${safe(so)})`, () => new JobClient(so as never));
      }),
      { numRuns: RUNS },
    );
  });

  it('error messages quote any value without throwing, capped in length', () => {
    fc.assert(
      fc.property(anything, (v) => {
        for (const E of [KairosTypeError, KairosRangeError]) {
          const err = new E('field', v, 'something else');
          expect(typeof err.message).toBe('string');
          expect(err.message.length).toBeLessThan(1000);
        }
      }),
      { numRuns: RUNS * 2 },
    );
    expect(new KairosTypeError('f', 'y'.repeat(100_000), 'a short string').message.length).toBeLessThan(1000);
  });
});

describe('the job API on a running scheduler with a SQLite file', () => {
  const { dir, cleanup } = tempDir('kairos-hostile-');
  const file = path.join(dir, 'jobs.sqlite');
  const clock = new FakeClock('2026-06-01T00:00:00Z');
  let scheduler: Scheduler;
  let reader: Database.Database;
  let sentinelRuns = 0;

  /** Every row of the store's jobs and runs, in order: what a refused write must leave alone. */
  const dump = (except?: unknown): string => JSON.stringify([
    reader.prepare('SELECT * FROM kairos_jobs ORDER BY id').all().filter((r) => (r as { id: string }).id !== except),
    reader.prepare('SELECT * FROM kairos_runs ORDER BY run_id').all().filter((r) => (r as { job_id: string }).job_id !== except),
  ]);

  beforeAll(async () => {
    scheduler = new Scheduler({ timezone: 'UTC', clock, jobStores: { default: new SQLiteJobStore({ path: file }) } });
    scheduler.registerTask('noop', () => {});
    scheduler.registerTask('sentinel', () => void sentinelRuns++);
    await scheduler.start();
    await scheduler.addJob('sentinel', 'interval', { seconds: 10 }, { id: 'sentinel' });
    await scheduler.addJob('noop', 'cron', '0 3 * * *', { id: 'victim', args: [1, 'two'] });
    reader = new Database(file, { readonly: true });
  });
  afterAll(async () => {
    reader?.close();
    await scheduler?.shutdown();
    cleanup();
  });

  /** After every call: the scheduler still runs, still fires the sentinel, prototypes are clean. */
  async function assertSchedulerAlive(): Promise<void> {
    expect(scheduler.state).toBe('running');
    const before = sentinelRuns;
    await clock.advance(10_000);
    expect(sentinelRuns, 'the sentinel job stopped running').toBeGreaterThan(before);
  }

  const addJobOptions = options(['id', 'name', 'args', 'replaceExisting', 'misfireGraceTime', 'coalesce', 'maxInstances', 'jitter', 'nextRunTime', 'executor', 'jobStore', 'timeout', 'retry']);
  /** A trigger alias with arguments that fit it, so that some jobs get added and others refused. */
  const goodTrigger = fc.constantFrom<[string, unknown]>(
    ['interval', { seconds: 30 }], ['cron', '0 3 * * *'], ['cron', { hour: 3, timezone: 'Europe/Berlin' }],
    ['date', { runDate: '2027-01-01T00:00:00Z' }], ['calendarinterval', { months: 1, hour: 9 }],
  );
  const triggerArgs = fc.oneof(cronFields, crontabText, options(['seconds', 'minutes', 'runDate', 'months', 'hour', ...BASE_KEYS]), hostile);
  const alias = fc.oneof(fc.constantFrom('date', 'interval', 'cron', 'calendarinterval'), hostile);
  const trigger = fc.oneof(goodTrigger, fc.tuple(alias, triggerArgs));
  const task = fc.oneof({ arbitrary: fc.constant('noop'), weight: 3 }, { arbitrary: fc.oneof(fc.constant('unknown-task'), hostile), weight: 1 });
  /** Job options: often a few sane ones with a fresh id, else anything. */
  const jobOptions = fc.oneof(
    fc.record({ id: fc.string({ minLength: 1, maxLength: 12 }).map((s) => `fuzz-${s}`), misfireGraceTime: fc.option(durations), args: fc.option(fc.array(fc.oneof(fc.integer(), fc.string(), fc.constant(null).map(() => JSON.parse('{"__proto__": {"polluted": "yes"}}'))), { maxLength: 3 })) }, { requiredKeys: ['id'] }),
    addJobOptions, hostile, fc.constant(undefined),
  );

  it('addJob: a refused job leaves the file as it was; an accepted one changes no other job', async () => {
    const tally = { added: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(task, trigger, jobOptions, async (t, [a, ta], o) => {
        const before = dump();
        const id = o !== null && typeof o === 'object' && typeof (o as { id?: unknown }).id === 'string' ? (o as { id: string }).id : undefined;
        const ok = await attempt(`addJob(${safe(t)}, ${safe(a)}, ${safe(ta)}, ${safe(o)})`, () => scheduler.addJob(t as never, a as never, ta as never, o as never));
        tally[ok ? 'added' : 'refused']++;
        if (!ok) expect(dump(), 'a refused addJob changed the store').toBe(before);
        else if (id !== undefined && id !== 'sentinel' && id !== 'victim') {
          expect(dump(id), 'an accepted addJob changed another job').toBe(before);
          await scheduler.removeJob(id).catch(() => {});
        }
      }),
      { numRuns: RUNS },
    );
    expect(tally.added, JSON.stringify(tally)).toBeGreaterThan(0);
    expect(tally.refused, JSON.stringify(tally)).toBeGreaterThan(0);
    await assertSchedulerAlive();
  });

  const changes = options(['name', 'args', 'misfireGraceTime', 'coalesce', 'maxInstances', 'retry', 'timeout', 'jitter', 'executor', 'nextRunTime']);
  const jobId = fc.oneof({ arbitrary: fc.constant('victim'), weight: 3 }, { arbitrary: hostile, weight: 1 });

  it('modifyJob, rescheduleJob, pause, resume, run, get, remove: refused calls leave the file as it was, none touches another job', async () => {
    const tally = { done: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(jobId, fc.oneof(changes, hostile), alias, triggerArgs, fc.constantFrom('modify', 'reschedule', 'pause', 'resume', 'run', 'get', 'remove'), async (id, c, a, ta, op) => {
        const before = dump();
        const others = dump('victim');
        const call = {
          modify: () => scheduler.modifyJob(id as never, c as never),
          reschedule: () => scheduler.rescheduleJob(id as never, a as never, ta as never),
          pause: () => scheduler.pauseJob(id as never),
          resume: () => scheduler.resumeJob(id as never),
          run: () => scheduler.runJob(id as never),
          get: () => scheduler.getJob(id as never),
          remove: () => scheduler.removeJob(id as never),
        }[op];
        const ok = await attempt(`${op}(${safe(id)}, ${safe(c)}, ${safe(a)}, ${safe(ta)})`, call);
        tally[ok ? 'done' : 'refused']++;
        if (!ok) expect(dump(), `a refused ${op} changed the store`).toBe(before);
        else expect(dump('victim'), `${op} of ${safe(id)} changed another job`).toBe(others);
        if (op === 'remove' && ok) await scheduler.addJob('noop', 'cron', '0 3 * * *', { id: 'victim', args: [1, 'two'] });
      }),
      { numRuns: RUNS },
    );
    expect(tally.done, JSON.stringify(tally)).toBeGreaterThan(0);
    expect(tally.refused, JSON.stringify(tally)).toBeGreaterThan(0);
    await assertSchedulerAlive();
  });

  it('args that JSON cannot round-trip are refused with SerializationError, naming the job', async () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    for (const args of [[1n], [new Map([[1, 2]])], [undefined], [() => 1], [NaN], [new Date(0)], cyclic, [{ toJSON: () => { throw new Error('no'); } }]]) {
      const before = dump();
      const err = await scheduler.addJob('noop', 'interval', { seconds: 5 }, { id: 'args-job', args }).then(() => null, (e: unknown) => e);
      expect(err, `args ${safe(args)} were accepted`).toMatchObject({ code: 'KAIROS_SERIALIZATION', jobId: 'args-job' });
      assertAllowedError(err, `args ${safe(args)}`);
      expect(dump()).toBe(before);
    }
    // __proto__ keys that JSON keeps as they are round-trip, and pollute nothing.
    const proto = JSON.parse('{"__proto__": {"polluted": "yes"}}');
    expect(await attempt('args with __proto__', () => scheduler.addJob('noop', 'interval', { seconds: 5 }, { id: 'args-job', args: [proto] }))).toBe(true);
    const job = await scheduler.getJob('args-job');
    expect(JSON.stringify(job?.args)).toBe('[{"__proto__":{"polluted":"yes"}}]');
    await scheduler.removeJob('args-job');
    assertNoPollution();
    for (const key of POISON_KEYS) expect(Object.prototype.hasOwnProperty.call(Object.prototype, `${key}x`)).toBe(false);
  });

  it('durations and instants at the edges are refused by field or accepted as the numbers they are', async () => {
    await fc.assert(
      fc.asyncProperty(durations, instants, async (d, i) => {
        const before = dump();
        const ok = await attempt(`addJob with misfireGraceTime ${safe(d)}, nextRunTime ${safe(i)}`, () =>
          scheduler.addJob('noop', 'interval', { seconds: 30 }, { id: 'edge', misfireGraceTime: d as never, timeout: d as never, nextRunTime: i as never }));
        if (!ok) expect(dump()).toBe(before);
        else await scheduler.removeJob('edge');
      }),
      { numRuns: RUNS },
    );
    await assertSchedulerAlive();
  });
});
