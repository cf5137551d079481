/**
 * Collects calls made in one turn of the event loop and hands them to one function together
 * (the SQLite store records a burst of run completions in one transaction: a commit costs far
 * more than the statements of one completion). Each item's result, or error, goes back to its
 * own caller; a thrown error fails the whole batch.
 */
export class TurnBatch<I, R> {
  readonly #items: Array<{ item: I; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  readonly #run: (items: I[]) => Promise<Array<R | Error>>;
  /** Results that are errors of this class are rejected to their caller, others resolved. */
  readonly #itemError: new (...args: never[]) => Error;

  constructor(run: (items: I[]) => Promise<Array<R | Error>>, itemError: new (...args: never[]) => Error) {
    this.#run = run;
    this.#itemError = itemError;
  }

  get pending(): number {
    return this.#items.length;
  }

  add(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#items.push({ item, resolve, reject });
      if (this.#items.length === 1) setImmediate(() => void this.flush());
    });
  }

  async flush(): Promise<void> {
    const batch = this.#items.splice(0);
    if (batch.length === 0) return;
    try {
      const results = await this.#run(batch.map((b) => b.item));
      results.forEach((r, i) => (r instanceof this.#itemError ? batch[i]!.reject(r) : batch[i]!.resolve(r as R)));
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}
