/**
 * The JSON the admin API sends: jobs, runs and events as plain data, instants as ISO-8601 text
 * (in UTC, and for next runs also in the job's zone), errors as `{ name, message, stack }`.
 * @module
 */
import type { RunHistoryEntry } from '../scheduler/run-history.js';
import type { Job } from '../scheduler/job.js';
import type { SerializedTrigger } from '../triggers/trigger.js';
import { describeTrigger, localIso, wallTime } from './describe.js';

/** A job's next run, in UTC and in the job's zone. */
export interface NextRunView {
  /** ISO-8601 in UTC. */
  utc: string;
  /** ISO-8601 with the offset of the job's zone. */
  local: string;
  /** The wall time in words: `2027-01-01 09:00:00 +01:00 (CET)`. */
  text: string;
}

/** A run as the admin API sends it. */
export interface RunView {
  runId: string;
  jobId: string;
  jobStore: string;
  scheduledRunTime: string;
  attempt: number;
  startedAt: string | null;
  finishedAt: string;
  /** `finishedAt - startedAt`, or null for a run that never started. */
  durationMs: number | null;
  outcome: string;
  error?: { name: string; message: string; stack?: string };
  result?: unknown;
  resultTruncated?: true;
  missedCount?: number | null;
  lastScheduledRunTime?: string;
}

/** The newest runs of a job as the job list shows them. */
export interface RunSummary {
  lastRun: RunView | null;
  /** Durations of the recent runs that started, oldest first, with their outcome (the sparkline). */
  recent: Array<{ durationMs: number; outcome: string }>;
}

/** A job as the admin API sends it. */
export interface JobView extends RunSummary {
  id: string;
  name: string;
  taskId: string;
  trigger: { text: string; data: SerializedTrigger };
  /** The zone the job's fire times are computed in. */
  timezone: string;
  nextRunTime: NextRunView | null;
  paused: boolean;
  /** The outcome of the newest run recorded, or null. */
  lastOutcome: string | null;
  executor: string;
  jobStore: string;
  maxInstances: number;
  coalesce: boolean;
  misfireGraceTime: number | null;
  timeout: number | null;
  /** True while the job waits for the scheduler's start() to be written to its store. */
  pending: boolean;
}

/** The zone a trigger computes in: its own, its first child's, else the scheduler's. */
export function triggerZone(t: SerializedTrigger, fallback: string): string {
  if (t.timezone !== undefined) return t.timezone;
  const children = t.options.triggers;
  if (Array.isArray(children)) {
    for (const c of children as SerializedTrigger[]) if (c.timezone !== undefined) return c.timezone;
  }
  return fallback;
}

export function runView(r: RunHistoryEntry): RunView {
  const out: RunView = {
    runId: r.runId,
    jobId: r.jobId,
    jobStore: r.jobStore,
    scheduledRunTime: r.scheduledRunTime.toISOString(),
    attempt: r.attempt,
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt.toISOString(),
    durationMs: r.startedAt === null ? null : r.finishedAt.getTime() - r.startedAt.getTime(),
    outcome: r.outcome,
  };
  if (r.error !== undefined) out.error = { name: r.error.name, message: r.error.message, ...(r.error.stack ? { stack: r.error.stack } : {}) };
  if ('result' in r) out.result = r.result;
  if (r.resultTruncated) out.resultTruncated = true;
  if (r.outcome === 'missed') {
    out.missedCount = r.missedCount ?? null;
    if (r.lastScheduledRunTime) out.lastScheduledRunTime = r.lastScheduledRunTime.toISOString();
  }
  return out;
}

/** The summary of a job's newest runs (`runs` newest first, as getRuns returns them). */
export function runSummary(runs: RunHistoryEntry[]): RunSummary {
  const recent = runs
    .filter((r) => r.startedAt !== null)
    .map((r) => ({ durationMs: r.finishedAt.getTime() - r.startedAt!.getTime(), outcome: r.outcome }))
    .reverse();
  return { lastRun: runs[0] ? runView(runs[0]) : null, recent };
}

export function jobView(job: Job, schedulerZone: string, summary: RunSummary): JobView {
  const data = job.trigger.toJSON();
  const zone = triggerZone(data, schedulerZone);
  const next = job.nextRunTime;
  return {
    id: job.id,
    name: job.name,
    taskId: job.taskId,
    trigger: { text: describeTrigger(data, zone), data },
    timezone: zone,
    nextRunTime: next === null ? null : { utc: next.toISOString(), local: localIso(next, zone), text: wallTime(next, zone) },
    paused: next === null,
    lastOutcome: summary.lastRun?.outcome ?? null,
    lastRun: summary.lastRun,
    recent: summary.recent,
    executor: job.executor,
    jobStore: job.jobStore,
    maxInstances: job.maxInstances,
    coalesce: job.coalesce,
    misfireGraceTime: job.misfireGraceTime,
    timeout: job.timeout,
    pending: job.pending,
  };
}

/** An error as JSON: its class name, `code` when it has one, and message. */
export function errorView(err: unknown): { name: string; code: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, code: typeof code === 'string' ? code : 'KAIROS_ADMIN_INTERNAL', message: err.message };
  }
  return { name: 'Error', code: 'KAIROS_ADMIN_INTERNAL', message: String(err) };
}
