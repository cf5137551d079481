/**
 * JobClient in one process: its lifecycle (open opens stores only; methods refuse before open),
 * and the job methods it shares with the Scheduler through JobApi. Steering a scheduler running
 * in another process is test/e2e/job-client.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobClient, JobLookupError, KairosRangeError, KairosTypeError, Scheduler, SchedulerStateError, SQLiteJobStore, StoreClosedError, type Logger } from '../src/index.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kairos-client-unit-'));
  file = path.join(dir, 'jobs.sqlite');
  const seeder = new Scheduler({ timezone: 'UTC', jobStores: { default: new SQLiteJobStore({ path: file }) } });
  seeder.registerTask('report', () => {});
  await seeder.start({ paused: true });
  await seeder.addJob('report', 'cron', '0 3 * * *', { id: 'nightly', args: [1] });
  await seeder.addJob('report', 'interval', { hours: 1 }, { id: 'hourly' });
  await seeder.shutdown();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const client = (options: { timezone?: string; logger?: Logger } = {}): JobClient =>
  new JobClient({ jobStores: { default: new SQLiteJobStore({ path: file }) }, ...options });

describe('JobClient', () => {
  it('refuses its methods before open() and after close(), and a second open()', async () => {
    const c = client();
    expect(c.isOpen).toBe(false);
    await expect(c.getJobs()).rejects.toBeInstanceOf(SchedulerStateError);
    await expect(c.getJob('nightly')).rejects.toThrow(/not open; call open\(\) first/);
    await c.open();
    expect(c.isOpen).toBe(true);
    await expect(c.open()).rejects.toBeInstanceOf(SchedulerStateError);
    await c.close();
    await c.close(); // idempotent
    await expect(c.pauseJob('nightly')).rejects.toBeInstanceOf(SchedulerStateError);
    await c.open(); // a closed client opens again
    // (sorted: getJobs orders by next run time, and 03:00 comes before now + 1 h between 02:00 and 03:00 UTC)
    expect((await c.getJobs()).map((j) => j.id).sort()).toEqual(['hourly', 'nightly']);
    await c.close();
  });

  it('checks its options', () => {
    expect(() => new JobClient({ jobStores: {} })).toThrow(KairosRangeError);
    expect(() => new JobClient({ jobStores: { default: new SQLiteJobStore({ path: file }) }, timezone: 'Mars/Olympus' })).toThrow(RangeError);
    expect(() => new JobClient({ jobStores: { default: new SQLiteJobStore({ path: file }) }, jobstore: 1 } as never)).toThrow(KairosTypeError);
    expect(() => new JobClient(undefined as never)).toThrow(TypeError);
  });

  it('reads and steers jobs with the Scheduler\'s rules', async () => {
    const c = client({ timezone: 'Europe/Berlin' });
    await c.open();
    try {
      const job = await c.getJob('nightly');
      expect(job).toMatchObject({ id: 'nightly', taskId: 'report', args: [1], jobStore: 'default', pending: false });
      expect(await c.getJob('missing')).toBeNull();

      expect((await c.pauseJob('nightly')).nextRunTime).toBeNull();
      const resumed = await c.resumeJob('nightly');
      expect(resumed.nextRunTime!.getTime()).toBeGreaterThan(Date.now());

      // A trigger without a zone gets the client's; an executor name is not checked here (the
      // scheduler that runs the job judges it).
      const moved = await c.rescheduleJob('nightly', 'cron', { hour: 4 });
      expect(moved.trigger.toJSON().timezone).toBe('Europe/Berlin');
      const modified = await c.modifyJob('nightly', { name: 'renamed', executor: 'workers', args: [2] });
      expect(modified).toMatchObject({ name: 'renamed', executor: 'workers', args: [2] });
      await expect(c.modifyJob('nightly', { executor: '' })).rejects.toBeInstanceOf(KairosTypeError);

      await c.runJob('hourly');
      await c.removeJob('hourly');
      expect((await c.getJobs()).map((j) => j.id)).toEqual(['nightly']);
      await expect(c.removeJob('hourly')).rejects.toBeInstanceOf(JobLookupError);
      await expect(c.runJob('hourly')).rejects.toBeInstanceOf(JobLookupError);
    } finally {
      await c.close();
    }
  });

  it('closes the stores it opened when another fails to open', async () => {
    const good = new SQLiteJobStore({ path: file });
    const bad = new SQLiteJobStore({ path: path.join(dir, 'not-a-dir', 'x.sqlite') });
    // A file where the folder should be: opening `bad` fails.
    writeFileSync(path.join(dir, 'not-a-dir'), '');
    const c = new JobClient({ jobStores: { good, bad } });
    await expect(c.open()).rejects.toThrow();
    expect(c.isOpen).toBe(false);
    await expect(good.getJobs()).rejects.toBeInstanceOf(StoreClosedError);
  });
});
