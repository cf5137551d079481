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
      `the lease on run "${runId}" of job "${jobId}" in store "${jobStore}" was taken over by another scheduler; ` +
        'its result was discarded. A longer leaseDuration on the store helps when the event loop is blocked for long',
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

/** Fields carried by kairos' argument errors. */
export interface ArgumentErrorDetails {
  /** The option or field that was wrong, e.g. `hour` or `retry.attempts`. */
  readonly field: string;
  /** The value received. */
  readonly value: unknown;
  /** What is allowed, in words, e.g. `an integer from 0 to 23`. */
  readonly allowed: string;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  if (typeof value === 'function') return `a function`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()})`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') {
    try {
      return `${JSON.stringify(value)} (${value.constructor?.name ?? 'object'})`;
    } catch {
      return String(value);
    }
  }
  return `${String(value)} (${typeof value})`;
}

function argumentMessage(field: string, value: unknown, allowed: string, hint?: string): string {
  return `${field}: expected ${allowed}, received ${describe(value)}${hint ? `; ${hint}` : ''}`;
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
