/**
 * The statements of the PostgreSQL store about work: when work is due, acquiring and releasing
 * jobs, claiming, renewing and ending runs (see `queries.ts` for the conventions every statement
 * follows).
 * @module
 */
import type { QueryResultRow } from 'pg';
import { earliestWakeTimes, type JobRecord, type JobRelease, type NewRun, type RunRecord, type WakeTimes } from '../job-store.js';
import type { Names } from './names.js';
import { selectJobColumns, selectRunColumns, toJobRecord, toRunRecord, type JobRow, type RunRow } from './rows.js';
import { LIVE, compareIds, lease, notify, preparer, type Queryable } from './statement.js';

/** What one job's release found, before its runs are inserted (see `lockReleasedJobs`). */
export interface ReleasedJob {
  id: string;
  maxInstances: number;
  /** Pending or running runs of the job that count toward `maxInstances`. */
  active: number;
  /** Pending or running runs of the job, manual ones included. */
  live: number;
  /** Run ids of the release that already exist. */
  existing: Set<string>;
}

/** A run to insert (see `insertRunsAndDropJobs`). */
export interface RunInsert extends NewRun {
  jobId: string;
  /** Inserted claimed already, with this token (see `insertRunsAndDropJobs`). */
  claimToken?: string;
}

/**
 * Ended claims purged per completion statement at most: more than one statement ends (its batch
 * is at most 1000 runs), so the purge keeps up, and each purge stays small.
 */
const PURGE_ENDED = 2000;

/** A claimed run row with its job (as JSON, see `claimDueRuns`). */
type ClaimRow = RunRow & { taken_over: boolean; job: Record<string, unknown> };

