/**
 * The Express and Fastify examples start a scheduler with the server; SIGTERM stops them
 * gracefully: the job running at that moment finishes, then the process exits 0.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

for (const example of ['express-server.mjs', 'fastify-server.mjs']) {
  describe(`examples/${example}`, () => {
    it('serves, fires a job, and on SIGTERM lets the running job finish, then exits 0', async () => {
      const child = spawn(process.execPath, [path.join(root, 'examples', example)], {
        cwd: root,
        env: { ...process.env, PORT: '0', JOB_MS: '600', EVERY_S: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await expect.poll(() => out, { timeout: 15_000, interval: 20 }).toMatch(/listening on (\d+)/);
        const port = Number(/listening on (\d+)/.exec(out)![1]);
        // a job starts; SIGTERM arrives while it runs
        await expect.poll(() => out, { timeout: 15_000, interval: 10 }).toMatch(/job started (\S+)/);
        const res = await fetch(`http://127.0.0.1:${port}/jobs`);
        const jobs = (await res.json()) as Array<{ id: string }>;
        expect(jobs.map((j) => j.id)).toHaveLength(1);
        const runId = /job started (\S+)/.exec(out)![1]!;
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        expect(out).toContain(`job finished ${runId}`);
        expect(out.indexOf(`job finished ${runId}`)).toBeLessThan(out.indexOf('scheduler stopped'));
      } finally {
        child.kill('SIGKILL');
      }
    });
  });
}
