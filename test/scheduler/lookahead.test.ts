/**
 * The lookahead (SchedulerOptions.lookahead), on a FakeClock: the production path, step by step.
 * Due jobs are planned and their runs claimed `lookahead` before they are due, then started at
 * their instant, never earlier; 0 plans each job at its fire time.
 */
import { describe, expect, it } from 'vitest';
import { MemoryJobStore, Scheduler } from '../../src/index.js';
import { DEFAULT_LOOKAHEAD_MS } from '../../src/scheduler/lookahead.js';
import { at, fakeSetup } from './helpers.js';

describe('Scheduler lookahead', () => {
  it('claims the run 100 ms ahead by default and starts it at its instant, not earlier', async () => {
    const store = new MemoryJobStore();
    const { clock, scheduler } = fakeSetup({ jobStores: { default: store } });
    const started: string[] = [];
    await scheduler.start();
    await scheduler.addJob(() => void started.push(clock.now().toISOString()), 'date', { runDate: at('00:00:10') }, { id: 'j' });
    await clock.advance({ milliseconds: 10_000 - DEFAULT_LOOKAHEAD_MS - 1 });
    expect(await store.getLiveRuns('j')).toEqual([]); // not planned yet
    await clock.advance({ milliseconds: 1 });
    // planned and claimed at 00:00:09.900, held until its time
    expect((await store.getLiveRuns('j')).map((r) => r.state)).toEqual(['running']);
    expect(started).toEqual([]);
    expect((await scheduler.stats()).nextWakeupAt).toEqual(new Date(at('00:00:10')));
    await clock.advance({ milliseconds: DEFAULT_LOOKAHEAD_MS - 1 });
    expect(started).toEqual([]);
    await clock.advance({ milliseconds: 1 });
    expect(started).toEqual([at('00:00:10')]);
  });

  it('lookahead: 0 plans each job at its fire time', async () => {
    const store = new MemoryJobStore();
    const { clock, scheduler } = fakeSetup({ jobStores: { default: store }, lookahead: 0 });
    const started: string[] = [];
    await scheduler.start();
    await scheduler.addJob(() => void started.push(clock.now().toISOString()), 'interval', { seconds: 10 }, { id: 'j' });
    await clock.advance(0); // the wakeup that start() asked for has re-armed the timer
    expect((await scheduler.stats()).nextWakeupAt).toEqual(new Date(at('00:00:10')));
    await clock.advance({ milliseconds: 9_999 });
    expect(await store.getLiveRuns('j')).toEqual([]);
    await clock.advance({ milliseconds: 20_001 });
    expect(started).toEqual([at('00:00:10'), at('00:00:20'), at('00:00:30')]);
  });

  it('takes a duration object, and refuses what is not a duration from 0 to 60 s', () => {
    expect(() => new Scheduler({ lookahead: { milliseconds: 250 } })).not.toThrow();
    expect(() => new Scheduler({ lookahead: -1 })).toThrow(RangeError);
    expect(() => new Scheduler({ lookahead: 60_001 })).toThrow(/lookahead.*from 0 \(off\) to 60000 ms/);
    expect(() => new Scheduler({ lookahead: '100' as never })).toThrow(TypeError);
  });

  it('a job removed inside the window gives its claimed run back, and it never runs', async () => {
    const store = new MemoryJobStore();
    const { clock, scheduler, of } = fakeSetup({ jobStores: { default: store } });
    let runs = 0;
    await scheduler.start();
    await scheduler.addJob(() => void runs++, 'date', { runDate: at('00:00:10') }, { id: 'j' });
    await clock.advance({ milliseconds: 9_950 });
    expect((await store.getLiveRuns('j')).map((r) => r.state)).toEqual(['running']);
    await scheduler.removeJob('j');
    await clock.advance({ seconds: 1 });
    expect(runs).toBe(0);
    expect(of('jobSubmitted', 'j')).toEqual([]);
  });

  it('1,000 jobs due together start at their instant, in the order they were added', async () => {
    const { clock, scheduler } = fakeSetup();
    const order: number[] = [];
    const times = new Set<string>();
    await scheduler.start();
    for (let i = 0; i < 1000; i++) {
      await scheduler.addJob(() => {
        order.push(i);
        times.add(clock.now().toISOString());
      }, 'cron', '5 0 0 * * *');
    }
    await clock.advance({ seconds: 10 });
    expect(order).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...times]).toEqual([at('00:00:05')]);
  });
});