/** The work statements of one schema; `self` is the payload of this store instance's notifications. */
export function workQueries(n: Names, self: string) {
  const J = n.jobs;
  const R = n.runs;
  const E = n.endedRuns;
  const channel = n.channel;
  /** Deletes up to `limit` ended claims whose time is up, oldest first, skipping rows another purge holds. */
  const purgeEnded = (limit: string): string => `
    DELETE FROM ${E} WHERE claim_token = ANY (ARRAY(
      SELECT claim_token FROM ${E} WHERE keep_until < now() ORDER BY keep_until LIMIT ${limit} FOR UPDATE SKIP LOCKED))`;

  const sql = {
    /**
     * The parts of JobStore.getWakeTimes, each the first entries of one partial index: work due (a
     * job nobody holds or whose acquisition expired, a pending run, a running run whose lease
     * expired, a job this instance could not release), and the earliest lease another owner holds
     * ($3; jobs_acquired, runs_running), whose expiry frees work. Lease instants are the
     * server's clock, as epoch ms, with the server's now() to measure them against.
     */
    wakeTimes: `
      SELECT LEAST(
        (SELECT next_run_time FROM ${J}
          WHERE next_run_time IS NOT NULL AND (acquired_by IS NULL OR acquired_until <= now())
          ORDER BY next_run_time LIMIT 1),
        (SELECT not_before FROM ${R} WHERE state = 'pending' ORDER BY not_before LIMIT 1),
        (SELECT min(not_before) FROM ${R} WHERE state = 'running' AND lease_expires_at <= now()),
        (SELECT min(next_run_time) FROM ${J} WHERE id = ANY($1::text[]) AND acquired_by = ANY($2::text[]))
      ) AS due_at,
      extract(epoch FROM now())::float8 * 1000 AS lease_now,
      extract(epoch FROM LEAST(
        (SELECT acquired_until FROM ${J}
          WHERE acquired_by IS NOT NULL AND acquired_until > now() AND acquired_by <> $3 AND next_run_time IS NOT NULL
          ORDER BY acquired_until LIMIT 1),
        (SELECT lease_expires_at FROM ${R}
          WHERE state = 'running' AND lease_expires_at > now() AND owner <> $3
          ORDER BY lease_expires_at LIMIT 1)
      ))::float8 * 1000 AS held_until`,
    /** Jobs this instance acquired but could not release (see the store's `#unreleased`). */
    stillHeld: `SELECT id FROM ${J} WHERE id = ANY($1::text[]) AND acquired_by = ANY($2::text[])`,
    acquireDueJobs: `
      WITH due AS (
        SELECT id FROM ${J}
        WHERE next_run_time IS NOT NULL AND next_run_time <= $2
          AND (acquired_by IS NULL OR acquired_until <= now() OR (acquired_by = $1 AND id = ANY($5::text[])))
        ORDER BY next_run_time, id
        LIMIT $3
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${J} j SET acquired_by = $1, acquired_until = ${lease('$4')}
      WHERE j.id = ANY (ARRAY(SELECT id FROM due))
      RETURNING ${selectJobColumns('j')}`,
    /**
     * First statement of a release: moves nextRunTime, clears the acquisition (only where
     * `owner` holds it; the row stays locked until commit) and reports what maxInstances needs.
     * Each job's new values are looked up by id in a jsonb object ($3: id -> [nextRunTime,
     * exhausted]) rather than joined from unnest(): rows are reached by primary key, and no plan
     * can compare every released job with every other. The owner is compared with IS NOT
     * DISTINCT FROM (the same, as $1 is never null) because `acquired_by = $1` implies the
     * predicate of the partial index jobs_acquired, which the planner then walks whole instead
     * of probing the primary key: after a burst of acquisitions that index is mostly dead
     * entries, and each release batch cost more than the one before.
     */
    lockReleasedJobs: `
      UPDATE ${J} j
      SET next_run_time = ($3::jsonb -> j.id ->> 0)::bigint, exhausted = ($3::jsonb -> j.id ->> 1)::boolean,
          acquired_by = NULL, acquired_until = NULL, updated_at = now()
      WHERE j.id = ANY ($2::text[]) AND j.acquired_by IS NOT DISTINCT FROM $1
      RETURNING j.id, j.max_instances,
        (SELECT count(*) FROM ${R} x WHERE x.job_id = j.id AND x.${LIVE} AND NOT x.manual)::int AS active,
        (SELECT count(*) FROM ${R} x WHERE x.job_id = j.id AND x.${LIVE})::int AS live,
        ARRAY(SELECT x.run_id FROM ${R} x WHERE x.job_id = j.id AND x.run_id = ANY ($4::text[])) AS existing`,
    /**
     * Second statement of a release: the runs, and exhausted jobs left without runs. A run with
     * a claim token ($12) is inserted claimed already, by $10 under a lease of $11 ms (see the
     * store's `Preclaims`); the others pending. Returns the statement's now() for their leases.
     */
    insertRunsAndDropJobs: `
      WITH ins AS (
        INSERT INTO ${R} (run_id, job_id, scheduled_run_time, attempt, not_before, manual, state, owner, claim_token, lease_expires_at)
        SELECT u.run_id, u.job_id, u.scheduled_run_time, u.attempt, u.not_before, u.manual,
          CASE WHEN u.token IS NULL THEN 'pending' ELSE 'running' END, CASE WHEN u.token IS NULL THEN NULL ELSE $10::text END,
          u.token, CASE WHEN u.token IS NULL THEN NULL ELSE ${lease('$11')} END
        FROM unnest($1::text[], $2::text[], $3::bigint[], $4::integer[], $5::bigint[], $6::boolean[], $12::text[])
          AS u(run_id, job_id, scheduled_run_time, attempt, not_before, manual, token)
        ON CONFLICT (run_id) DO NOTHING
        RETURNING run_id
      ), gone AS (
        DELETE FROM ${J} j
        WHERE j.id = ANY($7::text[]) AND j.exhausted
          AND NOT EXISTS (SELECT 1 FROM ${R} x WHERE x.job_id = j.id AND x.${LIVE})
        RETURNING j.id
      )
      SELECT ARRAY(SELECT run_id FROM ins) AS created, ARRAY(SELECT id FROM gone) AS removed, ${notify('$8', '$9')},
        extract(epoch FROM now())::float8 * 1000 AS lease_now`,
    /**
     * Pending runs due by the schedule clock and running runs whose lease expired by the
     * database clock, oldest notBefore first; each candidate set is locked SKIP LOCKED, so
     * concurrent claimers split the work. Runs whose job is gone are deleted instead. The picked
     * rows are reached through `= ANY(ARRAY(…))`, i.e. by primary key: a join with the CTE would
     * let the planner hash whole tables, and the cost of a claim would grow with their size.
     */
    claimDueRuns: `
      WITH expired AS (
        SELECT run_id, not_before, true AS taken_over FROM ${R}
        WHERE state = 'running' AND lease_expires_at <= now()
        ORDER BY lease_expires_at LIMIT $3
        FOR UPDATE SKIP LOCKED
      ), pending AS (
        SELECT run_id, not_before, false AS taken_over FROM ${R}
        WHERE state = 'pending' AND not_before <= $2
        ORDER BY not_before, run_id LIMIT $3
        FOR UPDATE SKIP LOCKED
      ), picked AS (
        SELECT * FROM expired UNION ALL SELECT * FROM pending
        ORDER BY not_before, run_id LIMIT $3
      ), orphans AS (
        DELETE FROM ${R} r
        WHERE r.run_id = ANY (ARRAY(SELECT run_id FROM picked))
          AND NOT EXISTS (SELECT 1 FROM ${J} j WHERE j.id = r.job_id)
      )
      UPDATE ${R} r
      SET state = 'running', owner = $1, claim_token = gen_random_uuid()::text, lease_expires_at = ${lease('$4')},
          attempt = r.attempt + CASE WHEN p.taken_over THEN 1 ELSE 0 END
      FROM picked p
      WHERE r.run_id = ANY (ARRAY(SELECT run_id FROM picked)) AND r.run_id = p.run_id
        AND EXISTS (SELECT 1 FROM ${J} j WHERE j.id = r.job_id)
      RETURNING ${selectRunColumns('r')}, p.taken_over,
        (SELECT row_to_json(j) FROM (SELECT ${selectJobColumns('jj')} FROM ${J} jj WHERE jj.id = r.job_id) j) AS job`,
    /** Extends the leases `owner` holds with these tokens ($3: run id -> token); returns the ids renewed. */
    renewLeases: `
      UPDATE ${R} r SET lease_expires_at = ${lease('$4')}
      WHERE r.run_id = ANY ($2::text[]) AND r.claim_token = $3::jsonb ->> r.run_id AND r.owner = $1 AND r.state = 'running'
      RETURNING r.run_id`,
    /**
     * Ends the runs held with these tokens ($2: run id -> token), a batch of concurrent
     * completions; for each run ended, says whether its job is exhausted (maybe to delete). Each
     * ended claim is written to ended_runs until $3 ms from now (see `endedRun`), and up to $4
     * rows whose time is up are purged from it.
     */
    finishRuns: `
      WITH done AS (
        DELETE FROM ${R} r
        WHERE r.run_id = ANY ($1::text[]) AND r.claim_token = $2::jsonb ->> r.run_id AND r.state = 'running'
        RETURNING r.run_id, r.job_id, r.claim_token
      ), ended AS (
        INSERT INTO ${E} (claim_token, run_id, job_id, keep_until) SELECT d.claim_token, d.run_id, d.job_id, ${lease('$3')} FROM done d
      ), purged AS (${purgeEnded('$4')})
      SELECT d.run_id, d.job_id, (SELECT j.exhausted FROM ${J} j WHERE j.id = d.job_id) IS TRUE AS exhausted FROM done d`,
    /**
     * Deletes an exhausted job with no live run. Run in its own statement after the run's
     * deletion (finishRuns) committed: of two last runs ending at once, the later statement sees both gone.
     */
    deleteExhaustedJob: `
      DELETE FROM ${J} j
      WHERE j.id = $1 AND j.exhausted AND NOT EXISTS (SELECT 1 FROM ${R} x WHERE x.job_id = j.id AND x.${LIVE})
      RETURNING j.id`,
    /** Every exhausted job without a live run (left by a crash between the two statements above). */
    deleteExhaustedJobs: `
      DELETE FROM ${J} j
      WHERE j.exhausted AND NOT EXISTS (SELECT 1 FROM ${R} x WHERE x.job_id = j.id AND x.${LIVE})`,
    /**
     * Turns a held run back into a pending one for its next try, or drops it when its job is
     * gone; either way the claim is written to ended_runs until $7 ms from now.
     */
    requeueRun: `
      WITH held AS (
        SELECT r.run_id, r.job_id, EXISTS (SELECT 1 FROM ${J} j WHERE j.id = r.job_id) AS has_job
        FROM ${R} r WHERE r.run_id = $1 AND r.claim_token = $2 AND r.state = 'running'
        FOR UPDATE
      ), requeued AS (
        UPDATE ${R} r SET state = 'pending', owner = NULL, claim_token = NULL, lease_expires_at = NULL, attempt = $3, not_before = $4
        FROM held h WHERE r.run_id = h.run_id AND h.has_job
        RETURNING r.run_id
      ), dropped AS (
        DELETE FROM ${R} r USING held h WHERE r.run_id = h.run_id AND NOT h.has_job
      ), ended AS (
        INSERT INTO ${E} (claim_token, run_id, job_id, keep_until) SELECT $2, h.run_id, h.job_id, ${lease('$7')} FROM held h
      )
      SELECT h.has_job, (SELECT ${notify('$5', '$6')} FROM requeued) AS notified FROM held h`,
    /**
     * Whether this claim ($2) of the run ($1) was ended by its holder (the job id then), and the
     * run's job now, if it is live: tells a completion whose earlier attempt committed (its reply
     * lost) from one whose run was taken over meanwhile.
     */
    endedRun: `
      SELECT (SELECT e.job_id FROM ${E} e WHERE e.claim_token = $2 AND e.run_id = $1) AS ended_job,
        (SELECT r.job_id FROM ${R} r WHERE r.run_id = $1) AS live_job`,
    insertRun: `
      WITH job AS (SELECT id FROM ${J} WHERE id = $1),
      ins AS (
        INSERT INTO ${R} (run_id, job_id, scheduled_run_time, attempt, not_before, manual)
        SELECT $2::text, job.id, $3::bigint, $4::integer, $5::bigint, $6::boolean FROM job
        ON CONFLICT (run_id) DO NOTHING
        RETURNING run_id
      )
      SELECT (SELECT ${notify('$7', '$8')} FROM ins) AS notified FROM job`,
    selectRuns: `
      SELECT ${selectRunColumns('r')} FROM ${R} r
      WHERE r.job_id = $1 AND r.${LIVE}
      ORDER BY r.scheduled_run_time, r.attempt, r.run_id`,

  } as const;
  const q = preparer(n, sql);

  return {
    sql,
    /** See `sql.wakeTimes`; `unreleased` are jobs held by `owners` of this instance after a failed release. */
    async wakeTimes(db: Queryable, owner: string, unreleased: string[], owners: string[]): Promise<WakeTimes> {
      const { rows } = await q<{ due_at: number | null; lease_now: number; held_until: number | null }>(db, 'wakeTimes', [unreleased, owners, owner]);
      const row = rows[0]!;
      return earliestWakeTimes([row.due_at], [row.held_until], row.lease_now);
    },
    async stillHeld(db: Queryable, ids: string[], owners: string[]): Promise<string[]> {
      return (await q<{ id: string }>(db, 'stillHeld', [ids, owners])).rows.map((r) => r.id);
    },
    /** Acquires due jobs, oldest first (the order RETURNING gives is not guaranteed, so sorted here). */
    /** `unreleased`: jobs `owner` still holds after a failed release, which it may take again. */
    async acquireDueJobs(db: Queryable, owner: string, now: number, limit: number, leaseMs: number, unreleased: string[]): Promise<JobRecord[]> {
      const { rows } = await q<JobRow & QueryResultRow>(db, 'acquireDueJobs', [owner, now, limit, leaseMs, unreleased]);
      return rows.map((r) => toJobRecord(r)).sort((a, b) => a.nextRunTime! - b.nextRunTime! || compareIds(a.id, b.id));
    },
    async lockReleasedJobs(db: Queryable, owner: string, releases: JobRelease[]): Promise<Map<string, ReleasedJob>> {
      // fromEntries defines own properties: an id such as "__proto__" is kept like any other.
      const values = Object.fromEntries(releases.map((r) => [r.jobId, [r.nextRunTime, r.exhausted]]));
      const { rows } = await q<{ id: string; max_instances: number; active: number; live: number; existing: string[] }>(db, 'lockReleasedJobs', [
        owner,
        releases.map((r) => r.jobId),
        JSON.stringify(values),
        releases.flatMap((r) => r.runs.map((run) => run.runId)),
      ]);
      return new Map(rows.map((r) => [r.id, { id: r.id, maxInstances: r.max_instances, active: r.active, live: r.live, existing: new Set(r.existing) }]));
    },
    /** See `sql.insertRunsAndDropJobs`; `leaseNow` is the server's now() (ms) the leases of claimed runs count from. */
    async insertRunsAndDropJobs(db: Queryable, runs: RunInsert[], dropJobIds: string[], owner: string, leaseMs: number): Promise<{ created: Set<string>; removed: Set<string>; leaseNow: number }> {
      const { rows } = await q<{ created: string[]; removed: string[]; lease_now: number }>(db, 'insertRunsAndDropJobs', [
        runs.map((r) => r.runId),
        runs.map((r) => r.jobId),
        runs.map((r) => r.scheduledRunTime),
        runs.map((r) => r.attempt ?? 1),
        runs.map((r) => r.notBefore),
        runs.map((r) => r.manual ?? false),
        dropJobIds,
        channel,
        self,
        owner,
        leaseMs,
        runs.map((r) => r.claimToken ?? null),
      ]);
      return { created: new Set(rows[0]!.created), removed: new Set(rows[0]!.removed), leaseNow: rows[0]!.lease_now };
    },
    /** Claims due runs, oldest notBefore first. */
    async claimDueRuns(db: Queryable, owner: string, now: number, limit: number, leaseMs: number) {
      const { rows } = await q<ClaimRow>(db, 'claimDueRuns', [owner, now, limit, leaseMs]);
      return rows
        .map((row) => ({ run: toRunRecord(row), job: toJobRecord(row.job), takenOver: row.taken_over }))
        .sort((a, b) => a.run.notBefore - b.run.notBefore || compareIds(a.run.runId, b.run.runId));
    },
    /** Renews the leases `owner` holds with these tokens; returns the run ids it no longer holds. */
    async renewLeases(db: Queryable, owner: string, runs: Array<{ runId: string; claimToken: string }>, leaseMs: number): Promise<string[]> {
      const tokens = Object.fromEntries(runs.map((r) => [r.runId, r.claimToken]));
      const { rows } = await q<{ run_id: string }>(db, 'renewLeases', [owner, runs.map((r) => r.runId), JSON.stringify(tokens), leaseMs]);
      const renewed = new Set(rows.map((r) => r.run_id));
      return runs.filter((r) => !renewed.has(r.runId)).map((r) => r.runId);
    },
    /** Deletes held runs (ids unique): for each, null when it is not held with that token. */
    async finishRuns(db: Queryable, runs: Array<{ runId: string; claimToken: string }>, keepEndedMs: number): Promise<Array<{ jobId: string; exhausted: boolean } | null>> {
      const tokens = Object.fromEntries(runs.map((r) => [r.runId, r.claimToken]));
      const { rows } = await q<{ run_id: string; job_id: string; exhausted: boolean }>(db, 'finishRuns', [runs.map((r) => r.runId), JSON.stringify(tokens), keepEndedMs, PURGE_ENDED]);
      const ended = new Map(rows.map((r) => [r.run_id, { jobId: r.job_id, exhausted: r.exhausted }]));
      return runs.map((r) => ended.get(r.runId) ?? null);
    },
    async deleteExhaustedJob(db: Queryable, jobId: string): Promise<boolean> {
      return (await q(db, 'deleteExhaustedJob', [jobId])).rowCount === 1;
    },
    async deleteExhaustedJobs(db: Queryable): Promise<number> {
      return (await q(db, 'deleteExhaustedJobs', [])).rowCount ?? 0;
    },
    /** Requeues a held run for its next try: null when not held with this token, else whether its job still exists. */
    async requeueRun(db: Queryable, runId: string, claimToken: string, attempt: number, notBefore: number, keepEndedMs: number): Promise<{ hasJob: boolean } | null> {
      const { rows } = await q<{ has_job: boolean }>(db, 'requeueRun', [runId, claimToken, attempt, notBefore, channel, self, keepEndedMs]);
      return rows[0] ? { hasJob: rows[0].has_job } : null;
    },
    /** See `sql.endedRun`. */
    async endedRun(db: Queryable, runId: string, claimToken: string): Promise<{ endedJobId: string | null; liveJobId: string | null }> {
      const { rows } = await q<{ ended_job: string | null; live_job: string | null }>(db, 'endedRun', [runId, claimToken]);
      return { endedJobId: rows[0]!.ended_job, liveJobId: rows[0]!.live_job };
    },
    /** Inserts a pending run (an existing runId is a no-op); false when the job does not exist. */
    async insertRun(db: Queryable, jobId: string, run: NewRun): Promise<boolean> {
      const { rowCount } = await q(db, 'insertRun', [jobId, run.runId, run.scheduledRunTime, run.attempt ?? 1, run.notBefore, run.manual ?? false, channel, self]);
      return rowCount === 1;
    },
    async selectRuns(db: Queryable, jobId: string): Promise<RunRecord[]> {
      return (await q<RunRow & QueryResultRow>(db, 'selectRuns', [jobId])).rows.map(toRunRecord);
    },
  };
}
