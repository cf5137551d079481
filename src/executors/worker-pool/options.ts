/**
 * The options of `WorkerThreadsExecutor`, resolved once at its constructor, and the check of a
 * run's args at submit.
 * @module
 */
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { KairosTypeError } from '../../errors.js';
import { checkKnownKeys, optionKeys } from '../../options-check.js';
import { checkInteger, toMilliseconds, type DurationLike } from '../../units.js';

/** Options of `WorkerThreadsExecutor`. */
export interface WorkerThreadsExecutorOptions {
  /**
   * How many worker threads run tasks, one run each at a time. Minimum: 1.
   * @default `os.availableParallelism() - 1`, at least 1 (a core is left to the main thread)
   */
  size?: number;
  /**
   * How many runs may wait for a free thread. A run submitted when this many already wait is
   * refused with `ExecutorQueueFullError` (the scheduler reports it as `jobError`); it is
   * never dropped silently. `0`: no waiting; `Infinity`: no bound.
   * @default 10_000
   */
  maxQueue?: number;
  /**
   * How long a run may go on after its `ctx.signal` aborted (timeout, lost lease, shutdown)
   * before its thread is terminated and replaced and the run rejects with the abort reason.
   * Milliseconds or a duration object.
   * @default 5_000
   */
  abortGrace?: DurationLike;
  /**
   * V8 heap limits of each thread (`worker_threads` `ResourceLimits`). A run that exceeds them
   * kills its thread; it rejects with `WorkerThreadError` (`failure: 'outOfMemory'`).
   * @default Node's defaults
   * @example { maxOldGenerationSizeMb: 256 }
   */
  resourceLimits?: ResourceLimits;
  /**
   * Node options of each thread, e.g. a loader for TypeScript task modules (see the README,
   * "TypeScript tasks").
   * @default the main thread's `process.execArgv`
   * @example ['--import', new URL('./tsx-worker.mjs', import.meta.url).href]
   */
  execArgv?: string[];
}

const KEYS = optionKeys<WorkerThreadsExecutorOptions>()(['size', 'maxQueue', 'abortGrace', 'resourceLimits', 'execArgv']);

/** The options with defaults applied, checked once at the constructor. */
export function resolveOptions(options: WorkerThreadsExecutorOptions) {
  checkKnownKeys(options, KEYS, 'WorkerThreadsExecutor');
  const size = checkInteger(options.size ?? Math.max(1, availableParallelism() - 1), 'size', 1);
  const maxQueue = options.maxQueue === Infinity ? Infinity : checkInteger(options.maxQueue ?? 10_000, 'maxQueue', 0);
  const abortGrace = toMilliseconds(options.abortGrace ?? 5_000, 'abortGrace');
  const { resourceLimits, execArgv } = options;
  if (resourceLimits !== undefined && (typeof resourceLimits !== 'object' || resourceLimits === null || Array.isArray(resourceLimits))) {
    throw new KairosTypeError('resourceLimits', resourceLimits, 'an object such as { maxOldGenerationSizeMb: 256 }');
  }
  if (execArgv !== undefined && !(Array.isArray(execArgv) && execArgv.every((a) => typeof a === 'string'))) {
    throw new KairosTypeError('execArgv', execArgv, 'an array of strings such as ["--enable-source-maps"]');
  }
  return { size, maxQueue, abortGrace, resourceLimits, execArgv };
}
