/**
 * `kairos jobs list|show|pause|resume|remove|run` and `kairos runs` (issue 14 item 5), spawned
 * as a user runs them, on a SQLite file and on PostgreSQL, beside a scheduler running in a child
 * process: a pause from the command line stops the scheduler's runs (within 1 s on SQLite, at
 * once on PostgreSQL), resume restarts them, `jobs run` has the scheduler run the job, and an
 * unknown job is exit code 1.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { forkFixture, killAllChildren, readStarts, sleep, stopChild, tempDir, until, type Child } from '../e2e/helpers.js';
import { kairos } from './helpers.js';

afterEach(killAllChildren);

const SEED = [
  { id: 'tick', task: 'tick', trigger: 'interval', triggerArgs: { milliseconds: 200 } },
  { id: 'daily', task: 'tick', trigger: 'cron', triggerArgs: '0 3 * * *', options: { args: ['report', 7] } },
];

async function startScheduler(store: 'sqlite' | 'postgres', target: string, log: string): Promise<Child> {
  const child = forkFixture('admin-scheduler.mjs', [JSON.stringify({ store, target, log, seed: SEED, tasks: { tick: {} } })]);
  await child.message((m) => typeof m === 'object' && m.type === 'ready');
  return child;
}

/** The scenario on one store. `bound`: how soon a change must reach the running scheduler. */
async function steerFromTheCommandLine(kind: 'sqlite' | 'postgres', db: string, bound: number, log: string): Promise<void> {
  const env = { KAIROS_DB: db };
  const cli = (...args: string[]) => kairos(args, env);
  expect((await cli('migrate')).code).toBe(0);
  const child = await startScheduler(kind, db, log);
  try {
    const starts = (jobId: string, after = 0) => readStarts(log).filter((s) => s.jobId === jobId && s.at > after);

    // list and show
    const list = await cli('jobs', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const jobs = list.json() as Array<Record<string, unknown>>;
    expect(jobs.map((j) => j.id)).toEqual(['tick', 'daily']); // soonest first
    expect(jobs[1]).toMatchObject({ id: 'daily', taskId: 'tick', trigger: { kind: 'cron', options: { crontab: '0 3 * * *' }, timezone: 'UTC' }, args: ['report', 7], paused: false, jobStore: 'default' });
    const text = await cli('jobs', 'list', '--tz', 'UTC');
    expect(text.stdout.split('\n')[0]).toMatch(/^ID +NAME +TASK +NEXT RUN +TRIGGER$/);
    expect(text.stdout).toMatch(/daily +tick +tick +\d{4}-\d\d-\d\d 03:00:00 \+00:00 \(UTC\) +cron "0 3 \* \* \*" \(UTC\)/);
    const show = await cli('jobs', 'show', 'daily', '--tz', 'America/New_York');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^id: +daily$/m);
    expect(show.stdout).toMatch(/^next run: +\d{4}-\d\d-\d\d (22|23):00:00 -0[45]:00 \(E[SD]T\)$/m);
    expect(show.stdout).toMatch(/^args: +\["report",7\]$/m);

    // pause from the command line: the running scheduler stops starting the job
    await until(() => starts('tick').length >= 2, 10_000);
    const paused = await cli('jobs', 'pause', 'tick');
    const pausedAt = Date.now();
    expect(paused).toMatchObject({ code: 0, stdout: 'paused job "tick"\n' });
    await sleep(bound + 600);
    expect(starts('tick', pausedAt + bound)).toEqual([]);
    expect(((await cli('jobs', 'show', 'tick', '--json')).json() as { paused: boolean }).paused).toBe(true);

    // resume: it runs again
    const resumedAt = Date.now();
    const resumed = await cli('jobs', 'resume', 'tick', '--json');
    expect(resumed.code).toBe(0);
    expect(resumed.json()).toMatchObject({ id: 'tick', paused: false });
    // Judged from when the command returned: a loaded machine takes a while to start node itself.
    const resumeDone = Date.now();
    await until(() => starts('tick', resumedAt).length > 0, bound + 5_000);
    expect(starts('tick', resumedAt)[0]!.at - resumeDone, child.output()).toBeLessThanOrEqual(bound + 500);

    // run: the scheduler runs the job now, outside its schedule
    expect((await cli('jobs', 'pause', 'tick')).code).toBe(0);
    const askedAt = Date.now();
    const run = await cli('jobs', 'run', 'daily', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ jobId: 'daily' });
    await until(() => starts('daily', askedAt).length > 0, bound + 5_000);
    const manual = starts('daily', askedAt);
    expect(manual).toHaveLength(1);
    expect(manual[0]!.runId).toMatch(/^daily@manual:/);

    // runs: the manual run shows in the run history once it ended (the scheduler records it just after)
    type RunsJson = { jobId: string; live: unknown[]; history: Array<Record<string, unknown>>; nextCursor: string | null };
    let runs = await cli('runs', 'daily', '--json');
    for (const end = Date.now() + 10_000; (runs.json() as RunsJson).history.length === 0 && Date.now() < end; runs = await cli('runs', 'daily', '--json')) await sleep(100);
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.json()).toMatchObject({ jobId: 'daily', live: [], nextCursor: null });
    expect((runs.json() as RunsJson).history).toEqual([
      expect.objectContaining({ jobId: 'daily', runId: manual[0]!.runId, outcome: 'succeeded', attempt: 1, jobStore: 'default', cursor: expect.any(String) }),
    ]);
    const runsText = await cli('runs', 'daily', '--tz', 'UTC');
    expect(runsText.stdout.split('\n')[0]).toMatch(/^RUN +SCHEDULED +ATTEMPT +OUTCOME +STARTED +TOOK +ERROR$/);
    expect(runsText.stdout).toMatch(/^daily@manual:\S+ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.?\d* \+00:00 \(UTC\) +1 +succeeded +\d{4}/m);
    // tick's history pages by cursor: two pages of one, no repeat
    const page1 = (await cli('runs', 'tick', '--limit', '1', '--json')).json() as RunsJson;
    expect(page1.history).toHaveLength(1);
    const page2 = (await cli('runs', 'tick', '--limit', '1', '--cursor', page1.nextCursor!, '--json')).json() as RunsJson;
    expect(page2.history).toHaveLength(1);
    expect(page2.history[0]!.runId).not.toBe(page1.history[0]!.runId);
    expect((await cli('runs', 'tick', '--outcome', 'fine')).code).toBe(2);

    // remove, then the job is not found: exit code 1 with the library's message
    const removed = await cli('jobs', 'remove', 'daily');
    expect(removed).toMatchObject({ code: 0, stdout: 'removed job "daily"\n' });
    const gone = await cli('jobs', 'show', 'daily');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('kairos: no job with id "daily" exists in any job store; check the id (getJobs() lists the existing ones)\n');
    const goneJson = await cli('jobs', 'pause', 'daily', '--json');
    expect(goneJson.code).toBe(1);
    expect(goneJson.json()).toEqual({ error: { name: 'JobLookupError', code: 'KAIROS_JOB_LOOKUP', message: expect.stringContaining('"daily"') } });
    // a removed job's run history stays (until retention drops it)
    const history = await cli('runs', 'daily', '--json');
    expect(history.code, history.stderr).toBe(0);
    expect((history.json() as RunsJson).history).toHaveLength(1);
    expect((await cli('runs', 'daily')).stdout).toMatch(/^job "daily" no longer exists; its run history is kept until retention drops it$/m);
    for (const args of [['jobs', 'resume', 'nope'], ['jobs', 'remove', 'nope'], ['jobs', 'run', 'nope'], ['runs', 'nope']]) {
      expect({ args, code: (await cli(...args)).code }).toEqual({ args, code: 1 });
    }
    child.messages.length = 0;
    child.cp.send('jobs');
    expect(((await child.message((m) => typeof m === 'object' && m.type === 'jobs')) as { ids: string[] }).ids).toEqual(['tick']);
  } finally {
    expect((await stopChild(child)).code).toBe(0);
  }
}

