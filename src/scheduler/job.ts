/**
 * The public view of a job, and the run id that names each scheduled run.
 * @module
 */
import type { RetryPolicy } from '../stores/job-store.js';
import type { Trigger } from '../triggers/trigger.js';

/** A scheduled job as `addJob`, `getJob` and `getJobs` return it. Durations are in ms. */
export interface Job {
  id: string;
  name: string;
  /** The registered task id the job runs (persistent stores keep this id, never code). */
  taskId: string;
  trigger: Trigger;
  args: unknown[];
  /** The next fire time; `null` means paused. */
  nextRunTime: Date | null;
  misfireGraceTime: number | null;
  coalesce: boolean;
  maxInstances: number;
  jitter: number;
  timeout: number | null;
  retry: RetryPolicy | null;
  executor: string;
  jobStore: string;
  /** True while the job waits for `start()` to be written to its store. */
  pending: boolean;
}

/**
 * The id of the run of job `jobId` at `scheduledRunTime`: the same in every process, every
 * retry and after a restart, so a task can use it as an idempotency key.
 */
export function scheduledRunId(jobId: string, scheduledRunTime: number): string {
  return `${jobId}@${new Date(scheduledRunTime).toISOString()}`;
}
