/**
 * The package as a user installs it (hardening issue, point 6): a throwaway project whose
 * node_modules/kairos links to this checkout, so that 'kairos', 'kairos/sqlite' and
 * 'kairos/postgres' resolve through package.json `exports` to the built dist/, in plain Node
 * child processes and with tsc.
 *
 * Whether a driver was loaded is read from the child's require cache: better-sqlite3 and pg are
 * CommonJS packages, which land there however they are loaded (require or import); each test
 * that asserts "not loaded" also shows, in the same child, that loading them does show up.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const hidePg = path.join(root, 'test', 'e2e', 'fixtures', 'hide-pg.mjs');
const hidePromClient = path.join(root, 'test', 'e2e', 'fixtures', 'hide-prom-client.mjs');
const execFileP = promisify(execFile);
let project: string;

beforeAll(() => {
  assertBuilt();
  project = mkdtempSync(path.join(tmpdir(), 'kairos-packaging-'));
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(root, path.join(project, 'node_modules', 'kairos'), 'dir');
  // the application's own prom-client, which kairos/metrics uses (npm dedupes the peer to this copy)
  symlinkSync(path.join(root, 'node_modules', 'prom-client'), path.join(project, 'node_modules', 'prom-client'), 'dir');
  // the application's own web framework (and its types), which the admin mounts plug into
  for (const name of ['express', 'fastify', '@types']) symlinkSync(path.join(root, 'node_modules', name), path.join(project, 'node_modules', name), 'dir');
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }));
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Prelude of every child: `drivers()` lists the driver packages loaded so far. */
const PRELUDE = `
import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
const drivers = () => [...new Set(Object.keys(cache).map((f) => /[\\\\/]node_modules[\\\\/](better-sqlite3|pg|prom-client|express|fastify)[\\\\/]/.exec(f)?.[1]).filter(Boolean))].sort();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
`;

