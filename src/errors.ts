/**
 * Every error kairos throws on purpose. Library errors extend {@link KairosError} and carry a
 * stable `code` (so `err.code === 'KAIROS_JOB_LOOKUP'` works even where two copies of the package
 * make `instanceof` fail) plus the ids involved as fields. Bad arguments are plain `TypeError` /
 * `RangeError` subclasses (as the spec asks) that carry `field`, `value` and `allowed`.
 * @module
 */

/** Base class of the errors kairos raises about jobs, tasks, stores and the scheduler's state. */
export class KairosError extends Error {
  /** Stable machine-readable code, e.g. `KAIROS_CONFLICTING_ID`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A job id is already taken in its store and `replaceExisting` was not given. */
export class ConflictingIdError extends KairosError {
  constructor(
    readonly jobId: string,
    readonly jobStore: string,
  ) {
    super(
      'KAIROS_CONFLICTING_ID',
      `a job with id "${jobId}" already exists in store "${jobStore}"; pass replaceExisting: true to overwrite it, or choose another id`,
    );
  }
}

/** No job with that id exists (in the named store, or in any store). */
export class JobLookupError extends KairosError {
  constructor(
    readonly jobId: string,
    readonly jobStore?: string,
  ) {
    super(
      'KAIROS_JOB_LOOKUP',
      jobStore === undefined
        ? `no job with id "${jobId}" exists in any job store; check the id (getJobs() lists the existing ones)`
        : `no job with id "${jobId}" exists in store "${jobStore}"; check the id (getJobs() lists the existing ones)`,
    );
  }
}

/** A job names a task id that was never passed to `registerTask` in this process. */
export class TaskLookupError extends KairosError {
  constructor(
    readonly taskId: string,
    readonly jobId?: string,
  ) {
    super(
      'KAIROS_TASK_LOOKUP',
      `no task is registered with id "${taskId}"${jobId === undefined ? '' : ` (needed by job "${jobId}")`}; call scheduler.registerTask("${taskId}", fn) before start()`,
    );
  }
}

/** A job's task or arguments cannot be stored by a persistent job store. */
export class SerializationError extends KairosError {
  constructor(
    message: string,
    readonly jobId?: string,
    readonly jobStore?: string,
    options?: { cause?: unknown },
  ) {
    super('KAIROS_SERIALIZATION', message, options);
  }
}

/** The scheduler was asked to do something its current state does not allow. */
export class SchedulerStateError extends KairosError {
  constructor(message: string) {
    super('KAIROS_SCHEDULER_STATE', message);
  }
}

/**
 * A run's lease was taken over by another scheduler (this one stopped renewing it in time): the
 * store refuses this scheduler's writes for that run, and the run is reported with this error.
 */
export class LeaseLostError extends KairosError {
  constructor(
    readonly runId: string,
    readonly jobId: string,
    readonly jobStore: string,
  ) {
    super(
      'KAIROS_LEASE_LOST',
      `the lease on run "${runId}" of job "${jobId}" in store "${jobStore}" was taken over by another scheduler, ` +
        'which runs it now; this scheduler did not renew it in time (a stalled process or a blocked event loop), so its ' +
        'work on the run is discarded. A longer leaseDuration on the store helps when the event loop is blocked for long',
    );
  }
}

/** The run took longer than its job's `timeout`; its signal was aborted. */
export class JobTimeoutError extends KairosError {
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super(
      'KAIROS_JOB_TIMEOUT',
      `job "${jobId}" ran longer than its timeout of ${timeoutMs} ms; its signal was aborted (raise the job's timeout option if it needs longer)`,
    );
  }
}

/**
 * Why a run's `signal` was aborted when the scheduler shut down with `wait: false` (it is the
 * signal's `reason`), or why a run still queued in an executor shut down that way never started.
 */
export class ShutdownAbortError extends KairosError {
  constructor(
    /** Who was shut down: the scheduler (the run was in flight) or the executor (the run was still queued). */
    readonly by: 'scheduler' | 'executor' = 'scheduler',
  ) {
    super(
      'KAIROS_SHUTDOWN',
      by === 'scheduler'
        ? 'the scheduler was shut down with wait: false while this run was in flight'
        : 'the executor was shut down with wait: false while this run was still queued; it never started',
    );
  }
}

