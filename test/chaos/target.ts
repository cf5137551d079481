/**
 * The database a chaos fleet shares, seen from the parent: a SQLite file or a PostgreSQL database
 * on an embedded server. It creates the ledger table the children write from inside their tasks,
 * reads the ledger back for the audit, and inspects the store's own tables afterwards (integrity,
 * row counts).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestPostgres } from '../helpers/postgres.js';

/** One task start, as a child wrote it (times in epoch ms, real time). */
export interface LedgerRow {
  id: number;
  jobId: string;
  runId: string;
  scheduledMs: number;
  attempt: number;
  pid: number;
  startedMs: number;
  finishedMs: number | null;
  /** 'ok', 'failed' (the retry job's first try), 'aborted' (the run's signal fired); null: never finished. */
  outcome: string | null;
}

/** What the store holds once the fleet has stopped. */
export interface StoreState {
  /** `PRAGMA integrity_check` on SQLite; PostgreSQL: 'not applicable'. */
  integrity: string;
  jobIds: string[];
  /** Runs still in the store's runs table (pending retries, runs of a killed holder not yet taken over). */
  liveRuns: number;
  historyRows: number;
}

export interface ChaosTarget {
  store: 'sqlite' | 'postgres';
  /** The SQLite path or PostgreSQL URL the children open. */
  location: string;
  /** The embedded server (PostgreSQL only), for the restart fault. */
  server?: TestPostgres;
  ledger(): Promise<LedgerRow[]>;
  /** Pids with a task started in the last 2 s and not finished (a run in flight). */
  runningPids(): Promise<number[]>;
  state(): Promise<StoreState>;
  /** The store's jobs, runs and run history tables, whole, to study a failure after the server is gone. */
  dumpRuns(): Promise<{ jobs: unknown[]; runs: unknown[]; history: unknown[]; ledger: LedgerRow[] }>;
  close(): Promise<void>;
}

// token: pid, runId, attempt and start instant, written by the task. A retried INSERT (its
// connection killed after the commit, before the answer) then adds no second row.
const LEDGER_COLUMNS = `token TEXT NOT NULL UNIQUE, job_id TEXT NOT NULL, run_id TEXT NOT NULL, scheduled_ms BIGINT NOT NULL, attempt INTEGER NOT NULL,
  pid INTEGER NOT NULL, started_ms BIGINT NOT NULL, finished_ms BIGINT, outcome TEXT`;

const RUNNING_PIDS = 'SELECT DISTINCT pid FROM chaos_ledger WHERE finished_ms IS NULL AND started_ms > ?';

interface RawRow {
  id: number | string; job_id: string; run_id: string; scheduled_ms: number | string; attempt: number; pid: number;
  started_ms: number | string; finished_ms: number | string | null; outcome: string | null;
}

const toRow = (r: RawRow): LedgerRow => ({
  id: Number(r.id), jobId: r.job_id, runId: r.run_id, scheduledMs: Number(r.scheduled_ms), attempt: r.attempt, pid: r.pid,
  startedMs: Number(r.started_ms), finishedMs: r.finished_ms === null ? null : Number(r.finished_ms), outcome: r.outcome,
});

/** A fresh SQLite file in `dir`, in WAL mode (as the store sets it), with the ledger table. */
export function sqliteTarget(dir: string): ChaosTarget {
  const location = path.join(dir, 'fleet.sqlite');
  const db = new Database(location);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE chaos_ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, ${LEDGER_COLUMNS});
    CREATE TABLE chaos_foreign (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);`);
  db.pragma('busy_timeout = 10000'); // the parent reads after the faults, and may wait
  return {
    store: 'sqlite',
    location,
    ledger: async () => (db.prepare('SELECT * FROM chaos_ledger ORDER BY id').all() as RawRow[]).map(toRow),
    runningPids: async () => (db.prepare(RUNNING_PIDS).all(Date.now() - 2000) as Array<{ pid: number }>).map((r) => r.pid),
    state: async () => ({
      integrity: (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; '),
      jobIds: (db.prepare('SELECT id FROM kairos_jobs ORDER BY id').all() as Array<{ id: string }>).map((r) => r.id),
      liveRuns: (db.prepare("SELECT COUNT(*) AS n FROM kairos_runs WHERE state IN ('pending', 'running')").get() as { n: number }).n,
      historyRows: (db.prepare('SELECT COUNT(*) AS n FROM kairos_run_history').get() as { n: number }).n,
    }),
    dumpRuns: async () => ({
      jobs: db.prepare('SELECT * FROM kairos_jobs').all(), runs: db.prepare('SELECT * FROM kairos_runs').all(), history: db.prepare('SELECT * FROM kairos_run_history').all(),
      ledger: (db.prepare('SELECT * FROM chaos_ledger ORDER BY id').all() as RawRow[]).map(toRow),
    }),
    close: async () => {
      db.close();
    },
  };
}

/** A fresh database on `server` with the ledger table. */
export async function postgresTarget(server: TestPostgres): Promise<ChaosTarget> {
  const location = await server.createDatabase('chaos');
  const query = async <T>(sql: string): Promise<T[]> => {
    // A client per query: the server is stopped and started during the run.
    const client = new pg.Client({ connectionString: location });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };
  await query(`CREATE TABLE chaos_ledger (id BIGSERIAL PRIMARY KEY, ${LEDGER_COLUMNS})`);
  return {
    store: 'postgres',
    location,
    server,
    ledger: async () => (await query<RawRow>('SELECT * FROM chaos_ledger ORDER BY id')).map(toRow),
    runningPids: async () => (await query<{ pid: number }>(RUNNING_PIDS.replace('?', String(Date.now() - 2000)))).map((r) => r.pid),
    state: async () => ({
      integrity: 'not applicable',
      jobIds: (await query<{ id: string }>('SELECT id FROM kairos.jobs ORDER BY id')).map((r) => r.id),
      liveRuns: Number((await query<{ n: string }>("SELECT COUNT(*) AS n FROM kairos.runs WHERE state IN ('pending', 'running')"))[0]!.n),
      historyRows: Number((await query<{ n: string }>('SELECT COUNT(*) AS n FROM kairos.run_history'))[0]!.n),
    }),
    dumpRuns: async () => ({
      jobs: await query('SELECT * FROM kairos.jobs'), runs: await query('SELECT * FROM kairos.runs'), history: await query('SELECT * FROM kairos.run_history'),
      ledger: (await query<RawRow>('SELECT * FROM chaos_ledger ORDER BY id')).map(toRow),
    }),
    close: async () => {},
  };
}
