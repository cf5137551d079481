/**
 * `kairos migrate` and `kairos doctor` (issue 14 item 5), spawned, on SQLite and PostgreSQL:
 * two migrates at once both succeed and apply each version once; doctor shows the lease a
 * running scheduler (a child process) holds on its run in flight, by its ownerId, and the same
 * lease expired once that child is SIGKILLed; on PostgreSQL it measures the clock skew with the
 * database. A schema newer than this kairos is refused with exit code 3.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_VERSION as PG_LATEST } from '../../src/stores/postgres/migrations.js';
import { LATEST_VERSION as SQLITE_LATEST } from '../../src/stores/sqlite/migrations.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { forkFixture, killAllChildren, killChild, readStarts, sleep, tempDir, until } from '../e2e/helpers.js';
import { kairos } from './helpers.js';

afterEach(killAllChildren);

const LEASE_MS = 1500;
const versions = (latest: number): number[] => Array.from({ length: latest }, (_, i) => i + 1);

interface DoctorJson {
  kind: string;
  schemaVersion: number;
  latestSchemaVersion: number;
  jobs: { total: number; paused: number };
  runs: { pending: number; running: number };
  clock: { leaseClock: string; skewMs: number | null; databaseNow: string | null; roundTripMs: number };
  leases: Array<{ kind: string; jobId: string; runId: string | null; owner: string; expired: boolean; expiresAt: string }>;
  leasesHeld: number;
  leasesExpired: number;
  history: { entries: number; oldestFinishedAt: string | null; newestFinishedAt: string | null };
}

async function migrateTwiceAtOnce(db: string, latest: number): Promise<void> {
  const [a, b] = await Promise.all([kairos(['migrate', '--db', db, '--json']), kairos(['migrate', '--db', db, '--json'])]);
  expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
  const outs = [a.json(), b.json()] as Array<{ schemaVersion: number; applied: number[] }>;
  expect(outs.map((o) => o.schemaVersion)).toEqual([latest, latest]);
  // Each version applied by exactly one of them.
  expect([...outs[0]!.applied, ...outs[1]!.applied].sort((x, y) => x - y)).toEqual(versions(latest));
  const again = await kairos(['migrate', '--db', db]);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(new RegExp(`: schema version ${latest}, up to date\\n$`));
}

/** doctor while a child scheduler runs a long task (its lease held), then after SIGKILL (expired). */
async function doctorSeesHeldThenExpiredLease(kind: 'sqlite' | 'postgres', db: string, log: string): Promise<void> {
  const now = new Date().toISOString();
  const seed = [
    { id: 'slow', task: 'slow', trigger: 'date', triggerArgs: { runDate: now } },
    { id: 'quick', task: 'quick', trigger: 'date', triggerArgs: { runDate: now } },
  ];
  const child = forkFixture('admin-scheduler.mjs', [JSON.stringify({ store: kind, target: db, log, leaseMs: LEASE_MS, seed, tasks: { slow: { ms: 60_000 }, quick: { ms: 0 } } })]);
  const { ownerId } = (await child.message((m) => typeof m === 'object' && m.type === 'ready')) as { ownerId: string };
  await until(() => readStarts(log).some((s) => s.jobId === 'slow'), 10_000);
  const runId = readStarts(log).find((s) => s.jobId === 'slow')!.runId;
  // quick's run ended: its outcome is in the history, and the date job is gone.
  let recorded = (await kairos(['doctor', '--db', db, '--json'])).json() as DoctorJson;
  for (const end = Date.now() + 10_000; !(recorded.history.entries === 1 && recorded.jobs.total === 1) && Date.now() < end; await sleep(100)) {
    recorded = (await kairos(['doctor', '--db', db, '--json'])).json() as DoctorJson;
  }
  expect(recorded.history).toEqual({ entries: 1, oldestFinishedAt: expect.any(String), newestFinishedAt: recorded.history.oldestFinishedAt });
  expect(Math.abs(Date.parse(recorded.history.newestFinishedAt!) - Date.now())).toBeLessThan(30_000);

  const held = await kairos(['doctor', '--db', db, '--json']);
  expect(held.code, held.stderr).toBe(0);
  const h = held.json() as DoctorJson;
  expect(h).toMatchObject({ kind, schemaVersion: h.latestSchemaVersion, jobs: { total: 1, paused: 0 }, runs: { pending: 0, running: 1 }, leasesHeld: 1, leasesExpired: 0 });
  expect(h.leases).toEqual([{ kind: 'run', jobId: 'slow', runId, owner: ownerId, expired: false, expiresAt: expect.any(String), expiresInMs: expect.any(Number) }]);
  if (kind === 'postgres') {
    expect(h.clock.leaseClock).toBe('database');
    expect(Math.abs(h.clock.skewMs!)).toBeLessThan(1000); // one host: the same clock, give or take the round trip
  } else {
    expect(h.clock).toMatchObject({ leaseClock: 'host', skewMs: null, databaseNow: null });
  }
  const text = await kairos(['doctor', '--db', db, '--tz', 'UTC']);
  expect(text.stdout).toMatch(/^leases: +1 held, 0 expired$/m);
  expect(text.stdout).toMatch(/^history: +1 run outcome\(s\), finished \d{4}-\d\d-\d\d .* to .* \(kairos runs <jobId> reads them\)$/m);
  expect(text.stdout).toMatch(new RegExp(`^held +run +slow +${runId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +${ownerId} +.*, in `, 'm'));
  expect(text.stdout).toMatch(kind === 'postgres' ? /^clock: +the database clock is .* (ahead of|behind) this host's/m : /^clock: +leases use each host's own clock/m);

  // The holder dies: nobody renews its lease, and with no other scheduler nobody takes it over.
  await killChild(child);
  await sleep(LEASE_MS + 500);
  const expired = await kairos(['doctor', '--db', db, '--json']);
  const e = expired.json() as DoctorJson;
  expect(e).toMatchObject({ leasesHeld: 0, leasesExpired: 1 });
  expect(e.leases).toEqual([expect.objectContaining({ kind: 'run', jobId: 'slow', runId, owner: ownerId, expired: true })]);
  const expiredText = await kairos(['doctor', '--db', db]);
  expect(expiredText.code).toBe(0);
  expect(expiredText.stdout).toMatch(/^leases: +0 held, 1 expired$/m);
  expect(expiredText.stdout).toMatch(new RegExp(`^EXPIRED +run +slow +.* +${ownerId} +.* ago$`, 'm'));
  expect(expiredText.stdout).toMatch(/stopped renewing \(it died or stalls\)/);
}

