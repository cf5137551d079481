/**
 * The PostgreSQL store's answer to `JobStore.inspect` (`kairos doctor`): schema version, counts
 * and leases in one statement, with the server's `now()` they are judged by (which is also what
 * `kairos doctor` compares with this host's clock). Reads only.
 * @module
 */
import type { LeaseInfo, StoreCounts, StoreInspection } from '../job-store.js';
import type { Names } from './names.js';
import { TYPE_PARSERS } from './rows.js';
import type { Queryable } from './queries.js';

interface InspectRow {
  version: number | null;
  lease_now: number;
  jobs: number;
  paused: number;
  pending: number;
  running: number;
  history_entries: number;
  oldest_finished_at: number | null;
  newest_finished_at: number | null;
  leases: Array<{ kind: 'job' | 'run'; job_id: string; run_id: string | null; owner: string; expires_at: number }> | null;
}

const ms = (column: string): string => `(extract(epoch FROM ${column}) * 1000)::float8`;

/**
 * See `JobStore.getCounts` (monitoring, at every scrape): count(*) of the jobs (an index-only scan
 * where the visibility map allows, no row decoded), and the retries among the pending runs.
 */
export async function countDatabase(db: Queryable, n: Names): Promise<StoreCounts> {
  const text = `
    SELECT
      (SELECT count(*) FROM ${n.jobs}) AS jobs,
      (SELECT count(*) FROM ${n.runs} WHERE state = 'pending' AND attempt > 1) AS pending_retries`;
  const { rows } = await db.query<{ jobs: number; pending_retries: number }>({ text, types: TYPE_PARSERS });
  return { jobs: rows[0]!.jobs, pendingRetries: rows[0]!.pending_retries };
}

/** `limit`: most leases listed, `null` for all. */
export async function inspectDatabase(db: Queryable, n: Names, limit: number | null): Promise<Pick<StoreInspection, 'schemaVersion' | 'leaseNow' | 'jobs' | 'runs' | 'leases' | 'history'>> {
  const text = `
    SELECT
      (SELECT max(version) FROM ${n.migrations}) AS version,
      ${ms('now()')} AS lease_now,
      (SELECT count(*) FROM ${n.jobs}) AS jobs,
      (SELECT count(*) FROM ${n.jobs} WHERE next_run_time IS NULL AND NOT exhausted) AS paused,
      (SELECT count(*) FROM ${n.runs} WHERE state = 'pending') AS pending,
      (SELECT count(*) FROM ${n.runs} WHERE state = 'running') AS running,
      (SELECT count(*) FROM ${n.runHistory}) AS history_entries,
      (SELECT min(finished_at) FROM ${n.runHistory}) AS oldest_finished_at,
      (SELECT max(finished_at) FROM ${n.runHistory}) AS newest_finished_at,
      (SELECT json_agg(l) FROM (
        SELECT * FROM (
          SELECT 'job' AS kind, id AS job_id, NULL::text AS run_id, acquired_by AS owner, ${ms('acquired_until')} AS expires_at
            FROM ${n.jobs} WHERE acquired_by IS NOT NULL
          UNION ALL
          SELECT 'run', job_id, run_id, owner, ${ms('lease_expires_at')} FROM ${n.runs} WHERE state = 'running'
        ) u ORDER BY expires_at, job_id, run_id LIMIT $1
      ) l) AS leases`;
  const { rows } = await db.query<InspectRow>({ text, values: [limit], types: TYPE_PARSERS });
  const r = rows[0]!;
  const leases: LeaseInfo[] = (r.leases ?? []).map((l) => ({ kind: l.kind, jobId: l.job_id, runId: l.run_id, owner: l.owner, expiresAt: l.expires_at }));
  return {
    schemaVersion: r.version ?? 0,
    leaseNow: r.lease_now,
    jobs: { total: r.jobs, paused: r.paused },
    runs: { pending: r.pending, running: r.running },
    leases,
    history: { entries: r.history_entries, oldestFinishedAt: r.oldest_finished_at, newestFinishedAt: r.newest_finished_at },
  };
}
