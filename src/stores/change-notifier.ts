/**
 * Tells a store's subscribers (the schedulers sharing it in this process) that something they may
 * have to plan changed, once per turn of the event loop however many writes happened in it.
 * @module
 */
export class ChangeNotifier {
  readonly #listeners = new Set<() => void>();
  #scheduled = false;

  /** Adds a listener; returns its unsubscribe function (see `JobStore.subscribe`). */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Something changed: every listener hears of it on the next turn of the event loop. */
  changed(): void {
    if (this.#listeners.size === 0 || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      for (const listener of [...this.#listeners]) {
        try {
          listener();
        } catch {
          // A listener's failure is its own (the scheduler's never throws); the others still hear.
        }
      }
    });
  }
}
