/**
 * The statements of the PostgreSQL store about run history: appending entries, retention, and
 * reading newest first through the indexes of migration 3.
 * @module
 */
import type { QueryResultRow } from 'pg';
import type { PreparedRunHistory, RetentionPlan, RunHistoryQuery, StoredRunHistoryRecord } from '../history.js';
import type { Names } from './names.js';
import { HISTORY_COLUMNS, historyParams, toHistoryRecord, type HistoryRow } from './rows.js';
import { preparer, type Queryable } from './statement.js';

/** The run history statements of one schema. */
export function historyQueries(n: Names) {
  const H = n.runHistory;
  /** The cursor (a row comparison on the index's last two columns) and `since`; newest first. */
  const historyRange = '(finished_at, seq) < ($1::bigint, $2::bigint) AND finished_at >= $3::bigint';
  const historyOrder = 'ORDER BY finished_at DESC, seq DESC LIMIT $4';

  const sql = {
    /** Entries in the order given (WITH ORDINALITY), so their seq follows it. */
    insertHistory: `
      INSERT INTO ${H} (${HISTORY_COLUMNS.map(([c]) => c).join(', ')})
      SELECT ${HISTORY_COLUMNS.map(([c]) => c).join(', ')}
      FROM unnest(${HISTORY_COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})
        WITH ORDINALITY AS u(${HISTORY_COLUMNS.map(([c]) => c).join(', ')}, ord)
      ORDER BY ord`,
    /**
     * Retention after a write: for each job written ($1), its rows beyond the $2 newest (a walk
     * of run_history_job from its newest end), and the oldest rows finished before $4
     * (run_history_finished from its oldest end); at most $3 rows each.
     */
    deleteHistory: `
      DELETE FROM ${H} WHERE seq = ANY (ARRAY(
        SELECT x.seq FROM unnest($1::text[]) AS j(job_id)
          CROSS JOIN LATERAL (
            SELECT h.seq FROM ${H} h WHERE h.job_id = j.job_id ORDER BY h.finished_at DESC, h.seq DESC OFFSET $2 LIMIT $3
          ) x
        UNION ALL
        (SELECT h.seq FROM ${H} h WHERE h.finished_at < $4::bigint ORDER BY h.finished_at, h.seq LIMIT $3)
      ))`,
    /** Newest first over every job: run_history_finished, backwards. */
    selectHistory: `SELECT * FROM ${H} WHERE ${historyRange} ${historyOrder}`,
    /** One job's: run_history_job, backwards (an outcome is filtered among the job's kept rows). */
    selectHistoryOfJob: `SELECT * FROM ${H} WHERE job_id = $5 AND ${historyRange} ${historyOrder}`,
    selectHistoryOfJobOutcome: `SELECT * FROM ${H} WHERE job_id = $5 AND (outcome || '') = $6 AND ${historyRange} ${historyOrder}`,
    /** One outcome's: run_history_outcome, backwards. */
    selectHistoryOfOutcome: `SELECT * FROM ${H} WHERE outcome = $5 AND ${historyRange} ${historyOrder}`,
  } as const;
  const q = preparer(n, sql);

  return {
    sql,
    async insertHistory(db: Queryable, entries: readonly PreparedRunHistory[]): Promise<void> {
      await q(db, 'insertHistory', historyParams(entries));
    },
    async deleteHistory(db: Queryable, plan: RetentionPlan): Promise<number> {
      return (await q(db, 'deleteHistory', [plan.jobIds, plan.keep, plan.limit, plan.cutoff])).rowCount ?? 0;
    },
    /** See `sql.selectHistory…`: the statement is picked by which filters are given. */
    async selectHistory(db: Queryable, query: RunHistoryQuery): Promise<StoredRunHistoryRecord[]> {
      const key = query.jobId !== undefined
        ? (query.outcome !== undefined ? 'selectHistoryOfJobOutcome' : 'selectHistoryOfJob')
        : (query.outcome !== undefined ? 'selectHistoryOfOutcome' : 'selectHistory');
      const values: unknown[] = [
        query.before?.finishedAt ?? Number.MAX_SAFE_INTEGER, query.before?.seq ?? Number.MAX_SAFE_INTEGER,
        query.since ?? Number.MIN_SAFE_INTEGER, query.limit,
      ];
      if (query.jobId !== undefined) values.push(query.jobId);
      if (query.outcome !== undefined) values.push(query.outcome);
      const { rows } = await q<HistoryRow & QueryResultRow>(db, key, values);
      return rows.map(toHistoryRecord);
    },
  };
}
