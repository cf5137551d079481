import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/index.js';

describe('FakeClock', () => {
  it('starts where told and moves only when told', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    await new Promise((r) => setTimeout(r, 20));
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    await clock.advance({ hours: 1, minutes: 30 });
    expect(clock.now().toISOString()).toBe('2026-01-01T01:30:00.000Z');
    await clock.advance(500);
    expect(clock.now().getTime()).toBe(Date.parse('2026-01-01T01:30:00.500Z'));
  });

  it('advance stops at each timer, in time order then in the order set', async () => {
    const clock = new FakeClock(0);
    const fired: Array<[string, number]> = [];
    clock.setTimer(300, () => fired.push(['c', clock.now().getTime()]));
    clock.setTimer(100, () => fired.push(['a', clock.now().getTime()]));
    clock.setTimer(100, () => fired.push(['b', clock.now().getTime()]));
    const cancel = clock.setTimer(200, () => fired.push(['cancelled', 0]));
    cancel();
    await clock.advance(250);
    expect(fired).toEqual([['a', 100], ['b', 100]]);
    await clock.advance(50);
    expect(fired).toEqual([['a', 100], ['b', 100], ['c', 300]]);
  });

  it('a timer set by a timer within the window fires in the same advance', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now().getTime());
      if (fired.length < 5) clock.setTimer(clock.now().getTime() + 10, tick);
    };
    clock.setTimer(10, tick);
    await clock.advance(100);
    expect(fired).toEqual([10, 20, 30, 40, 50]);
  });

  it('set jumps: due timers fire once at the new time; backwards fires nothing', async () => {
    const clock = new FakeClock(1000);
    const fired: number[] = [];
    clock.setTimer(2000, () => fired.push(clock.now().getTime()));
    clock.setTimer(3000, () => fired.push(clock.now().getTime()));
    await clock.set(500);
    expect(fired).toEqual([]);
    await clock.set(10_000);
    expect(fired).toEqual([10_000, 10_000]);
  });

  it('refuses a bad duration or instant with a clear error', async () => {
    const clock = new FakeClock(0);
    await expect(clock.advance(-5)).rejects.toBeInstanceOf(RangeError);
    await expect(clock.advance({ hour: 1 } as never)).rejects.toThrow(/duration\.hour/);
    expect(() => new FakeClock('yesterday')).toThrow(RangeError);
  });
});
