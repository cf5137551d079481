/**
 * The SQLite store's schema, as numbered forward migrations. A database records the versions it
 * has in `kairos_migrations`; opening a store applies the missing ones in order, each in its own
 * `BEGIN IMMEDIATE` transaction whose first statement claims the version (inserts its row). Two
 * processes opening one file at once therefore both succeed: the second waits for the write lock,
 * finds the version taken (a primary-key clash), and treats it as applied. Migrations are never
 * edited once released; a change is a new migration.
 * @module
 */
import type { Database } from 'better-sqlite3';
import { SchemaTooNewError } from '../../errors.js';

/** One step of the schema. `up` is run as a script inside the transaction that claimed `version`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: string;
}

/** Every migration, oldest first; versions are 1, 2, 3, … without gaps. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs and runs',
    up: `
      -- One row per job. Times are epoch ms: next_run_time on the scheduler's clock, acquired_until
      -- on the lease clock (real time). trigger, args and retry are JSON text.
      CREATE TABLE kairos_jobs (
        id                 TEXT PRIMARY KEY,
        name               TEXT NOT NULL,
        task_id            TEXT NOT NULL,
        trigger            TEXT NOT NULL,
        args               TEXT NOT NULL,
        next_run_time      INTEGER,
        exhausted          INTEGER NOT NULL DEFAULT 0,
        misfire_grace_time INTEGER,
        coalesce           INTEGER NOT NULL,
        max_instances      INTEGER NOT NULL,
        jitter             INTEGER NOT NULL DEFAULT 0,
        executor           TEXT NOT NULL,
        timeout            INTEGER,
        retry              TEXT,
        acquired_by        TEXT,
        acquired_until     INTEGER
      );
      -- Due jobs nobody holds, by fire time: acquireDueJobs and getNextWakeTime are a range scan
      -- (or one seek for MIN) of this partial index, whatever the number of paused or held jobs.
      CREATE INDEX kairos_jobs_due ON kairos_jobs (next_run_time, id)
        WHERE next_run_time IS NOT NULL AND acquired_by IS NULL;
      -- Held jobs by acquisition expiry: finding acquisitions left by a dead scheduler.
      CREATE INDEX kairos_jobs_acquired ON kairos_jobs (acquired_until)
        WHERE acquired_by IS NOT NULL;

      -- One row per scheduled run (keyed by its runId), from the moment it is due or waiting for
      -- a retry until it ends. Ready for run history without a rewrite:
      --  * run_id stays the primary key, so a finished row kept for history still makes a
      --    second insert of the same scheduled run a no-op;
      --  * state has no CHECK limited to 'pending'/'running' (SQLite cannot alter a CHECK
      --    without rebuilding the table), so terminal states such as 'succeeded', 'failed' or
      --    'missed' fit as they are;
      --  * every query of live runs filters on state, and every index of live runs is partial
      --    on it, so rows kept for history cost the hot paths nothing.
      -- History is then a later migration adding outcome, finished_at (and an index on
      -- finished_at for retention), with completeRun updating the row instead of deleting it.
      CREATE TABLE kairos_runs (
        run_id             TEXT PRIMARY KEY,
        job_id             TEXT NOT NULL,
        scheduled_run_time INTEGER NOT NULL,
        attempt            INTEGER NOT NULL DEFAULT 1,
        not_before         INTEGER NOT NULL,
        state              TEXT NOT NULL,
        owner              TEXT,
        lease_expires_at   INTEGER,
        claim_token        TEXT,
        manual             INTEGER NOT NULL DEFAULT 0,
        created_at         INTEGER NOT NULL
      );
      -- Pending runs by the time they may start: claimDueRuns and getNextWakeTime.
      CREATE INDEX kairos_runs_pending ON kairos_runs (not_before, run_id) WHERE state = 'pending';
      -- Runs in flight by lease expiry: finding runs to take over.
      CREATE INDEX kairos_runs_leases ON kairos_runs (lease_expires_at) WHERE state = 'running';
      -- A job's live runs: counting maxInstances, getRuns, deleting a job's pending runs.
      CREATE INDEX kairos_runs_live_by_job ON kairos_runs (job_id, scheduled_run_time)
        WHERE state IN ('pending', 'running');
    `,
  },
  {
    version: 2,
    name: 'run history',
    up: `
      -- One row per run outcome (each try its own row), kept beside the live runs rather than in
      -- kairos_runs: a run has several outcomes under one run_id (its tries), and missed or
      -- refused runs never had a live row. Times are epoch ms on the scheduler's clock. seq is
      -- the rowid: the order rows were recorded, which breaks ties of finished_at. No foreign
      -- key: a removed job's history stays until retention drops it.
      CREATE TABLE kairos_run_history (
        seq                     INTEGER PRIMARY KEY,
        run_id                  TEXT NOT NULL,
        job_id                  TEXT NOT NULL,
        scheduled_run_time      INTEGER NOT NULL,
        last_scheduled_run_time INTEGER,
        missed_count            INTEGER,
        attempt                 INTEGER NOT NULL,
        started_at              INTEGER,
        finished_at             INTEGER NOT NULL,
        outcome                 TEXT NOT NULL,
        error_name              TEXT,
        error_message           TEXT,
        error_stack             TEXT,
        result                  TEXT,
        result_truncated        INTEGER NOT NULL DEFAULT 0
      );
      -- Every index ends in seq (the rowid, implicit), so each serves newest-first reads
      -- (finished_at DESC, seq DESC) without a sort, and a cursor is a seek into it.
      -- Newest overall, and retention by age (oldest first from the other end).
      CREATE INDEX kairos_run_history_finished ON kairos_run_history (finished_at);
      -- A job's newest, and retention per job (skip its keepRuns newest, delete the rest).
      CREATE INDEX kairos_run_history_job ON kairos_run_history (job_id, finished_at);
      -- Newest of one outcome (failures, say) across jobs.
      CREATE INDEX kairos_run_history_outcome ON kairos_run_history (outcome, finished_at);
    `,
  },
];

/** The newest schema version this build of kairos knows. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

const CREATE_VERSION_TABLE = `
  CREATE TABLE IF NOT EXISTS kairos_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`;

function isPrimaryKeyClash(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * Brings the database up to {@link LATEST_VERSION}. Synchronous and safe to run from several
 * processes at once; a SQLITE_BUSY error escapes to the caller, which retries (every step is
 * idempotent). Returns the versions this call applied.
 * @throws SchemaTooNewError when the database was migrated by a newer kairos (its version is unknown here)
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const runImmediate = db.transaction((body: () => boolean) => body());
  runImmediate.immediate(() => {
    db.exec(CREATE_VERSION_TABLE);
    return true;
  });
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  const { newest } = db.prepare('SELECT MAX(version) AS newest FROM kairos_migrations').get() as { newest: number | null };
  if (newest !== null && newest > latest) {
    throw new SchemaTooNewError('SQLite', `"${db.name}"`, newest, latest);
  }
  const claim = db.prepare('INSERT INTO kairos_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of migrations) {
    const didApply = runImmediate.immediate(() => {
      try {
        // Claim first: when another process applied this version already, stop here.
        claim.run(migration.version, migration.name, Date.now());
      } catch (err) {
        if (isPrimaryKeyClash(err)) return false;
        throw err;
      }
      db.exec(migration.up);
      return true;
    });
    if (didApply) applied.push(migration.version);
  }
  return applied;
}
