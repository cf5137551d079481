/**
 * Rows of the PostgreSQL store's tables and their conversion to and from the store contract's
 * records. Times on the schedule clock are bigint epoch ms; lease times are timestamptz, read
 * back as epoch ms; trigger, args and retry are json. Every query is given {@link TYPE_PARSERS},
 * so bigint columns arrive as numbers (epoch ms stay far below 2^53) whatever the global `pg`
 * type settings of the application.
 * @module
 */
import type { CustomTypesConfig } from 'pg';
import type { PreparedRunHistory, RunHistoryOutcome, StoredRunHistoryRecord } from '../history.js';
import type { JobRecord, RetryPolicy, RunRecord } from '../job-store.js';
import type { SerializedTrigger } from '../../triggers/trigger.js';
import { loadedPgTypes } from './driver.js';

const INT8 = 20;
const JSON_OID = 114;

/** Type parsers used by every query of the store. */
export const TYPE_PARSERS: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8) return (text: string) => Number(text);
    if (oid === JSON_OID) return (text: string) => JSON.parse(text) as unknown;
    return loadedPgTypes().getTypeParser(oid, format as 'text');
  }) as CustomTypesConfig['getTypeParser'],
};

/** A row of `jobs` as the store's queries select it (see migration 1). */
export interface JobRow {
  id: string;
  name: string;
  task_id: string;
  trigger: SerializedTrigger;
  args: unknown[];
  next_run_time: number | null;
  exhausted: boolean;
  misfire_grace_time: number | null;
  coalesce: boolean;
  max_instances: number;
  jitter: number;
  executor: string;
  timeout: number | null;
  retry: RetryPolicy | null;
}

/** A row of `runs` as the store's queries select it; `lease_expires_at` as epoch ms. */
export interface RunRow {
  run_id: string;
  job_id: string;
  scheduled_run_time: number;
  attempt: number;
  not_before: number;
  state: 'pending' | 'running';
  manual: boolean;
  owner: string | null;
  claim_token: string | null;
  lease_expires_at: number | null;
}

/** The job columns, in the order of {@link jobParams}. */
export const JOB_COLUMNS = [
  'id', 'name', 'task_id', 'trigger', 'args', 'next_run_time', 'exhausted', 'misfire_grace_time',
  'coalesce', 'max_instances', 'jitter', 'executor', 'timeout', 'retry',
] as const;

/** `alias.col AS prefixcol, …` for the job columns. */
export function selectJobColumns(alias: string, prefix = ''): string {
  return JOB_COLUMNS.map((c) => `${alias}.${c} AS ${prefix}${c}`).join(', ');
}

/** `alias.col, …` for the run columns, with the lease expiry as epoch ms. */
export function selectRunColumns(alias: string): string {
  return (
    ['run_id', 'job_id', 'scheduled_run_time', 'attempt', 'not_before', 'state', 'manual', 'owner', 'claim_token']
      .map((c) => `${alias}.${c}`)
      .join(', ') + `, floor(extract(epoch FROM ${alias}.lease_expires_at) * 1000)::float8 AS lease_expires_at`
  );
}

/** A job's values as query parameters, in {@link JOB_COLUMNS} order (json as text). */
export function jobParams(job: JobRecord): unknown[] {
  return [
    job.id, job.name, job.taskId, JSON.stringify(job.trigger), JSON.stringify(job.args), job.nextRunTime, job.exhausted,
    job.misfireGraceTime, job.coalesce, job.maxInstances, job.jitter, job.executor, job.timeout,
    job.retry === null ? null : JSON.stringify(job.retry),
  ];
}

/** Jobs as one array per column, in {@link JOB_COLUMNS} order (for `unnest`). */
export function jobColumns(jobs: readonly JobRecord[]): unknown[][] {
  const columns: unknown[][] = JOB_COLUMNS.map(() => new Array<unknown>(jobs.length));
  for (let r = 0; r < jobs.length; r++) {
    const values = jobParams(jobs[r]!);
    for (let c = 0; c < values.length; c++) columns[c]![r] = values[c];
  }
  return columns;
}

