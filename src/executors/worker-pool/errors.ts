/**
 * The errors a `WorkerThreadsExecutor` run can reject with besides the task's own error.
 * @module
 */
import { KairosError } from '../../errors.js';

/**
 * Why a run lost its worker thread:
 * - `exit`: the thread exited while running the task (the task called `process.exit()`);
 * - `error`: an error nobody caught ended the thread (thrown from a timer or event handler, or an
 *   unhandled rejection), outside the promise the task returned;
 * - `outOfMemory`: the thread went over its `resourceLimits` (`ERR_WORKER_OUT_OF_MEMORY`);
 * - `startup`: the thread failed to start (bad `execArgv`, a preload module that throws);
 * - `shutdown`: `shutdown({ wait: false })` terminated the thread, or the run was still queued.
 */
export type WorkerFailure = 'exit' | 'error' | 'outOfMemory' | 'startup' | 'shutdown';

/** What {@link WorkerThreadError} knows about the run and the thread. */
export interface WorkerFailureDetails {
  jobId?: string | undefined;
  taskId?: string | undefined;
  runId?: string | undefined;
  /** The worker's `threadId`; -1 when the run never reached a thread. */
  threadId: number;
  /** The thread's exit code, when it exited. */
  exitCode?: number | undefined;
  /** The executor's `resourceLimits`, quoted in the out-of-memory message. */
  resourceLimits?: object | undefined;
}

function runName(d: WorkerFailureDetails): string {
  if (d.jobId === undefined) return 'a run';
  return `the run of job "${d.jobId}"${d.taskId === undefined ? '' : ` (task "${d.taskId}")`}`;
}

function messageFor(failure: WorkerFailure, d: WorkerFailureDetails, cause: unknown): string {
  const because = cause instanceof Error ? `: ${cause.message}` : '';
  const replaced = 'the executor replaced the worker and goes on with the other runs';
  switch (failure) {
    case 'exit':
      return (
        `${runName(d)} ended with its worker thread ${d.threadId}, which exited with code ${d.exitCode ?? '?'} before the task settled ` +
        `(process.exit() in a worker ends only that thread); ${replaced}`
      );
    case 'error':
      return (
        `${runName(d)} ended with its worker thread ${d.threadId}, killed by an uncaught error${because}; errors thrown outside the ` +
        `task's returned promise (timers, event handlers, unhandled rejections) end the thread; ${replaced}`
      );
    case 'outOfMemory':
      return (
        `${runName(d)} ran out of memory in worker thread ${d.threadId}${because}; the executor's resourceLimits are ` +
        `${JSON.stringify(d.resourceLimits ?? {})}: raise them or make the task use less memory; ${replaced}`
      );
    case 'startup':
      return `a worker thread of WorkerThreadsExecutor failed to start${because}; check the executor's execArgv and resourceLimits options`;
    case 'shutdown':
      return d.threadId === -1
        ? `${runName(d)} never started: it was still queued when WorkerThreadsExecutor.shutdown({ wait: false }) was called`
        : `${runName(d)} was stopped: WorkerThreadsExecutor.shutdown({ wait: false }) terminated its worker thread ${d.threadId}`;
  }
}

/**
 * A run of `WorkerThreadsExecutor` lost its worker thread, or the executor could not start one.
 * The scheduler reports it as `jobError`; the executor has already replaced the thread.
 * Code: `KAIROS_WORKER_THREAD`.
 */
export class WorkerThreadError extends KairosError {
  readonly jobId: string | undefined;
  readonly taskId: string | undefined;
  readonly runId: string | undefined;
  readonly threadId: number;
  readonly exitCode: number | undefined;

  constructor(
    /** What happened to the thread. */
    readonly failure: WorkerFailure,
    details: WorkerFailureDetails,
    options?: { cause?: unknown },
  ) {
    super('KAIROS_WORKER_THREAD', messageFor(failure, details, options?.cause), options);
    this.jobId = details.jobId;
    this.taskId = details.taskId;
    this.runId = details.runId;
    this.threadId = details.threadId;
    this.exitCode = details.exitCode;
  }
}

/**
 * A run was refused because the executor's queue of runs waiting for a worker was full
 * (`maxQueue`). The run never started; the scheduler reports it as `jobError`.
 * Code: `KAIROS_EXECUTOR_QUEUE_FULL`.
 */
export class ExecutorQueueFullError extends KairosError {
  constructor(
    readonly jobId: string,
    readonly taskId: string,
    readonly maxQueue: number,
  ) {
    super(
      'KAIROS_EXECUTOR_QUEUE_FULL',
      `the run of job "${jobId}" (task "${taskId}") was refused: all worker threads are busy and ${maxQueue} runs already wait ` +
        `(maxQueue); raise the executor's size or maxQueue, or make jobs on it fire less often (maxInstances caps the runs of one job)`,
    );
  }
}
