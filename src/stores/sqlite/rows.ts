/**
 * Rows of the SQLite store's tables and their conversion to and from the store contract's
 * records. Booleans are stored as 0/1, times as epoch ms, trigger/args/retry as JSON text.
 * @module
 */
import type { PreparedRunHistory, RunHistoryOutcome, StoredRunHistoryRecord } from '../history.js';
import type { JobRecord, RetryPolicy, RunRecord } from '../job-store.js';

/** A row of `kairos_jobs` (see migration 1). */
export interface JobRow {
  id: string;
  name: string;
  task_id: string;
  trigger: string;
  args: string;
  next_run_time: number | null;
  exhausted: number;
  misfire_grace_time: number | null;
  coalesce: number;
  max_instances: number;
  jitter: number;
  executor: string;
  timeout: number | null;
  retry: string | null;
  acquired_by: string | null;
  acquired_until: number | null;
}

/** The columns of a job that its record determines (everything but the acquisition). */
export type JobFields = Omit<JobRow, 'acquired_by' | 'acquired_until'>;

/** A row of `kairos_runs` (see migration 1). */
export interface RunRow {
  run_id: string;
  job_id: string;
  scheduled_run_time: number;
  attempt: number;
  not_before: number;
  state: 'pending' | 'running';
  owner: string | null;
  lease_expires_at: number | null;
  claim_token: string | null;
  manual: number;
  created_at: number;
}

/** The columns a job record determines, in the order of {@link jobValues}. */
export const JOB_COLUMNS = [
  'id', 'name', 'task_id', 'trigger', 'args', 'next_run_time', 'exhausted', 'misfire_grace_time', 'coalesce', 'max_instances',
  'jitter', 'executor', 'timeout', 'retry',
] as const satisfies ReadonlyArray<keyof JobFields>;

/** A job's column values in {@link JOB_COLUMNS} order (bound as `?` parameters). */
export type JobValues = [
  id: string, name: string, taskId: string, trigger: string, args: string, nextRunTime: number | null, exhausted: number,
  misfireGraceTime: number | null, coalesce: number, maxInstances: number, jitter: number, executor: string,
  timeout: number | null, retry: string | null,
];

/**
 * The columns of a job record, as positional values: binding an array costs better-sqlite3 far
 * less than looking up fourteen named parameters on an object, which was most of the cost of
 * writing a job (100,000 jobs: about 540 ms against 650 to 900 ms). `args` must have passed
 * `assertJsonArgs` already.
 */
export function jobValues(job: JobRecord): JobValues {
  return [
    job.id,
    job.name,
    job.taskId,
    JSON.stringify(job.trigger),
    JSON.stringify(job.args),
    job.nextRunTime,
    job.exhausted ? 1 : 0,
    job.misfireGraceTime,
    job.coalesce ? 1 : 0,
    job.maxInstances,
    job.jitter,
    job.executor,
    job.timeout,
    job.retry === null ? null : JSON.stringify(job.retry),
  ];
}

/**
 * The job record in `v`, the values of {@link JOB_COLUMNS} from index `at`. Reads take rows as
 * arrays (better-sqlite3's raw mode): building an object of named properties per row cost more
 * than the rest of the read (1,000 runs with their jobs: about 6.5 µs a row as objects, 3 as arrays).
 */
export function jobFromValues(v: readonly unknown[], at = 0): JobRecord {
  return {
    id: v[at] as string,
    name: v[at + 1] as string,
    taskId: v[at + 2] as string,
    trigger: JSON.parse(v[at + 3] as string) as JobRecord['trigger'],
    args: JSON.parse(v[at + 4] as string) as unknown[],
    nextRunTime: v[at + 5] as number | null,
    exhausted: v[at + 6] !== 0,
    misfireGraceTime: v[at + 7] as number | null,
    coalesce: v[at + 8] !== 0,
    maxInstances: v[at + 9] as number,
    jitter: v[at + 10] as number,
    executor: v[at + 11] as string,
    timeout: v[at + 12] as number | null,
    retry: v[at + 13] === null ? null : (JSON.parse(v[at + 13] as string) as RetryPolicy),
  };
}

/** The columns of a run record, in the order {@link runFromValues} reads them. */
export const RUN_COLUMNS = [
  'run_id', 'job_id', 'scheduled_run_time', 'attempt', 'not_before', 'state', 'owner', 'lease_expires_at', 'claim_token', 'manual',
] as const satisfies ReadonlyArray<keyof RunRow>;

/** The run record in `v`, the values of {@link RUN_COLUMNS} from index 0. */
export function runFromValues(v: readonly unknown[]): RunRecord {
  return {
    runId: v[0] as string,
    jobId: v[1] as string,
    scheduledRunTime: v[2] as number,
    attempt: v[3] as number,
    notBefore: v[4] as number,
    state: v[5] as RunRecord['state'],
    owner: v[6] as string | null,
    leaseExpiresAt: v[7] as number | null,
    claimToken: v[8] as string | null,
    manual: v[9] !== 0,
  };
}

/** A row of `kairos_run_history` (see migration 2). */
export interface HistoryRow {
  seq: number;
  run_id: string;
  job_id: string;
  scheduled_run_time: number;
  last_scheduled_run_time: number | null;
  missed_count: number | null;
  attempt: number;
  started_at: number | null;
  finished_at: number;
  outcome: RunHistoryOutcome;
  error_name: string | null;
  error_message: string | null;
  error_stack: string | null;
  result: string | null;
  result_truncated: number;
}

export function historyToRow(e: PreparedRunHistory): Omit<HistoryRow, 'seq'> {
  return {
    run_id: e.runId,
    job_id: e.jobId,
    scheduled_run_time: e.scheduledRunTime,
    last_scheduled_run_time: e.lastScheduledRunTime,
    missed_count: e.missedCount,
    attempt: e.attempt,
    started_at: e.startedAt,
    finished_at: e.finishedAt,
    outcome: e.outcome,
    error_name: e.error?.name ?? null,
    error_message: e.error?.message ?? null,
    error_stack: e.error?.stack ?? null,
    result: e.result,
    result_truncated: e.resultTruncated ? 1 : 0,
  };
}

export function rowToHistory(row: HistoryRow): StoredRunHistoryRecord {
  return {
    seq: row.seq,
    runId: row.run_id,
    jobId: row.job_id,
    scheduledRunTime: row.scheduled_run_time,
    lastScheduledRunTime: row.last_scheduled_run_time,
    missedCount: row.missed_count,
    attempt: row.attempt,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome,
    error: row.error_name === null ? null : { name: row.error_name, message: row.error_message ?? '', stack: row.error_stack },
    result: row.result,
    resultTruncated: row.result_truncated !== 0,
  };
}
