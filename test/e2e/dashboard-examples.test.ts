/**
 * examples/express-dashboard.mjs and examples/fastify-dashboard.mjs, run as users run them
 * (against the built package): the login URL they print sets a session cookie; with it the
 * admin API lists the demo jobs and the dashboard page loads, without it every request is 403;
 * SIGTERM stops the app even while a dashboard's event stream is open.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertBuilt } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

for (const example of ['express-dashboard.mjs', 'fastify-dashboard.mjs']) {
  describe(`examples/${example}`, () => {
    it('logs in through the printed URL, serves the jobs and the page to that session only, and stops on SIGTERM', async () => {
      assertBuilt();
      const child = spawn(process.execPath, [path.join(root, 'examples', example)], { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const stream = new AbortController();
      try {
        await expect.poll(() => out, { timeout: 15_000, interval: 20 }).toMatch(/dashboard: open (\S+)/);
        const login = new URL(/dashboard: open (\S+)/.exec(out)![1]!);
        const admin = `${login.origin}/admin`;
        expect((await fetch(`${admin}/api/jobs`)).status).toBe(403);
        expect((await fetch(`${login.origin}/login?token=wrong`, { redirect: 'manual' })).status).toBe(403);
        const res = await fetch(login, { redirect: 'manual' });
        expect(res.status).toBe(302);
        expect(res.headers.get('location')).toBe('/admin/');
        const cookie = /^sid=[0-9a-f]{32}/.exec(res.headers.get('set-cookie') ?? '')?.[0];
        expect(res.headers.get('set-cookie')).toMatch(/HttpOnly/i);
        expect(cookie).toBeDefined();
        const headers = { cookie: cookie! };
        const jobs = (await (await fetch(`${admin}/api/jobs`, { headers })).json()) as { jobs: Array<{ id: string; paused: boolean }> };
        expect(jobs.jobs.map((j) => j.id).sort()).toEqual(['export-orders', 'heartbeat', 'nightly-report', 'weekly-cleanup']);
        expect(jobs.jobs.find((j) => j.id === 'weekly-cleanup')!.paused).toBe(true);
        const page = await fetch(`${admin}/`, { headers });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('dashboard.js');
        // an open event stream must not keep the app from stopping
        const events = await fetch(`${admin}/api/events`, { headers, signal: stream.signal });
        expect(events.status).toBe(200);
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        expect(out).toContain('stopped');
      } finally {
        stream.abort();
        child.kill('SIGKILL');
      }
    });
  });
}
