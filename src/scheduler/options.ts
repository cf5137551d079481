/**
 * Job options as users write them, and their resolution — once, at `addJob`/`modifyJob` — into
 * the plain values a store keeps (durations in ms, defaults applied, everything checked).
 * @module
 */
import { KairosRangeError, KairosTypeError } from '../errors.js';
import { checkKnownKeys, optionKeys } from '../options-check.js';
import type { RetryPolicy } from '../stores/job-store.js';
import { checkInteger, toMilliseconds, type DurationLike } from '../units.js';

/** Retry policy of a job: how often and how long to wait before trying a failed run again. */
export interface RetryOptions {
  /** Tries in all, the first included. Minimum: 1. */
  attempts: number;
  /** Wait before the second try. @default 1000 (1 s) */
  delay?: DurationLike;
  /** Each further wait is the previous one times `factor`. Minimum: 1. @default 2 */
  factor?: number;
  /** Cap of any one wait; at least `delay`. @default 3600000 (1 h) */
  maxDelay?: DurationLike;
  /**
   * Randomize each wait: with `true` a wait of `d` becomes a random time in `[d/2, d]`, so many
   * jobs failing together do not retry together.
   * @default false
   */
  jitter?: boolean;
}

/** Options shared by `jobDefaults` and each job. */
export interface JobDefaults {
  /**
   * How late a run may start and still run. A fire time older than `now - misfireGraceTime` is
   * missed (`jobMissed`). `null`: never too late.
   * @default null
   */
  misfireGraceTime?: DurationLike | null;
  /** Run missed fire times once (the latest) instead of once each. @default true */
  coalesce?: boolean;
  /** How many runs of the job may be in flight (or waiting for a retry) at once. Minimum: 1. @default 1 */
  maxInstances?: number;
  /** Retry failed runs; absent: a failed run is final. */
  retry?: RetryOptions | null;
  /** Abort a run's `signal` after this long and report it as an error. `null`: no limit. @default null */
  timeout?: DurationLike | null;
}

/** The options of `addJob`. */
export interface AddJobOptions extends JobDefaults {
  /** The job's id, unique in its store. @default a unique id in UUID form (random per scheduler, then counted) */
  id?: string;
  /** A readable name. @default the task's name */
  name?: string;
  /** Arguments the task is called with, before the context. Persistent stores need JSON-safe values. @default [] */
  args?: unknown[];
  /** Upsert: overwrite a job of the same id (an unchanged trigger keeps its `nextRunTime`). @default false */
  replaceExisting?: boolean;
  /** Upper bound of a random delay added to each run (on top of the trigger's own jitter). @default 0 */
  jitter?: DurationLike;
  /** The first run time instead of the trigger's; `null` adds the job paused. */
  nextRunTime?: Date | string | number | null;
  /** The name of the executor that runs the job. @default 'default' */
  executor?: string;
  /** The name of the store that keeps the job. @default 'default' */
  jobStore?: string;
}

/** What `modifyJob` may change (the trigger changes through `rescheduleJob`). */
export type JobChangesInput = Pick<
  AddJobOptions,
  'name' | 'args' | 'misfireGraceTime' | 'coalesce' | 'maxInstances' | 'retry' | 'timeout' | 'jitter' | 'executor' | 'nextRunTime'
>;

/** Resolved option values, as stored with a job. */
export interface ResolvedJobOptions {
  misfireGraceTime: number | null;
  coalesce: boolean;
  maxInstances: number;
  retry: RetryPolicy | null;
  timeout: number | null;
  jitter: number;
}

const ADD_JOB_KEYS = optionKeys<AddJobOptions>()([
  'id', 'name', 'args', 'replaceExisting', 'misfireGraceTime', 'coalesce', 'maxInstances', 'jitter',
  'nextRunTime', 'executor', 'jobStore', 'timeout', 'retry',
]);
const DEFAULT_KEYS = optionKeys<JobDefaults>()(['misfireGraceTime', 'coalesce', 'maxInstances', 'retry', 'timeout']);
const CHANGE_KEYS = optionKeys<JobChangesInput>()(['name', 'args', 'misfireGraceTime', 'coalesce', 'maxInstances', 'retry', 'timeout', 'jitter', 'executor', 'nextRunTime']);
const RETRY_KEYS = optionKeys<RetryOptions>()(['attempts', 'delay', 'factor', 'maxDelay', 'jitter']);

