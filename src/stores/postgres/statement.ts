/**
 * What the statement modules of the PostgreSQL store share: how a statement is run (prepared,
 * named per schema) and the SQL fragments every module writes the same way.
 * @module
 */
import type { QueryResult, QueryResultRow } from 'pg';
import type { Names } from './names.js';
import { TYPE_PARSERS } from './rows.js';

/** A pool or a client: anything that runs a query. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(config: { name?: string; text: string; values?: unknown[]; types?: typeof TYPE_PARSERS }): Promise<QueryResult<R>>;
}

/** The partial indexes of live runs are chosen only when a query says this literally. */
export const LIVE = "state IN ('pending', 'running')";

/** A lease instant: the server's now() plus `param` milliseconds. */
export const lease = (param: string): string => `now() + ${param}::float8 * interval '1 millisecond'`;

export const notify = (a: string, b: string): string => `pg_notify(${a}, ${b})`;

/** Runs the statements of `sql` by key, each prepared under a name unique to the schema. */
export function preparer<K extends string>(n: Names, sql: Readonly<Record<K, string>>) {
  return <R extends QueryResultRow>(db: Queryable, key: K, values: unknown[]): Promise<QueryResult<R>> =>
    db.query<R>({ name: n.statementPrefix + key, text: sql[key], values, types: TYPE_PARSERS });
}

/** Code-unit order, as the other stores sort ids. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
