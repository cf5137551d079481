/**
 * `kairos runs <jobId>`: a job's runs.
 * @module
 */
import { JobLookupError } from '../errors.js';
import type { RunRecord } from '../stores/job-store.js';
import { intOption, type Command } from './command.js';
import { emit, formatInstant, table } from './output.js';

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

export const runsCommand: Command = {
  path: ['runs'],
  operands: '<jobId>',
  arity: [1, 1],
  summary: "a job's runs: waiting and in flight",
  details: "Lists the job's runs that are waiting to start or in flight, oldest first, with the scheduler holding each one in flight (exit code 1 for an unknown job).",
  options: { limit: { type: 'string' } },
  optionHelp: ['--limit <N>   most runs listed (default 20)'],
  store: 'open',
  async run(ctx) {
    const jobId = ctx.args[0]!;
    const limit = intOption(ctx.values.limit, '--limit', 20, 1, 100_000);
    if ((await ctx.store!.client.getJob(jobId)) === null) throw new JobLookupError(jobId);
    const runs = (await ctx.store!.store.getLiveRuns(jobId)).slice(0, limit);
    const zone = ctx.printer.zone;
    emit(ctx.printer, runs.map(liveRunJson), () =>
      runs.length === 0
        ? `no run of job "${jobId}" is waiting or in flight`
        : table(
            ['RUN', 'SCHEDULED', 'ATTEMPT', 'STATE', 'OWNER'],
            runs.map((r) => [r.runId, formatInstant(r.scheduledRunTime, zone), String(r.attempt), r.state, r.owner ?? '-']),
          ),
    );
  },
};
