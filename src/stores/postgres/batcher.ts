/**
 * Group commit for one kind of statement: calls made while earlier batches are in flight are
 * sent together as the next batch, so a burst of runs ending at once costs a few round trips
 * instead of one each, and a lone call goes out at once (after the current microtask). Each
 * caller gets its own result, or the batch's error.
 * @module
 */

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(reason: unknown): void;
}

/** Options of {@link Batcher}. */
export interface BatcherOptions<I> {
  /** Batches sent at once at most; the rest wait (and grow). */
  maxInFlight: number;
  /** Items per batch at most. */
  maxBatch: number;
  /** Items with the same key never share a batch (the later one waits for the next). */
  key(item: I): string;
}

export class Batcher<I, O> {
  readonly #run: (items: I[]) => Promise<O[]>;
  readonly #o: BatcherOptions<I>;
  #queue: Array<Pending<I, O>> = [];
  #inFlight = 0;
  #scheduled = false;

  /** @param run sends one batch; resolves with one result per item, in order */
  constructor(run: (items: I[]) => Promise<O[]>, options: BatcherOptions<I>) {
    this.#run = run;
    this.#o = options;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.#drain();
      });
    });
  }

  #drain(): void {
    while (this.#inFlight < this.#o.maxInFlight && this.#queue.length > 0) {
      const batch: Array<Pending<I, O>> = [];
      const keys = new Set<string>();
      const rest: Array<Pending<I, O>> = [];
      for (const p of this.#queue) {
        const key = this.#o.key(p.item);
        if (batch.length < this.#o.maxBatch && !keys.has(key)) {
          keys.add(key);
          batch.push(p);
        } else {
          rest.push(p);
        }
      }
      this.#queue = rest;
      this.#inFlight++;
      this.#run(batch.map((p) => p.item))
        .then(
          (out) => batch.forEach((p, i) => p.resolve(out[i]!)),
          (err: unknown) => batch.forEach((p) => p.reject(err)),
        )
        .finally(() => {
          this.#inFlight--;
          this.#drain();
        });
    }
  }
}
