/**
 * Every statement of the SQLite store, as SQL text (`SQL`, which the query-plan tests read) and
 * as named functions over statements prepared once per connection (`prepareQueries`), which
 * return the store contract's records where they read whole jobs or runs. Callers provide the
 * transaction: these functions only run statements.
 *
 * Queries of live runs always say `state = 'pending'`, `state = 'running'` or
 * `state IN ('pending', 'running')` literally: that is what lets SQLite use the partial indexes
 * of migration 1, and what keeps future history rows out of the hot paths.
 * @module
 */
import type { Database, Statement } from 'better-sqlite3';
import type { RunHistoryQuery } from '../history.js';
import type { JobRecord, RunRecord } from '../job-store.js';
import { JOB_COLUMNS, RUN_COLUMNS, jobFromValues, runFromValues, type HistoryRow, type JobRow, type JobValues } from './rows.js';

/** The minima `selectWakeTimes` reads (epoch ms; schedule clock for the first four, lease clock for the rest). */
export interface WakeTimeRow {
  freeJob: number | null;
  pendingRun: number | null;
  expiredJob: number | null;
  expiredRun: number | null;
  heldJobUntil: number | null;
  heldRunUntil: number | null;
}

const JOB_INSERT = `INSERT INTO kairos_jobs (${JOB_COLUMNS.join(', ')}) VALUES (${JOB_COLUMNS.map(() => '?').join(', ')})`;
/** Every column a job record determines but the id, with its value taken from `source.` (`excluded.` in an upsert) or a `?`. */
const jobSet = (source: string | null): string =>
  JOB_COLUMNS.slice(1).map((c) => `${c} = ${source === null ? '?' : `${source}.${c}`}`).join(', ');

/** The columns of a job record (read in raw mode: see `jobFromValues`). */
const JOB_SELECT = JOB_COLUMNS.join(', ');
/**
 * A run's and its job's columns, for claimDueRuns: one statement a batch rather than one more per
 * run. The job's are NULL when the job is gone.
 */
const RUN_WITH_JOB =
  `${RUN_COLUMNS.map((c) => `kairos_runs.${c}`).join(', ')}, ${JOB_COLUMNS.map((c) => `kairos_jobs.${c}`).join(', ')} ` +
  'FROM kairos_runs LEFT JOIN kairos_jobs ON kairos_jobs.id = kairos_runs.job_id';

const HISTORY_COLUMNS = [
  'run_id', 'job_id', 'scheduled_run_time', 'last_scheduled_run_time', 'missed_count', 'attempt', 'started_at', 'finished_at',
  'outcome', 'error_name', 'error_message', 'error_stack', 'result', 'result_truncated',
] as const satisfies ReadonlyArray<keyof HistoryRow>;
const HISTORY_RANGE = 'finished_at >= @since AND (finished_at, seq) < (@beforeAt, @beforeSeq)';
const HISTORY_ORDER = 'ORDER BY finished_at DESC, seq DESC LIMIT @limit';