/** A job names an executor the scheduler was not configured with. */
export class ExecutorLookupError extends KairosError {
  constructor(
    readonly executor: string,
    readonly jobId: string,
  ) {
    super(
      'KAIROS_EXECUTOR_LOOKUP',
      `job "${jobId}" names executor "${executor}", which this scheduler does not have; configure it in new Scheduler({ executors })`,
    );
  }
}

/** A store method was called while the store is not open (before `start()` or after `shutdown()`). */
export class StoreClosedError extends KairosError {
  constructor(
    readonly jobStore: string,
    /** The kind of store, as people name it: `'SQLite'`, `'PostgreSQL'`. */
    readonly storeKind: string,
  ) {
    super('KAIROS_STORE_CLOSED', `${storeKind} job store "${jobStore}" is not open; the scheduler opens it in start() and closes it in shutdown()`);
  }
}

/** A persistent store could not be opened (the database refused or could not be reached); `cause` says why. */
export class StoreOpenError extends KairosError {
  constructor(
    readonly jobStore: string,
    readonly storeKind: string,
    /** Where the store keeps its data, in words: `schema "kairos"`, a file path. */
    readonly location: string,
    cause: unknown,
    /** What to check, e.g. `check the connection string`. */
    advice: string,
  ) {
    super(
      'KAIROS_STORE_OPEN',
      `could not open ${storeKind} store "${jobStore}" (${location}): ${cause instanceof Error ? cause.message : String(cause)}; ${advice}`,
      { cause },
    );
  }
}

/**
 * A persistent store's tables were migrated by a newer kairos than this one (their schema
 * version is unknown here), so this process refuses to touch them.
 */
export class SchemaTooNewError extends KairosError {
  constructor(
    readonly storeKind: string,
    /** Where the tables are: the SQLite file, the PostgreSQL schema. */
    readonly location: string,
    /** The version found in the database. */
    readonly version: number,
    /** The newest version this kairos knows. */
    readonly knownVersion: number,
    /** What else can be done besides upgrading kairos. */
    alternative?: string,
  ) {
    super(
      'KAIROS_SCHEMA_TOO_NEW',
      `the ${storeKind} job store's tables in ${location} are at schema version ${version}, newer than this kairos knows (${knownVersion}): ` +
        `a newer kairos migrated them; upgrade kairos in this process too${alternative === undefined ? '' : `, or ${alternative}`}`,
    );
  }
}

/** An optional package a feature needs is not installed (or failed to load); the message names the `npm install` to run. */
export class MissingDependencyError extends KairosError {
  constructor(
    /** The npm package, e.g. `pg`. */
    readonly packageName: string,
    /** What needs it, e.g. `PostgresJobStore`. */
    readonly neededBy: string,
    cause: unknown,
  ) {
    super(
      'KAIROS_MISSING_DEPENDENCY',
      `${neededBy} needs the "${packageName}" package, which could not be loaded (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}); ` +
        `install it next to kairos: npm install ${packageName}`,
      { cause },
    );
  }
}

// ------------------------------------------------ admin API (kairos/express, kairos/fastify)

/**
 * The admin API was mounted in a way that would expose it unsafely or cannot work: no
 * `authorize` function and no `readOnly: true`, an option kairos does not know, or something
 * that is not a scheduler. Thrown by `kairosRouter` (kairos/express) and by registering
 * `kairosFastify` (kairos/fastify). Code: `KAIROS_ADMIN_MOUNT`.
 */
export class AdminMountError extends KairosError {
  constructor(
    /** Which mount: `kairosRouter` or `kairosFastify`. */
    readonly mount: string,
    /** What is wrong and how to fix it. */
    reason: string,
  ) {
    super('KAIROS_ADMIN_MOUNT', `${mount}: ${reason}`);
  }
}