describe('kairos migrate and doctor', () => {
  describe('SQLite', () => {
    it('two migrates at once both succeed, each version applied once', async () => {
      const { dir, cleanup } = tempDir('kairos-cli-migrate-');
      try {
        await migrateTwiceAtOnce(path.join(dir, 'sub', 'jobs.sqlite'), SQLITE_LATEST);
      } finally {
        cleanup();
      }
    });

    it('doctor shows the lease a running scheduler holds, then the one a killed scheduler left expired', { timeout: 60_000 }, async () => {
      const { dir, cleanup } = tempDir('kairos-cli-doctor-');
      try {
        const db = path.join(dir, 'jobs.sqlite');
        expect((await kairos(['migrate', '--db', db])).code).toBe(0);
        await doctorSeesHeldThenExpiredLease('sqlite', db, path.join(dir, 'starts.log'));
      } finally {
        cleanup();
      }
    });

    it('a schema newer than this kairos: exit 3 with the library\'s message', async () => {
      const { dir, cleanup } = tempDir('kairos-cli-newer-');
      try {
        const db = path.join(dir, 'jobs.sqlite');
        expect((await kairos(['migrate', '--db', db])).code).toBe(0);
        const raw = new Database(db);
        raw.prepare('INSERT INTO kairos_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('from the future');
        raw.close();
        for (const command of ['doctor', 'migrate']) {
          const r = await kairos([command, '--db', db, '--json']);
          expect(r.code).toBe(3);
          expect(r.json()).toMatchObject({ error: { name: 'SchemaTooNewError', message: expect.stringMatching(/999/) } });
        }
      } finally {
        cleanup();
      }
    });
  });

  describe('PostgreSQL', () => {
    let pg: TestPostgres;
    beforeAll(async () => {
      pg = await startTestPostgres();
    });
    afterAll(async () => {
      await pg?.destroy();
    });

    it('two migrates at once both succeed, each version applied once', async () => {
      await migrateTwiceAtOnce(await pg.createDatabase('cli_migrate'), PG_LATEST);
    });

    it('doctor shows the lease a running scheduler holds, then the one a killed scheduler left expired, and the clock skew', { timeout: 60_000 }, async () => {
      const { dir, cleanup } = tempDir('kairos-cli-doctor-pg-');
      try {
        await doctorSeesHeldThenExpiredLease('postgres', await pg.createDatabase('cli_doctor'), path.join(dir, 'starts.log'));
      } finally {
        cleanup();
      }
    });
  });
});
