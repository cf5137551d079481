import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { latestFireTimeAtOrBefore, MAX_RUNS_PER_WAKEUP, planWakeup } from '../../src/scheduler/plan.js';
import type { Trigger } from '../../src/triggers/trigger.js';

/** A trigger firing at an explicit sorted list of instants (any trigger is such a list). */
function listTrigger(times: number[]): Trigger {
  const sorted = [...new Set(times)].sort((a, b) => a - b);
  const trigger: Trigger = {
    kind: 'date',
    jitter: 0,
    getNextFireTime(previous, now) {
      const t = previous === null ? now.getTime() : previous.getTime() + 1;
      const f = sorted.find((x) => x >= t);
      return f === undefined ? null : new Date(f);
    },
    resolve: () => trigger,
    toJSON: () => ({ kind: 'date', options: {} }),
  };
  return trigger;
}

/** The misfire rules of SPEC.md, applied by walking every fire time. */
function bruteForce(times: number[], first: number, grace: number | null, coalesce: boolean, now: number) {
  const fires = [...new Set(times)].sort((a, b) => a - b).filter((t) => t >= first);
  const due = fires.filter((t) => t <= now);
  const cutoff = grace === null ? -Infinity : now - grace;
  const missed = due.filter((t) => t < cutoff);
  const inGrace = due.filter((t) => t >= cutoff);
  let runs = coalesce ? inGrace.slice(-1) : inGrace.slice(0, MAX_RUNS_PER_WAKEUP);
  if (coalesce && inGrace.length === 0) runs = [];
  const handled = missed.length + (coalesce ? inGrace.length : runs.length);
  const nextRunTime = fires[handled] ?? null;
  return {
    runs,
    missed: missed.length ? { first: missed[0]!, last: missed[missed.length - 1]! } : null,
    nextRunTime,
  };
}

describe('planWakeup (the misfire rules)', () => {
  it('matches the brute-force model for random fire times, grace and coalescing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 60 }),
        fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: null }),
        fc.boolean(),
        fc.integer({ min: 0, max: 12_000 }),
        (times, grace, coalesce, nowOffset) => {
          const sorted = [...new Set(times)].sort((a, b) => a - b);
          const first = sorted[0]!;
          const now = first + nowOffset;
          const trigger = listTrigger(sorted);
          const plan = planWakeup({ trigger, nextRunTime: first, misfireGraceTime: grace, coalesce, now });
          const model = bruteForce(sorted, first, grace, coalesce, now);
          expect(plan.runs).toEqual(model.runs);
          expect(plan.nextRunTime).toEqual(model.nextRunTime);
          expect(plan.missed && { first: plan.missed.first, last: plan.missed.last }).toEqual(model.missed);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('latestFireTimeAtOrBefore finds the latest fire time by bisection', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 1e9 }), (times, span) => {
        const sorted = [...new Set(times)].sort((a, b) => a - b);
        const upTo = sorted[0]! + span;
        const expected = sorted.filter((t) => t <= upTo).pop();
        expect(latestFireTimeAtOrBefore(listTrigger(sorted), sorted[0]!, upTo)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('does not walk missed fire times: ten years of a 1 s interval is a few dozen trigger calls', () => {
    let calls = 0;
    const start = Date.parse('2016-01-01T00:00:00Z');
    const trigger: Trigger = {
      kind: 'interval',
      jitter: 0,
      getNextFireTime(previous, now) {
        calls++;
        const t = previous === null ? now.getTime() : previous.getTime() + 1;
        return new Date(start + Math.ceil(Math.max(0, t - start) / 1000) * 1000);
      },
      countFireTimes: (after, upTo) => Math.floor((upTo.getTime() - start) / 1000) - Math.floor((after.getTime() - start) / 1000),
      resolve: () => trigger,
      toJSON: () => ({ kind: 'interval', options: {} }),
    };
    const now = start + 10 * 365 * 86_400_000 + 500;
    const plan = planWakeup({ trigger, nextRunTime: start, misfireGraceTime: 1000, coalesce: true, now });
    expect(plan.runs).toEqual([now - 500]);
    expect(plan.missed).toEqual({ first: start, last: now - 1500, count: 10 * 365 * 86_400 });
    expect(plan.nextRunTime).toBe(now + 500);
    expect(calls).toBeLessThan(200);
  });

  it('without coalescing and grace, submits at most 1,000 runs per wakeup and resumes after them', () => {
    const times = Array.from({ length: 2500 }, (_, i) => i * 10);
    const plan = planWakeup({ trigger: listTrigger(times), nextRunTime: 0, misfireGraceTime: null, coalesce: false, now: 30_000 });
    expect(plan.runs).toHaveLength(1000);
    expect(plan.runs[999]).toBe(9990);
    expect(plan.nextRunTime).toBe(10_000);
    expect(plan.missed).toBeNull();
  });
});