/** The SQL of each named query. */
export const SQL = {
  // ------------------------------------------------------------------- jobs
  insertJob: JOB_INSERT,
  /** Replaces every field and drops any acquisition: a holder's later release is then ignored. */
  replaceJob:
    `${JOB_INSERT} ON CONFLICT (id) DO UPDATE SET ${jobSet('excluded')}, acquired_by = NULL, acquired_until = NULL`,
  selectJob: `SELECT ${JOB_SELECT} FROM kairos_jobs WHERE id = ?`,
  jobExists: 'SELECT 1 FROM kairos_jobs WHERE id = ?',
  /** What releaseJobs needs of a job: who holds it, and its maxInstances (not its JSON columns). */
  selectJobHold: 'SELECT acquired_by, max_instances FROM kairos_jobs WHERE id = ?',
  selectJobs: `SELECT ${JOB_SELECT} FROM kairos_jobs ORDER BY next_run_time IS NULL, next_run_time, id`,
  // Clearing the acquisition makes the release of a plan made before the change a no-op.
  /** The values of every column but the id, then the id. */
  updateJob: `UPDATE kairos_jobs SET ${jobSet(null)}, acquired_by = NULL, acquired_until = NULL WHERE id = ?`,
  deleteJob: 'DELETE FROM kairos_jobs WHERE id = ?',
  deleteAllJobs: 'DELETE FROM kairos_jobs',
  /** Due jobs nobody holds, oldest first: a range scan of kairos_jobs_due. */
  selectDueJobs:
    `SELECT ${JOB_SELECT} FROM kairos_jobs WHERE next_run_time IS NOT NULL AND acquired_by IS NULL AND next_run_time <= @now ` +
    'ORDER BY next_run_time, id LIMIT @limit',
  /** Due jobs whose acquisition expired (its holder died): a range scan of kairos_jobs_acquired. */
  selectExpiredAcquisitions:
    `SELECT ${JOB_SELECT} FROM kairos_jobs WHERE acquired_by IS NOT NULL AND acquired_until <= @leaseNow AND next_run_time <= @now ` +
    'ORDER BY next_run_time, id LIMIT @limit',
  acquireJob: 'UPDATE kairos_jobs SET acquired_by = @owner, acquired_until = @until WHERE id = @id',
  releaseJob:
    'UPDATE kairos_jobs SET next_run_time = @nextRunTime, exhausted = @exhausted, acquired_by = NULL, acquired_until = NULL WHERE id = @id',
  /**
   * The parts of JobStore.getWakeTimes, each one seek or a short range scan of a partial index:
   * work due (free jobs, pending runs, and the work of leases already expired), and the earliest
   * lease another owner holds (kairos_jobs_acquired, kairos_runs_leases), whose expiry frees work.
   */
  selectWakeTimes: `
    SELECT
      (SELECT MIN(next_run_time) FROM kairos_jobs WHERE next_run_time IS NOT NULL AND acquired_by IS NULL) AS freeJob,
      (SELECT MIN(not_before) FROM kairos_runs WHERE state = 'pending') AS pendingRun,
      (SELECT MIN(next_run_time) FROM kairos_jobs
        WHERE acquired_by IS NOT NULL AND acquired_until <= @leaseNow AND next_run_time IS NOT NULL) AS expiredJob,
      (SELECT MIN(not_before) FROM kairos_runs WHERE state = 'running' AND lease_expires_at <= @leaseNow) AS expiredRun,
      (SELECT acquired_until FROM kairos_jobs
        WHERE acquired_by IS NOT NULL AND acquired_until > @leaseNow AND acquired_by <> @owner AND next_run_time IS NOT NULL
        ORDER BY acquired_until LIMIT 1) AS heldJobUntil,
      (SELECT lease_expires_at FROM kairos_runs
        WHERE state = 'running' AND lease_expires_at > @leaseNow AND owner <> @owner
        ORDER BY lease_expires_at LIMIT 1) AS heldRunUntil`,

  // ------------------------------------------------------------------- runs
  /** A run id that exists already is skipped (no error, no change): see `JobStore`. */
  insertRun:
    'INSERT INTO kairos_runs (run_id, job_id, scheduled_run_time, attempt, not_before, state, manual, created_at) ' +
    "VALUES (@runId, @jobId, @scheduledRunTime, @attempt, @notBefore, 'pending', @manual, @createdAt) ON CONFLICT (run_id) DO NOTHING",
  runExists: 'SELECT 1 FROM kairos_runs WHERE run_id = ?',
  /** What completeRun needs: the run's claim, and whether its job exists and is exhausted (`exhausted` NULL: the job is gone). */
  selectRunToComplete:
    'SELECT kairos_runs.job_id, kairos_runs.claim_token, kairos_jobs.exhausted FROM kairos_runs ' +
    'LEFT JOIN kairos_jobs ON kairos_jobs.id = kairos_runs.job_id WHERE kairos_runs.run_id = ?',
  selectRuns:
    `SELECT ${RUN_COLUMNS.join(', ')} FROM kairos_runs WHERE job_id = ? AND state IN ('pending', 'running') ORDER BY scheduled_run_time, attempt, run_id`,
  /** Runs that count toward maxInstances: live and not started by runJob. */
  countScheduledRuns: "SELECT COUNT(*) FROM kairos_runs WHERE job_id = ? AND state IN ('pending', 'running') AND manual = 0",
  countLiveRuns: "SELECT COUNT(*) FROM kairos_runs WHERE job_id = ? AND state IN ('pending', 'running')",
  /**
   * Pending runs that may start, oldest notBefore first: a range scan of kairos_runs_pending, each
   * with its job's columns (all NULL when the job is gone; the two tables share no column name).
   */
  selectPendingRuns:
    `SELECT ${RUN_WITH_JOB} WHERE state = 'pending' AND not_before <= @now ORDER BY not_before, run_id LIMIT @limit`,
  /** Runs in flight whose lease ran out, with their jobs' columns: a range scan of kairos_runs_leases. */
  selectExpiredLeases:
    `SELECT ${RUN_WITH_JOB} WHERE state = 'running' AND lease_expires_at <= @leaseNow ORDER BY not_before, run_id LIMIT @limit`,
  claimRun:
    "UPDATE kairos_runs SET state = 'running', owner = @owner, claim_token = @claimToken, lease_expires_at = @until, " +
    'attempt = attempt + @attemptIncrement WHERE run_id = @runId',
  renewLease:
    "UPDATE kairos_runs SET lease_expires_at = @until WHERE run_id = @runId AND state = 'running' AND owner = @owner AND claim_token = @claimToken",
  retryRun:
    "UPDATE kairos_runs SET state = 'pending', owner = NULL, claim_token = NULL, lease_expires_at = NULL, attempt = @attempt, " +
    'not_before = @notBefore WHERE run_id = @runId',
  deleteRun: 'DELETE FROM kairos_runs WHERE run_id = ?',
  /** The first state term selects the index of a job's live runs (SQLite does not infer it from the second). */
  deletePendingRuns: "DELETE FROM kairos_runs WHERE job_id = ? AND state IN ('pending', 'running') AND state = 'pending'",
  deleteAllPendingRuns: "DELETE FROM kairos_runs WHERE state = 'pending'",

  // ------------------------------------------------------------ run history
  insertHistory: `INSERT INTO kairos_run_history (${HISTORY_COLUMNS.join(', ')}) VALUES (${HISTORY_COLUMNS.map((c) => `@${c}`).join(', ')})`,
  /**
   * Newest first, each a seek into one index read backwards (no sort): over every job
   * (kairos_run_history_finished), of one job (kairos_run_history_job, with any outcome filtered
   * among that job's kept rows: `+outcome` keeps the outcome index out), of one outcome
   * (kairos_run_history_outcome). `(finished_at, seq) < (…)` is the cursor, a row-value range.
   */
  selectHistory: `SELECT * FROM kairos_run_history WHERE ${HISTORY_RANGE} ${HISTORY_ORDER}`,
  selectHistoryOfJob: `SELECT * FROM kairos_run_history WHERE job_id = @jobId AND ${HISTORY_RANGE} ${HISTORY_ORDER}`,
  selectHistoryOfJobOutcome: `SELECT * FROM kairos_run_history WHERE job_id = @jobId AND +outcome = @outcome AND ${HISTORY_RANGE} ${HISTORY_ORDER}`,
  selectHistoryOfOutcome: `SELECT * FROM kairos_run_history WHERE outcome = @outcome AND ${HISTORY_RANGE} ${HISTORY_ORDER}`,
  /** Retention per job: its rows beyond the `keep` newest, at most `limit`, found through its index. */
  deleteHistoryBeyond:
    'DELETE FROM kairos_run_history WHERE seq IN (SELECT seq FROM kairos_run_history WHERE job_id = @jobId ' +
    'ORDER BY finished_at DESC, seq DESC LIMIT @limit OFFSET @keep)',
  /** Retention by age: the oldest rows finished before `cutoff`, at most `limit`. */
  deleteHistoryBefore:
    'DELETE FROM kairos_run_history WHERE seq IN (SELECT seq FROM kairos_run_history WHERE finished_at < @cutoff ' +
    'ORDER BY finished_at, seq LIMIT @limit)',

  // ----------------------------------------------------------------- change
  /** Changes when another connection commits (not on this connection's own writes). */
  dataVersion: 'PRAGMA data_version',
} as const;

