/**
 * Writes run outcomes to their store's run history, off the runs' path. The runner and the
 * dispatcher hand each outcome to {@link HistoryRecorder.record}, which only queues it; the
 * queue of each store is written in batches (`JobStore.recordRuns`), one write at a time per
 * store, so a burst of runs ending together costs a few writes, not one each. A run never waits
 * for its history and never fails because of it: a write that fails is logged with its store and
 * runs as fields, and counted (`StoreStats.errors` and `StoreStats.runsNotRecorded`).
 * @module
 */
import { JobTimeoutError, LeaseLostError, ShutdownAbortError } from '../errors.js';
import { describeError, type RunHistoryOutcome, type RunHistoryRecord } from '../stores/history.js';
import type { JobStore, Logger } from '../stores/job-store.js';

/** Most entries one `recordRuns` call writes. */
export const HISTORY_BATCH = 500;
/**
 * The same for a store in memory, whose write runs without a pause (500 entries took 4-5 ms):
 * smaller batches with a turn of the event loop between them keep the thread free (25 take ~0.2 ms).
 */
export const MEMORY_HISTORY_BATCH = 25;
/**
 * Most entries waiting for one store. Only a write that hangs (a store that stopped answering)
 * lets the queue grow; past this, the oldest waiting entries are dropped and counted, so a dead
 * store cannot make the scheduler run out of memory.
 */
export const MAX_QUEUED = 20_000;
/**
 * How long `close()` waits for the history writes in progress (real time) before it lets the
 * stores close anyway: a store that stopped answering must not hold `shutdown()` for ever.
 */
export const CLOSE_WAIT_MS = 5_000;

/** What the recorder needs from the scheduler. */
export interface HistoryRecorderContext {
  logger: Logger;
  /** A write failed: counted as a failed store operation in `stats()`. */
  onStoreError(storeName: string): void;
  /** `count` entries of that store were not recorded (a failed write, an overflow, a closed recorder). */
  onNotRecorded(storeName: string, count: number): void;
}

interface StoreQueue {
  readonly name: string;
  readonly store: JobStore;
  entries: RunHistoryRecord[];
  /** The write loop in progress, which takes entries queued meanwhile too. */
  writing: Promise<void> | null;
}

/** The outcome of a run that threw (or was aborted with) `error`. */
export function outcomeOfError(error: unknown): RunHistoryOutcome {
  if (error instanceof JobTimeoutError) return 'timedOut';
  if (error instanceof ShutdownAbortError) return 'aborted';
  if (error instanceof LeaseLostError) return 'leaseLost';
  return 'failed';
}

/** A run history entry for an outcome with an error (`error` as thrown; described here). */
export function entryWithError(entry: Omit<RunHistoryRecord, 'error' | 'outcome'>, error: unknown, outcome = outcomeOfError(error)): RunHistoryRecord {
  return { ...entry, outcome, error: describeError(error) };
}

/** Batches run outcomes into each store's run history. */
export class HistoryRecorder {
  readonly #ctx: HistoryRecorderContext;
  readonly #queues = new Map<string, StoreQueue>();
  #scheduled = false;
  #open = false;

  constructor(context: HistoryRecorderContext) {
    this.#ctx = context;
  }

  /** Accepts entries from now on (the scheduler's stores are open). */
  open(): void {
    this.#open = true;
  }

  /**
   * Queues one outcome for `store`; returns at once and never throws. The write happens in a
   * later turn of the event loop, together with the other outcomes queued by then.
   */
  record(storeName: string, store: JobStore, entry: RunHistoryRecord): void {
    if (!store.recordRuns) return; // a store without run history
    if (!this.#open) {
      // A run that ended after shutdown closed the stores (shutdown({ wait: false }) gives runs 1 s).
      this.#ctx.onNotRecorded(storeName, 1);
      this.#ctx.logger.debug(`kairos: run "${entry.runId}" ended after the stores closed; its outcome "${entry.outcome}" is not in the run history`, {
        jobId: entry.jobId, runId: entry.runId, jobStore: storeName,
      });
      return;
    }
    let queue = this.#queues.get(storeName);
    if (queue === undefined) this.#queues.set(storeName, (queue = { name: storeName, store, entries: [], writing: null }));
    queue.entries.push(entry);
    if (queue.entries.length > MAX_QUEUED) this.#overflow(queue);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // setImmediate, not a microtask: the runs ending in this turn go in the same batch.
      setImmediate(() => {
        this.#scheduled = false;
        for (const q of this.#queues.values()) void this.#drain(q);
      });
    }
  }

  /** Resolves once every entry queued so far is written (or its write failed). Never rejects. */
  async flush(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => this.#drain(q)));
  }

  /**
   * Writes what is queued, then accepts nothing more (the stores are about to close). Waits at
   * most `waitMs` of real time: what is still queued then is dropped and counted (a write in
   * progress may still land).
   */
  async close(waitMs = CLOSE_WAIT_MS): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = await Promise.race([
      this.flush().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), waitMs))),
    ]);
    clearTimeout(timer);
    this.#open = false;
    if (!gaveUp) return;
    for (const queue of this.#queues.values()) {
      const dropped = queue.entries.length;
      if (queue.writing === null && dropped === 0) continue;
      queue.entries = [];
      if (dropped > 0) this.#ctx.onNotRecorded(queue.name, dropped);
      this.#ctx.logger.warn(
        `kairos: store "${queue.name}" did not finish writing run history within ${waitMs} ms of shutdown; ${dropped} queued outcome(s) dropped`,
        { jobStore: queue.name, dropped },
      );
    }
  }

  /** Writes the store's queue in batches until it is empty; the one write loop of that store. */
  #drain(queue: StoreQueue): Promise<void> {
    if (queue.writing) return queue.writing;
    if (queue.entries.length === 0) return Promise.resolve();
    queue.writing = (async () => {
      const size = queue.store.persistent ? HISTORY_BATCH : MEMORY_HISTORY_BATCH;
      let first = true;
      while (queue.entries.length > 0) {
        if (!first && !queue.store.persistent) await new Promise<void>((resolve) => setImmediate(resolve));
        first = false;
        if (queue.entries.length === 0) break;
        // The whole queue when it fits, else its first `size` (splice: no copy of the rest per batch).
        const batch = queue.entries.length <= size ? queue.entries : queue.entries.splice(0, size);
        if (batch === queue.entries) queue.entries = [];
        try {
          await queue.store.recordRuns!(batch);
        } catch (err) {
          this.#ctx.onStoreError(queue.name);
          this.#ctx.onNotRecorded(queue.name, batch.length);
          this.#ctx.logger.warn(
            `kairos: store "${queue.name}" failed to record ${batch.length} run outcome(s) in its run history; the runs themselves are unaffected`,
            { jobStore: queue.name, entries: batch.length, runIds: batch.slice(0, 10).map((e) => e.runId) },
            err,
          );
        }
      }
    })().finally(() => {
      queue.writing = null;
    });
    return queue.writing;
  }

  #overflow(queue: StoreQueue): void {
    // Down to a batch below the cap, so that a stuck store logs once per batch, not per run.
    const dropped = queue.entries.length - (MAX_QUEUED - HISTORY_BATCH);
    queue.entries = queue.entries.slice(dropped);
    this.#ctx.onNotRecorded(queue.name, dropped);
    this.#ctx.logger.warn(
      `kairos: store "${queue.name}" is not keeping up with run history (${MAX_QUEUED} outcomes waiting); the oldest ${dropped} are dropped`,
      { jobStore: queue.name, dropped },
    );
  }
}
