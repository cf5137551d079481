import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntervalTrigger } from '../../src/triggers/index.js';
import { fires, isos } from './helpers.js';

describe('IntervalTrigger', () => {
  it('fires every interval from startDate, which is the first fire time', () => {
    const t = new IntervalTrigger({ minutes: 15, startDate: '2026-01-01T00:00:00Z' });
    expect(fires(t, '2025-12-31T23:00:00Z', 3)).toEqual(isos('2026-01-01T00:00:00Z', '2026-01-01T00:15:00Z', '2026-01-01T00:30:00Z'));
    expect(t.getNextFireTime(null, new Date('2026-01-01T00:20:00Z'))?.toISOString()).toBe('2026-01-01T00:30:00.000Z');
  });

  it('is elapsed time across DST (days: 1 is 24 h)', () => {
    const t = new IntervalTrigger({ days: 1, startDate: '2027-03-13T12:00:00Z', timezone: 'America/New_York' });
    expect(fires(t, '2027-03-13T00:00:00Z', 3)).toEqual(isos('2027-03-13T12:00:00Z', '2027-03-14T12:00:00Z', '2027-03-15T12:00:00Z'));
  });

  it('without startDate: now + interval until resolved; resolve fixes the start', () => {
    const t = new IntervalTrigger({ seconds: 10 });
    const now = new Date('2026-01-01T00:00:00Z');
    expect(t.getNextFireTime(null, now)?.toISOString()).toBe('2026-01-01T00:00:10.000Z');
    const r = t.resolve({ timezone: 'UTC', now });
    expect(r.startDate?.toISOString()).toBe('2026-01-01T00:00:10.000Z');
    expect(r.getNextFireTime(null, new Date('2026-01-01T00:00:11Z'))?.toISOString()).toBe('2026-01-01T00:00:20.000Z');
    expect(r.toJSON()).toEqual({ kind: 'interval', options: { seconds: 10 }, timezone: 'UTC', startDate: '2026-01-01T00:00:10.000Z' });
  });

  it.each([
    ['negative seconds', { seconds: -5 }, RangeError, /seconds/],
    ['zero total', { minutes: 0 }, RangeError, /interval.*greater than zero/],
    ['nothing given', {}, RangeError, /interval/],
    ['hour instead of hours', { hour: 1 }, TypeError, /did you mean "hours"/],
    ['text', { minutes: '5' }, TypeError, /minutes/],
    ['endDate before startDate', { minutes: 1, startDate: '2026-02-01', endDate: '2026-01-01' }, RangeError, /endDate/],
    // Issue 16: these overflowed to Infinity, then an Invalid Date, then "Invalid time value" at addJob.
    ['a total past the range of a Date', { weeks: 1e300 }, RangeError, /interval: expected a total of at most 8640000000000000 ms/],
    ['Number.MAX_VALUE milliseconds', { milliseconds: Number.MAX_VALUE }, RangeError, /interval/],
  ] as const)('rejects %s', (_n, options, type, message) => {
    expect(() => new IntervalTrigger(options as never)).toThrow(type);
    expect(() => new IntervalTrigger(options as never)).toThrow(message);
  });

  it('a fire time a Date cannot hold is "never" (null), and a first fire time past it is refused when resolved (issue 16)', () => {
    const t = new IntervalTrigger({ milliseconds: 8.64e15, startDate: 0 });
    expect(t.getNextFireTime(new Date(1), new Date(1))?.getTime()).toBe(8.64e15); // the last instant a Date holds
    expect(t.getNextFireTime(new Date(8.64e15), new Date(1))).toBeNull();
    expect(new IntervalTrigger({ days: 1, startDate: 8.64e15 - 1000 }).getNextFireTime(new Date(8.64e15 - 1000), new Date(0))).toBeNull();
    const huge = new IntervalTrigger({ milliseconds: 8.64e15 });
    expect(() => huge.resolve({ timezone: 'UTC', now: new Date('2026-01-01T00:00:00Z') })).toThrow(RangeError);
    expect(() => huge.resolve({ timezone: 'UTC', now: new Date('2026-01-01T00:00:00Z') })).toThrow(/interval: expected an interval whose first fire time/);
    expect(huge.resolve({ timezone: 'UTC', now: new Date(-8.64e15) }).startDate?.getTime()).toBe(0);
  });

  const arb = fc.record({
    start: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2030, 11, 31) }),
    interval: fc.integer({ min: 1, max: 7 * 86_400_000 }),
    end: fc.option(fc.integer({ min: 0, max: 400 * 86_400_000 })),
    a: fc.integer({ min: -30 * 86_400_000, max: 400 * 86_400_000 }),
    b: fc.integer({ min: 0, max: 400 * 86_400_000 }),
  });

  it('matches the model start + k × interval, and counts arithmetically what a walk would count', () => {
    fc.assert(
      fc.property(arb, ({ start, interval, end, a, b }) => {
        const endDate = end === null ? undefined : start + end;
        const t = new IntervalTrigger({ milliseconds: interval, startDate: start, ...(endDate === undefined ? {} : { endDate }) });
        const now = start + a;
        // the model: the first grid point at or after now
        const k = Math.max(0, Math.ceil((now - start) / interval));
        const model = start + k * interval;
        expect(model >= now && (k === 0 || model - interval < now)).toBe(true);
        expect(t.getNextFireTime(null, new Date(now))?.getTime() ?? null).toBe(endDate !== undefined && model > endDate ? null : model);
        // count in (after, upTo] by walking at most a few thousand fire times
        const after = now;
        const upTo = now + Math.min(b, interval * 2000);
        let count = 0;
        for (let x = t.getNextFireTime(new Date(after), new Date(after)); x !== null && x.getTime() <= upTo; x = t.getNextFireTime(x, x)) count++;
        expect(t.countFireTimes(new Date(after), new Date(upTo))).toBe(count);
      }),
      { numRuns: 300 },
    );
  });
});