describe('kairos jobs and runs beside a running scheduler', () => {
  it('SQLite: list, show, pause (effective within 1 s), resume, run, runs, remove; unknown job exit 1', { timeout: 90_000 }, async () => {
    const { dir, cleanup } = tempDir('kairos-cli-jobs-');
    try {
      await steerFromTheCommandLine('sqlite', path.join(dir, 'jobs.sqlite'), 1000, path.join(dir, 'starts.log'));
    } finally {
      cleanup();
    }
  });

  it('SQLite: a --db that does not exist is bad input (exit 2), not a new empty database', async () => {
    const { dir, cleanup } = tempDir('kairos-cli-nodb-');
    try {
      const missing = path.join(dir, 'typo.sqlite');
      const r = await kairos(['jobs', 'list', '--db', missing]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--db: expected the path of an existing SQLite database.*kairos migrate/);
      const none = await kairos(['jobs', 'list', '--json']);
      expect(none.code).toBe(2);
      expect(none.json()).toMatchObject({ error: { code: 'KAIROS_INVALID_ARGUMENT', message: expect.stringMatching(/^--db: .*KAIROS_DB/) } });
      expect((await kairos(['jobs', 'list', '--db', missing, '--schema', 'x'])).code).toBe(2);
    } finally {
      cleanup();
    }
  });

  describe('PostgreSQL', () => {
    let pg: TestPostgres;
    beforeAll(async () => {
      pg = await startTestPostgres();
    });
    afterAll(async () => {
      await pg?.destroy();
    });

    it('list, show, pause (effective at once), resume, run, runs, remove; unknown job exit 1', { timeout: 90_000 }, async () => {
      const { dir, cleanup } = tempDir('kairos-cli-jobs-pg-');
      try {
        await steerFromTheCommandLine('postgres', await pg.createDatabase('cli'), 400, path.join(dir, 'starts.log'));
      } finally {
        cleanup();
      }
    });

    it('--schema picks the schema; an unreachable server is exit 3', async () => {
      const url = await pg.createDatabase('cli_schema');
      const migrated = await kairos(['migrate', '--db', url, '--schema', 'other', '--json']);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.json()).toMatchObject({ location: 'PostgreSQL schema "other"' });
      expect((await kairos(['jobs', 'list', '--db', url, '--schema', 'other', '--json'])).json()).toEqual([]);
      const down = await kairos(['jobs', 'list', '--db', 'postgres://127.0.0.1:1/none', '--json']);
      expect(down.code).toBe(3);
      expect(down.json()).toMatchObject({ error: { name: 'StoreOpenError' } });
    });
  });
});
