/**
 * The PostgreSQL store's schema, as numbered forward migrations applied in a schema of their own
 * (default `kairos`), which records the versions it has in `<schema>.migrations`.
 *
 * Opening a store applies the missing migrations in order, each in its own transaction that first
 * takes a transaction-level advisory lock for the schema and then claims its version (inserts its
 * row, `ON CONFLICT DO NOTHING`). Two processes installing at once therefore both succeed: the
 * second waits for the lock, finds the version taken, and moves on. The lock also covers
 * `CREATE SCHEMA` / `CREATE TABLE IF NOT EXISTS`, which race with each other in PostgreSQL.
 * A database already up to date is recognised with two reads and no lock or DDL at all.
 *
 * Migrations are never edited once released; a change is a new migration.
 * @module
 */
import type { PoolClient } from 'pg';
import { SchemaTooNewError } from '../../errors.js';
import type { Names } from './names.js';

/** One step of the schema. `up` is run as a script inside the transaction that claimed `version`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** The SQL script; `:schema` stands for the quoted schema name. */
  readonly up: string;
}

/** Every migration, oldest first; versions are 1, 2, 3, … without gaps. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs and runs',
    up: `
      -- One row per job. next_run_time is epoch ms on the scheduler's clock (compared with the
      -- "now" a scheduler passes in); acquired_until is lease time, judged by this server's now().
      -- Ids sort by code point (COLLATE "C"), whatever the database's collation.
      CREATE TABLE :schema.jobs (
        id                 text COLLATE "C" PRIMARY KEY,
        name               text NOT NULL,
        task_id            text NOT NULL,
        trigger            json NOT NULL,
        args               json NOT NULL,
        next_run_time      bigint,
        exhausted          boolean NOT NULL DEFAULT false,
        misfire_grace_time bigint,
        coalesce           boolean NOT NULL,
        max_instances      integer NOT NULL CHECK (max_instances > 0),
        jitter             bigint NOT NULL DEFAULT 0,
        executor           text NOT NULL,
        timeout            bigint,
        retry              json,
        acquired_by        text,
        acquired_until     timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now()
      );
      -- json, not jsonb: args come back exactly as written (key order, duplicate-free text).

      -- Scheduled jobs by fire time: acquireDueJobs and getNextWakeTime walk it from the start
      -- and stop after a few rows, whatever the number of paused jobs.
      CREATE INDEX jobs_next_run_time ON :schema.jobs (next_run_time, id) WHERE next_run_time IS NOT NULL;
      -- Exhausted jobs (a date job after its run) waiting for their last run to end.
      CREATE INDEX jobs_exhausted ON :schema.jobs (id) WHERE exhausted;

      -- One row per run, keyed by its runId, from the moment it is due (or waiting for a retry)
      -- until it ends. Live runs are 'pending' or 'running'; every query of live runs says so
      -- and every index of them is partial, so rows in other states (run history, next on the
      -- roadmap) will stay out of the hot paths, and their run_id will still make a second
      -- insert of the same scheduled run a no-op.
      CREATE TABLE :schema.runs (
        run_id             text COLLATE "C" PRIMARY KEY,
        job_id             text COLLATE "C" NOT NULL,
        scheduled_run_time bigint NOT NULL,
        attempt            integer NOT NULL DEFAULT 1,
        not_before         bigint NOT NULL,
        state              text NOT NULL DEFAULT 'pending',
        manual             boolean NOT NULL DEFAULT false,
        owner              text,
        claim_token        text,
        lease_expires_at   timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now()
      );
      -- No foreign key to jobs: a run in flight outlives the removal of its job, and ends normally.

      -- Pending runs by the time they may start: claimDueRuns and getNextWakeTime.
      CREATE INDEX runs_pending ON :schema.runs (not_before, run_id) WHERE state = 'pending';
      -- Claimed runs by lease expiry (lease time): takeover of runs whose holder died.
      CREATE INDEX runs_running ON :schema.runs (lease_expires_at) WHERE state = 'running';
      -- A job's runs: getRuns, maxInstances counting, removal.
      CREATE INDEX runs_job ON :schema.runs (job_id, scheduled_run_time);
    `,
  },
  {
    version: 2,
    name: 'jobs by acquisition expiry',
    up: `
      -- Held jobs by acquisition expiry (lease time): a scheduler arms its timer for the earliest
      -- acquisition another holds, so that a holder's death is noticed when its lease runs out.
      CREATE INDEX jobs_acquired ON :schema.jobs (acquired_until) WHERE acquired_by IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'run history',
    up: `
      -- One row per run outcome (each try its own row), beside the live runs rather than in
      -- runs: a run has several outcomes under one run_id (its tries), and missed or refused
      -- runs never had a live row. Times are epoch ms on the scheduler's clock; seq is the
      -- order rows were recorded, which breaks ties of finished_at. No foreign key: a removed
      -- job's history stays until retention drops it. result is JSON text (text, not json or
      -- jsonb: a cut result is not JSON, and jsonb refuses an escaped NUL character).
      CREATE TABLE :schema.run_history (
        seq                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id                  text COLLATE "C" NOT NULL,
        job_id                  text COLLATE "C" NOT NULL,
        scheduled_run_time      bigint NOT NULL,
        last_scheduled_run_time bigint,
        missed_count            bigint,
        attempt                 integer NOT NULL,
        started_at              bigint,
        finished_at             bigint NOT NULL,
        outcome                 text NOT NULL,
        error_name              text,
        error_message           text,
        error_stack             text,
        result                  text,
        result_truncated        boolean NOT NULL DEFAULT false
      );
      -- Each index ends in (finished_at, seq): newest-first reads walk one backwards and stop at
      -- their LIMIT, and a cursor is a row comparison on it.
      -- Newest overall, and retention by age (oldest first from the other end).
      CREATE INDEX run_history_finished ON :schema.run_history (finished_at, seq);
      -- A job's newest, and retention per job (skip its keepRuns newest, delete the rest).
      CREATE INDEX run_history_job ON :schema.run_history (job_id, finished_at, seq);
      -- Newest of one outcome (failures, say) across jobs.
      CREATE INDEX run_history_outcome ON :schema.run_history (outcome, finished_at, seq);
    `,
  },
  {
    version: 4,
    name: 'ended runs',
    up: `
      -- The claims whose run was ended (or requeued for a retry) by their holder, kept for a
      -- while: a completion whose reply was lost retries, finds the run gone, and needs to know
      -- whether its own commit ended it or another holder took it over first. Keyed by the claim
      -- token (random per claim); keep_until is lease time, chosen by the writer, and past it
      -- rows are purged a bounded number at a time by later completions.
      CREATE TABLE :schema.ended_runs (
        claim_token text COLLATE "C" PRIMARY KEY,
        run_id      text COLLATE "C" NOT NULL,
        job_id      text COLLATE "C" NOT NULL,
        keep_until  timestamptz NOT NULL
      );
      CREATE INDEX ended_runs_keep_until ON :schema.ended_runs (keep_until);
    `,
  },
];

/** The newest schema version this code knows. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Advisory lock namespace (first key) of kairos migrations; the second key hashes the schema. */
const LOCK_NAMESPACE = 0x6b61_6972; // 'kair'

