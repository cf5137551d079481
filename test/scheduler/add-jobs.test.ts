/**
 * Scheduler.addJobs: many jobs in one call, checked like addJob, written all or nothing, one
 * jobAdded each after the write.
 */
import { describe, expect, it } from 'vitest';
import { ConflictingIdError, KairosRangeError, KairosTypeError, MemoryJobStore, type JobSpec } from '../../src/index.js';
import { at, fakeSetup } from './helpers.js';

/** A memory store as a third-party store would be without the optional addJobs. */
function oneByOneStore(): MemoryJobStore {
  const store = new MemoryJobStore();
  Object.defineProperty(store, 'addJobs', { value: undefined });
  return store;
}

describe('Scheduler.addJobs', () => {
  it('adds every job, emits jobAdded for each after the write, and runs them', async () => {
    const { clock, scheduler, log } = fakeSetup();
    const ran: string[] = [];
    await scheduler.start();
    const specs: JobSpec[] = [
      { task: () => void ran.push('cron'), trigger: 'cron', triggerArgs: '10 0 0 * * *', options: { id: 'c' } },
      { task: () => void ran.push('interval'), trigger: 'interval', triggerArgs: { seconds: 20 }, options: { id: 'i' } },
      { task: () => void ran.push('date'), trigger: 'date', triggerArgs: { runDate: at('00:00:05') } },
    ];
    const jobs = await scheduler.addJobs(specs);
    expect(jobs.map((j) => [j.id === 'c' || j.id === 'i' ? j.id : 'generated', j.nextRunTime?.toISOString(), j.pending])).toEqual([
      ['c', at('00:00:10'), false], ['i', at('00:00:20'), false], ['generated', at('00:00:05'), false],
    ]);
    expect(log.filter((e) => e.name === 'jobAdded').map((e) => e.ev.jobId)).toEqual(jobs.map((j) => j.id));
    await clock.advance({ seconds: 25 });
    expect(ran).toEqual(['date', 'cron', 'interval']);
  });

  it('a bad spec anywhere adds nothing; the error keeps its class and names the index', async () => {
    const { scheduler, log } = fakeSetup();
    await scheduler.start();
    const err = await scheduler.addJobs([
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 } },
      { task: () => {}, trigger: 'cron', triggerArgs: { hour: 25 } },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KairosRangeError);
    expect((err as KairosRangeError & { index: number }).index).toBe(1);
    expect((err as Error).message).toMatch(/^addJobs: specs\[1\]: /);
    expect(await scheduler.getJobs()).toEqual([]);
    expect(log.filter((e) => e.name === 'jobAdded')).toEqual([]);
    const notObject = await scheduler.addJobs([null as never]).catch((e: unknown) => e);
    expect(notObject).toBeInstanceOf(KairosTypeError);
    expect(await scheduler.addJobs('x' as never).catch((e: unknown) => e)).toBeInstanceOf(KairosTypeError);
  });

  it('an id used twice in the call, or taken in the store, adds nothing and names its index', async () => {
    const { scheduler } = fakeSetup();
    await scheduler.start();
    await scheduler.addJob(() => {}, 'interval', { seconds: 1 }, { id: 'taken' });
    const twice = await scheduler.addJobs([
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'a' } },
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'a' } },
    ]).catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(ConflictingIdError);
    expect((twice as Error & { index: number }).index).toBe(1);
    const taken = await scheduler.addJobs([
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'b' } },
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'c' } },
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'taken' } },
    ]).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ConflictingIdError);
    expect((taken as Error & { index: number }).index).toBe(2);
    expect((await scheduler.getJobs()).map((j) => j.id)).toEqual(['taken']);
  });

  it('before start() the jobs wait with the others and are written at start', async () => {
    const { scheduler } = fakeSetup();
    const jobs = await scheduler.addJobs([
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'a' } },
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'b' } },
    ]);
    expect(jobs.map((j) => j.pending)).toEqual([true, true]);
    await scheduler.start();
    expect((await scheduler.getJobs()).map((j) => [j.id, j.pending])).toEqual([['a', false], ['b', false]]);
  });

  it('across stores, and on a store without addJobs: a failure undoes what was written', async () => {
    const other = oneByOneStore();
    expect(other.addJobs).toBeUndefined();
    const { scheduler } = fakeSetup({ jobStores: { default: new MemoryJobStore(), other } });
    await scheduler.start();
    await scheduler.addJob(() => {}, 'interval', { seconds: 1 }, { id: 'taken', jobStore: 'other' });
    const err = await scheduler.addJobs([
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'd1' } },
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'o1', jobStore: 'other' } },
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'taken', jobStore: 'other' } },
    ]).catch((e: unknown) => e);
    expect((err as Error & { index: number }).index).toBe(2);
    expect((await scheduler.getJobs()).map((j) => j.id)).toEqual(['taken']);
    await scheduler.addJobs([
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'd1' } },
      { task: () => {}, trigger: 'interval', triggerArgs: { seconds: 1 }, options: { id: 'o1', jobStore: 'other' } },
    ]);
    expect((await scheduler.getJobs()).map((j) => j.id).sort()).toEqual(['d1', 'o1', 'taken']);
  });

  it('replaceExisting keeps the schedule of an unchanged trigger, as addJob does', async () => {
    const { clock, scheduler } = fakeSetup();
    await scheduler.start();
    await scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { id: 'a' });
    await clock.advance({ seconds: 90 });
    const spec: JobSpec = { task: () => {}, trigger: 'interval', triggerArgs: { minutes: 1 }, options: { id: 'a', replaceExisting: true } };
    const [kept] = await scheduler.addJobs([spec]);
    expect(kept!.nextRunTime!.toISOString()).toBe(at('00:02:00'));
    const [changed] = await scheduler.addJobs([{ ...spec, triggerArgs: { minutes: 5 } }]);
    expect(changed!.nextRunTime!.toISOString()).toBe(at('00:06:30'));
  });

  it('replaceExisting of an unchanged trigger never puts back a fire time another scheduler planned meanwhile, and re-adds a job removed meanwhile', async () => {
    // Between addJobs' read of a job and its write, another scheduler plans 'a' (its nextRunTime
    // moves on: that fire time ran) and removes 'gone'.
    let meddle = false;
    class Meddled extends MemoryJobStore {
      override async getJob(id: string) {
        const job = await super.getJob(id);
        if (meddle && id === 'a') await super.updateJob(id, { nextRunTime: Date.parse(at('00:10:00')) });
        if (meddle && id === 'gone') await super.removeJob(id);
        return job;
      }
    }
    const { scheduler } = fakeSetup({ jobStores: { default: new Meddled() } });
    await scheduler.start();
    await scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { id: 'a', name: 'before' });
    await scheduler.addJob(() => {}, 'interval', { minutes: 1 }, { id: 'gone' });
    meddle = true;
    const jobs = await scheduler.addJobs([
      { task: () => {}, trigger: 'interval', triggerArgs: { minutes: 1 }, options: { id: 'a', name: 'after', replaceExisting: true } },
      { task: () => {}, trigger: 'interval', triggerArgs: { minutes: 1 }, options: { id: 'gone', replaceExisting: true } },
      { task: () => {}, trigger: 'interval', triggerArgs: { minutes: 1 }, options: { id: 'new' } },
    ]);
    meddle = false;
    expect(jobs.map((j) => [j.id, j.name, j.nextRunTime?.toISOString()])).toEqual([
      ['a', 'after', at('00:10:00')],
      ['gone', expect.any(String), at('00:01:00')],
      ['new', expect.any(String), at('00:01:00')],
    ]);
    const a = (await scheduler.getJob('a'))!;
    expect([a.name, a.nextRunTime?.toISOString()]).toEqual(['after', at('00:10:00')]);
    expect((await scheduler.getJobs()).map((j) => j.id).sort()).toEqual(['a', 'gone', 'new']);
  });
});
