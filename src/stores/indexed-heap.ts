/**
 * A binary min-heap of string keys with numeric priorities that also finds a key's slot, so
 * insert, update, delete and peek are O(log n) (peek O(1)). MemoryJobStore keeps its jobs
 * ordered by `nextRunTime` and its pending runs by `notBefore` with it; ties break by key so
 * the order is deterministic.
 */
export class IndexedHeap {
  readonly #keys: string[] = [];
  readonly #priorities: number[] = [];
  readonly #slot = new Map<string, number>();

  get size(): number {
    return this.#keys.length;
  }

  has(key: string): boolean {
    return this.#slot.has(key);
  }

  /** The key with the smallest priority, or undefined. */
  peekKey(): string | undefined {
    return this.#keys[0];
  }

  /** The smallest priority, or undefined. */
  peekPriority(): number | undefined {
    return this.#priorities[0];
  }

  /** Inserts the key, or moves it to a new priority. */
  set(key: string, priority: number): void {
    const at = this.#slot.get(key);
    if (at === undefined) {
      this.#keys.push(key);
      this.#priorities.push(priority);
      this.#slot.set(key, this.#keys.length - 1);
      this.#up(this.#keys.length - 1);
      return;
    }
    const old = this.#priorities[at]!;
    this.#priorities[at] = priority;
    if (priority < old) this.#up(at);
    else this.#down(at);
  }

  delete(key: string): boolean {
    const at = this.#slot.get(key);
    if (at === undefined) return false;
    const last = this.#keys.length - 1;
    this.#swap(at, last);
    this.#keys.pop();
    this.#priorities.pop();
    this.#slot.delete(key);
    if (at < last) {
      this.#up(at);
      this.#down(at);
    }
    return true;
  }

  clear(): void {
    this.#keys.length = 0;
    this.#priorities.length = 0;
    this.#slot.clear();
  }

  /**
   * Removes and returns, in order, up to `limit` keys whose priority is at most `max`.
   */
  popUpTo(max: number, limit: number): string[] {
    const out: string[] = [];
    while (out.length < limit && this.#keys.length > 0 && this.#priorities[0]! <= max) {
      const key = this.#keys[0]!;
      this.delete(key);
      out.push(key);
    }
    return out;
  }

  #less(a: number, b: number): boolean {
    const pa = this.#priorities[a]!;
    const pb = this.#priorities[b]!;
    return pa < pb || (pa === pb && this.#keys[a]! < this.#keys[b]!);
  }

  #swap(a: number, b: number): void {
    if (a === b) return;
    const ka = this.#keys[a]!;
    const kb = this.#keys[b]!;
    this.#keys[a] = kb;
    this.#keys[b] = ka;
    const pa = this.#priorities[a]!;
    this.#priorities[a] = this.#priorities[b]!;
    this.#priorities[b] = pa;
    this.#slot.set(kb, a);
    this.#slot.set(ka, b);
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(l, m)) m = l;
      if (r < n && this.#less(r, m)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}
