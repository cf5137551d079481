/**
 * The contract between the scheduler and an executor: something that runs a task and reports
 * its result. The scheduler owns timeouts, retries and leases; an executor only runs.
 * @module
 */

/** A task given by module: what `WorkerThreadsExecutor` needs, and what `AsyncExecutor` imports. */
export interface ModuleTask {
  /** A module path or URL (`new URL('./tasks.js', import.meta.url)`); relative paths resolve from the working directory. */
  module: string | URL;
  /** The export to call. @default 'default' */
  export?: string;
}

/** A callable task: a function, or a module export. */
export type TaskTarget = ((...args: never[]) => unknown) | ModuleTask;

/** The last argument of every task call. */
export interface TaskContext {
  /** The job's id. */
  jobId: string;
  /** The fire time this run belongs to (not when it started). */
  scheduledRunTime: Date;
  /** Names this scheduled run: the same in every process, every retry and after a restart. Use it as an idempotency key. */
  runId: string;
  /** The try, from 1. */
  attempt: number;
  /** Aborted when the run times out, its lease is lost, or the scheduler shuts down without waiting. */
  signal: AbortSignal;
}

/** One run handed to an executor. */
export interface ExecutionRequest {
  taskId: string;
  task: TaskTarget;
  args: unknown[];
  context: TaskContext;
}

/** Runs tasks. Implementations: `AsyncExecutor`, `WorkerThreadsExecutor`. */
export interface Executor {
  /** Prepares the executor (a worker pool starts its threads). Called by `Scheduler.start()`. */
  start(): Promise<void>;
  /**
   * Runs the task as `task(...args, context)` and resolves with its result or rejects with its
   * error. May queue the run while the executor is at capacity (FIFO). A run whose
   * `context.signal` is aborted while still queued rejects with the signal's reason, unstarted.
   */
  submit(request: ExecutionRequest): Promise<unknown>;
  /**
   * Stops accepting runs. With `wait`, resolves when the runs in flight finished; without, the
   * scheduler has aborted their signals and the executor frees its resources at once. Idempotent;
   * a shut-down executor may be started again.
   */
  shutdown(options: { wait: boolean }): Promise<void>;
}