/** The SQL type of each job column, for casts of parameters. */
export const JOB_COLUMN_TYPES: Readonly<Record<(typeof JOB_COLUMNS)[number], string>> = {
  id: 'text', name: 'text', task_id: 'text', trigger: 'json', args: 'json', next_run_time: 'bigint', exhausted: 'boolean',
  misfire_grace_time: 'bigint', coalesce: 'boolean', max_instances: 'integer', jitter: 'bigint', executor: 'text',
  timeout: 'bigint', retry: 'json',
};

/** Which column each field of a job is kept in. */
export const FIELD_COLUMNS: Readonly<Record<Exclude<keyof JobRecord, 'id'>, (typeof JOB_COLUMNS)[number]>> = {
  name: 'name', taskId: 'task_id', trigger: 'trigger', args: 'args', nextRunTime: 'next_run_time', exhausted: 'exhausted',
  misfireGraceTime: 'misfire_grace_time', coalesce: 'coalesce', maxInstances: 'max_instances', jitter: 'jitter',
  executor: 'executor', timeout: 'timeout', retry: 'retry',
};

/** A field's value as a query parameter (json as text). */
export function fieldParam(field: Exclude<keyof JobRecord, 'id'>, value: unknown): unknown {
  const type = JOB_COLUMN_TYPES[FIELD_COLUMNS[field]];
  return type === 'json' && value !== null && value !== undefined ? JSON.stringify(value) : value;
}

/** A job row (optionally with prefixed column names) as a record. */
export function toJobRecord(row: Record<string, unknown>, prefix = ''): JobRecord {
  const r = (c: string): unknown => row[prefix + c];
  return {
    id: r('id') as string,
    name: r('name') as string,
    taskId: r('task_id') as string,
    trigger: r('trigger') as SerializedTrigger,
    args: r('args') as unknown[],
    nextRunTime: r('next_run_time') as number | null,
    exhausted: r('exhausted') as boolean,
    misfireGraceTime: r('misfire_grace_time') as number | null,
    coalesce: r('coalesce') as boolean,
    maxInstances: r('max_instances') as number,
    jitter: r('jitter') as number,
    executor: r('executor') as string,
    timeout: r('timeout') as number | null,
    retry: r('retry') as RetryPolicy | null,
  };
}

export function toRunRecord(row: RunRow): RunRecord {
  return {
    runId: row.run_id,
    jobId: row.job_id,
    scheduledRunTime: row.scheduled_run_time,
    attempt: row.attempt,
    notBefore: row.not_before,
    state: row.state,
    owner: row.owner,
    leaseExpiresAt: row.lease_expires_at,
    claimToken: row.claim_token,
    manual: row.manual,
  };
}

/** A row of `run_history` (see migration 3). */
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
  result_truncated: boolean;
}

/** The columns `insertHistory` fills, with their SQL types, in the order of {@link historyParams}. */
export const HISTORY_COLUMNS = [
  ['run_id', 'text'], ['job_id', 'text'], ['scheduled_run_time', 'bigint'], ['last_scheduled_run_time', 'bigint'], ['missed_count', 'bigint'],
  ['attempt', 'integer'], ['started_at', 'bigint'], ['finished_at', 'bigint'], ['outcome', 'text'], ['error_name', 'text'],
  ['error_message', 'text'], ['error_stack', 'text'], ['result', 'text'], ['result_truncated', 'boolean'],
] as const;

/** Entries as one array per column (for `unnest`), in {@link HISTORY_COLUMNS} order. */
export function historyParams(entries: readonly PreparedRunHistory[]): unknown[][] {
  return [
    entries.map((e) => e.runId), entries.map((e) => e.jobId), entries.map((e) => e.scheduledRunTime),
    entries.map((e) => e.lastScheduledRunTime), entries.map((e) => e.missedCount), entries.map((e) => e.attempt),
    entries.map((e) => e.startedAt), entries.map((e) => e.finishedAt), entries.map((e) => e.outcome),
    entries.map((e) => e.error?.name ?? null), entries.map((e) => e.error?.message ?? null), entries.map((e) => e.error?.stack ?? null),
    entries.map((e) => e.result), entries.map((e) => e.resultTruncated),
  ];
}

export function toHistoryRecord(row: HistoryRow): StoredRunHistoryRecord {
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
    resultTruncated: row.result_truncated,
  };
}
