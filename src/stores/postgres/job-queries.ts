/**
 * The statements of the PostgreSQL store about jobs: adding, replacing, reading, changing and
 * removing them (see `queries.ts` for the conventions every statement follows).
 * @module
 */
import type { QueryResultRow } from 'pg';
import type { JobChanges, JobRecord } from '../job-store.js';
import type { Names } from './names.js';
import { FIELD_COLUMNS, JOB_COLUMNS, JOB_COLUMN_TYPES, TYPE_PARSERS, fieldParam, jobColumns, jobParams, selectJobColumns, toJobRecord, type JobRow } from './rows.js';
import { notify, preparer, type Queryable } from './statement.js';

/** The job statements of one schema; `self` is the payload of this store instance's notifications. */
export function jobQueries(n: Names, self: string) {
  const J = n.jobs;
  const R = n.runs;
  const channel = n.channel;

  const sql = {
    insertJob: `
      WITH ins AS (
        INSERT INTO ${J} (${JOB_COLUMNS.join(', ')})
        VALUES (${JOB_COLUMNS.map((c, i) => `$${i + 1}::${JOB_COLUMN_TYPES[c]}`).join(', ')})
        ON CONFLICT (id) DO NOTHING
        RETURNING id
      )
      SELECT id, ${notify('$15', '$16')} FROM ins`,
    /** Many jobs, one array per column; the ids inserted (a taken id is left out). */
    insertJobs: `
      INSERT INTO ${J} (${JOB_COLUMNS.join(', ')})
      SELECT * FROM unnest(${JOB_COLUMNS.map((c, i) => `$${i + 1}::${JOB_COLUMN_TYPES[c]}[]`).join(', ')})
      ON CONFLICT (id) DO NOTHING
      RETURNING id`,
    /** `replaceJob` for many jobs. */
    replaceJobs: `
      INSERT INTO ${J} (${JOB_COLUMNS.join(', ')})
      SELECT * FROM unnest(${JOB_COLUMNS.map((c, i) => `$${i + 1}::${JOB_COLUMN_TYPES[c]}[]`).join(', ')})
      ON CONFLICT (id) DO UPDATE SET
        ${JOB_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
        acquired_by = NULL, acquired_until = NULL, updated_at = now()`,
    notifyChange: `SELECT ${notify('$1', '$2')}`,
    /** Replaces every field and drops any acquisition: the holder's late release is then ignored. */
    replaceJob: `
      WITH up AS (
        INSERT INTO ${J} (${JOB_COLUMNS.join(', ')})
        VALUES (${JOB_COLUMNS.map((c, i) => `$${i + 1}::${JOB_COLUMN_TYPES[c]}`).join(', ')})
        ON CONFLICT (id) DO UPDATE SET
          ${JOB_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
          acquired_by = NULL, acquired_until = NULL, updated_at = now()
        RETURNING id
      )
      SELECT id, ${notify('$15', '$16')} FROM up`,
    selectJob: `SELECT ${selectJobColumns('j')} FROM ${J} j WHERE j.id = $1`,
    selectJobs: `SELECT ${selectJobColumns('j')} FROM ${J} j ORDER BY j.next_run_time ASC NULLS LAST, j.id`,
    deleteJob: `
      WITH gone AS (DELETE FROM ${J} WHERE id = $1 RETURNING id),
      dropped AS (DELETE FROM ${R} r USING gone g WHERE r.job_id = g.id AND r.state = 'pending')
      SELECT g.id, ${notify('$2', '$3')} FROM gone g`,
    deleteAllJobs: `
      WITH gone AS (DELETE FROM ${J}),
      dropped AS (DELETE FROM ${R} WHERE state = 'pending')
      SELECT ${notify('$1', '$2')}`,
  } as const;
  const q = preparer(n, sql);

  return {
    sql,
    /** Inserts a job; false when the id is taken. */
    async insertJob(db: Queryable, job: JobRecord): Promise<boolean> {
      return (await q(db, 'insertJob', [...jobParams(job), channel, self])).rowCount === 1;
    },
    /** Inserts jobs (one statement); the ids inserted, without those already taken. */
    async insertJobs(db: Queryable, jobs: readonly JobRecord[]): Promise<Set<string>> {
      const { rows } = await q<{ id: string }>(db, 'insertJobs', jobColumns(jobs));
      return new Set(rows.map((r) => r.id));
    },
    async replaceJobs(db: Queryable, jobs: readonly JobRecord[]): Promise<void> {
      await q(db, 'replaceJobs', jobColumns(jobs));
    },
    /** Tells the other schedulers that jobs changed (sent at commit). */
    async notifyChange(db: Queryable): Promise<void> {
      await q(db, 'notifyChange', [channel, self]);
    },
    async replaceJob(db: Queryable, job: JobRecord): Promise<void> {
      await q(db, 'replaceJob', [...jobParams(job), channel, self]);
    },
    async selectJob(db: Queryable, id: string): Promise<JobRecord | null> {
      const { rows } = await q<JobRow & QueryResultRow>(db, 'selectJob', [id]);
      return rows[0] ? toJobRecord(rows[0]) : null;
    },
    async selectJobs(db: Queryable): Promise<JobRecord[]> {
      return (await q<JobRow & QueryResultRow>(db, 'selectJobs', [])).rows.map((r) => toJobRecord(r));
    },
    /**
     * Writes `changes` into a job (and deletes its pending runs with `cancelPendingRuns`), in one
     * statement. The SET list depends on which fields change, so this one is not prepared.
     */
    async updateJob(db: Queryable, id: string, changes: JobChanges, cancelPendingRuns: boolean): Promise<JobRecord | null> {
      const values: unknown[] = [id, cancelPendingRuns, channel, self];
      const sets: string[] = [];
      for (const [field, column] of Object.entries(FIELD_COLUMNS) as Array<[keyof typeof FIELD_COLUMNS, (typeof JOB_COLUMNS)[number]]>) {
        if (!(field in changes) || changes[field] === undefined) continue;
        values.push(fieldParam(field, changes[field]));
        sets.push(`${column} = $${values.length}::${JOB_COLUMN_TYPES[column]}`);
      }
      // A plan made from the job as it was must not overwrite the change: its release is skipped.
      sets.push('updated_at = now()', 'acquired_by = NULL', 'acquired_until = NULL');
      const text = `
        WITH upd AS (UPDATE ${J} SET ${sets.join(', ')} WHERE id = $1 RETURNING *),
        dropped AS (DELETE FROM ${R} r USING upd WHERE $2::boolean AND r.job_id = upd.id AND r.state = 'pending')
        SELECT ${selectJobColumns('upd')}, ${notify('$3', '$4')} FROM upd`;
      const { rows } = await db.query<JobRow & QueryResultRow>({ text, values, types: TYPE_PARSERS });
      return rows[0] ? toJobRecord(rows[0]) : null;
    },
    /** Deletes a job and its pending runs; false for an unknown id. */
    async deleteJob(db: Queryable, id: string): Promise<boolean> {
      return (await q(db, 'deleteJob', [id, channel, self])).rowCount === 1;
    },
    async deleteAllJobs(db: Queryable): Promise<void> {
      await q(db, 'deleteAllJobs', [channel, self]);
    },
  };
}
