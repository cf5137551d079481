/**
 * Starting many due runs without holding the event loop: the work is done in slices, each short
 * enough that the thread is free again within about a millisecond, with a turn of the event loop
 * (setImmediate) between slices so that I/O (an HTTP server's requests) is served meanwhile.
 * @module
 */

/**
 * How long one slice may hold the thread, in ms, the promise continuations it sets off
 * included (a synchronous task's run ends in microtasks right after the slice).
 */
export const SLICE_MS = 0.5;
/** A slice does at least this much, so that a handful of runs due together start in one pass. */
const MIN_PER_SLICE = 8;
/** Most items of a slice before anything is learnt about their cost. */
const FIRST_SLICE = 32;

const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs queued work in order, in time slices. The first slice runs at once, in the caller's turn
 * (no delay for what is due now); the rest follow in later turns. A slice's own time is cut to
 * the share of the last slice's block it took, so that the microtasks a slice sets off (the
 * runs' endings) stay inside {@link SLICE_MS} too.
 */
export class Pacer<T> {
  readonly #start: (item: T) => void;
  #queue: T[] = [];
  #head = 0;
  #draining: Promise<void> | null = null;
  #active = false;
  /** The share of a slice's block spent in the slice itself (the rest in its microtasks). */
  #share = 0.5;
  /**
   * Most items a slice takes: learnt from the last slices' whole block per item, since an item
   * can be cheap in the slice and costly in the microtasks it sets off (resolving a promise).
   */
  #perSlice = FIRST_SLICE;

  readonly #deferred: boolean;

  /**
   * @param start does one item's work; what it throws is its own to report (the queue goes on).
   * @param options.deferred the first slice waits for a turn of its own too: for work added one
   *   item at a time from many continuations of one turn (runs' endings), which an immediate
   *   first slice would take one by one, each slice seeing a queue of one, never pausing.
   */
  constructor(start: (item: T) => void, { deferred = false }: { deferred?: boolean } = {}) {
    this.#start = start;
    this.#deferred = deferred;
  }

  /** Queued, not yet started. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Queues `items`, started in order after what is queued already; the first slice starts now. */
  add(items: readonly T[]): void {
    if (items.length === 0) return;
    if (this.#head === this.#queue.length) {
      // Nothing queued (the usual case: a burst of due runs): take the items whole, natively.
      this.#queue = items.slice();
      this.#head = 0;
    } else {
      for (const item of items) this.#queue.push(item);
    }
    if (this.#active) return;
    // The first slice runs inside this call; when it finishes the queue, #drain is over already.
    const draining = this.#drain();
    if (this.#active) this.#draining = draining;
  }

  /** Resolves once everything queued so far has started. */
  idle(): Promise<void> {
    return this.#draining ?? Promise.resolve();
  }

  /** What is queued and not started yet, in order (a copy). */
  pendingItems(): T[] {
    return this.#queue.slice(this.#head);
  }

  /** Takes out what has not started yet and matches (pause and shutdown give held runs back). */
  takeWhere(match: (item: T) => boolean): T[] {
    const taken: T[] = [];
    const kept: T[] = [];
    for (let i = this.#head; i < this.#queue.length; i++) (match(this.#queue[i]!) ? taken : kept).push(this.#queue[i]!);
    this.#queue.length = 0;
    this.#head = 0;
    this.#queue.push(...kept);
    return taken;
  }

  async #drain(): Promise<void> {
    this.#active = true;
    try {
      if (this.#deferred) await turn();
      let first = !this.#deferred;
      while (this.#head < this.#queue.length) {
        const start = performance.now();
        const budget = SLICE_MS * this.#share;
        let done = 0;
        while (this.#head < this.#queue.length && (done < MIN_PER_SLICE || (done < this.#perSlice && performance.now() - start < budget))) {
          const item = this.#queue[this.#head]!;
          this.#queue[this.#head++] = undefined as unknown as T;
          done++;
          try {
            this.#start(item);
          } catch {
            // Work is wrapped by its owner (the runner reports its own failures); never stop the queue.
          }
        }
        if (this.#head === this.#queue.length) break;
        const sliceEnd = performance.now();
        // The first slice ran in the caller's turn: wait for a turn of our own before measuring.
        await turn();
        const block = performance.now() - start;
        if (!first && block > 0) {
          this.#share = Math.min(0.9, Math.max(0.1, (sliceEnd - start) / block));
          this.#perSlice = Math.max(MIN_PER_SLICE, Math.floor((SLICE_MS * done) / block));
        }
        first = false;
      }
    } finally {
      this.#queue.length = 0;
      this.#head = 0;
      this.#draining = null;
      this.#active = false;
    }
  }
}

/**
 * A cooperative loop helper: `if (slicer.due()) await slicer.yield()` inside a long synchronous
 * loop (planning a thousand due jobs) gives the event loop a turn every {@link SLICE_MS}.
 */
export class Slicer {
  #start = performance.now();

  /** True once the current slice has used its time. */
  due(): boolean {
    return performance.now() - this.#start >= SLICE_MS;
  }

  /** Lets the event loop turn, then starts a new slice. */
  async yield(): Promise<void> {
    await turn();
    this.#start = performance.now();
  }
}
