/**
 * Every statement of the PostgreSQL store, one named function each, built once per schema by
 * {@link createQueries}. Callers provide the connection (the pool, or a client inside a
 * transaction); these functions only run statements. Statements are prepared (named) on each
 * connection the first time they run there.
 *
 * Conventions, relied on by the store:
 * - Schedule times (`now`, `next_run_time`, `not_before`) are epoch ms passed in and compared as
 *   bigint; lease times are `now()` of the server (transaction start), so clock skew between
 *   hosts never decides who holds a lease.
 * - Queries of live runs always say `state = 'pending'`, `state = 'running'` or
 *   `state IN ('pending', 'running')` literally, which selects the partial indexes of migration 1.
 * - Claims lock their candidate rows with `FOR UPDATE SKIP LOCKED` and update them in the same
 *   statement, so two schedulers never get the same row and never wait for each other.
 * - Every write another scheduler should react to ends with `pg_notify(channel, instanceId)` in
 *   the same statement (and so the same transaction): the notification goes out on commit only.
 * - Batches travel as arrays: `unnest()` for rows to insert, `= ANY($n)` to reach rows by
 *   primary key, and a jsonb object keyed by id for per-row values (a release's next run times,
 *   the claim tokens of renewals and completions). Rows are never found by joining a batch with
 *   a table, which lets the planner hash the whole table, so every batch costs what it touches.
 * @module
 */
import type { Names } from './names.js';
import { historyQueries } from './history-queries.js';
import { jobQueries } from './job-queries.js';
import { workQueries } from './work-queries.js';

export type { Queryable } from './statement.js';
export type { ReleasedJob, RunInsert } from './work-queries.js';

/** The statements of one schema; `self` is the payload of this store instance's notifications. */
export function createQueries(n: Names, self: string) {
  const { sql: jobSql, ...jobs } = jobQueries(n, self);
  const { sql: workSql, ...work } = workQueries(n, self);
  const { sql: historySql, ...history } = historyQueries(n);
  return { sql: { ...jobSql, ...workSql, ...historySql }, ...jobs, ...work, ...history };
}

/** The statements of one schema (see {@link createQueries}). */
export type Queries = ReturnType<typeof createQueries>;
