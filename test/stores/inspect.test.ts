/**
 * `JobStore.inspect` (for `kairos doctor`) on SQLite and PostgreSQL, written once: the schema
 * version and what the open migrated, counts, and leases (job acquisitions and runs in flight)
 * with their owner, earliest expiry first, expired ones judged by the store's lease clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobStore, StoreInspection } from '../../src/stores/job-store.js';
import { PostgresJobStore } from '../../src/stores/postgres/index.js';
import { LATEST_VERSION as PG_LATEST } from '../../src/stores/postgres/migrations.js';
import { SQLiteJobStore } from '../../src/stores/sqlite/index.js';
import { LATEST_VERSION as SQLITE_LATEST } from '../../src/stores/sqlite/migrations.js';
import { useFileDatabase } from '../helpers/postgres.js';
import { jobRecord } from './conformance.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const T0 = Date.parse('2026-01-01T00:00:00Z');

interface Harness {
  /** A new store on the same data. */
  make(): JobStore & { inspect(options?: { limit?: number }): Promise<StoreInspection> };
  latest: number;
  leaseClock: 'host' | 'database';
  /** Moves every lease into the past. */
  expire(): Promise<void>;
  cleanup(): Promise<void>;
}

function describeInspect(name: string, setup: () => Promise<Harness>): void {
  describe(`${name} inspect()`, () => {
    it('reports the schema, what open() migrated, counts, and leases by owner with the expired ones first', async () => {
      const h = await setup();
      const first = h.make();
      const second = h.make();
      try {
        await first.open({ name: 'a', logger: quiet });
        await second.open({ name: 'b', logger: quiet });
        const fresh = await first.inspect();
        expect(fresh).toMatchObject({ schemaVersion: h.latest, latestSchemaVersion: h.latest, leaseClock: h.leaseClock, jobs: { total: 0, paused: 0 }, runs: { pending: 0, running: 0 }, leases: [] });
        expect(fresh.migratedOnOpen).toEqual(Array.from({ length: h.latest }, (_, i) => i + 1));
        expect(fresh.history).toEqual({ entries: 0, oldestFinishedAt: null, newestFinishedAt: null });
        const outcome = (jobId: string, finishedAt: number) => ({
          runId: `${jobId}@${finishedAt}`, jobId, scheduledRunTime: finishedAt - 5, lastScheduledRunTime: null, missedCount: null,
          attempt: 1, startedAt: finishedAt - 5, finishedAt, outcome: 'succeeded' as const, error: null,
        });
        await first.recordRuns!([outcome('gone', T0 + 30), outcome('gone', T0 + 10), outcome('other', T0 + 20)]);
        expect((await second.inspect()).history).toEqual({ entries: 3, oldestFinishedAt: T0 + 10, newestFinishedAt: T0 + 30 });
        expect((await second.inspect()).migratedOnOpen).toEqual([]);
        expect(Math.abs(fresh.leaseNow - Date.now())).toBeLessThan(5_000);

        await first.addJob(jobRecord('due', { nextRunTime: T0 }), { replaceExisting: false });
        await first.addJob(jobRecord('paused', { nextRunTime: null }), { replaceExisting: false });
        await first.addJob(jobRecord('held', { nextRunTime: T0 + 1 }), { replaceExisting: false });
        await first.addRun('due', { runId: 'due@1', scheduledRunTime: T0, notBefore: T0 });
        await first.addRun('due', { runId: 'due@2', scheduledRunTime: T0 + 1, notBefore: T0 + 1, manual: true });
        expect((await first.claimDueRuns('owner-a', T0, 1)).map((c) => c.run.runId)).toEqual(['due@1']);
        expect((await second.acquireDueJobs('owner-b', T0 + 1, 10)).map((j) => j.id).sort()).toEqual(['due', 'held']);

        const seen = await second.inspect();
        expect(seen.jobs).toEqual({ total: 3, paused: 1 });
        expect(seen.runs).toEqual({ pending: 1, running: 1 });
        expect(seen.leases.map(({ kind, jobId, runId, owner }) => ({ kind, jobId, runId, owner })).sort((a, b) => `${a.kind}${a.jobId}`.localeCompare(`${b.kind}${b.jobId}`))).toEqual([
          { kind: 'job', jobId: 'due', runId: null, owner: 'owner-b' },
          { kind: 'job', jobId: 'held', runId: null, owner: 'owner-b' },
          { kind: 'run', jobId: 'due', runId: 'due@1', owner: 'owner-a' },
        ]);
        expect(seen.leases.every((l) => l.expiresAt > seen.leaseNow)).toBe(true);
        expect(seen.leases.map((l) => l.expiresAt)).toEqual([...seen.leases.map((l) => l.expiresAt)].sort((a, b) => a - b));
        expect((await second.inspect({ limit: 1 })).leases).toHaveLength(1);

        await h.expire();
        const later = await first.inspect();
        expect(later.leases).toHaveLength(3);
        expect(later.leases.every((l) => l.expiresAt <= later.leaseNow)).toBe(true);
      } finally {
        await first.close();
        await second.close();
        await h.cleanup();
      }
    });
  });
}

describeInspect('SQLiteJobStore', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kairos-inspect-'));
  const file = path.join(dir, 'jobs.sqlite');
  let leaseNow = Date.now();
  return {
    make: () => new SQLiteJobStore({ path: file, leaseDuration: 30_000, leaseClock: () => leaseNow }),
    latest: SQLITE_LATEST,
    leaseClock: 'host',
    expire: async () => {
      leaseNow += 30_000;
    },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('PostgreSQL', () => {
  const db = useFileDatabase('inspect');
  let schemas = 0;

  describeInspect('PostgresJobStore', async () => {
    const schema = `inspect_${++schemas}`;
    return {
      make: () => new PostgresJobStore({ connectionString: db.url }, { schema, leaseDuration: 30_000 }),
      latest: PG_LATEST,
      leaseClock: 'database',
      expire: async () => {
        await db.admin.query(`UPDATE "${schema}".runs SET lease_expires_at = lease_expires_at - interval '31 seconds' WHERE state = 'running'`);
        await db.admin.query(`UPDATE "${schema}".jobs SET acquired_until = acquired_until - interval '31 seconds' WHERE acquired_by IS NOT NULL`);
      },
      cleanup: async () => {},
    };
  });
});
