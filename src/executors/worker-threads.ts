/**
 * WorkerThreadsExecutor: runs `{ module, export }` tasks on a small pool of worker_threads, so
 * CPU-heavy tasks do not block the scheduler's event loop.
 *
 * One run per thread at a time; further runs wait in a bounded FIFO queue. Each thread imports a
 * task module once and keeps it. Args and results are structured-cloned. `ctx.signal` crosses the
 * thread boundary; a run that ignores it for `abortGrace` loses its thread. A thread that dies
 * (`process.exit()`, an uncaught error, `resourceLimits`) is replaced and its run rejected with
 * {@link WorkerThreadError}. Idle threads are `unref()`ed, so they never keep the process alive.
 * @module
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { ExecutorQueueFullError, SchedulerStateError, WorkerThreadError } from '../errors.js';
import type { ExecutionRequest, Executor, ModuleTask } from './executor.js';
import { moduleSpecifier } from './load-task.js';
import { resolveOptions, type WorkerThreadsExecutorOptions } from './worker-pool/options.js';
import { refuseRequest } from './worker-pool/request-check.js';
import { reviveError, toWireReason, type FromWorker, type ToWorker } from './worker-pool/protocol.js';
import { WORKER_URL } from './worker-pool/worker-source.js';

export { ExecutorQueueFullError, WorkerThreadError } from '../errors.js';
export type { WorkerFailure } from '../errors.js';
export type { WorkerThreadsExecutorOptions } from './worker-pool/options.js';

/** One run, from `submit()` until it settles. */
interface Run {
  readonly id: number;
  readonly request: ExecutionRequest;
  readonly message: Extract<ToWorker, { type: 'run' }>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  readonly onAbort: () => void;
  slot: Slot | null;
  graceTimer: NodeJS.Timeout | null;
}

/** One worker thread. */
interface Slot {
  readonly worker: Worker;
  readonly threadId: number;
  /** It posted `ready`: it started, its preloads ran. */
  ready: boolean;
  run: Run | null;
  /** The last `error` event, read when the thread exits. */
  error: unknown;
  /** We terminated it: its exit is expected. */
  retired: boolean;
  readonly exited: Promise<void>;
}

type State = 'stopped' | 'starting' | 'running' | 'stopping';

/**
 * Runs tasks given as `{ module, export }` on a pool of worker threads.
 * @example
 * const scheduler = new Scheduler({ executors: { workers: new WorkerThreadsExecutor({ size: 2 }) } });
 * scheduler.registerTask('resize', { module: new URL('./tasks/images.js', import.meta.url), export: 'resize' });
 * await scheduler.addJob('resize', 'cron', '0 * * * *', { executor: 'workers', args: ['/photos'] });
 */
export class WorkerThreadsExecutor implements Executor {
  /** The number of worker threads. */
  readonly size: number;
  /** How many runs may wait for a thread. */
  readonly maxQueue: number;
  /** Milliseconds a run may ignore its aborted signal before its thread is terminated. */
  readonly abortGrace: number;
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #execArgv: string[] | undefined;

  #state: State = 'stopped';
  readonly #slots = new Set<Slot>();
  /** Threads being terminated: shutdown waits for them. */
  readonly #retiring = new Set<Slot>();
  /** Waiting runs in submit order (a Set keeps insertion order and deletes in O(1)). */
  readonly #queue = new Set<Run>();
  #nextRunId = 1;
  #starting: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  /** Resolves a waiting `shutdown({ wait: true })` once nothing runs or waits. */
  #onDrained: (() => void) | null = null;

  constructor(options: WorkerThreadsExecutorOptions = {}) {
    const resolved = resolveOptions(options);
    this.size = resolved.size;
    this.maxQueue = resolved.maxQueue;
    this.abortGrace = resolved.abortGrace;
    this.#resourceLimits = resolved.resourceLimits;
    this.#execArgv = resolved.execArgv;
  }

  /** Live worker threads (0 once shut down). */
  get threads(): number {
    return this.#slots.size + this.#retiring.size;
  }

