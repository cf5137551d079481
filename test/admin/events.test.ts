/**
 * The event stream on both mounts: it gets `schedulerShutdown` and then ends, so an open
 * dashboard never holds a server's close; a client that stops reading is dropped once 1 MB waits
 * for it, rather than buffered without bound.
 */
import { connect } from 'node:net';
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

    it('drops a client that stops reading once 1 MB waits for it', async () => {
      const scheduler = new Scheduler({ timezone: 'UTC' });
      const server = await mount(scheduler, { authorize: () => true });
      try {
        const url = new URL(`${server.base}/api/events`);
        const socket = connect(Number(url.port), url.hostname);
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
        socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
        await new Promise<void>((resolve) => socket.once('data', () => resolve()));
        socket.pause(); // the client reads nothing more while the events pile up
        // 1,000 events of 10 KB: 10 MB, far more than the sockets' buffers hold
        const big = { jobId: 'x'.repeat(10_000), jobStore: 'default' };
        for (let i = 0; i < 1000; i++) {
          scheduler.emit('jobModified', big);
          if (i % 50 === 0) await new Promise((r) => setImmediate(r));
        }
        let received = 0;
        socket.on('data', (chunk: Buffer) => (received += chunk.length));
        socket.resume();
        // only the server ends the stream here (max age is an hour): it dropped the client
        let timer: ReturnType<typeof setTimeout> | undefined;
        const kept = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the server kept the stream of a client that stopped reading')), 10_000)));
        await Promise.race([closed, kept]).finally(() => clearTimeout(timer));
        expect(received).toBeLessThan(5_000_000);
      } finally {
        await server.close();
      }
    });
  });
}
