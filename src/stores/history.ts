/**
 * Run history: the rules every store applies to it, in one place. The three stores keep the
 * entries differently (a ring in memory, a table in SQLite and PostgreSQL), but they resolve
 * their options, cut results, clean text, compute retention and order entries with the functions
 * here. (`Scheduler.getRuns`, which reads every store and pages by cursor, is
 * `src/scheduler/run-history.ts`.)
 *
 * Ordering: entries are read newest first by `finishedAt` (the scheduler's clock), then by the
 * order a store recorded them (`seq`, a number each store assigns, increasing).
 *
 * Retention, applied by each store after each write, never by scanning the table:
 * - `keepRuns`: for each job the write touched, entries beyond its `keepRuns` newest are deleted
 *   (found through the job's index, skipping its `keepRuns` newest).
 * - `keepRunsFor`: entries that finished more than `keepRunsFor` before the newest entry of the
 *   write are deleted, oldest first through the time index. The schedule clock judges this (the
 *   entries' own `finishedAt`), never the store's, so a FakeClock drives it like everything else.
 *   A removed job's entries get no new neighbours, so this is what eventually drops them.
 * Each write deletes at most {@link retentionLimit} rows per rule (and per job), so a store that
 * has fallen behind (after `keepRuns` was lowered) catches up over a few writes instead of
 * stalling one.
 * @module
 */
import { optionKeys } from '../options-check.js';
import { checkInteger, toMilliseconds, type DurationLike } from '../units.js';

/** How a run ended, as run history records it. */
export type RunHistoryOutcome = 'succeeded' | 'failed' | 'timedOut' | 'missed' | 'maxInstances' | 'aborted' | 'leaseLost';

/** Every {@link RunHistoryOutcome}. */
export const RUN_HISTORY_OUTCOMES: readonly RunHistoryOutcome[] = ['succeeded', 'failed', 'timedOut', 'missed', 'maxInstances', 'aborted', 'leaseLost'];

/** What run history keeps of an error: its name, message and stack (`null` when it had none). */
export interface RunError {
  name: string;
  message: string;
  stack: string | null;
}

/**
 * One run outcome as the scheduler hands it to {@link JobStore.recordRuns}. Times are epoch ms
 * on the scheduler's clock.
 */
export interface RunHistoryRecord {
  runId: string;
  jobId: string;
  /** The fire time the run belongs to; for `missed`, the first fire time missed. */
  scheduledRunTime: number;
  /** `missed` only: the last fire time missed (else `null`). */
  lastScheduledRunTime: number | null;
  /** `missed` only: how many fire times were missed, where the trigger can count them (else `null`). */
  missedCount: number | null;
  /** The try, from 1. */
  attempt: number;
  /** When the run was handed to its executor; `null` when it never started (`missed`, `maxInstances`, a lease lost before start). */
  startedAt: number | null;
  /** When the outcome was known (for `missed` and `maxInstances`, when the scheduler decided it). */
  finishedAt: number;
  outcome: RunHistoryOutcome;
  /** The error, for every outcome but `succeeded`, `missed` and `maxInstances`. */
  error: RunError | null;
  /** What the task returned (`succeeded` only); `undefined` when nothing. The store keeps it as JSON text. */
  result?: unknown;
}

/** A run history entry as a store returns it from {@link JobStore.getRunHistory}. */
export interface StoredRunHistoryRecord extends Omit<RunHistoryRecord, 'result'> {
  /** The store's sequence number of the entry: increasing in the order the store recorded entries. */
  seq: number;
  /** The result as JSON text, or `null` when there was none (or it was not JSON). */
  result: string | null;
  /** True when `result` was longer than the store's `maxResultBytes` and holds only its start. */
  resultTruncated: boolean;
}

/** A position in the newest-first order of one store: entries strictly before it are `(finishedAt, seq)` smaller. */
export interface HistoryPosition {
  finishedAt: number;
  seq: number;
}