/** The SQL of migration `m` for a schema. */
export function migrationSql(m: Migration, names: Names): string {
  return m.up.replaceAll(':schema', names.schema);
}

/**
 * Brings the schema up to date on `client` (which must not be inside a transaction). Safe to run
 * from several processes at once.
 * @throws SchemaTooNewError when the database is at a version newer than this code knows
 */
export async function migrate(client: PoolClient, names: Names): Promise<{ applied: number[] }> {
  const current = await readVersion(client, names);
  if (current !== null && current >= LATEST_VERSION) {
    if (current > LATEST_VERSION) throw tooNew(current, names);
    return { applied: [] };
  }
  const lock = `SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext($1))`;
  await inTransaction(client, async () => {
    await client.query(lock, [names.schemaName]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [names.schemaName]);
    // Only when missing: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when it exists.
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${names.schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${names.migrations} (
         version    integer PRIMARY KEY,
         name       text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  });
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (current !== null && m.version <= current) continue;
    await inTransaction(client, async () => {
      await client.query(lock, [names.schemaName]);
      // The claim comes first: whoever inserts the row applies the migration.
      const claim = await client.query(
        `INSERT INTO ${names.migrations} (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING RETURNING version`,
        [m.version, m.name],
      );
      if (claim.rowCount === 0) return;
      await client.query(migrationSql(m, names));
      applied.push(m.version);
    });
  }
  const after = await readVersion(client, names);
  if (after !== null && after > LATEST_VERSION) throw tooNew(after, names);
  return { applied };
}

/** The schema's newest applied version, or null when it has no migrations table yet. */
async function readVersion(client: PoolClient, names: Names): Promise<number | null> {
  const table = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [names.migrations]);
  if (table.rows[0]?.t == null) return null;
  const max = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${names.migrations}`);
  return max.rows[0]?.v ?? 0;
}

async function inTransaction(client: PoolClient, body: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await body();
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

function tooNew(version: number, names: Names): SchemaTooNewError {
  return new SchemaTooNewError('PostgreSQL', `schema "${names.schemaName}"`, version, LATEST_VERSION, 'point it at another schema with the store option `schema`');
}
