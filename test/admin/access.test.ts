/**
 * Who may use the admin API, on both mounts: mounting needs authorize or readOnly (a typed
 * error otherwise); authorize is asked on every route and its refusal is 403 everywhere; a
 * read-only mount has no route that changes jobs; state changes need a JSON content type and a
 * same-site request, so an HTML form (or a cross-site page) cannot pause, run or remove a job.
 */
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kairosRouter } from '../../src/express.js';
import { kairosFastify } from '../../src/fastify.js';
import { AdminMountError, Scheduler } from '../../src/index.js';
import type { AdminAccess } from '../../src/admin/options.js';
import { JSON_POST } from './api-suite.js';
import { MOUNTS, type Mounted } from './mounts.js';

/** Every route of a full mount, with a method it takes, plus the page, its files and an unknown path. */
const EVERY_ROUTE: Array<[string, string]> = [
  ['GET', '/'],
  ['GET', ''],
  ['GET', '/dashboard.js'],
  ['GET', '/dashboard.css'],
  ['GET', '/api/status'],
  ['GET', '/api/jobs'],
  ['GET', '/api/jobs/nightly'],
  ['GET', '/api/jobs/nightly/runs'],
  ['GET', '/api/events'],
  ['POST', '/api/jobs/nightly/pause'],
  ['POST', '/api/jobs/nightly/resume'],
  ['POST', '/api/jobs/nightly/run'],
  ['DELETE', '/api/jobs/nightly'],
  ['GET', '/api/unknown'],
];
const MUTATING = EVERY_ROUTE.filter(([method]) => method !== 'GET');

function request(base: string, method: string, path: string): Promise<Response> {
  const init: RequestInit = method === 'GET' ? { redirect: 'manual' } : { method, headers: { 'content-type': 'application/json' }, body: '{}' };
  return fetch(`${base}${path}`, init);
}