/** A live run and its job, `null` when the job is gone. */
export interface RunWithJob {
  run: RunRecord;
  job: JobRecord | null;
}

function runWithJob(v: unknown[]): RunWithJob {
  return { run: runFromValues(v), job: v[RUN_COLUMNS.length] === null ? null : jobFromValues(v, RUN_COLUMNS.length) };
}

/** The name of a query in {@link SQL}. */
export type QueryName = keyof typeof SQL;

/** The store's queries as named functions over statements prepared on `db`. */
export function prepareQueries(db: Database) {
  const st = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Record<QueryName, Statement>;
  for (const name of ['countScheduledRuns', 'countLiveRuns', 'dataVersion', 'runExists', 'jobExists'] as const) st[name].pluck();
  for (const name of ['selectJob', 'selectJobs', 'selectDueJobs', 'selectExpiredAcquisitions', 'selectRuns', 'selectPendingRuns', 'selectExpiredLeases'] as const) {
    st[name].raw();
  }
  const jobs = (rows: unknown[]): JobRecord[] => (rows as unknown[][]).map((v) => jobFromValues(v));

  return {
    insertJob: (values: JobValues): void => void st.insertJob.run(values),
    replaceJob: (values: JobValues): void => void st.replaceJob.run(values),
    selectJob: (id: string): JobRecord | undefined => {
      const v = st.selectJob.get(id) as unknown[] | undefined;
      return v === undefined ? undefined : jobFromValues(v);
    },
    jobExists: (id: string): boolean => st.jobExists.get(id) !== undefined,
    selectJobHold: (id: string) => st.selectJobHold.get(id) as Pick<JobRow, 'acquired_by' | 'max_instances'> | undefined,
    selectJobs: () => jobs(st.selectJobs.all()),
    updateJob: ([id, ...rest]: JobValues): void => void st.updateJob.run(rest, id),
    deleteJob: (id: string): void => void st.deleteJob.run(id),
    deleteAllJobs: (): void => void st.deleteAllJobs.run(),
    selectDueJobs: (now: number, limit: number) => jobs(st.selectDueJobs.all({ now, limit })),
    selectExpiredAcquisitions: (leaseNow: number, now: number, limit: number) => jobs(st.selectExpiredAcquisitions.all({ leaseNow, now, limit })),
    acquireJob: (id: string, owner: string, until: number): void => void st.acquireJob.run({ id, owner, until }),
    releaseJob: (id: string, nextRunTime: number | null, exhausted: boolean): void =>
      void st.releaseJob.run({ id, nextRunTime, exhausted: exhausted ? 1 : 0 }),
    selectWakeTimes: (owner: string, leaseNow: number) => st.selectWakeTimes.get({ owner, leaseNow }) as WakeTimeRow,

    /** False when a run of that id exists already (nothing is written). */
    insertRun: (run: { runId: string; jobId: string; scheduledRunTime: number; attempt: number; notBefore: number; manual: boolean; createdAt: number }): boolean =>
      st.insertRun.run({ ...run, manual: run.manual ? 1 : 0 }).changes === 1,
    runExists: (runId: string): boolean => st.runExists.get(runId) !== undefined,
    selectRunToComplete: (runId: string) =>
      st.selectRunToComplete.get(runId) as { job_id: string; claim_token: string | null; exhausted: number | null } | undefined,
    selectRuns: (jobId: string) => (st.selectRuns.all(jobId) as unknown[][]).map(runFromValues),
    countScheduledRuns: (jobId: string) => st.countScheduledRuns.get(jobId) as number,
    countLiveRuns: (jobId: string) => st.countLiveRuns.get(jobId) as number,
    selectPendingRuns: (now: number, limit: number) => (st.selectPendingRuns.all({ now, limit }) as unknown[][]).map(runWithJob),
    selectExpiredLeases: (leaseNow: number, limit: number) => (st.selectExpiredLeases.all({ leaseNow, limit }) as unknown[][]).map(runWithJob),
    claimRun: (runId: string, owner: string, claimToken: string, until: number, takenOver: boolean): void =>
      void st.claimRun.run({ runId, owner, claimToken, until, attemptIncrement: takenOver ? 1 : 0 }),
    /** True when the lease was still this owner's (with this token) and was extended. */
    renewLease: (runId: string, owner: string, claimToken: string, until: number): boolean =>
      st.renewLease.run({ runId, owner, claimToken, until }).changes === 1,
    retryRun: (runId: string, attempt: number, notBefore: number): void => void st.retryRun.run({ runId, attempt, notBefore }),
    deleteRun: (runId: string): void => void st.deleteRun.run(runId),
    deletePendingRuns: (jobId: string): void => void st.deletePendingRuns.run(jobId),
    deleteAllPendingRuns: (): void => void st.deleteAllPendingRuns.run(),

    insertHistory: (row: Omit<HistoryRow, 'seq'>): void => void st.insertHistory.run(row),
    /** See `SQL.selectHistory…`: the statement is picked by which filters are given. */
    selectHistory: (q: RunHistoryQuery) => {
      const stmt = q.jobId !== undefined
        ? (q.outcome !== undefined ? st.selectHistoryOfJobOutcome : st.selectHistoryOfJob)
        : (q.outcome !== undefined ? st.selectHistoryOfOutcome : st.selectHistory);
      return stmt.all({
        ...(q.jobId !== undefined ? { jobId: q.jobId } : {}),
        ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
        since: q.since ?? Number.MIN_SAFE_INTEGER,
        beforeAt: q.before?.finishedAt ?? Number.MAX_SAFE_INTEGER,
        beforeSeq: q.before?.seq ?? Number.MAX_SAFE_INTEGER,
        limit: q.limit,
      }) as HistoryRow[];
    },
    /** Returns how many rows were deleted. */
    deleteHistoryBeyond: (jobId: string, keep: number, limit: number): number => st.deleteHistoryBeyond.run({ jobId, keep, limit }).changes,
    deleteHistoryBefore: (cutoff: number, limit: number): number => st.deleteHistoryBefore.run({ cutoff, limit }).changes,

    dataVersion: () => st.dataVersion.get() as number,
  };
}

/** The prepared queries of one connection. */
export type Queries = ReturnType<typeof prepareQueries>;
