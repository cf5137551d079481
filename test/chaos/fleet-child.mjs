// One scheduler of the chaos fleet (test/chaos/fleet.ts starts N of them on one SQLite file or one
// PostgreSQL database). It imports the built package, as users do.
// argv[2]: JSON ChildConfig (see fleet.ts): { store, target, dir, leaseMs, graceMs, startMs, dateJobs, jobs }
//
// Every task run writes its start, then its end, to the `chaos_ledger` table of the same database
// from inside the task: the ledger is the ground truth the audit reads. What the scheduler reports
// (jobMissed, jobError with LeaseLostError, jobMaxInstances) is appended to events-<pid>.jsonl in
// `dir` synchronously, so that a SIGKILL loses at most the line being written.
//
// Parent messages: 'stop' (shutdown({ wait: true }), exit 0); { type: 'jump', ms } (this process's
// clock moves by ms); { type: 'readonly' | 'full', on } (this process's store connection refuses
// writes: SQLITE_READONLY through PRAGMA query_only, SQLITE_FULL through PRAGMA max_page_count).
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ConflictingIdError, Scheduler } from 'kairos';
import { SQLiteJobStore } from 'kairos/sqlite';
import { PostgresJobStore } from 'kairos/postgres';

const config = JSON.parse(process.argv[2]);
const eventsFile = path.join(config.dir, `events-${process.pid}.jsonl`);
const note = (record) => appendFileSync(eventsFile, `${JSON.stringify({ pid: process.pid, at: Date.now(), ...record })}\n`);
const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

/**
 * The system clock plus an offset the parent changes: a host whose clock steps. A step re-arms
 * every timer at once, as a timer on the real clock would notice only at its old instant.
 */
class JumpingClock {
  offset = 0;
  #timers = new Set();
  now() {
    return new Date(Date.now() + this.offset);
  }
  setTimer(at, callback) {
    const timer = { handle: undefined, arm: undefined };
    timer.arm = () => {
      const delay = at - (Date.now() + this.offset);
      if (delay <= 0) {
        this.#timers.delete(timer);
        callback();
        return;
      }
      timer.handle = setTimeout(timer.arm, Math.min(delay, 2 ** 31 - 1));
    };
    this.#timers.add(timer);
    timer.handle = setTimeout(timer.arm, Math.max(0, Math.min(at - this.now().getTime(), 2 ** 31 - 1)));
    return () => {
      clearTimeout(timer.handle);
      this.#timers.delete(timer);
    };
  }
  jump(ms) {
    this.offset += ms;
    for (const timer of this.#timers) {
      clearTimeout(timer.handle);
      timer.handle = setTimeout(timer.arm, 0);
    }
  }
}

// ---- the ledger: its own connection, retried until it answers (the faults make it fail for a while)
const isBusy = (err) => ['SQLITE_BUSY', 'SQLITE_LOCKED'].includes(err?.code);
let ledger;
if (config.store === 'sqlite') {
  const db = new Database(config.target);
  db.pragma('busy_timeout = 20'); // short: better-sqlite3 blocks the event loop while it waits
  const insert = db.prepare('INSERT OR IGNORE INTO chaos_ledger (token, job_id, run_id, scheduled_ms, attempt, pid, started_ms) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const finish = db.prepare('UPDATE chaos_ledger SET finished_ms = ?, outcome = ? WHERE token = ?');
  const retry = async (fn) => {
    for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err)) throw err;
        await sleep(wait);
      }
    }
  };
  ledger = {
    start: (token, ctx, at) => retry(() => insert.run(token, ctx.jobId, ctx.runId, ctx.scheduledRunTime.getTime(), ctx.attempt, process.pid, at)),
    finish: (token, outcome) => retry(() => finish.run(Date.now(), outcome, token)),
  };
} else {
  const pool = new pg.Pool({ connectionString: config.target, max: 4, connectionTimeoutMillis: 2000 });
  pool.on('error', () => {}); // a terminated idle connection: the next query opens another
  const retry = async (fn) => {
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      try {
        return await fn();
      } catch {
        await sleep(wait); // server stopped or connection killed: the ledger must still get the row
      }
    }
  };
  ledger = {
    start: (token, ctx, at) => retry(() => pool.query(
      'INSERT INTO chaos_ledger (token, job_id, run_id, scheduled_ms, attempt, pid, started_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (token) DO NOTHING',
      [token, ctx.jobId, ctx.runId, ctx.scheduledRunTime.getTime(), ctx.attempt, process.pid, at],
    )),
    finish: (token, outcome) => retry(() => pool.query('UPDATE chaos_ledger SET finished_ms = $1, outcome = $2 WHERE token = $3', [Date.now(), outcome, token])),
  };
}

