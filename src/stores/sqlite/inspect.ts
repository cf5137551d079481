/**
 * The SQLite store's answer to `JobStore.inspect` (`kairos doctor`): schema version, counts and
 * leases, read in one snapshot. Reads only; live runs are named by state literally, as in
 * queries.ts, so the partial indexes serve them.
 * @module
 */
import type { Database } from 'better-sqlite3';
import type { LeaseInfo, StoreCounts, StoreInspection } from '../job-store.js';

const SUMMARY = `
  SELECT
    (SELECT MAX(version) FROM kairos_migrations) AS version,
    (SELECT COUNT(*) FROM kairos_jobs) AS jobs,
    (SELECT COUNT(*) FROM kairos_jobs WHERE next_run_time IS NULL AND exhausted = 0) AS paused,
    (SELECT COUNT(*) FROM kairos_runs WHERE state = 'pending') AS pending,
    (SELECT COUNT(*) FROM kairos_runs WHERE state = 'running') AS running,
    (SELECT COUNT(*) FROM kairos_run_history) AS historyEntries,
    (SELECT MIN(finished_at) FROM kairos_run_history) AS oldestFinishedAt,
    (SELECT MAX(finished_at) FROM kairos_run_history) AS newestFinishedAt`;

const LEASES = `
  SELECT 'job' AS kind, id AS jobId, NULL AS runId, acquired_by AS owner, acquired_until AS expiresAt
    FROM kairos_jobs WHERE acquired_by IS NOT NULL
  UNION ALL
  SELECT 'run', job_id, run_id, owner, lease_expires_at FROM kairos_runs WHERE state = 'running'
  ORDER BY expiresAt, jobId, runId
  LIMIT ?`;

// Monitoring (JobStore.getCounts, at every scrape): COUNT(*) of the jobs reads the narrowest index
// and no row, and retries are found through the partial index of pending runs.
const COUNTS = `
  SELECT
    (SELECT COUNT(*) FROM kairos_jobs) AS jobs,
    (SELECT COUNT(*) FROM kairos_runs WHERE state = 'pending' AND attempt > 1) AS pendingRetries`;

/** See `JobStore.getCounts`. */
export function countDatabase(db: Database): StoreCounts {
  return db.prepare(COUNTS).get() as StoreCounts;
}

/** The parts of the inspection the database holds, read in one transaction. */
export function inspectDatabase(db: Database, limit: number): Pick<StoreInspection, 'schemaVersion' | 'jobs' | 'runs' | 'leases' | 'history'> {
  return db.transaction(() => {
    const s = db.prepare(SUMMARY).get() as {
      version: number | null;
      jobs: number;
      paused: number;
      pending: number;
      running: number;
      historyEntries: number;
      oldestFinishedAt: number | null;
      newestFinishedAt: number | null;
    };
    const leases = db.prepare(LEASES).all(limit) as LeaseInfo[];
    return {
      schemaVersion: s.version ?? 0,
      jobs: { total: s.jobs, paused: s.paused },
      runs: { pending: s.pending, running: s.running },
      leases,
      history: { entries: s.historyEntries, oldestFinishedAt: s.oldestFinishedAt, newestFinishedAt: s.newestFinishedAt },
    };
  })();
}
