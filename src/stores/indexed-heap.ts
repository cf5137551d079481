/**
 * A binary min-heap of string keys with numeric priorities that also finds a key's slot, so
 * insert, update, delete and peek are O(log n) (peek O(1)). MemoryJobStore keeps its jobs
 * ordered by `nextRunTime` and its pending runs by `notBefore` with it; ties break by key so
 * the order is deterministic.
 */
interface Entry {
  readonly key: string;
  priority: number;
  /** Insertion order, the tie-break. */
  readonly seq: number;
  /** The entry's slot in the heap array; kept on the entry so a swap touches no Map. */
  slot: number;
}

export class IndexedHeap {
  readonly #heap: Entry[] = [];
  readonly #entries = new Map<string, Entry>();
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The key with the smallest priority, or undefined. */
  peekKey(): string | undefined {
    return this.#heap[0]?.key;
  }

  /** The smallest priority, or undefined. */
  peekPriority(): number | undefined {
    return this.#heap[0]?.priority;
  }

  /** Inserts the key, or moves it to a new priority. */
  set(key: string, priority: number): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      const added: Entry = { key, priority, seq: this.#seq++, slot: this.#heap.length };
      this.#heap.push(added);
      this.#entries.set(key, added);
      this.#up(added.slot);
      return;
    }
    const old = entry.priority;
    entry.priority = priority;
    if (priority < old) this.#up(entry.slot);
    else this.#down(entry.slot);
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#removeAt(entry.slot);
    return true;
  }

  clear(): void {
    this.#heap.length = 0;
    this.#entries.clear();
  }

  /** Removes and returns, in order, up to `limit` keys whose priority is at most `max`. */
  popUpTo(max: number, limit: number): string[] {
    const out: string[] = [];
    while (out.length < limit && this.#heap.length > 0 && this.#heap[0]!.priority <= max) {
      const top = this.#heap[0]!;
      this.#entries.delete(top.key);
      this.#removeAt(0);
      out.push(top.key);
    }
    return out;
  }

  #removeAt(slot: number): void {
    const last = this.#heap.pop()!;
    if (slot === this.#heap.length) return;
    this.#heap[slot] = last;
    last.slot = slot;
    this.#up(slot);
    this.#down(last.slot);
  }

  #less(a: Entry, b: Entry): boolean {
    return a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq);
  }

  #up(i: number): void {
    const heap = this.#heap;
    const entry = heap[i]!;
    while (i > 0) {
      const parentSlot = (i - 1) >> 1;
      const parent = heap[parentSlot]!;
      if (!this.#less(entry, parent)) break;
      heap[i] = parent;
      parent.slot = i;
      i = parentSlot;
    }
    heap[i] = entry;
    entry.slot = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const entry = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.#less(heap[r]!, heap[l]!) ? r : l;
      if (!this.#less(heap[child]!, entry)) break;
      heap[i] = heap[child]!;
      heap[i]!.slot = i;
      i = child;
    }
    heap[i] = entry;
    entry.slot = i;
  }
}