/** Refuses an unknown key of `addJob`'s options (a typo such as `maxInstance`, or a trigger argument). */
export const checkAddJobKeys = (o: object): void =>
  void checkKnownKeys(o, ADD_JOB_KEYS, 'options', 'trigger arguments go in the third argument of addJob');
/** Refuses an unknown key of `jobDefaults`. */
export const checkDefaultKeys = (o: object): void => void checkKnownKeys(o, DEFAULT_KEYS, 'jobDefaults');
/** Refuses an unknown key of `modifyJob`'s changes. */
export const checkChangeKeys = (o: object): void =>
  void checkKnownKeys(o, CHANGE_KEYS, 'changes', 'to change the trigger, use rescheduleJob');

/**
 * Checks a retry policy and resolves it to milliseconds.
 * @throws RangeError naming the option: attempts below 1 or not an integer, a negative delay,
 * factor below 1, maxDelay below delay
 */
export function resolveRetry(value: unknown, field = 'retry'): RetryPolicy | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new KairosTypeError(field, value, 'an object { attempts, delay?, factor?, maxDelay?, jitter? } or null');
  }
  checkKnownKeys(value, RETRY_KEYS, field);
  const v = value as RetryOptions;
  const attempts = checkInteger(v.attempts, `${field}.attempts`, 1);
  const delay = toMilliseconds(v.delay ?? 1000, `${field}.delay`);
  const factor = v.factor ?? 2;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw new KairosRangeError(`${field}.factor`, factor, 'a number of 1 or more (1: the same wait every time)');
  }
  const maxDelay = toMilliseconds(v.maxDelay ?? Math.max(3_600_000, delay), `${field}.maxDelay`);
  if (maxDelay < delay) {
    throw new KairosRangeError(`${field}.maxDelay`, v.maxDelay, `a duration of at least ${field}.delay (${delay} ms)`);
  }
  const jitter = v.jitter ?? false;
  if (typeof jitter !== 'boolean') throw new KairosTypeError(`${field}.jitter`, jitter, 'true or false');
  return { attempts, delay, factor, maxDelay, jitter };
}

/**
 * The wait before try `attempt + 1` after try `attempt` failed: `delay · factor^(attempt-1)`,
 * capped at `maxDelay`; with jitter a random time in `[wait/2, wait]`.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const wait = Math.min(policy.maxDelay, policy.delay * policy.factor ** (attempt - 1));
  return policy.jitter ? Math.round(wait / 2 + random() * (wait / 2)) : wait;
}

function resolveBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new KairosTypeError(field, value, 'true or false');
  return value;
}

function resolveNullableDuration(value: unknown, field: string, positive: boolean): number | null {
  return value === null ? null : toMilliseconds(value, field, { positive });
}

/** Resolves `jobDefaults` (already merged with the built-in defaults). */
export function resolveDefaults(input: JobDefaults = {}): ResolvedJobOptions {
  checkDefaultKeys(input);
  return resolveOptions(input, {
    misfireGraceTime: null,
    coalesce: true,
    maxInstances: 1,
    retry: null,
    timeout: null,
    jitter: 0,
  });
}

/** Resolves the option fields given in `input`, taking the others from `base`. */
export function resolveOptions(input: JobDefaults & { jitter?: DurationLike }, base: ResolvedJobOptions): ResolvedJobOptions {
  // One literal of a fixed shape (a spread of `base` made every job record's copy slow to build).
  return {
    misfireGraceTime: input.misfireGraceTime === undefined ? base.misfireGraceTime : resolveNullableDuration(input.misfireGraceTime, 'misfireGraceTime', false),
    coalesce: input.coalesce === undefined ? base.coalesce : resolveBoolean(input.coalesce, 'coalesce'),
    maxInstances: input.maxInstances === undefined ? base.maxInstances : checkInteger(input.maxInstances, 'maxInstances', 1),
    jitter: input.jitter === undefined ? base.jitter : toMilliseconds(input.jitter, 'jitter'),
    timeout: input.timeout === undefined ? base.timeout : resolveNullableDuration(input.timeout, 'timeout', true),
    retry: input.retry === undefined ? base.retry : resolveRetry(input.retry),
  };
}