/** What {@link JobStore.getRunHistory} is asked for. Every filter is optional but `limit`. */
export interface RunHistoryQuery {
  jobId?: string;
  outcome?: RunHistoryOutcome;
  /** Entries that finished at or after this instant (ms). */
  since?: number;
  /** Entries strictly before this position in `(finishedAt, seq)` order (a cursor, or `before`). */
  before?: HistoryPosition;
  /** Most entries returned, newest first. */
  limit: number;
}

// ------------------------------------------------------------------ store options

/** The run-history options every store takes (see each store's options). */
export interface RunHistoryOptions {
  /**
   * How many run history entries to keep per job: each write of history deletes a job's entries
   * beyond its `keepRuns` newest. `0` keeps no history at all.
   * @default 100
   */
  keepRuns?: number;
  /**
   * How long run history entries are kept, in ms or as a duration object: each write deletes the
   * entries that finished this long before the newest entry it wrote (on the scheduler's clock).
   * A removed job's history stays until this drops it.
   * @default { days: 7 }
   */
  keepRunsFor?: DurationLike;
  /**
   * Longest result kept in a run history entry, in bytes of its JSON text (UTF-8). A longer
   * result is kept cut to this many bytes, as text, and marked `resultTruncated`. `0` keeps no
   * results. Results that are not JSON (a function, a `BigInt`, a cycle) are never kept.
   * @default 4096
   */
  maxResultBytes?: number;
}

/** Run-history options with every default applied and every duration in ms. */
export interface ResolvedHistoryOptions {
  keepRuns: number;
  keepRunsFor: number;
  maxResultBytes: number;
}

/** The option keys of {@link RunHistoryOptions}, for the stores' key lists (spread into them). */
export const HISTORY_OPTION_KEYS = ['keepRuns', 'keepRunsFor', 'maxResultBytes'] as const;
// Fails to compile when an option of RunHistoryOptions is missing from the list.
optionKeys<RunHistoryOptions>()(HISTORY_OPTION_KEYS);

/** Defaults of {@link RunHistoryOptions}. */
export const HISTORY_DEFAULTS: Readonly<ResolvedHistoryOptions> = { keepRuns: 100, keepRunsFor: 7 * 86_400_000, maxResultBytes: 4096 };

/**
 * Applies the defaults and checks the run-history options of a store.
 * @throws TypeError / RangeError naming the option
 */
export function resolveHistoryOptions(options: RunHistoryOptions): ResolvedHistoryOptions {
  return {
    keepRuns: options.keepRuns === undefined ? HISTORY_DEFAULTS.keepRuns : checkInteger(options.keepRuns, 'keepRuns', 0),
    keepRunsFor: options.keepRunsFor === undefined ? HISTORY_DEFAULTS.keepRunsFor : toMilliseconds(options.keepRunsFor, 'keepRunsFor', { positive: true }),
    maxResultBytes: options.maxResultBytes === undefined ? HISTORY_DEFAULTS.maxResultBytes : checkInteger(options.maxResultBytes, 'maxResultBytes', 0),
  };
}

// ---------------------------------------------------------------------- writing

/** Longest error message or stack kept, in UTF-16 code units (a stack of a deep recursion can be huge). */
const MAX_ERROR_TEXT = 16_384;
const LONE_SURROGATES = /\p{Cs}/gu;
/** Any NUL or surrogate code unit: most text has none and is returned as it is, without a replace. */
const MAYBE_UNSTORABLE = /[\0\ud800-\udfff]/;
const encoder = new TextEncoder();

/**
 * Text any store can hold: lone UTF-16 surrogates and NUL characters (which PostgreSQL text
 * refuses, and which would fail a whole write) become U+FFFD; cut to `max` code units.
 */
export function storableText(text: string, max = Infinity): string {
  if (text.length <= max && !MAYBE_UNSTORABLE.test(text)) return text;
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(LONE_SURROGATES, '\uFFFD').replaceAll('\0', '\uFFFD');
}