// ---- the store
let storeDb;
let store;
if (config.store === 'sqlite') {
  // Opened here (not by path) so that the read-only and full-disk faults can reach the connection.
  storeDb = new Database(config.target);
  // keepRuns: the whole run history stays, to study a failed run.
  store = new SQLiteJobStore({ database: storeDb, leaseDuration: config.leaseMs, keepRuns: 100_000 });
} else {
  store = new PostgresJobStore({ connectionString: config.target }, { leaseDuration: config.leaseMs, keepRuns: 100_000 });
}

const logger = {
  debug() {},
  info() {},
  warn() {},
  error: (m, err) => note({ type: 'log', level: 'error', message: String(m).slice(0, 300), error: err?.message?.slice(0, 300) }),
};
const clock = new JumpingClock();
const scheduler = new Scheduler({ timezone: 'UTC', clock, jobStores: { default: store }, logger });

/** args: [ms, failFirst]; the task fails its first try when failFirst (the retry job). */
scheduler.registerTask('work', async (ms, failFirst, ctx) => {
  // The instant the task was called, not when the row got written (a stopped process writes late).
  const at = Date.now();
  const id = `${process.pid}:${ctx.runId}:${ctx.attempt}:${at}`;
  await ledger.start(id, ctx, at);
  await sleep(ms, ctx.signal);
  if (ctx.signal.aborted) {
    await ledger.finish(id, 'aborted');
    throw new Error('aborted');
  }
  if (failFirst && ctx.attempt === 1) {
    await ledger.finish(id, 'failed');
    throw new Error('first try fails');
  }
  await ledger.finish(id, 'ok');
});

for (const name of ['jobMissed', 'jobError', 'jobMaxInstances']) {
  scheduler.on(name, (e) => note({
    type: name, jobId: e.jobId, runId: e.runId, attempt: e.attempt,
    scheduledRunTime: e.scheduledRunTime?.getTime(), lastScheduledRunTime: e.lastScheduledRunTime?.getTime(),
    missedCount: e.missedCount, willRetry: e.willRetry, error: e.error && { name: e.error.name, code: e.error.code, message: e.error.message?.slice(0, 200) },
  }));
}

const jobOptions = { misfireGraceTime: config.graceMs, coalesce: false, maxInstances: 3, replaceExisting: true };
const { jobs } = config;
// Added before start(): written to the store at start, their promises settle then.
const added = [
  scheduler.addJob('work', 'interval', { milliseconds: jobs.intervalMs, startDate: config.startMs }, { ...jobOptions, id: 'interval', args: [jobs.taskMs.interval, false] }),
  scheduler.addJob('work', 'cron', '* * * * * *', { ...jobOptions, id: 'cron', args: [jobs.taskMs.cron, false] }),
  scheduler.addJob('work', 'interval', { milliseconds: jobs.retryIntervalMs, startDate: config.startMs }, {
    ...jobOptions, id: 'retry', args: [jobs.taskMs.retry, true], retry: { attempts: 3, delay: jobs.retryDelayMs },
  }),
];
// Date jobs are added once, by the first process of the run: a date job that ran is removed, and
// adding it again at a restart would run it again (a user's mistake, not the scheduler's).
for (const at of config.dateJobs ?? []) {
  added.push(scheduler.addJob('work', 'date', { runDate: at }, { ...jobOptions, replaceExisting: false, id: `date-${at}`, args: [jobs.taskMs.date, false] })
    .catch((err) => { if (!(err instanceof ConflictingIdError)) throw err; }));
}

process.on('disconnect', () => process.exit(3)); // parent gone: do not linger
process.on('message', async (m) => {
  try {
    if (m === 'stop') {
      await scheduler.shutdown({ wait: true });
      note({ type: 'stopped' });
      process.exit(0);
    } else if (m.type === 'jump') {
      clock.jump(m.ms);
      note({ type: 'jumped', ms: m.ms });
    } else if (m.type === 'readonly') {
      storeDb.pragma(`query_only = ${m.on ? 1 : 0}`);
    } else if (m.type === 'full') {
      const pages = storeDb.pragma('page_count', { simple: true });
      storeDb.pragma(`max_page_count = ${m.on ? pages : 1073741823}`);
    }
  } catch (err) {
    note({ type: 'log', level: 'fatal', message: `${JSON.stringify(m)} failed`, error: String(err?.stack ?? err).slice(0, 500) });
    process.exit(2);
  }
});

await scheduler.start();
await Promise.all(added);
note({ type: 'ready' });
process.send({ type: 'ready', pid: process.pid });
