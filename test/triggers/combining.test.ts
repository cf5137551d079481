import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AndTrigger, CronTrigger, DateTrigger, IntervalTrigger, OrTrigger } from '../../src/triggers/index.js';
import { bruteFireTimes } from './brute-force.js';
import { cronArb, isFixedTime, matcher, type GenCron } from './generators.js';
import { fires, isos, walk } from './helpers.js';

const cron = (fields: ConstructorParameters<typeof CronTrigger>[0]) => new CronTrigger({ timezone: 'UTC', ...fields });

describe('OrTrigger and AndTrigger', () => {
  it('Or fires at the earliest time of any child, once per instant', () => {
    const t = new OrTrigger([cron({ hour: 3 }), cron({ hour: '3,15' }), cron({ day: 1, hour: 5 })]);
    expect(fires(t, '2026-01-01T00:00:00Z', 5)).toEqual(
      isos('2026-01-01T03:00:00Z', '2026-01-01T05:00:00Z', '2026-01-01T15:00:00Z', '2026-01-02T03:00:00Z', '2026-01-02T15:00:00Z'),
    );
  });

  it('And fires when all children agree', () => {
    const t = new AndTrigger([cron({ hour: '*/2' }), cron({ hour: '*/3' })]);
    expect(fires(t, '2026-01-01T00:30:00Z', 3)).toEqual(isos('2026-01-01T06:00:00Z', '2026-01-01T12:00:00Z', '2026-01-01T18:00:00Z'));
  });

  it('And of an interval and a cron', () => {
    const t = new AndTrigger([new IntervalTrigger({ hours: 5, startDate: '2026-01-01T00:00:00Z' }), cron({ minute: 0, hour: '*/2' })]);
    expect(fires(t, '2026-01-01T00:00:00Z', 3)).toEqual(isos('2026-01-01T00:00:00Z', '2026-01-01T10:00:00Z', '2026-01-01T20:00:00Z'));
  });

  it('And of children that never agree gives up with null in bounded time', () => {
    const t = new AndTrigger([cron({ second: 1 }), cron({ second: 2 })]);
    expect(t.getNextFireTime(null, new Date('2026-01-01T00:00:00Z'))).toBeNull();
  });

  it('Or keeps a passed DateTrigger child (previous null)', () => {
    const t = new OrTrigger([new DateTrigger({ runDate: '2026-01-01T00:00:00Z' }), cron({ hour: 3 })]);
    expect(t.getNextFireTime(null, new Date('2026-02-01T00:00:00Z'))?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('resolve passes its zone to the children', () => {
    const t = new OrTrigger([new CronTrigger({ hour: 3 })], { timezone: 'Asia/Kolkata' }).resolve({ timezone: 'UTC', now: new Date() });
    expect(t.getNextFireTime(null, new Date('2026-01-01T00:00:00Z'))?.toISOString()).toBe('2026-01-01T21:30:00.000Z');
  });

  it('rejects an empty list and non-triggers', () => {
    expect(() => new OrTrigger([])).toThrow(RangeError);
    expect(() => new AndTrigger([{} as never])).toThrow(/AndTrigger triggers\[0\]/);
  });

  const pair = fc.record({ a: cronArb, b: cronArb, start: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2030, 0, 1) }) });
  const text = (c: GenCron) => `${c.second.text} ${c.minute.text} ${c.hour.text} ${c.day.text} ${c.month.text} ${c.dayOfWeek.text}`;

  it('Or is the union and And the intersection of the brute-force fire times', () => {
    fc.assert(
      fc.property(pair, ({ a, b, start }) => {
        let ta: CronTrigger;
        let tb: CronTrigger;
        try {
          ta = CronTrigger.fromCrontab(text(a), { timezone: 'Europe/London' });
          tb = CronTrigger.fromCrontab(text(b), { timezone: 'Europe/London' });
        } catch {
          return;
        }
        const seconds = a.second.text !== '0' || b.second.text !== '0';
        const span = seconds ? 1_800_000 : 86_400_000;
        const step = seconds ? 1000 : 60_000;
        const sa = new Set(bruteFireTimes({ zone: 'Europe/London', matches: matcher(a, true), fixedTime: isFixedTime(a) }, start, start + span, step));
        const sb = bruteFireTimes({ zone: 'Europe/London', matches: matcher(b, true), fixedTime: isFixedTime(b) }, start, start + span, step);
        const union = [...new Set([...sa, ...sb])].sort((x, y) => x - y);
        const inter = sb.filter((x) => sa.has(x));
        expect(walk(new OrTrigger([ta, tb]), start, start + span)).toEqual(union);
        const and = walk(new AndTrigger([ta, tb]), start, start + span);
        // And may give up (null) on children that almost never coincide; what it returns must agree
        expect(and).toEqual(inter.slice(0, and.length));
      }),
      { numRuns: 40 },
    );
  });
});
