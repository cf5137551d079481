/**
 * The admin mounts serving a JobClient (an admin process beside the schedulers, on the same
 * SQLite file): it lists and steers the stored jobs and reads the history the scheduler
 * recorded; it emits no events, so the status and the stream's hello say so (the page polls).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobClient, Scheduler, SQLiteJobStore } from '../../src/index.js';
import { JSON_POST, nextEvent, readEvents } from './api-suite.js';
import { MOUNTS } from './mounts.js';

let dir: string;
let file: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kairos-admin-client-'));
  file = path.join(dir, 'jobs.sqlite');
  const scheduler = new Scheduler({ timezone: 'UTC', jobStores: { default: new SQLiteJobStore({ path: file }) } });
  scheduler.registerTask('report', () => 'done');
  await scheduler.start();
  await scheduler.addJob('report', 'cron', '0 3 * * *', { id: 'nightly' });
  const executed = nextEvent(scheduler, 'jobExecuted', 'nightly');
  await scheduler.runJob('nightly');
  await executed;
  await scheduler.shutdown();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, mount] of MOUNTS) {
  describe(`a JobClient behind the ${name} mount`, () => {
    it('lists, reads the history, pauses; says it has no events', async () => {
      const client = new JobClient({ jobStores: { default: new SQLiteJobStore({ path: file }) }, timezone: 'UTC' });
      await client.open();
      const server = await mount(client, { authorize: () => true });
      try {
        const status = (await (await fetch(`${server.base}/api/status`)).json()) as Record<string, unknown>;
        expect(status).toMatchObject({ events: false, state: null, timezone: 'UTC' });
        const jobs = (await (await fetch(`${server.base}/api/jobs`)).json()) as { jobs: Array<{ id: string; lastOutcome: string; trigger: { text: string } }> };
        expect(jobs.jobs).toMatchObject([{ id: 'nightly', lastOutcome: 'succeeded', trigger: { text: 'cron "0 3 * * *"' } }]);
        expect((await fetch(`${server.base}/api/jobs/nightly/pause`, JSON_POST)).status).toBe(200);
        expect((await client.getJob('nightly'))!.nextRunTime).toBeNull();
        const events = await readEvents(`${server.base}/api/events`, (seen) => seen.length > 0);
        expect(events).toEqual([{ event: 'hello', data: { live: false } }]);
      } finally {
        await server.close();
        await client.close();
      }
    });
  });
}
