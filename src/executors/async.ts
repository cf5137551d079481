/**
 * AsyncExecutor: runs tasks on the event loop, at most `concurrency` at once; the rest wait in
 * order. Suits I/O-bound tasks; CPU-bound ones belong on `WorkerThreadsExecutor`.
 * @module
 */
import { checkInteger } from '../units.js';
import type { ExecutionRequest, Executor, ModuleTask } from './executor.js';
import { loadModuleTask } from './load-task.js';

/** Options of {@link AsyncExecutor}. */
export interface AsyncExecutorOptions {
  /** How many tasks may run at once; further runs wait, first in first out. Minimum: 1. @default 10 */
  concurrency?: number;
}

interface Waiting {
  request: ExecutionRequest;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
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
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#drain();
    });
  }

  async shutdown({ wait }: { wait: boolean }): Promise<void> {
    if (!wait) {
      // Signals are aborted by the scheduler; runs still queued never start.
      for (let i = this.#queueHead; i < this.#queue.length; i++) {
        const w = this.#queue[i]!;
        w.reject(w.request.context.signal.reason ?? new Error('the executor was shut down'));
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
      const { signal } = next.request.context;
      if (signal.aborted) {
        next.reject(signal.reason);
        continue;
      }
      this.#running++;
      this.#run(next.request).then(next.resolve, next.reject).finally(() => {
        this.#running--;
        this.#drain();
        if (this.#running === 0 && this.waiting === 0) {
          for (const resolve of this.#idle) resolve();
          this.#idle.clear();
        }
      });
    }
  }

  async #run({ task, taskId, args, context }: ExecutionRequest): Promise<unknown> {
    const fn = typeof task === 'function' ? (task as (...a: unknown[]) => unknown) : await this.#load(task, taskId);
    return await fn(...args, context);
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