/** Runs `code` as an ES module in the user project; resolves with what it printed as JSON. */
async function child(code: string, execArgv: string[] = []): Promise<Record<string, unknown>> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // vitest's loader hooks are not for plain children
  const { stdout } = await execFileP(process.execPath, [...execArgv, '--input-type=module', '-e', PRELUDE + code], { cwd: project, env, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('kairos packaging', () => {
  it("import('kairos') loads neither better-sqlite3 nor pg, even when the store classes are constructed", async () => {
    const out = await child(`
      const kairos = await import('kairos');
      const afterImport = drivers();
      new kairos.SQLiteJobStore({ path: 'unused.sqlite' });
      new kairos.PostgresJobStore({ connectionString: 'postgres://127.0.0.1:1/none' });
      const scheduler = new kairos.Scheduler({ timezone: 'UTC', logger: quiet });
      await scheduler.addJob(() => {}, 'interval', { hours: 1 });
      await scheduler.start();
      await scheduler.shutdown();
      const afterMemoryScheduler = drivers();
      // the control: a driver loaded (by opening a store) does show up
      await new kairos.PostgresJobStore({ connectionString: 'postgres://127.0.0.1:1/none' }).open({ name: 'x', logger: quiet }).catch(() => {});
      console.log(JSON.stringify({ afterImport, afterMemoryScheduler, control: drivers(), exports: Object.keys(kairos).length }));
    `);
    expect(out.afterImport).toEqual([]);
    expect(out.afterMemoryScheduler).toEqual([]);
    expect(out.control).toEqual(['pg']);
    expect(out.exports).toBeGreaterThan(30);
  });

  it("kairos/sqlite: SQLiteJobStore works (the root's is the same class) and loads better-sqlite3 when it opens", async () => {
    const file = path.join(project, 'jobs.sqlite');
    const out = await child(`
      const { SQLiteJobStore } = await import('kairos/sqlite');
      const { Scheduler, SQLiteJobStore: fromRoot } = await import('kairos');
      const beforeOpen = drivers();
      const scheduler = new Scheduler({ timezone: 'UTC', logger: quiet, jobStores: { default: new SQLiteJobStore({ path: ${JSON.stringify(file)} }) } });
      scheduler.registerTask('noop', () => {});
      await scheduler.start({ paused: true });
      await scheduler.addJob('noop', 'cron', { hour: 3 }, { id: 'nightly' });
      const jobs = (await scheduler.getJobs()).map((j) => j.id);
      await scheduler.shutdown();
      console.log(JSON.stringify({ same: SQLiteJobStore === fromRoot, beforeOpen, afterOpen: drivers(), jobs }));
    `);
    expect(out).toEqual({ same: true, beforeOpen: [], afterOpen: ['better-sqlite3'], jobs: ['nightly'] });
  });

  it('kairos/postgres: PostgresJobStore (the same class as the root one) imports pg when it opens', async () => {
    const out = await child(`
      const { PostgresJobStore } = await import('kairos/postgres');
      const { PostgresJobStore: fromRoot, Scheduler } = await import('kairos');
      const beforeOpen = drivers();
      const scheduler = new Scheduler({ timezone: 'UTC', logger: quiet, jobStores: { default: new PostgresJobStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none' }) } });
      const err = await scheduler.start().then(() => null, (e) => e);
      console.log(JSON.stringify({ same: PostgresJobStore === fromRoot, beforeOpen, afterOpen: drivers(), name: err?.name, cause: err?.cause?.code }));
    `);
    // port 1 refuses: pg was loaded and tried to connect
    expect(out).toEqual({ same: true, beforeOpen: [], afterOpen: ['pg'], name: 'StoreOpenError', cause: 'ECONNREFUSED' });
  });

  it('without pg installed: kairos and kairos/sqlite work, a PostgreSQL store fails to open with MissingDependencyError naming npm install pg', async () => {
    const file = path.join(project, 'without-pg.sqlite');
    const out = await child(`
      const direct = await import('pg').then(() => 'loaded', (e) => e.code);
      const { MissingDependencyError, Scheduler } = await import('kairos');
      const { SQLiteJobStore } = await import('kairos/sqlite');
      const { PostgresJobStore } = await import('kairos/postgres');
      const sqlite = new Scheduler({ timezone: 'UTC', logger: quiet, jobStores: { default: new SQLiteJobStore({ path: ${JSON.stringify(file)} }) } });
      await sqlite.start();
      await sqlite.shutdown();
      const scheduler = new Scheduler({ timezone: 'UTC', logger: quiet, jobStores: { default: new PostgresJobStore({ connectionString: 'postgres://127.0.0.1:1/none' }) } });
      const err = await scheduler.start().then(() => null, (e) => e);
      console.log(JSON.stringify({
        direct, state: scheduler.state, isMissing: err instanceof MissingDependencyError,
        code: err?.code, packageName: err?.packageName, message: err?.message, drivers: drivers(),
      }));
    `, ['--import', hidePg]);
    expect(out.direct).toBe('ERR_MODULE_NOT_FOUND'); // the simulation: pg cannot be resolved
    expect(out).toMatchObject({ state: 'stopped', isMissing: true, code: 'KAIROS_MISSING_DEPENDENCY', packageName: 'pg', drivers: ['better-sqlite3'] });
    expect(out.message).toMatch(/^PostgresJobStore needs the "pg" package, which could not be loaded \(Cannot find package 'pg'.*\); install it next to kairos: npm install pg$/);
  });

  it('kairos/metrics loads prom-client only when collectMetrics is called, and a scrape reads the runs', async () => {
    const out = await child(`
      const { Scheduler } = await import('kairos');
      const { collectMetrics } = await import('kairos/metrics');
      const beforeCollect = drivers();
      const { Registry } = await import('prom-client');
      const registry = new Registry();
      const scheduler = new Scheduler({ timezone: 'UTC', logger: quiet });
      collectMetrics(scheduler, { registry });
      await scheduler.start();
      const executed = new Promise((r) => scheduler.once('jobExecuted', r));
      await scheduler.addJob(() => {}, 'date', { runDate: new Date() }, { id: 'once' });
      await executed;
      const text = await registry.metrics();
      await scheduler.shutdown();
      console.log(JSON.stringify({ beforeCollect, after: drivers(), line: text.split('\\n').find((l) => l.startsWith('kairos_runs_total{')) }));
    `);
    expect(out).toEqual({ beforeCollect: [], after: ['prom-client'], line: 'kairos_runs_total{job="once",store="default",outcome="succeeded"} 1' });
  });

  it('without prom-client installed: kairos/metrics imports, collectMetrics throws MissingDependencyError naming npm install prom-client', async () => {
    const out = await child(`
      let direct = 'loaded';
      try { createRequire(import.meta.url)('prom-client'); } catch (e) { direct = e.code; }
      const { MissingDependencyError, Scheduler } = await import('kairos');
      const { collectMetrics } = await import('kairos/metrics');
      const scheduler = new Scheduler({ timezone: 'UTC', logger: quiet });
      let err = null;
      try { collectMetrics(scheduler, { registry: { registerMetric() {}, removeSingleMetric() {} } }); } catch (e) { err = e; }
      console.log(JSON.stringify({ direct, isMissing: err instanceof MissingDependencyError, code: err?.code, packageName: err?.packageName, message: err?.message }));
    `, ['--import', hidePromClient]);
    expect(out.direct).toBe('MODULE_NOT_FOUND'); // the simulation: prom-client cannot be required
    expect(out).toMatchObject({ isMissing: true, code: 'KAIROS_MISSING_DEPENDENCY', packageName: 'prom-client' });
    expect(out.message).toMatch(/npm install prom-client$/);
  });

  it('kairos/express and kairos/fastify load neither framework; mounted in the app\'s own, they serve the API and the dashboard from dist', async () => {
    const out = await child(`
      const kairos = await import('kairos');
      const afterRoot = drivers();
      const { kairosRouter, AdminMountError } = await import('kairos/express');
      const { kairosFastify } = await import('kairos/fastify');
      const afterSubpaths = drivers();
      const scheduler = new kairos.Scheduler({ timezone: 'UTC', logger: quiet });
      await scheduler.addJob(() => {}, 'cron', { hour: 3 }, { id: 'nightly' });
      await scheduler.start();
      let refused = null;
      try { kairosRouter(scheduler, {}); } catch (e) { refused = { same: e instanceof kairos.AdminMountError && AdminMountError === kairos.AdminMountError, code: e.code }; }
      const authorize = (req) => req.headers['x-token'] === 'secret';
      const { default: express } = await import('express');
      const app = express();
      app.use('/admin', kairosRouter(scheduler, { authorize }));
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const { default: Fastify } = await import('fastify');
      const fastify = Fastify();
      await fastify.register(kairosFastify, { prefix: '/admin', scheduler, authorize });
      await fastify.listen({ port: 0, host: '127.0.0.1' });
      const results = {};
      for (const [name, port] of [['express', server.address().port], ['fastify', fastify.server.address().port]]) {
        const base = 'http://127.0.0.1:' + port + '/admin';
        const headers = { 'x-token': 'secret' };
        const jobs = await (await fetch(base + '/api/jobs', { headers })).json();
        const page = await fetch(base + '/', { headers });
        const script = await fetch(base + '/dashboard.js', { headers });
        const denied = await fetch(base + '/api/jobs');
        results[name] = { jobs: jobs.jobs.map((j) => j.id), page: page.status, csp: page.headers.get('content-security-policy')?.startsWith("default-src 'none'"), script: (await script.text()).includes('textContent'), denied: denied.status };
      }
      server.close();
      await fastify.close();
      await scheduler.shutdown();
      console.log(JSON.stringify({ afterRoot, afterSubpaths, refused, results, loaded: drivers() }));
    `);
    expect(out.afterRoot).toEqual([]);
    expect(out.afterSubpaths).toEqual([]);
    expect(out.refused).toEqual({ same: true, code: 'KAIROS_ADMIN_MOUNT' });
    const served = { jobs: ['nightly'], page: 200, csp: true, script: true, denied: 403 };
    expect(out.results).toEqual({ express: served, fastify: served });
    expect(out.loaded).toEqual(['express', 'fastify']); // the control: the app loading them does show up
  });

  it('the subpaths have types: a TypeScript program using them compiles (NodeNext resolution)', { timeout: 120_000 }, async () => {
    const file = path.join(project, 'check.ts');
    writeFileSync(file, `
      import { Scheduler, type JobStore } from 'kairos';
      import { SQLiteJobStore, type SQLiteJobStoreOptions } from 'kairos/sqlite';
      import { PostgresJobStore, type PostgresJobStoreOptions } from 'kairos/postgres';
      const sqliteOptions: SQLiteJobStoreOptions = { path: 'jobs.sqlite', pollInterval: { seconds: 1 } };
      const pgOptions: PostgresJobStoreOptions = { schema: 'jobs' };
      const stores: Record<string, JobStore> = {
        a: new SQLiteJobStore(sqliteOptions),
        b: new PostgresJobStore({ connectionString: 'postgres://localhost/app' }, pgOptions),
      };
      export const scheduler = new Scheduler({ jobStores: stores });
      // @ts-expect-error not an option of SQLiteJobStore
      new SQLiteJobStore({ path: 'jobs.sqlite', pollIntervall: 5 });

      import express, { type Request } from 'express';
      import Fastify from 'fastify';
      import { kairosRouter } from 'kairos/express';
      import { kairosFastify } from 'kairos/fastify';
      const app = express();
      app.use('/admin', kairosRouter(scheduler, { authorize: (req: Request) => req.get('x-admin-token') === 'secret' }));
      app.use('/status', kairosRouter(scheduler, { readOnly: true }));
      const fastify = Fastify();
      await fastify.register(kairosFastify, { prefix: '/admin', scheduler, authorize: async (request) => request.headers['x-admin-token'] === 'secret' });
      // @ts-expect-error authorize must return a boolean
      kairosRouter(scheduler, { authorize: () => 'yes' });
    `);
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), file];
    const result = await execFileP(process.execPath, [tsc, ...args], { cwd: project, timeout: 110_000 }).then(
      ({ stdout }) => stdout,
      (err: { stdout?: string }) => `tsc failed:\n${err.stdout ?? String(err)}`,
    );
    expect(result).toBe('');
    // tsc loads the types of node, express and fastify: ~20 s alone, over 30 s on a loaded machine
  });
});
