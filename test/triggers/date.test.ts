import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DateTrigger } from '../../src/triggers/index.js';
import { fires, isos } from './helpers.js';

describe('DateTrigger', () => {
  it('fires once at runDate, then never', () => {
    expect(fires(new DateTrigger({ runDate: '2026-05-01T12:00:00Z' }), '2026-01-01T00:00:00Z', 3)).toEqual(isos('2026-05-01T12:00:00Z', null));
  });

  it('with previous null returns runDate even when it has passed (the misfire rules decide)', () => {
    const t = new DateTrigger({ runDate: Date.parse('2026-05-01T12:00:00Z') });
    expect(t.getNextFireTime(null, new Date('2027-01-01T00:00:00Z'))?.toISOString()).toBe('2026-05-01T12:00:00.000Z');
    expect(t.getNextFireTime(new Date('2026-05-01T12:00:00Z'), new Date('2026-01-01T00:00:00Z'))).toBeNull();
  });

  it('rejects a bad runDate, an unknown key and a bad zone', () => {
    expect(() => new DateTrigger({ runDate: 'not a date' })).toThrow(/runDate/);
    expect(() => new DateTrigger({} as never)).toThrow(/runDate/);
    expect(() => new DateTrigger({ runDate: 0, run_date: 1 } as never)).toThrow(/did you mean "runDate"/);
    expect(() => new DateTrigger({ runDate: 0, timezone: 'Mars/Base' })).toThrow(RangeError);
  });

  it('matches the model: runDate if later than previous, else null', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.option(fc.integer({ min: 0, max: 4e12 })), fc.integer({ min: 0, max: 4e12 }), (run, prev, now) => {
        const t = new DateTrigger({ runDate: run });
        const got = t.getNextFireTime(prev === null ? null : new Date(prev), new Date(now));
        expect(got?.getTime() ?? null).toBe(prev === null || run > prev ? run : null);
      }),
    );
  });
});
