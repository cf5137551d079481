/**
 * The event stream and a scheduler's shutdown, on both mounts: the stream gets
 * `schedulerShutdown` and then ends, so an open dashboard never holds a server's close.
 */
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/index.js';
import { readEvents } from './api-suite.js';
import { MOUNTS } from './mounts.js';

for (const [name, mount] of MOUNTS) {
  describe(`event stream (${name})`, () => {
    it('ends after schedulerShutdown, when the scheduler shuts down', async () => {
      const scheduler = new Scheduler({ timezone: 'UTC' });
      await scheduler.start();
      await scheduler.addJob(() => {}, 'interval', { hours: 1 }, { id: 'hourly' });
      const server = await mount(scheduler, { authorize: () => true });
      try {
        // read until the server ends the stream (a stream still open after 5 s fails the test)
        const reading = readEvents(`${server.base}/api/events`, () => false, 5000);
        await new Promise((r) => setTimeout(r, 300));
        await scheduler.shutdown();
        const events = await reading;
        expect(events.map((e) => e.event)).toEqual(['hello', 'schedulerShutdown']);
        expect(events[1]!.data).toEqual({ event: 'schedulerShutdown', time: expect.stringMatching(/Z$/) });
      } finally {
        await server.close();
      }
    });
  });
}
