import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AndTrigger, CalendarIntervalTrigger, CronTrigger, DateTrigger, IntervalTrigger, OrTrigger, createTrigger, triggerFromJSON,
} from '../../src/triggers/index.js';
import type { Trigger } from '../../src/triggers/trigger.js';
import { cronArb } from './generators.js';
import { walk } from './helpers.js';

const instant = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2030, 11, 31) });
const zone = fc.option(fc.constantFrom('UTC', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu'), { nil: undefined });
const jitter = fc.option(fc.oneof(fc.nat(10_000), fc.record({ seconds: fc.nat(30) })), { nil: undefined });
const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const leafArb: fc.Arbitrary<Trigger> = fc.oneof(
  fc.record({ runDate: instant, timezone: zone, jitter }).map((o) => new DateTrigger(defined({ ...o, runDate: new Date(o.runDate).toISOString() }))),
  fc.record({ minutes: fc.integer({ min: 1, max: 600 }), startDate: fc.option(instant, { nil: undefined }), timezone: zone, jitter }).map((o) => new IntervalTrigger(defined(o))),
  fc.record({ cron: cronArb, timezone: zone, keyword: fc.boolean() }).map(({ cron, timezone, keyword }) => {
    const fields = { second: cron.second.text, minute: cron.minute.text, hour: cron.hour.text, dayOfWeek: cron.dayOfWeek.text };
    try {
      return keyword
        ? new CronTrigger(defined({ ...fields, timezone }))
        : CronTrigger.fromCrontab(`${fields.second} ${fields.minute} ${fields.hour} * * ${fields.dayOfWeek}`, defined({ timezone }));
    } catch {
      return new CronTrigger(defined({ hour: 3, timezone }));
    }
  }),
  fc.record({ days: fc.integer({ min: 1, max: 9 }), months: fc.nat(3), hour: fc.nat(23), startDate: fc.option(instant, { nil: undefined }), timezone: zone })
    .map((o) => new CalendarIntervalTrigger(defined(o))),
);
const triggerArb: fc.Arbitrary<Trigger> = fc.oneof(
  { weight: 4, arbitrary: leafArb },
  { weight: 1, arbitrary: fc.array(leafArb, { minLength: 1, maxLength: 3 }).map((ts) => new OrTrigger(ts)) },
  { weight: 1, arbitrary: fc.array(leafArb, { minLength: 1, maxLength: 2 }).map((ts) => new AndTrigger(ts)) },
);

describe('triggerFromJSON', () => {
  it('round-trips every trigger kind, resolved or not: same JSON, same fire times', () => {
    fc.assert(
      fc.property(triggerArb, instant, fc.boolean(), (raw, now, resolve) => {
        const t = resolve ? raw.resolve({ timezone: 'Europe/London', now: new Date(now) }) : raw;
        const json = JSON.parse(JSON.stringify(t.toJSON()));
        const back = triggerFromJSON(json);
        expect(back.toJSON()).toEqual(t.toJSON());
        expect(back.jitter).toBe(t.jitter);
        expect(back.kind).toBe(t.kind);
        if (resolve) expect(walk(back, now, now + 3 * 86_400_000).slice(0, 20)).toEqual(walk(t, now, now + 3 * 86_400_000).slice(0, 20));
      }),
      { numRuns: 150 },
    );
  });

  it('keeps crontab text as text', () => {
    const t = CronTrigger.fromCrontab('0 0 * * 1#1,5L', { timezone: 'UTC', startDate: '2026-01-01T00:00:00Z' });
    expect(t.toJSON()).toEqual({ kind: 'cron', options: { crontab: '0 0 * * 1#1,5L', timezone: 'UTC', startDate: '2026-01-01T00:00:00.000Z' }, timezone: 'UTC' });
  });

  it('rejects an unknown kind', () => {
    expect(() => triggerFromJSON({ kind: 'weekly' as never, options: {} })).toThrow(TypeError);
  });
});

describe('createTrigger', () => {
  it('builds each alias; cron also from text', () => {
    expect(createTrigger('date', { runDate: 0 })).toBeInstanceOf(DateTrigger);
    expect(createTrigger('interval', { minutes: 5 })).toBeInstanceOf(IntervalTrigger);
    expect(createTrigger('cron', '0 3 * * *')).toBeInstanceOf(CronTrigger);
    expect(createTrigger('cron', { hour: 3 })).toBeInstanceOf(CronTrigger);
    expect(createTrigger('calendarinterval', { days: 1 })).toBeInstanceOf(CalendarIntervalTrigger);
  });

  it('names the allowed aliases for an unknown one', () => {
    expect(() => createTrigger('weekly' as never, {})).toThrow(TypeError);
    expect(() => createTrigger('weekly' as never, {})).toThrow(/'date', 'interval', 'cron', 'calendarinterval'/);
  });
});