  /** Runs in flight on a thread. */
  get running(): number {
    let n = 0;
    for (const slot of this.#slots) if (slot.run) n++;
    return n;
  }

  /** Runs waiting for a free thread. */
  get waiting(): number {
    return this.#queue.size;
  }

  /**
   * Starts `size` threads and resolves once each is ready. Rejects with {@link WorkerThreadError}
   * (`failure: 'startup'`) when one cannot start. Calling it while running does nothing; after
   * `shutdown()` it starts a fresh pool.
   */
  async start(): Promise<void> {
    if (this.#stopping) await this.#stopping;
    if (this.#starting) return this.#starting;
    if (this.#state === 'running') return;
    this.#state = 'starting';
    const starting = (async () => {
      const slots = Array.from({ length: this.size }, () => this.#spawn());
      try {
        await Promise.all(slots.map((slot) => this.#whenReady(slot)));
        this.#state = 'running';
      } catch (err) {
        await this.#stop(false);
        throw err;
      }
    })();
    this.#starting = starting;
    try {
      await starting;
    } finally {
      this.#starting = null;
    }
  }

  /**
   * Runs the task in a worker thread as `task(...args, ctx)`; resolves with its (cloned) result
   * or rejects with its error, rebuilt with name, message, stack and own fields.
   * Rejects at once, touching no thread, with a `TypeError` for a function task or uncloneable
   * args, with {@link ExecutorQueueFullError} when `maxQueue` runs already wait, and with the
   * signal's reason when it is aborted.
   */
  submit(request: ExecutionRequest): Promise<unknown> {
    if (this.#state !== 'running' && this.#state !== 'starting') {
      return Promise.reject(
        new SchedulerStateError(
          `WorkerThreadsExecutor is ${this.#state === 'stopping' ? 'shutting down' : 'not started'}; the run of job ` +
            `"${request.context.jobId}" was refused (Scheduler.start() starts its executors; after shutdown(), call start() again)`,
        ),
      );
    }
    const refused = refuseRequest(request);
    if (refused) return Promise.reject(refused);
    const { task, taskId, context } = request as ExecutionRequest & { task: ModuleTask };
    if (context.signal.aborted) return Promise.reject(context.signal.reason);
    if (this.#queue.size >= this.maxQueue && !(this.#queue.size === 0 && this.#hasFreeThread())) {
      return Promise.reject(new ExecutorQueueFullError(context.jobId, taskId, this.maxQueue));
    }

    return new Promise((resolve, reject) => {
      const run: Run = {
        id: this.#nextRunId++,
        request,
        message: {
          type: 'run',
          id: 0,
          module: moduleSpecifier(task.module),
          export: task.export ?? 'default',
          taskId,
          args: request.args,
          context: { jobId: context.jobId, scheduledRunTime: context.scheduledRunTime, runId: context.runId, attempt: context.attempt },
        },
        resolve,
        reject,
        onAbort: () => this.#abort(run),
        slot: null,
        graceTimer: null,
      };
      run.message.id = run.id;
      context.signal.addEventListener('abort', run.onAbort, { once: true });
      this.#queue.add(run);
      this.#dispatch();
    });
  }

  /**
   * Stops accepting runs. With `wait`, lets every run in flight or waiting finish, then ends the
   * threads. Without, rejects the waiting runs and those in flight (with their signal's reason
   * when aborted) and terminates the threads at once. Resolves when no thread is left.
   * Idempotent; a `wait: false` call hurries a waiting one.
   */
  async shutdown({ wait }: { wait: boolean } = { wait: true }): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => {});
    return this.#stop(wait);
  }

  #stop(wait: boolean): Promise<void> {
    if (this.#state === 'stopped') return Promise.resolve();
    if (this.#state === 'stopping' && this.#stopping) {
      if (!wait) this.#terminateAll();
      return this.#stopping;
    }
    this.#state = 'stopping';
    const stopping = (async () => {
      if (wait && (this.#queue.size > 0 || this.running > 0)) {
        await new Promise<void>((resolve) => (this.#onDrained = resolve));
      }
      this.#terminateAll();
      await Promise.all([...this.#retiring].map((slot) => slot.exited));
      this.#state = 'stopped';
      this.#stopping = null;
    })();
    this.#stopping = stopping;
    return stopping;
  }

  #hasFreeThread(): boolean {
    if (this.#slots.size < this.size) return true;
    for (const slot of this.#slots) if (!slot.run) return true;
    return false;
  }

  /** Hands waiting runs to free threads, starting threads up to `size`. */
  #dispatch(): void {
    for (const run of this.#queue) {
      let free: Slot | undefined;
      for (const slot of this.#slots) {
        if (!slot.run) {
          free = slot;
          break;
        }
      }
      if (!free && this.#slots.size < this.size) free = this.#spawn();
      if (!free) break;
      this.#queue.delete(run);
      run.slot = free;
      free.run = run;
      free.worker.ref(); // a busy thread keeps the process alive; an idle one does not
      try {
        free.worker.postMessage(run.message); // args were checked at submit: this should not throw
      } catch (err) {
        free.run = null;
        free.worker.unref();
        this.#settle(run, false, err);
      }
    }
    this.#checkDrained();
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_URL, {
      ...(this.#resourceLimits ? { resourceLimits: this.#resourceLimits } : {}),
      ...(this.#execArgv ? { execArgv: this.#execArgv } : {}),
    });
    // Referenced until it is ready (so awaiting start() keeps the process alive), then only while busy.
    let onExit!: () => void;
    const slot: Slot = {
      worker,
      threadId: worker.threadId,
      ready: false,
      run: null,
      error: undefined,
      retired: false,
      exited: new Promise<void>((resolve) => (onExit = resolve)),
    };
    worker.on('message', (msg: FromWorker) => this.#onMessage(slot, msg));
    worker.on('error', (err) => {
      slot.error = err;
    });
    worker.on('exit', (code) => {
      onExit();
      this.#onExit(slot, code);
    });
    this.#slots.add(slot);
    return slot;
  }

  #whenReady(slot: Slot): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (msg: FromWorker) => {
        if (msg.type !== 'ready') return;
        slot.worker.off('exit', onExit);
        resolve();
      };
      const onExit = () => {
        slot.worker.off('message', onMessage);
        reject(new WorkerThreadError('startup', { threadId: slot.threadId }, { cause: slot.error }));
      };
      slot.worker.on('message', onMessage);
      slot.worker.once('exit', onExit);
    });
  }

  #onMessage(slot: Slot, msg: FromWorker): void {
    if (msg.type === 'ready') {
      slot.ready = true;
      if (!slot.run) slot.worker.unref(); // an idle thread must not keep the process alive
      return;
    }
    const run = slot.run;
    if (!run || run.id !== msg.id) return; // a run already settled (e.g. abandoned after its grace)
    slot.run = null;
    slot.worker.unref();
    if (msg.ok) this.#settle(run, true, msg.value);
    else this.#settle(run, false, msg.isAbortReason ? run.request.context.signal.reason : reviveError(msg.error));
    this.#dispatch();
  }

  #onExit(slot: Slot, exitCode: number): void {
    this.#slots.delete(slot);
    this.#retiring.delete(slot);
    const run = slot.run;
    slot.run = null;
    if (run && !slot.retired) {
      const err = slot.error as (Error & { code?: unknown }) | undefined;
      const failure = err?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'outOfMemory' : !slot.ready ? 'startup' : err !== undefined ? 'error' : 'exit';
      const { jobId, runId } = run.request.context;
      this.#settle(
        run,
        false,
        new WorkerThreadError(
          failure,
          { jobId, taskId: run.request.taskId, runId, threadId: slot.threadId, exitCode, resourceLimits: this.#resourceLimits },
          { cause: err },
        ),
      );
    }
    if (slot.retired) return;
    // A thread that died after starting is replaced at once; one that could not start is not
    // (the next waiting run starts one), so a broken execArgv cannot spin in a respawn loop.
    if (slot.ready && (this.#state === 'running' || this.#state === 'starting')) this.#spawn();
    this.#dispatch();
  }

  /** The run's signal aborted: drop it if waiting; else tell the thread, and give it `abortGrace`. */
  #abort(run: Run): void {
    const { signal } = run.request.context;
    if (this.#queue.delete(run)) {
      this.#settle(run, false, signal.reason);
      this.#checkDrained();
      return;
    }
    const slot = run.slot;
    if (!slot || slot.run !== run) return;
    slot.worker.postMessage({ type: 'abort', id: run.id, reason: toWireReason(signal.reason) } satisfies ToWorker);
    run.graceTimer = setTimeout(() => {
      run.graceTimer = null;
      if (slot.run !== run) return;
      // The task ignored its signal (or blocks its thread): take the thread away from it.
      slot.run = null;
      this.#settle(run, false, signal.reason);
      this.#retire(slot);
      if (this.#state === 'running') this.#spawn();
      this.#dispatch();
    }, this.abortGrace);
    run.graceTimer.unref();
  }

  #settle(run: Run, ok: boolean, value: unknown): void {
    run.request.context.signal.removeEventListener('abort', run.onAbort);
    if (run.graceTimer) clearTimeout(run.graceTimer);
    run.graceTimer = null;
    run.slot = null;
    if (ok) run.resolve(value);
    else run.reject(value);
  }

  #retire(slot: Slot): void {
    if (slot.retired) return;
    slot.retired = true;
    this.#slots.delete(slot);
    this.#retiring.add(slot);
    void slot.worker.terminate();
  }

  /** Ends every thread; rejects what waits or runs. */
  #terminateAll(): void {
    for (const run of this.#queue) {
      const { signal, jobId, runId } = run.request.context;
      this.#settle(run, false, signal.aborted ? signal.reason : new WorkerThreadError('shutdown', { jobId, taskId: run.request.taskId, runId, threadId: -1 }));
    }
    this.#queue.clear();
    for (const slot of [...this.#slots]) {
      const run = slot.run;
      slot.run = null;
      if (run) {
        const { signal, jobId, runId } = run.request.context;
        this.#settle(
          run,
          false,
          signal.aborted ? signal.reason : new WorkerThreadError('shutdown', { jobId, taskId: run.request.taskId, runId, threadId: slot.threadId }),
        );
      }
      this.#retire(slot);
    }
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#onDrained && this.#queue.size === 0 && this.running === 0) {
      const resolve = this.#onDrained;
      this.#onDrained = null;
      resolve();
    }
  }
}
