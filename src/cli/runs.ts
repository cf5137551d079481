/**
 * `kairos runs <jobId>`: a job's runs: those waiting or in flight now (live, from the runs
 * table), then its run history newest first (what the schedulers recorded as each try ended).
 * @module
 */
import { JobLookupError, KairosRangeError } from '../errors.js';
import type { RunHistoryEntry } from '../scheduler/run-history.js';
import { RUN_HISTORY_OUTCOMES, type RunHistoryOutcome } from '../stores/history.js';
import type { RunRecord } from '../stores/job-store.js';
import { intOption, type Command } from './command.js';
import { emit, formatDuration, formatInstant, table } from './output.js';

function liveRunJson(r: RunRecord): Record<string, unknown> {
  return {
    runId: r.runId,
    jobId: r.jobId,
    scheduledRunTime: new Date(r.scheduledRunTime).toISOString(),
    attempt: r.attempt,
    state: r.state,
    notBefore: new Date(r.notBefore).toISOString(),
    owner: r.owner,
    leaseExpiresAt: r.leaseExpiresAt === null ? null : new Date(r.leaseExpiresAt).toISOString(),
    manual: r.manual,
  };
}

function historyJson(e: RunHistoryEntry): Record<string, unknown> {
  return {
    ...e,
    scheduledRunTime: e.scheduledRunTime.toISOString(),
    startedAt: e.startedAt?.toISOString() ?? null,
    finishedAt: e.finishedAt.toISOString(),
    ...(e.lastScheduledRunTime && { lastScheduledRunTime: e.lastScheduledRunTime.toISOString() }),
  };
}

/** The error's first line, short enough for a table cell. */
function errorCell(e: RunHistoryEntry): string {
  if (e.error === undefined) return '';
  const text = `${e.error.name}: ${e.error.message.split('\n')[0]}`;
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function outcomeOption(value: string | boolean | undefined): RunHistoryOutcome | undefined {
  if (value === undefined) return undefined;
  if (!RUN_HISTORY_OUTCOMES.includes(value as RunHistoryOutcome)) throw new KairosRangeError('--outcome', value, `one of ${RUN_HISTORY_OUTCOMES.join(', ')}`);
  return value as RunHistoryOutcome;
}

export const runsCommand: Command = {
  path: ['runs'],
  operands: '<jobId>',
  arity: [1, 1],
  summary: "a job's runs: waiting and in flight, then its run history",
  details:
    "Lists the job's runs waiting to start or in flight (marked live, oldest first, with the scheduler holding each one), then its run history, " +
    'newest first: each try that ended, with its outcome, start, duration and error. A removed job still shows its history until retention ' +
    'drops it (exit code 1 when the job is unknown and has no history). With --json: { jobId, live, history, nextCursor }; pass nextCursor ' +
    'to --cursor for the next page of history.',
  options: { limit: { type: 'string' }, outcome: { type: 'string' }, cursor: { type: 'string' } },
  optionHelp: [
    '--limit <N>        most history entries listed (default 20, at most 1000)',
    `--outcome <name>   only history entries with this outcome (${RUN_HISTORY_OUTCOMES.join(', ')})`,
    '--cursor <cursor>  the history entries after this one (nextCursor of the previous page)',
  ],
  store: 'open',
  async run(ctx) {
    const jobId = ctx.args[0]!;
    const limit = intOption(ctx.values.limit, '--limit', 20, 1, 1000);
    const outcome = outcomeOption(ctx.values.outcome);
    const cursor = typeof ctx.values.cursor === 'string' ? ctx.values.cursor : undefined;
    const { client, store } = ctx.store!;
    const [job, live, history] = await Promise.all([
      client.getJob(jobId),
      store.getLiveRuns(jobId),
      client.getRuns({ jobId, limit, ...(outcome && { outcome }), ...(cursor !== undefined && { cursor }) }),
    ]);
    if (job === null && live.length === 0 && history.length === 0 && cursor === undefined) throw new JobLookupError(jobId);
    const nextCursor = history.length === limit ? history.at(-1)!.cursor : null;
    const zone = ctx.printer.zone;
    emit(ctx.printer, { jobId, live: live.map(liveRunJson), history: history.map(historyJson), nextCursor }, () => {
      const rows = [
        ...live.map((r) => [r.runId, formatInstant(r.scheduledRunTime, zone), String(r.attempt), `${r.state} (live)`, '-', '-', r.owner ? `held by ${r.owner}` : '']),
        ...history.map((e) => [
          e.runId, formatInstant(e.scheduledRunTime, zone), String(e.attempt), e.outcome,
          e.startedAt ? formatInstant(e.startedAt, zone) : '-',
          e.startedAt ? formatDuration(e.finishedAt.getTime() - e.startedAt.getTime()) : '-',
          errorCell(e),
        ]),
      ];
      const lines: string[] = [];
      if (job === null) lines.push(`job "${jobId}" no longer exists; its run history is kept until retention drops it`);
      lines.push(rows.length === 0
        ? `job "${jobId}" has no run waiting or in flight, and no run history${outcome ? ` with outcome ${outcome}` : ''}`
        : table(['RUN', 'SCHEDULED', 'ATTEMPT', 'OUTCOME', 'STARTED', 'TOOK', 'ERROR'], rows));
      if (nextCursor !== null) lines.push(`more: kairos runs ${jobId} --cursor ${nextCursor}`);
      return lines.join('\n');
    });
  },
};