describe('mounting the admin API', () => {
  const scheduler = new Scheduler({ timezone: 'UTC' });

  it('kairosRouter without authorize and without readOnly throws AdminMountError (KAIROS_ADMIN_MOUNT)', () => {
    for (const options of [{}, { readOnly: false }, undefined]) {
      let thrown: unknown;
      try {
        kairosRouter(scheduler, options as never);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(AdminMountError);
      expect(thrown).toMatchObject({ code: 'KAIROS_ADMIN_MOUNT', message: expect.stringMatching(/^kairosRouter: .*authorize/) });
    }
    expect(() => kairosRouter(scheduler, { authorize: true } as never)).toThrow(/authorize must be a function/);
    expect(() => kairosRouter(scheduler, { readOnly: true, autorize: () => true } as never)).toThrow(/unknown option "autorize"/);
    expect(() => kairosRouter({} as never, { readOnly: true })).toThrow(/expected a Scheduler/);
    expect(() => kairosRouter(scheduler, { readOnly: true })).not.toThrow();
    // and a mount that refused registers nothing: express never sees a router
    const app = express();
    expect(() => app.use('/admin', kairosRouter(scheduler, {}))).toThrow(AdminMountError);
  });

  it('registering kairosFastify without authorize and without readOnly fails with AdminMountError', async () => {
    const app = Fastify();
    const err = await app.register(kairosFastify, { prefix: '/admin', scheduler }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AdminMountError);
    expect(err).toMatchObject({ code: 'KAIROS_ADMIN_MOUNT', message: expect.stringMatching(/^kairosFastify: refusing to mount/) });
    await app.close().catch(() => {});
    const ok = Fastify();
    await ok.register(kairosFastify, { prefix: '/admin', scheduler, readOnly: true });
    await ok.close();
  });
});

for (const [name, mount] of MOUNTS) {
  describe(`admin API access (${name})`, () => {
    let scheduler: Scheduler;
    const servers: Mounted[] = [];
    const nextRun = async () => (await scheduler.getJob('nightly'))!.nextRunTime;
    const ran: string[] = [];

    beforeAll(async () => {
      scheduler = new Scheduler({ timezone: 'UTC' });
      await scheduler.start();
      await scheduler.addJob((ctx: { runId: string }) => void ran.push(ctx.runId), 'cron', { hour: 3 }, { id: 'nightly' });
    });
    afterAll(async () => {
      for (const s of servers) await s.close();
      await scheduler.shutdown();
    });
    const open = async (options: Parameters<typeof mount>[1]) => {
      const s = await mount(scheduler, options);
      servers.push(s);
      return s.base;
    };

    /** The job was neither paused, run nor removed. */
    async function untouched(): Promise<void> {
      await new Promise((r) => setTimeout(r, 50));
      expect(await nextRun()).not.toBeNull();
      expect(ran).toEqual([]);
    }

    it('authorize returning false: 403 on every route, the page and unknown paths included, and nothing changes', async () => {
      const seen: AdminAccess[] = [];
      const base = await open({ authorize: (_req: unknown, access: AdminAccess) => (seen.push(access), false) });
      for (const [method, path] of EVERY_ROUTE) {
        const res = await request(base, method, path);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(await res.json()).toEqual({ error: { name: 'AdminRequestError', code: 'KAIROS_ADMIN_FORBIDDEN', message: 'authorize(request) refused this request' } });
      }
      // a malformed path is refused too, before saying it is malformed (Fastify answers 400 itself, before any plugin)
      expect((await request(base, 'GET', '/api/jobs/%E0%A4%A')).status).toBe(name === 'fastify' ? 400 : 403);
      expect(seen).toHaveLength(EVERY_ROUTE.length + (name === 'fastify' ? 0 : 1));
      expect(seen.find((a) => a.route === 'POST /api/jobs/:id/pause')).toEqual({ mutating: true, route: 'POST /api/jobs/:id/pause', jobId: 'nightly' });
      expect(seen.find((a) => a.route === 'GET /api/jobs')).toEqual({ mutating: false, route: 'GET /api/jobs' });
      expect(seen[EVERY_ROUTE.length - 1]).toEqual({ mutating: false, route: null });
      await untouched();
    });

    it('authorize resolving false, or something truthy but not true, is refused too; a throwing authorize is 500 and lets nothing through', async () => {
      for (const authorize of [async () => false, () => 'yes' as unknown as boolean, async () => ({ user: 'ada' }) as unknown as boolean]) {
        const base = await open({ authorize });
        for (const [method, path] of MUTATING) expect((await request(base, method, path)).status, `${method} ${path}`).toBe(403);
        expect((await request(base, 'GET', '/api/jobs')).status).toBe(403);
      }
      const base = await open({
        authorize: () => {
          throw new Error('session store down');
        },
      });
      for (const [method, path] of MUTATING) {
        const res = await request(base, method, path);
        expect(res.status).toBe(500);
        expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'KAIROS_ADMIN_AUTHORIZE', message: expect.stringContaining('session store down') });
      }
      await untouched();
    });

    it('authorize sees the framework request: a viewer may read but not change jobs', async () => {
      const base = await open({
        authorize: (req: { headers: Record<string, string | undefined> }, access: AdminAccess) =>
          req.headers['x-role'] === 'operator' || (req.headers['x-role'] === 'viewer' && !access.mutating),
      });
      const as = (role: string, method: string, path: string) =>
        fetch(`${base}${path}`, method === 'GET' ? { headers: { 'x-role': role } } : { method, headers: { 'x-role': role, 'content-type': 'application/json' } });
      expect((await as('viewer', 'GET', '/api/jobs')).status).toBe(200);
      expect((await as('viewer', 'POST', '/api/jobs/nightly/pause')).status).toBe(403);
      expect((await as('nobody', 'GET', '/api/jobs')).status).toBe(403);
      await untouched();
      expect((await as('operator', 'POST', '/api/jobs/nightly/pause')).status).toBe(200);
      expect(await nextRun()).toBeNull();
      expect((await as('operator', 'POST', '/api/jobs/nightly/resume')).status).toBe(200);
    });

    it('a read-only mount has no route that changes jobs (404 or 405), even without authorize', async () => {
      const base = await open({ readOnly: true });
      expect(((await (await request(base, 'GET', '/api/status')).json()) as { readOnly: boolean }).readOnly).toBe(true);
      expect((await request(base, 'GET', '/api/jobs')).status).toBe(200);
      for (const [method, path] of MUTATING) {
        const res = await request(base, method, path);
        expect([404, 405], `${method} ${path}`).toContain(res.status);
        if (res.status === 405) expect(res.headers.get('allow')).toBe('GET');
      }
      await untouched();
      // with authorize too, read-only still registers no mutating route
      const guarded = await open({ readOnly: true, authorize: () => true });
      for (const [method, path] of MUTATING) expect([404, 405]).toContain((await request(guarded, method, path)).status);
      await untouched();
    });

    it('limits: maxStreams event streams at once (one more is 503), each ended after streamMaxAge; bodies up to 64 KB (413)', async () => {
      const base = await open({ authorize: () => true, maxStreams: 1, streamMaxAge: 300 });
      const first = new AbortController();
      const opened = Date.now();
      const stream = await fetch(`${base}/api/events`, { signal: first.signal });
      expect(stream.status).toBe(200);
      const second = await fetch(`${base}/api/events`);
      expect(second.status).toBe(503);
      expect(((await second.json()) as { error: { code: string } }).error.code).toBe('KAIROS_ADMIN_BUSY');
      // the server ends the first stream at its max age: reading it to the end finishes
      const text = await stream.text();
      expect(text).toContain('event: hello');
      expect(Date.now() - opened).toBeGreaterThanOrEqual(250);
      first.abort();
      // once it is gone, a new stream may open
      await expect.poll(async () => {
        const again = new AbortController();
        const res = await fetch(`${base}/api/events`, { signal: again.signal });
        again.abort();
        return res.status;
      }).toBe(200);
      const big = await fetch(`${base}/api/jobs/nightly/pause`, { ...JSON_POST, body: JSON.stringify({ pad: 'x'.repeat(100_000) }) });
      expect(big.status).toBe(413);
      await untouched();
    });

    it('state changes need Content-Type: application/json (415 for a form post or text) and a same-site request', async () => {
      const base = await open({ authorize: () => true });
      const refusals: Array<[RequestInit, number]> = [
        [{ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, 415],
        [{ method: 'POST', body: new URLSearchParams({ a: '1' }) }, 415],
        [{ method: 'POST', body: (() => { const f = new FormData(); f.set('a', '1'); return f; })() }, 415],
        [{ method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }, 415],
        [{ method: 'POST' }, 415],
        [{ method: 'POST', headers: { 'content-type': 'application/jsonp' }, body: '{}' }, 415],
        [{ ...JSON_POST, headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' } }, 403],
      ];
      for (const path of ['/api/jobs/nightly/pause', '/api/jobs/nightly/run']) {
        for (const [init, status] of refusals) {
          const res = await fetch(`${base}${path}`, init);
          expect(res.status, `${path} ${JSON.stringify(init.headers)}`).toBe(status);
        }
        expect((await fetch(`${base}${path}`, { method: 'GET' })).status).toBe(405);
      }
      const del = await fetch(`${base}/api/jobs/nightly`, { method: 'DELETE' });
      expect(del.status).toBe(415);
      expect(((await del.json()) as { error: { code: string } }).error.code).toBe('KAIROS_ADMIN_MEDIA_TYPE');
      await untouched();
      // the same request with JSON and from the same site goes through
      const ok = await fetch(`${base}/api/jobs/nightly/pause`, { ...JSON_POST, headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' } });
      expect(ok.status).toBe(200);
      expect(await nextRun()).toBeNull();
    });
  });
}
