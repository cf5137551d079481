/**
 * The SQLite store's schema: migrations (version table, concurrent openers) and the query plans
 * that keep it fast at a million stored jobs. Plans are asserted, never timings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_VERSION, MIGRATIONS, migrate } from '../../src/stores/sqlite/migrations.js';
import { SQL, type QueryName } from '../../src/stores/sqlite/queries.js';
import { SQLiteJobStore } from '../../src/stores/sqlite/index.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const open = { name: 'default', logger: silent };
let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kairos-sqlite-schema-'));
  file = path.join(dir, 'jobs.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('migrations', () => {
  it('records each applied version once; reopening applies nothing', async () => {
    const store = new SQLiteJobStore({ path: file });
    await store.open(open);
    await store.close();
    const db = new Database(file);
    try {
      expect(db.prepare('SELECT version, name FROM kairos_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      expect(migrate(db)).toEqual([]);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('a migrator that finds its version claimed by another connection treats it as applied', async () => {
    // Connection A claims version 1 and holds the write lock; B opens meanwhile and must wait
    // (SQLITE_BUSY, retried), then find the version taken and succeed without re-running it.
    const a = new Database(file);
    a.exec('CREATE TABLE kairos_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    a.exec('BEGIN IMMEDIATE');
    a.prepare('INSERT INTO kairos_migrations VALUES (1, ?, 0)').run(MIGRATIONS[0]!.name);
    a.exec(MIGRATIONS[0]!.up);
    const b = new SQLiteJobStore({ path: file, busyTimeout: 10 });
    let opened = false;
    const opening = b.open(open).then(() => (opened = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(opened).toBe(false);
    a.exec('COMMIT');
    await opening;
    const { jobs } = a.prepare("SELECT COUNT(*) AS jobs FROM sqlite_schema WHERE name = 'kairos_jobs'").get() as { jobs: number };
    expect(jobs).toBe(1);
    await b.close();
    a.close();
  });

  it('upgrading a file made by the previous schema (version 1) adds run history and keeps its jobs and runs', async () => {
    const T0 = Date.parse('2026-01-01T00:00:00Z');
    const db = new Database(file);
    try {
      expect(migrate(db, MIGRATIONS.filter((m) => m.version === 1))).toEqual([1]);
      db.exec(`
        INSERT INTO kairos_jobs (id, name, task_id, trigger, args, next_run_time, exhausted, misfire_grace_time, coalesce, max_instances, jitter, executor, timeout, retry)
        VALUES ('old', 'old', 'task', '{"kind":"interval","options":{"minutes":1}}', '[1]', ${T0}, 0, NULL, 1, 1, 0, 'default', NULL, NULL);
        INSERT INTO kairos_runs (run_id, job_id, scheduled_run_time, attempt, not_before, state, manual, created_at)
        VALUES ('old@1', 'old', ${T0}, 2, ${T0 + 5000}, 'pending', 0, 0);`);
    } finally {
      db.close();
    }
    const store = new SQLiteJobStore({ path: file });
    await store.open(open);
    try {
      expect(await store.getJob('old')).toMatchObject({ id: 'old', args: [1], nextRunTime: T0 });
      expect((await store.getLiveRuns('old')).map((r) => [r.runId, r.attempt, r.notBefore])).toEqual([['old@1', 2, T0 + 5000]]);
      await store.recordRuns([{
        runId: 'old@0', jobId: 'old', scheduledRunTime: T0, lastScheduledRunTime: null, missedCount: null, attempt: 1,
        startedAt: T0, finishedAt: T0 + 10, outcome: 'succeeded', error: null, result: 'ok',
      }]);
      expect((await store.getRunHistory({ jobId: 'old', limit: 10 })).map((r) => [r.runId, r.result])).toEqual([['old@0', '"ok"']]);
      expect((await store.inspect()).schemaVersion).toBe(LATEST_VERSION);
    } finally {
      await store.close();
    }
  });

  it('refuses a file migrated by a newer kairos', async () => {
    const db = new Database(file);
    migrate(db);
    db.prepare('INSERT INTO kairos_migrations VALUES (?, ?, 0)').run(LATEST_VERSION + 1, 'from the future');
    db.close();
    await expect(new SQLiteJobStore({ path: file }).open(open)).rejects.toThrow(/newer than this kairos knows.*upgrade kairos/);
  });
});

/** Bind values for EXPLAIN: 0 for every named parameter, 'x' for every `?`. */
function explain(db: Database.Database, sql: string): string[] {
  const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const names = [...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!);
  const rows = (names.length > 0
    ? stmt.all(Object.fromEntries(names.map((n) => [n, 0])))
    : stmt.all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 'x'))) as Array<{ detail: string }>;
  return rows.map((r) => r.detail);
}

