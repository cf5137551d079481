/**
 * The one way kairos writes to the `logger` option, whatever its shape.
 *
 * Inside kairos every line is written console's way, `logger.warn(message, fields?, err?)`: a
 * message, then a plain object of {@link LogFields} (`jobId`, `runId`, `scheduledRunTime`, …) when
 * the line is about a job, a run or a store, then the error when there is one. A console-shaped
 * logger receives exactly that. A pino logger wants the fields first (`logger.warn(obj, message)`)
 * and would drop arguments after the message, so {@link adaptLogger} turns each call into
 * `logger.warn({ ...fields, err }, message)` for it.
 * @module
 */
import type { Logger } from './stores/job-store.js';

/**
 * The fields kairos attaches to a log line, as the second argument of a console-shaped logger or
 * merged into the first argument of a pino logger. Each is present where the line is about it.
 */
export interface LogFields {
  /** The job the line is about. */
  jobId?: string;
  /** The run the line is about (see `TaskContext.runId`). */
  runId?: string;
  /** The fire time of that run, as an ISO-8601 string. */
  scheduledRunTime?: string;
  /** The try, from 1. */
  attempt?: number;
  /** The name of the store involved. */
  jobStore?: string;
  /** Anything else the line names (`executor`, `event`, `taskId`, …). */
  [field: string]: unknown;
}

/** The fields of a line about one run. `scheduledRunTime` is epoch ms or a Date. */
export function runFields(
  jobId: string,
  runId: string,
  scheduledRunTime: number | Date,
  extra: { jobStore?: string; attempt?: number } = {},
): LogFields {
  return { jobId, runId, scheduledRunTime: new Date(scheduledRunTime).toISOString(), ...extra };
}

type Level = keyof Logger;
const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];
const ADAPTED = new WeakMap<Logger, Logger>();
const ADAPTERS = new WeakSet<Logger>();

/**
 * True for a pino logger (or a child of one): it has `child()` and pino's `levels.values` table.
 * Such a logger is called pino's way, fields first; every other logger console's way.
 */
export function isPinoLike(logger: Logger): boolean {
  const l = logger as Logger & { child?: unknown; levels?: { values?: unknown } };
  return typeof l.child === 'function' && typeof l.levels === 'object' && l.levels !== null && typeof l.levels.values === 'object';
}

/**
 * The logger kairos writes to: `logger` itself when it is console-shaped; for a pino logger, a
 * console-shaped front that merges the plain-object arguments of each call into pino's first
 * argument and puts the error under `err` (pino's error serializer then prints its stack).
 * Adapting an adapter, or the same logger twice, gives the same object.
 */
export function adaptLogger(logger: Logger): Logger {
  if (ADAPTERS.has(logger) || !isPinoLike(logger)) return logger;
  let adapted = ADAPTED.get(logger);
  if (adapted === undefined) {
    const pino = logger as unknown as Record<Level, (...args: unknown[]) => void>;
    const front = {} as Logger;
    for (const level of LEVELS) {
      front[level] = (message: string, ...rest: unknown[]) => {
        const fields = mergeArguments(rest);
        // Method calls, so pino's `this` stays the logger.
        if (fields === null) pino[level](message);
        else pino[level](fields, message);
      };
    }
    adapted = front;
    ADAPTED.set(logger, adapted);
    ADAPTERS.add(adapted);
  }
  return adapted;
}

/** Plain objects are merged as fields; the first other argument is `err`, any further ones `args`. */
function mergeArguments(rest: unknown[]): Record<string, unknown> | null {
  if (rest.length === 0) return null;
  const fields: Record<string, unknown> = {};
  const args: unknown[] = [];
  let hasErr = false;
  for (const arg of rest) {
    if (arg === undefined) continue;
    if (isPlainObject(arg)) Object.assign(fields, arg);
    else if (!hasErr) {
      fields.err = arg;
      hasErr = true;
    } else args.push(arg);
  }
  if (args.length > 0) fields.args = args;
  return Object.keys(fields).length === 0 ? null : fields;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
