/**
 * The run history of MemoryJobStore: a bounded ring of entries, in the order the other stores
 * read them (`finishedAt`, then `seq`), with each job's entries also listed on their own. The
 * rules (retention, text, results) are those of `history.ts`; this file only keeps the entries.
 * @module
 */
import {
  newerInStore,
  retentionPlan,
  type HistoryPosition,
  type PreparedRunHistory,
  type ResolvedHistoryOptions,
  type RunHistoryQuery,
  type StoredRunHistoryRecord,
} from './history.js';

interface Slot {
  readonly entry: StoredRunHistoryRecord;
  /** False once retention dropped it; it then waits in `#log` for the next compaction. */
  live: boolean;
}

/** `a` is older than `b`: smaller `(finishedAt, seq)`. */
const older = (a: HistoryPosition, b: HistoryPosition): boolean => newerInStore(a, b) > 0;

/**
 * Entries oldest first, in one array read from its end (newest) and dropped from its front
 * (`#head`) as retention and the capacity let them go, plus an array per job. Every write is
 * O(entries written + entries dropped); reading a job's entries is a binary search and a walk of
 * at most `keepRuns` entries; reading across jobs walks at most the ring's capacity.
 */
export class HistoryRing {
  readonly #capacity: number;
  /** Oldest first; slots before `#head` and slots not live are dropped. */
  #log: Slot[] = [];
  #head = 0;
  /** Each job's live slots, oldest first. */
  readonly #byJob = new Map<string, Slot[]>();
  #live = 0;
  #seq = 0;

  /** @param capacity most entries kept in all (the oldest go first) */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#live;
  }

  /** Adds entries (assigning their `seq`) and applies retention. */
  record(entries: readonly PreparedRunHistory[], options: ResolvedHistoryOptions): void {
    if (entries.length === 0 || options.keepRuns === 0) return;
    for (const e of entries) {
      // Field by field, as prepareHistory builds them (no spread on the path of every run ending).
      const entry: StoredRunHistoryRecord = {
        runId: e.runId, jobId: e.jobId, scheduledRunTime: e.scheduledRunTime, lastScheduledRunTime: e.lastScheduledRunTime, missedCount: e.missedCount,
        attempt: e.attempt, startedAt: e.startedAt, finishedAt: e.finishedAt, outcome: e.outcome, error: e.error, result: e.result,
        resultTruncated: e.resultTruncated, seq: ++this.#seq,
      };
      this.#insert({ entry, live: true });
    }
    const plan = retentionPlan(entries, options);
    for (const jobId of plan.jobIds) {
      const slots = this.#byJob.get(jobId);
      if (!slots) continue;
      const excess = Math.min(slots.length - plan.keep, plan.limit);
      if (excess <= 0) continue;
      for (const slot of slots.splice(0, excess)) this.#kill(slot);
      if (slots.length === 0) this.#byJob.delete(jobId);
    }
    let byAge = 0;
    while (this.#head < this.#log.length) {
      const slot = this.#log[this.#head]!;
      if (slot.live) {
        const tooOld = slot.entry.finishedAt < plan.cutoff && byAge < plan.limit;
        if (!tooOld && this.#live <= this.#capacity) break;
        if (tooOld) byAge++;
        this.#dropOldest(slot);
      }
      this.#head++;
    }
    if (this.#log.length - this.#live > Math.max(1024, this.#live)) {
      this.#log = this.#log.slice(this.#head).filter((s) => s.live);
      this.#head = 0;
    }
  }

  /** Entries newest first, as {@link JobStore.getRunHistory} describes. */
  query(q: RunHistoryQuery): StoredRunHistoryRecord[] {
    const slots = q.jobId === undefined ? this.#log : this.#byJob.get(q.jobId);
    if (!slots) return [];
    const from = q.jobId === undefined ? this.#head : 0;
    // The first slot not older than the bound: walk down from just before it.
    let i = q.before === undefined ? slots.length : this.#lowerBound(slots, from, q.before);
    const out: StoredRunHistoryRecord[] = [];
    while (--i >= from && out.length < q.limit) {
      const { entry, live } = slots[i]!;
      if (q.since !== undefined && entry.finishedAt < q.since) break;
      if (!live || (q.outcome !== undefined && entry.outcome !== q.outcome)) continue;
      out.push({ ...entry, error: entry.error && { ...entry.error } });
    }
    return out;
  }

  /** Index of the first slot in `slots[from…]` that is not older than `at`. */
  #lowerBound(slots: Slot[], from: number, at: HistoryPosition): number {
    let lo = from;
    let hi = slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (older(slots[mid]!.entry, at)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #insert(slot: Slot): void {
    // Entries nearly always come newest: a search only when the clock went back.
    const put = (slots: Slot[], from: number): void => {
      const last = slots[slots.length - 1];
      if (last === undefined || older(last.entry, slot.entry)) slots.push(slot);
      else slots.splice(this.#lowerBound(slots, from, slot.entry), 0, slot);
    };
    put(this.#log, this.#head);
    let mine = this.#byJob.get(slot.entry.jobId);
    if (!mine) this.#byJob.set(slot.entry.jobId, (mine = []));
    put(mine, 0);
    this.#live++;
  }

  #kill(slot: Slot): void {
    slot.live = false;
    this.#live--;
  }

  /** Drops the oldest live entry: it is the oldest of its job too, so first in the job's list. */
  #dropOldest(slot: Slot): void {
    const mine = this.#byJob.get(slot.entry.jobId)!;
    mine.shift();
    if (mine.length === 0) this.#byJob.delete(slot.entry.jobId);
    this.#kill(slot);
  }
}
