/**
 * AsyncExecutor: runs tasks on the event loop, at most `concurrency` at once; the rest wait in
 * order. Suits I/O-bound tasks; CPU-bound ones belong on `WorkerThreadsExecutor`.
 * @module
 */
import { ShutdownAbortError } from '../errors.js';
import { checkKnownKeys, optionKeys } from '../options-check.js';
import { checkInteger } from '../units.js';
import type { ExecutionRequest, Executor, ModuleTask } from './executor.js';
import { loadModuleTask } from './load-task.js';

/** Options of {@link AsyncExecutor}. */
export interface AsyncExecutorOptions {
  /** How many tasks may run at once; further runs wait, first in first out. Minimum: 1. @default 10 */
  concurrency?: number;
}

const KEYS = optionKeys<AsyncExecutorOptions>()(['concurrency']);

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

interface Waiting {
  request: ExecutionRequest;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  /** True once it waited behind others: only then can its signal have fired before it started. */
  queued: boolean;
}

/** Runs tasks in this thread's event loop with a concurrency limit and a FIFO queue. */
export class AsyncExecutor implements Executor {
  /** The concurrency limit. */
  readonly concurrency: number;
  readonly #queue: Waiting[] = [];
  #queueHead = 0;
  #running = 0;
  readonly #idle = new Set<() => void>();
  readonly #modules = new Map<string, Promise<(...args: unknown[]) => unknown>>();

  constructor(options: AsyncExecutorOptions = {}) {
    checkKnownKeys(options, KEYS, 'AsyncExecutor');
    this.concurrency = checkInteger(options.concurrency ?? 10, 'concurrency', 1);
  }

  /** Runs in flight. */
  get running(): number {
    return this.#running;
  }

  /** Runs waiting for a free slot. */
  get waiting(): number {
    return this.#queue.length - this.#queueHead;
  }

  async start(): Promise<void> {}

  submit(request: ExecutionRequest): Promise<unknown> {
    if (this.#running < this.concurrency && this.waiting === 0) {
      // A free slot and no queue: call at once. A synchronous task (the usual burst of due runs)
      // then costs one settled promise, not a queue entry and its resolvers.
      let result: unknown;
      try {
        result = this.#call(request);
      } catch (err) {
        return Promise.reject(err);
      }
      if (!isThenable(result)) return Promise.resolve(result);
      this.#running++;
      return Promise.resolve(result).finally(() => this.#settled());
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject, queued: this.waiting > 0 || this.#running >= this.concurrency });
      this.#drain();
    });
  }

  async shutdown({ wait }: { wait: boolean }): Promise<void> {
    if (!wait) {
      // Signals are aborted by the scheduler; runs still queued never start.
      for (let i = this.#queueHead; i < this.#queue.length; i++) {
        const w = this.#queue[i]!;
        w.reject(w.request.context.signal.reason ?? new ShutdownAbortError('executor'));
      }
      this.#queue.length = 0;
      this.#queueHead = 0;
      return;
    }
    if (this.#running === 0 && this.waiting === 0) return;
    await new Promise<void>((resolve) => this.#idle.add(resolve));
  }

  #drain(): void {
    while (this.#running < this.concurrency && this.#queueHead < this.#queue.length) {
      const next = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as Waiting;
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#queueHead);
        this.#queueHead = 0;
      }
      if (next.queued && next.request.context.signal.aborted) {
        next.reject(next.request.context.signal.reason);
        continue;
      }
      let result: unknown;
      try {
        result = this.#call(next.request);
      } catch (err) {
        next.reject(err);
        continue;
      }
      if (!isThenable(result)) {
        // A synchronous task has already finished: its slot is free for the next run at once,
        // so a burst of due runs starts in one pass instead of one per promise turn.
        next.resolve(result);
        continue;
      }
      this.#running++;
      result.then(
        (value) => {
          next.resolve(value);
          this.#settled();
        },
        (err: unknown) => {
          next.reject(err);
          this.#settled();
        },
      );
    }
  }

  /** A task that returned a promise has settled: its slot goes to the next one waiting. */
  #settled(): void {
    this.#running--;
    this.#drain();
    if (this.#running === 0 && this.waiting === 0) {
      for (const resolve of this.#idle) resolve();
      this.#idle.clear();
    }
  }

  #call({ task, taskId, args, context }: ExecutionRequest): unknown {
    if (typeof task === 'function') return (task as (...a: unknown[]) => unknown)(...args, context);
    return this.#load(task, taskId).then((fn) => fn(...args, context));
  }

  #load(task: ModuleTask, taskId: string): Promise<(...args: unknown[]) => unknown> {
    const key = `${String(task.module)}#${task.export ?? 'default'}`;
    let loaded = this.#modules.get(key);
    if (!loaded) {
      loaded = loadModuleTask(task, taskId);
      loaded.catch(() => this.#modules.delete(key));
      this.#modules.set(key, loaded);
    }
    return loaded;
  }
}
