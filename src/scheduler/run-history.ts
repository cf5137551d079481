/**
 * `getRuns`: the run history of every store (or one), newest first, paged by cursor. Each store
 * answers for its own entries (`JobStore.getRunHistory`, newest first by `(finishedAt, seq)`);
 * this module checks the query, asks each store for at most `limit` entries past the cursor,
 * and merges them. Across stores, ties at one `finishedAt` are broken by the store's name, so a
 * read over several stores has one total order and a cursor names a position in it:
 * `(finishedAt, store, seq)`.
 *
 * Paging: the result is an array (the run history newest first, as SPEC has it); each entry
 * carries its `cursor`, and `getRuns({ ...sameFilters, cursor: page.at(-1).cursor })` reads the
 * entries after it. A page shorter than `limit` is the last one. The cursor is a position, not a
 * snapshot: entries recorded meanwhile are newer and never shift the pages after it.
 * @module
 */
import { KairosRangeError, KairosTypeError } from '../errors.js';
import { checkKnownKeys, optionKeys } from '../options-check.js';
import {
  newerInStore,
  RUN_HISTORY_OUTCOMES,
  type HistoryPosition,
  type RunError,
  type RunHistoryOutcome,
  type RunHistoryQuery,
  type StoredRunHistoryRecord,
} from '../stores/history.js';
import type { JobStore } from '../stores/job-store.js';
import { checkInteger, toDate, type InstantLike } from '../units.js';

/** A run history entry, as `getRuns` resolves it (newest first). */
export interface RunHistoryEntry {
  runId: string;
  jobId: string;
  /** The store holding the entry (the job's store when it ran). */
  jobStore: string;
  /** The fire time the run belongs to; for `missed`, the first fire time missed. */
  scheduledRunTime: Date;
  /** The try, from 1 (each try is an entry of its own). */
  attempt: number;
  /** When the run was handed to its executor; `null` when it never started (`missed`, `maxInstances`, a lease lost before it started). */
  startedAt: Date | null;
  /** When the outcome was known, on the scheduler's clock (for `missed` and `maxInstances`, when the scheduler decided it). */
  finishedAt: Date;
  outcome: RunHistoryOutcome;
  /** What the task threw, or why the run ended (`JobTimeoutError`, `ShutdownAbortError`, `LeaseLostError`); absent for `succeeded`, `missed` and `maxInstances`. */
  error?: RunError;
  /**
   * What the task returned, as it reads back from JSON (`succeeded` only; absent when it returned
   * nothing or something JSON cannot hold). When `resultTruncated`, the start of its JSON text.
   */
  result?: unknown;
  /** Present (true) when `result` is the cut JSON text of a result longer than the store's `maxResultBytes`. */
  resultTruncated?: true;
  /** `missed` only: the last fire time missed. */
  lastScheduledRunTime?: Date;
  /** `missed` only: how many fire times were missed, or `null` where the trigger cannot count them without walking them. */
  missedCount?: number | null;
  /** Pass as `getRuns({ cursor })` to read the entries after this one. Opaque. */
  cursor: string;
}

/** What `getRuns` reads; every field optional. */
export interface GetRunsQuery {
  /** Only this job's entries (a removed job's entries too, until retention drops them). */
  jobId?: string;
  /** Only entries with this outcome. */
  outcome?: RunHistoryOutcome;
  /** Only entries that finished at or after this instant. */
  since?: InstantLike;
  /** Only entries that finished strictly before this instant. */
  before?: InstantLike;
  /** Most entries returned (1 to 1000). @default 100 */
  limit?: number;
  /** Continue after this entry: the `cursor` of the last entry of the previous page. */
  cursor?: string;
  /** Only this store's entries. @default every store */
  jobStore?: string;
}

const QUERY_KEYS = optionKeys<GetRunsQuery>()(['jobId', 'outcome', 'since', 'before', 'limit', 'cursor', 'jobStore']);
/** Most entries one `getRuns` returns. */
export const MAX_RUNS_LIMIT = 1000;

/** A position in the newest-first order across stores (what a cursor holds). */
interface CursorPosition {
  finishedAt: number;
  store: string;
  seq: number;
}

/** {@link GetRunsQuery} checked and resolved. */
export interface ResolvedRunsQuery {
  jobStore?: string;
  jobId?: string;
  outcome?: RunHistoryOutcome;
  since?: number;
  before?: number;
  limit: number;
  cursor?: CursorPosition;
}

/**
 * Checks a `getRuns` query. Errors name the field.
 * @throws TypeError / RangeError
 */