/** Queries allowed to visit every row: they list or delete everything, or insert. */
const WHOLE_TABLE: ReadonlySet<QueryName> = new Set(['selectJobs', 'deleteAllJobs', 'deleteAllPendingRuns', 'insertJob', 'replaceJob', 'insertRun', 'dataVersion']);

/** The index each hot query must search. */
const HOT: Partial<Record<QueryName, RegExp[]>> = {
  selectDueJobs: [/^SEARCH kairos_jobs USING INDEX kairos_jobs_due \(next_run_time>\? AND next_run_time<\?\)$/],
  selectExpiredAcquisitions: [/^SEARCH kairos_jobs USING INDEX kairos_jobs_acquired \(acquired_until<\?\)$/],
  selectWakeTimes: [
    /^SEARCH kairos_jobs USING (COVERING )?INDEX kairos_jobs_due/, /^SEARCH kairos_runs USING (COVERING )?INDEX kairos_runs_pending/,
    /^SEARCH kairos_jobs USING INDEX kairos_jobs_acquired \(acquired_until<\?\)$/, /^SEARCH kairos_jobs USING INDEX kairos_jobs_acquired \(acquired_until>\?\)$/,
    /^SEARCH kairos_runs USING INDEX kairos_runs_leases \(lease_expires_at<\?\)$/, /^SEARCH kairos_runs USING INDEX kairos_runs_leases \(lease_expires_at>\?\)$/,
  ],
  selectPendingRuns: [/^SEARCH kairos_runs USING INDEX kairos_runs_pending \(not_before<\?\)$/],
  selectExpiredLeases: [/^SEARCH kairos_runs USING INDEX kairos_runs_leases \(lease_expires_at<\?\)$/],
  countScheduledRuns: [/^SEARCH kairos_runs USING INDEX kairos_runs_live_by_job \(job_id=\?\)$/],
  deletePendingRuns: [/^SEARCH kairos_runs USING INDEX kairos_runs_live_by_job \(job_id=\?\)$/],
  // Run history: each read is a seek into one index, in its order; retention walks an index.
  selectHistory: [/^SEARCH kairos_run_history USING INDEX kairos_run_history_finished /],
  selectHistoryOfJob: [/^SEARCH kairos_run_history USING INDEX kairos_run_history_job \(job_id=\? /],
  selectHistoryOfJobOutcome: [/^SEARCH kairos_run_history USING INDEX kairos_run_history_job \(job_id=\? /],
  selectHistoryOfOutcome: [/^SEARCH kairos_run_history USING INDEX kairos_run_history_outcome \(outcome=\? /],
  deleteHistoryBeyond: [/^SEARCH kairos_run_history USING COVERING INDEX kairos_run_history_job \(job_id=\?\)$/],
  deleteHistoryBefore: [/^SEARCH kairos_run_history USING COVERING INDEX kairos_run_history_finished \(finished_at<\?\)$/],
};

describe('at 1,000,000 stored jobs', () => {
  it('every query but the listing ones is an index search, and the store still answers correctly', { timeout: 120_000 }, async () => {
    const T0 = Date.parse('2026-01-01T00:00:00Z');
    const store = new SQLiteJobStore({ path: file });
    await store.open(open);
    const db = new Database(file);
    db.pragma('cache_size = -262144'); // 256 MiB, so the bulk insert does not thrash the index pages
    try {
      // One transaction of generated rows: fire times one second apart in id order (so the insert
      // appends to every index and stays quick), one job in ten paused, and 10,000 pending runs.
      db.transaction(() => {
        db.exec(`
          WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
          INSERT INTO kairos_jobs (id, name, task_id, trigger, args, next_run_time, exhausted, misfire_grace_time,
                                   coalesce, max_instances, jitter, executor, timeout, retry)
          SELECT printf('job-%07d', i), 'bulk', 'task', '{"kind":"interval","options":{"seconds":1}}', '[]',
                 CASE WHEN i % 10 = 0 THEN NULL ELSE ${T0} + i * 1000 END,
                 0, NULL, 1, 1, 0, 'default', NULL, NULL
          FROM n`);
        db.exec(`
          WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
          INSERT INTO kairos_runs (run_id, job_id, scheduled_run_time, attempt, not_before, state, manual, created_at)
          SELECT printf('job-%07d@%d', i * 97, i), printf('job-%07d', i * 97), ${T0}, 1, ${T0} + 500 + i * 1000, 'pending', 0, 0
          FROM n`);
      }).immediate();
      expect(db.prepare('SELECT COUNT(*) FROM kairos_jobs').pluck().get()).toBe(1_000_000);

      for (const [name, sql] of Object.entries(SQL) as Array<[QueryName, string]>) {
        if (WHOLE_TABLE.has(name)) continue;
        const plan = explain(db, sql);
        expect(plan.filter((step) => /^SCAN kairos_/.test(step)), `${name}: ${plan.join(' | ')}`).toEqual([]);
        for (const pattern of HOT[name] ?? []) expect(plan.some((step) => pattern.test(step)), `${name}: ${plan.join(' | ')}`).toBe(true);
      }
      // Due jobs come in index order: no sort step, so a LIMIT stops the scan early.
      expect(explain(db, SQL.selectDueJobs).join(' ')).not.toMatch(/TEMP B-TREE/);
      expect(explain(db, SQL.selectPendingRuns).join(' ')).not.toMatch(/TEMP B-TREE/);
      for (const name of ['selectHistory', 'selectHistoryOfJob', 'selectHistoryOfJobOutcome', 'selectHistoryOfOutcome', 'deleteHistoryBeyond', 'deleteHistoryBefore'] as const) {
        expect(explain(db, SQL[name]).join(' '), name).not.toMatch(/TEMP B-TREE/);
      }

      expect((await store.getWakeTimes('me')).dueAt).toBe(T0 + 1000);
      const acquired = await store.acquireDueJobs('me', T0 + 6000, 100);
      expect(acquired.map((j) => j.nextRunTime)).toEqual([T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000, T0 + 5000, T0 + 6000]);
      const results = await store.releaseJobs('me', acquired.map((j) => ({
        jobId: j.id, nextRunTime: j.nextRunTime! + 1_000_000_000, exhausted: false,
        runs: [{ runId: `${j.id}@${j.nextRunTime}`, scheduledRunTime: j.nextRunTime!, notBefore: j.nextRunTime! }],
      })));
      expect(results.every((r) => r.created.length === 1)).toBe(true);
      const claimed = await store.claimDueRuns('me', T0 + 6000, 100);
      // 5 pending runs of the bulk insert (not_before T0+1500 … T0+5500) and the 6 just created.
      expect(claimed).toHaveLength(11);
      for (const c of claimed) await store.completeRun(c.run.runId, c.run.claimToken!, { status: 'succeeded' });
      expect((await store.getWakeTimes('me')).dueAt).toBe(T0 + 6500);
    } finally {
      db.close();
      await store.close();
    }
  });
});
