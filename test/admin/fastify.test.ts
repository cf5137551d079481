/**
 * What is particular to the Fastify plugin: it is encapsulated (its catch-all body parser stays
 * inside it, so the app's own routes still get parsed JSON), and it works under a nested prefix.
 */
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kairosFastify } from '../../src/fastify.js';
import { Scheduler } from '../../src/index.js';

describe('kairosFastify', () => {
  const scheduler = new Scheduler({ timezone: 'UTC' });
  const app = Fastify();
  let origin: string;

  beforeAll(async () => {
    await scheduler.start();
    await scheduler.addJob(() => {}, 'interval', { hours: 1 }, { id: 'hourly' });
    app.post('/echo', async (request) => ({ got: request.body }));
    await app.register(kairosFastify, { prefix: '/ops/admin', scheduler, authorize: () => true });
    origin = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    await scheduler.shutdown();
  });

  it("leaves the app's own body parsing alone", async () => {
    const res = await fetch(`${origin}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await res.json()).toEqual({ got: { a: 1 } });
    const form = await fetch(`${origin}/echo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(form.status).toBe(415); // Fastify's own answer: the app registered no form parser
  });

  it('serves under a nested prefix, and redirects the prefix to its slash', async () => {
    const bare = await fetch(`${origin}/ops/admin?x=1`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(new URL(bare.headers.get('location')!, `${origin}/ops/admin`).href).toBe(`${origin}/ops/admin/?x=1`);
    const jobs = (await (await fetch(`${origin}/ops/admin/api/jobs`)).json()) as { jobs: Array<{ id: string }> };
    expect(jobs.jobs.map((j) => j.id)).toEqual(['hourly']);
    expect((await fetch(`${origin}/ops/admin/api/jobs/hourly/pause`, { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(200);
    expect((await fetch(`${origin}/ops/other`)).status).toBe(404);
  });
});
