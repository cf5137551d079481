/**
 * The names one PostgresJobStore uses in the database, derived once from its `schema` option:
 * quoted table names for SQL text, the LISTEN/NOTIFY channel and the prefix of prepared
 * statement names. The schema is checked here, so no other place splices user text into SQL.
 * @module
 */
import { createHash } from 'node:crypto';
import { KairosRangeError, KairosTypeError } from '../../errors.js';

/** Quoted, ready-to-splice names of one store's schema. */
export interface Names {
  /** The schema name as given (unquoted), e.g. `kairos`. */
  readonly schemaName: string;
  /** The quoted schema, e.g. `"kairos"`. */
  readonly schema: string;
  readonly jobs: string;
  readonly runs: string;
  readonly runHistory: string;
  /** Claims whose run was ended by their holder, kept for a while (migration 4). */
  readonly endedRuns: string;
  readonly migrations: string;
  /** The LISTEN/NOTIFY channel: `<schema>_changes`. */
  readonly channel: string;
  /** Prefix of prepared statement names: unique per schema, short enough for NAMEDATALEN. */
  readonly statementPrefix: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Leaves room for `_changes` in a 63-byte identifier (the channel name). */
const MAX_SCHEMA_LENGTH = 55;

/**
 * @throws TypeError when `schema` is not a string
 * @throws RangeError when it is not a plain identifier of at most 55 characters
 */
export function namesFor(schema: unknown): Names {
  if (typeof schema !== 'string') throw new KairosTypeError('schema', schema, 'a schema name (string)');
  if (!IDENTIFIER.test(schema) || schema.length > MAX_SCHEMA_LENGTH) {
    throw new KairosRangeError(
      'schema',
      schema,
      `a plain identifier: a letter or _, then letters, digits or _, at most ${MAX_SCHEMA_LENGTH} characters`,
      'e.g. "kairos" or "scheduler_staging"',
    );
  }
  const quoted = `"${schema}"`;
  const hash = createHash('sha1').update(schema).digest('hex').slice(0, 8);
  return {
    schemaName: schema,
    schema: quoted,
    jobs: `${quoted}.jobs`,
    runs: `${quoted}.runs`,
    runHistory: `${quoted}.run_history`,
    endedRuns: `${quoted}.ended_runs`,
    migrations: `${quoted}.migrations`,
    channel: `${schema}_changes`,
    statementPrefix: `kairos_${hash}_`,
  };
}
