/**
 * `kairos jobs list|show|pause|resume|remove|run`: reading and steering jobs through a
 * JobClient. A change reaches the running schedulers as any change does (within a second on
 * SQLite, at once on PostgreSQL); `run` writes a run for one of them to start.
 * @module
 */
import { JobLookupError } from '../errors.js';
import type { Job } from '../scheduler/job.js';
import type { Command, CommandContext } from './command.js';
import { describeTrigger, emit, fields, formatDuration, formatInstant, jobJson, table } from './output.js';

function client(ctx: CommandContext) {
  return ctx.store!.client;
}

const nextRun = (job: Job, zone: string): string => (job.nextRunTime === null ? 'paused' : formatInstant(job.nextRunTime, zone));

function showJob(job: Job, zone: string): string {
  const retry = job.retry;
  return fields([
    ['id', job.id],
    ['name', job.name],
    ['task', job.taskId],
    ['trigger', describeTrigger(job.trigger.toJSON())],
    ['next run', nextRun(job, zone)],
    ['args', JSON.stringify(job.args)],
    ['misfire grace time', job.misfireGraceTime === null ? 'none (never too late)' : formatDuration(job.misfireGraceTime)],
    ['coalesce', job.coalesce ? 'yes' : 'no'],
    ['max instances', String(job.maxInstances)],
    ['jitter', job.jitter === 0 ? 'none' : `up to ${formatDuration(job.jitter)}`],
    ['timeout', job.timeout === null ? 'none' : formatDuration(job.timeout)],
    [
      'retry',
      retry === null
        ? 'none'
        : `${retry.attempts} attempts, waiting ${formatDuration(retry.delay)} ×${retry.factor} up to ${formatDuration(retry.maxDelay)}${retry.jitter ? ', with jitter' : ''}`,
    ],
    ['executor', job.executor],
    ['store', job.jobStore],
  ]);
}

/** The job commands that take one `<id>`. */
function oneJob(verb: string, summary: string, details: string, act: (ctx: CommandContext, id: string) => Promise<void>): Command {
  return {
    path: ['jobs', verb],
    operands: '<id>',
    arity: [1, 1],
    summary,
    details,
    options: {},
    optionHelp: [],
    store: 'open',
    run: (ctx) => act(ctx, ctx.args[0]!),
  };
}

export const jobCommands: Command[] = [
  {
    path: ['jobs', 'list'],
    operands: '',
    arity: [0, 0],
    summary: 'list the jobs, soonest first (paused last)',
    details: 'Lists every job of the store with its next run time (in --tz, default the system zone) and trigger.',
    options: {},
    optionHelp: [],
    store: 'open',
    async run(ctx) {
      const jobs = await client(ctx).getJobs();
      const zone = ctx.printer.zone;
      emit(ctx.printer, jobs.map(jobJson), () =>
        jobs.length === 0
          ? 'no jobs'
          : table(['ID', 'NAME', 'TASK', 'NEXT RUN', 'TRIGGER'], jobs.map((j) => [j.id, j.name, j.taskId, nextRun(j, zone), describeTrigger(j.trigger.toJSON())])),
      );
    },
  },
  oneJob('show', 'show one job', 'Shows every field of the job (exit code 1 when there is none with that id).', async (ctx, id) => {
    const job = await client(ctx).getJob(id);
    // The library's error and message, as the other job commands give.
    if (job === null) throw new JobLookupError(id);
    emit(ctx.printer, jobJson(job), () => showJob(job, ctx.printer.zone));
  }),
  oneJob(
    'pause',
    'pause a job: running schedulers stop starting its runs',
    'Pauses the job (its next run time becomes null). Running schedulers see it within a second on SQLite, at once on PostgreSQL; a run in flight finishes.',
    async (ctx, id) => {
      const job = await client(ctx).pauseJob(id);
      emit(ctx.printer, jobJson(job), () => `paused job "${id}"`);
    },
  ),
  oneJob(
    'resume',
    'resume a paused job from now',
    'Resumes the job: its next run time is computed afresh from now, so fire times passed while it was paused are skipped.',
    async (ctx, id) => {
      const job = await client(ctx).resumeJob(id);
      emit(ctx.printer, jobJson(job), () => `resumed job "${id}": next run ${nextRun(job, ctx.printer.zone)}`);
    },
  ),
  oneJob('remove', 'remove a job and its pending runs', 'Removes the job and its pending runs and retries; a run in flight finishes.', async (ctx, id) => {
    await client(ctx).removeJob(id);
    emit(ctx.printer, { removed: id }, () => `removed job "${id}"`);
  }),
  oneJob(
    'run',
    'have a running scheduler run the job once now',
    'Writes a run of the job for now, outside its schedule (its schedule is unchanged). A scheduler sharing the store and running the job\'s task starts it: at once on PostgreSQL, within its poll interval (250 ms by default) on SQLite. This command runs nothing itself.',
    async (ctx, id) => {
      const askedAt = new Date();
      await client(ctx).runJob(id);
      emit(ctx.printer, { jobId: id, requestedAt: askedAt.toISOString() }, () => `requested a run of job "${id}" now; a running scheduler sharing the store starts it`);
    },
  ),
];