/** The first `maxBytes` bytes of `text` in UTF-8, never splitting a character. */
function cutUtf8(text: string, maxBytes: number): string {
  const { read } = encoder.encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
}

const NO_RESULT: Readonly<{ result: null; resultTruncated: false }> = { result: null, resultTruncated: false };

/** A result as JSON text, cut past `maxBytes` bytes; `null` when there is none or it is not JSON. */
export function resultJson(result: unknown, maxBytes: number): { result: string | null; resultTruncated: boolean } {
  if (result === undefined || maxBytes === 0) return NO_RESULT;
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch {
    return NO_RESULT; // a BigInt, a cycle, a throwing toJSON
  }
  if (text === undefined) return NO_RESULT; // a function or a symbol
  // Every UTF-16 code unit is at most 3 bytes: most texts need no encoding to be measured.
  if (text.length * 3 <= maxBytes || encoder.encode(text).length <= maxBytes) return { result: text, resultTruncated: false };
  return { result: cutUtf8(text, maxBytes), resultTruncated: true };
}

/** What a thrown value is kept as. A value that is not an Error keeps its text as the message. */
export function describeError(err: unknown): RunError {
  if (err instanceof Error) {
    return { name: String(err.name), message: String(err.message), stack: typeof err.stack === 'string' ? err.stack : null };
  }
  let message: string;
  try {
    message = typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
  } catch {
    message = String(err);
  }
  return { name: typeof err === 'object' && err !== null ? (err.constructor?.name ?? 'Object') : typeof err, message, stack: null };
}

/** An entry ready for a store to write: text made storable, the result as (cut) JSON text. */
export type PreparedRunHistory = Omit<StoredRunHistoryRecord, 'seq'>;

/** Turns the scheduler's entries into what a store writes, by the store's options. */
export function prepareHistory(entries: readonly RunHistoryRecord[], options: ResolvedHistoryOptions): PreparedRunHistory[] {
  // One literal per entry, field by field: the object rest and spreads this replaced cost more
  // than the rest of the write (1,000 runs ending together in the memory store).
  return entries.map((e) => {
    const error = e.error === null
      ? null
      : { name: storableText(e.error.name, 1024), message: storableText(e.error.message, MAX_ERROR_TEXT), stack: e.error.stack === null ? null : storableText(e.error.stack, MAX_ERROR_TEXT) };
    const { result, resultTruncated } = resultJson(e.result, options.maxResultBytes);
    return {
      runId: storableText(e.runId), jobId: storableText(e.jobId), scheduledRunTime: e.scheduledRunTime, lastScheduledRunTime: e.lastScheduledRunTime,
      missedCount: e.missedCount, attempt: e.attempt, startedAt: e.startedAt, finishedAt: e.finishedAt, outcome: e.outcome, error, result, resultTruncated,
    };
  });
}

/** Most rows one write deletes per retention rule (and per job): at least twice what it wrote, so retention keeps up. */
export function retentionLimit(written: number): number {
  return Math.max(500, 2 * written);
}

/** What a store deletes after writing `entries`: see the module's notes on retention. */
export interface RetentionPlan {
  /** The jobs whose entries beyond their `keep` newest are deleted. */
  jobIds: string[];
  keep: number;
  /** Entries that finished before this instant are deleted. */
  cutoff: number;
  /** Most rows deleted per job, and by age. */
  limit: number;
}

export function retentionPlan(entries: readonly PreparedRunHistory[], options: ResolvedHistoryOptions): RetentionPlan {
  let newest = -Infinity;
  for (const e of entries) if (e.finishedAt > newest) newest = e.finishedAt;
  return { jobIds: [...new Set(entries.map((e) => e.jobId))], keep: options.keepRuns, cutoff: newest - options.keepRunsFor, limit: retentionLimit(entries.length) };
}

/** `a` comes before `b` newest first within one store: larger `(finishedAt, seq)` first. */
export function newerInStore(a: HistoryPosition, b: HistoryPosition): number {
  return b.finishedAt - a.finishedAt || b.seq - a.seq;
}