export function resolveRunsQuery(query: GetRunsQuery = {}): ResolvedRunsQuery {
  checkKnownKeys(query, QUERY_KEYS, 'getRuns');
  const out: ResolvedRunsQuery = { limit: 100 };
  if (query.jobStore !== undefined) {
    if (typeof query.jobStore !== 'string') throw new KairosTypeError('jobStore', query.jobStore, 'the name of a job store');
    out.jobStore = query.jobStore;
  }
  if (query.jobId !== undefined) {
    if (typeof query.jobId !== 'string' || query.jobId === '') throw new KairosTypeError('jobId', query.jobId, 'a job id (a non-empty string)');
    out.jobId = query.jobId;
  }
  if (query.outcome !== undefined) {
    if (!RUN_HISTORY_OUTCOMES.includes(query.outcome)) throw new KairosRangeError('outcome', query.outcome, `one of ${RUN_HISTORY_OUTCOMES.join(', ')}`);
    out.outcome = query.outcome;
  }
  if (query.since !== undefined) out.since = toDate(query.since, 'since').getTime();
  if (query.before !== undefined) out.before = toDate(query.before, 'before').getTime();
  if (query.limit !== undefined) out.limit = checkInteger(query.limit, 'limit', 1, MAX_RUNS_LIMIT);
  if (query.cursor !== undefined) out.cursor = decodeCursor(query.cursor);
  return out;
}

/** The cursor of an entry: its position across stores, as opaque text. */
export function encodeCursor(finishedAt: number, store: string, seq: number): string {
  return Buffer.from(JSON.stringify([1, finishedAt, store, seq])).toString('base64url');
}

function decodeCursor(cursor: unknown): CursorPosition {
  const bad = (): never => {
    throw new KairosRangeError('cursor', cursor, 'the cursor of an entry getRuns returned');
  };
  if (typeof cursor !== 'string') throw new KairosTypeError('cursor', cursor, 'the cursor (a string) of an entry getRuns returned');
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return bad();
  }
  if (!Array.isArray(parts) || parts.length !== 4 || parts[0] !== 1) return bad();
  const [, finishedAt, store, seq] = parts as [number, unknown, unknown, unknown];
  if (!Number.isSafeInteger(finishedAt) || typeof store !== 'string' || !Number.isSafeInteger(seq)) return bad();
  return { finishedAt: finishedAt as number, store, seq: seq as number };
}

/**
 * The store-level query for store `store`: its bound is the tighter of `before` and the cursor.
 * Across stores, ties at one `finishedAt` go by store name (larger first), so for a store named
 * before the cursor's all its entries at that instant are still to come, after it none.
 */
export function storeQuery(q: ResolvedRunsQuery, store: string): RunHistoryQuery {
  const out: RunHistoryQuery = { limit: q.limit };
  if (q.jobId !== undefined) out.jobId = q.jobId;
  if (q.outcome !== undefined) out.outcome = q.outcome;
  if (q.since !== undefined) out.since = q.since;
  let bound: HistoryPosition | undefined = q.before === undefined ? undefined : { finishedAt: q.before, seq: 0 };
  if (q.cursor !== undefined) {
    const c = q.cursor;
    const seq = store < c.store ? Number.MAX_SAFE_INTEGER : store === c.store ? c.seq : 0;
    const fromCursor = { finishedAt: c.finishedAt, seq };
    if (bound === undefined || newerInStore(fromCursor, bound) > 0) bound = fromCursor;
  }
  if (bound !== undefined) out.before = bound;
  return out;
}

/** Newest first across stores: `finishedAt`, then store name, then `seq`, each larger first. */
export function newerAcrossStores(a: { record: HistoryPosition; store: string }, b: { record: HistoryPosition; store: string }): number {
  return b.record.finishedAt - a.record.finishedAt || (a.store < b.store ? 1 : a.store > b.store ? -1 : 0) || b.record.seq - a.record.seq;
}

/** A stored entry as `getRuns` returns it. */
export function toRunHistoryEntry(r: StoredRunHistoryRecord, store: string): RunHistoryEntry {
  const entry: RunHistoryEntry = {
    runId: r.runId,
    jobId: r.jobId,
    jobStore: store,
    scheduledRunTime: new Date(r.scheduledRunTime),
    attempt: r.attempt,
    startedAt: r.startedAt === null ? null : new Date(r.startedAt),
    finishedAt: new Date(r.finishedAt),
    outcome: r.outcome,
    cursor: encodeCursor(r.finishedAt, store, r.seq),
  };
  if (r.error !== null) entry.error = { ...r.error };
  if (r.result !== null) {
    if (r.resultTruncated) {
      entry.result = r.result;
      entry.resultTruncated = true;
    } else {
      entry.result = JSON.parse(r.result) as unknown;
    }
  }
  if (r.outcome === 'missed') {
    entry.lastScheduledRunTime = new Date(r.lastScheduledRunTime ?? r.scheduledRunTime);
    entry.missedCount = r.missedCount;
  }
  return entry;
}

/**
 * Reads the run history of `stores` (each store at most `limit` entries past the cursor, all
 * asked together) and merges it newest first. A store without `getRunHistory` has none.
 */
export async function readRunHistory(stores: readonly { name: string; store: JobStore }[], q: ResolvedRunsQuery): Promise<RunHistoryEntry[]> {
  const lists = await Promise.all(
    stores.map(async ({ name, store }) =>
      store.getRunHistory ? (await store.getRunHistory(storeQuery(q, name))).map((record) => ({ record, store: name })) : []),
  );
  const merged = lists.length === 1 ? lists[0]! : lists.flat().sort(newerAcrossStores);
  return merged.slice(0, q.limit).map(({ record, store }) => toRunHistoryEntry(record, store));
}