/**
 * What the admin API answers a request it refuses before reaching the scheduler, sent as JSON
 * with `status`: 403 (`KAIROS_ADMIN_FORBIDDEN`: authorize refused, or a cross-site request to a
 * route that changes state), 404 (`KAIROS_ADMIN_NOT_FOUND`), 405 (`KAIROS_ADMIN_METHOD`), 415
 * (`KAIROS_ADMIN_MEDIA_TYPE`: a state-changing request without a JSON content type), 400
 * (`KAIROS_ADMIN_BAD_REQUEST`: a body or path that cannot be read), 413
 * (`KAIROS_ADMIN_BODY_TOO_LARGE`: a body over 64 KB), 503 (`KAIROS_ADMIN_BUSY`: too many event
 * streams open), 500 (`KAIROS_ADMIN_AUTHORIZE`: `authorize` threw, so the request was refused).
 */
export class AdminRequestError extends KairosError {
  constructor(
    /** The HTTP status sent. */
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

// ------------------------------------------------ WorkerThreadsExecutor

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

// ---------------------------------------------------- argument errors

/** Fields carried by kairos' argument errors. */
export interface ArgumentErrorDetails {
  /** The option or field that was wrong, e.g. `hour` or `retry.attempts`. */
  readonly field: string;
  /** The value received. */
  readonly value: unknown;
  /** What is allowed, in words, e.g. `an integer from 0 to 23`. */
  readonly allowed: string;
}

/** How much of a received value a message quotes: an argument may be a 100 kB string. */
const QUOTE_LIMIT = 200;

function capped(text: string): string {
  return text.length <= QUOTE_LIMIT ? text : `${text.slice(0, QUOTE_LIMIT)}… (${text.length} characters)`;
}

/**
 * A string as JSON, cut at QUOTE_LIMIT characters of the quoted text, not of the string: escapes
 * (a NUL is six characters, `\u0000`) count, and none is cut in half.
 */
function quoteString(value: string): string {
  const whole = JSON.stringify(value);
  if (whole.length <= QUOTE_LIMIT + 2) return whole;
  let shown = '';
  for (const ch of value) {
    const escaped = JSON.stringify(ch).slice(1, -1);
    if (shown.length + escaped.length > QUOTE_LIMIT) break;
    shown += escaped;
  }
  return `"${shown}…" (${value.length} characters)`;
}

/** JSON that shows bigints (`12n`) instead of throwing on them. */
const showBigInt = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);

function describeUnsafe(value: unknown): string {
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'bigint') return capped(`${value}n (bigint)`);
  if (typeof value === 'function') return `a function`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()})`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') {
    const kind = Object.getPrototypeOf(value) === null ? 'null-prototype object' : (value.constructor?.name ?? 'object');
    const json = JSON.stringify(value, showBigInt) as string | undefined;
    return `${capped(json ?? Object.prototype.toString.call(value))} (${kind})`;
  }
  return `${capped(String(value))} (${typeof value})`;
}

/**
 * The received value as a message quotes it: never throws, whatever the value (a Proxy, a cycle, a
 * throwing toJSON, a null-prototype object holding bigints), and at most ~200 characters of it.
 */
function describe(value: unknown): string {
  try {
    return describeUnsafe(value);
  } catch {
    try {
      return `${Object.prototype.toString.call(value)} (${typeof value})`;
    } catch {
      return `a value that cannot be shown (${typeof value})`;
    }
  }
}

/** A hint may quote part of the value (`"1-x…" is not a number`): it is capped as the value is. */
const HINT_LIMIT = 400;

function argumentMessage(field: string, value: unknown, allowed: string, hint?: string): string {
  const shownHint = hint === undefined || hint.length <= HINT_LIMIT ? hint : `${hint.slice(0, HINT_LIMIT)}…`;
  return `${field}: expected ${allowed}, received ${describe(value)}${shownHint ? `; ${shownHint}` : ''}`;
}

/** A value of the wrong type. Message: `<field>: expected <allowed>, received <value>`. */
export class KairosTypeError extends TypeError implements ArgumentErrorDetails {
  readonly code = 'KAIROS_INVALID_ARGUMENT';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
    hint?: string,
  ) {
    super(argumentMessage(field, value, allowed, hint));
    this.name = 'TypeError';
  }
}

/** A value of the right type outside what is allowed. Message: `<field>: expected <allowed>, received <value>`. */
export class KairosRangeError extends RangeError implements ArgumentErrorDetails {
  readonly code = 'KAIROS_INVALID_ARGUMENT';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
    hint?: string,
  ) {
    super(argumentMessage(field, value, allowed, hint));
    this.name = 'RangeError';
  }
}
