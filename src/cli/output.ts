/**
 * What the `kairos` command prints: instants in a zone with their UTC offset, triggers and jobs
 * in words, plain tables, and errors, as text or (with `--json`) as JSON on stdout. The exit
 * codes live here too, with the rule that maps an error to one.
 * @module
 */
import { DateTime } from 'luxon';
import type { Job } from '../scheduler/job.js';
import type { SerializedTrigger } from '../triggers/trigger.js';

/** The exit codes of the `kairos` command. */
export const EXIT = {
  ok: 0,
  /** A job that does not exist. */
  notFound: 1,
  /** Bad input: an unknown command or option, a bad value, no database at `--db`, a crontab expression that cannot fire. */
  badInput: 2,
  /** Anything else: the store could not be opened or reached, its schema is newer than this kairos. */
  failed: 3,
} as const;

/** Where the command writes; tests and `main` pass the process's streams. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** How the command prints its results. */
export interface Printer {
  /** True with `--json`. */
  json: boolean;
  /** The zone instants are shown in. */
  zone: string;
  io: Io;
}

/** Prints `value` as JSON, or `text()` as lines. */
export function emit(p: Printer, value: unknown, text: () => string): void {
  p.io.out(p.json ? JSON.stringify(value, null, 2) : text());
}

/** The exit code for an error: 1 for an unknown job, 2 for bad input, else 3. */
export function exitCodeFor(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'KAIROS_JOB_LOOKUP') return EXIT.notFound;
  if (code === 'KAIROS_INVALID_ARGUMENT' || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) return EXIT.badInput;
  if (err instanceof TypeError || err instanceof RangeError) return EXIT.badInput;
  return EXIT.failed;
}

/** Prints an error: its message on stderr, or `{ error: { name, code, message } }` on stdout with `--json`. */
export function printError(io: Io, json: boolean, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  if (json) io.out(JSON.stringify({ error: { name: e.name, code: typeof code === 'string' ? code : null, message: e.message } }, null, 2));
  else io.err(`kairos: ${e.message}`);
}

/** `2027-03-14 03:00:00 -04:00 (EDT)`: wall time in `zone`, UTC offset, and the zone's abbreviation when it has one. */
export function formatInstant(at: Date | number, zone: string): string {
  const dt = DateTime.fromMillis(typeof at === 'number' ? at : at.getTime(), { zone }).setLocale('en-US');
  const abbreviation = dt.toFormat('ZZZZ');
  const wall = dt.toFormat(dt.millisecond === 0 ? 'yyyy-MM-dd HH:mm:ss ZZ' : 'yyyy-MM-dd HH:mm:ss.SSS ZZ');
  // "GMT+2" says no more than the offset beside it.
  return /^(GMT|UTC)[+-]/.test(abbreviation) ? wall : `${wall} (${abbreviation})`;
}

/** A duration in ms as `250 ms`, `12.5 s`, `3 min 20 s`, `2 h 5 min`. */
export function formatDuration(ms: number): string {
  const a = Math.abs(ms);
  if (a < 1000) return `${Math.round(a)} ms`;
  if (a < 60_000) return `${(a / 1000).toFixed(a < 10_000 ? 2 : 1).replace(/\.?0+$/, '')} s`;
  if (a < 3_600_000) return `${Math.floor(a / 60_000)} min${a % 60_000 >= 1000 ? ` ${Math.floor((a % 60_000) / 1000)} s` : ''}`;
  const days = Math.floor(a / 86_400_000);
  const hours = Math.floor((a % 86_400_000) / 3_600_000);
  const minutes = Math.floor((a % 3_600_000) / 60_000);
  return [days ? `${days} d` : '', hours ? `${hours} h` : '', minutes ? `${minutes} min` : ''].filter(Boolean).join(' ');
}

/** A stored trigger in words: `cron "0 3 * * *" (UTC)`, `interval minutes=5 (Europe/Berlin)`, `or(…, …)`. */
export function describeTrigger(t: SerializedTrigger, outer?: string): string {
  const { triggers, crontab, ...rest } = t.options as { triggers?: SerializedTrigger[]; crontab?: string } & Record<string, unknown>;
  const zone = t.timezone !== undefined && t.timezone !== outer ? ` (${t.timezone})` : '';
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  if (triggers) return `${t.kind}(${triggers.map((c) => describeTrigger(c, t.timezone ?? outer)).join(', ')})${fields.length ? ` ${fields.join(' ')}` : ''}${zone}`;
  const head = crontab !== undefined ? `${t.kind} "${crontab}"` : t.kind;
  return [head, ...fields].join(' ') + zone;
}

/** A job as JSON: instants as ISO text, the trigger as stored. */
export function jobJson(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    name: job.name,
    taskId: job.taskId,
    trigger: job.trigger.toJSON(),
    args: job.args,
    nextRunTime: job.nextRunTime?.toISOString() ?? null,
    paused: job.nextRunTime === null,
    misfireGraceTime: job.misfireGraceTime,
    coalesce: job.coalesce,
    maxInstances: job.maxInstances,
    jitter: job.jitter,
    timeout: job.timeout,
    retry: job.retry,
    executor: job.executor,
    jobStore: job.jobStore,
  };
}

/** Rows under a header, columns padded to their widest cell (the last column is not padded). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `key: value` lines with the values aligned. */
export function fields(pairs: Array<[string, string]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n');
}
