/**
 * The decisions of a release (`releaseJobs`) in the PostgreSQL store, between its two
 * statements: which runs to insert, which to refuse for `maxInstances`, which exhausted jobs to
 * drop. Pure: it works on what `lockReleasedJobs` found.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { ClaimedRun, JobRecord, JobRelease, JobReleaseResult } from '../job-store.js';
import type { ReleasedJob, RunInsert } from './queries.js';

/** What {@link planReleases} decided. */
export interface ReleasePlan {
  /** Per job released (held by the owner): the run ids to create and those refused. */
  plans: Map<string, { created: string[]; refused: string[] }>;
  inserts: RunInsert[];
  /** Exhausted jobs left without runs, to delete. */
  drop: string[];
}

/**
 * The same decisions as MemoryJobStore: existing run ids are skipped, non-manual runs beyond
 * maxInstances (counting pending and running ones) refused, in the order given. A job not in
 * `held` (gone, or not acquired by the owner) is skipped, and so is a second release of one job.
 */
export function planReleases(releases: readonly JobRelease[], held: ReadonlyMap<string, ReleasedJob>): ReleasePlan {
  const plans = new Map<string, { created: string[]; refused: string[] }>();
  const inserts: RunInsert[] = [];
  const drop: string[] = [];
  for (const release of releases) {
    const job = held.get(release.jobId);
    if (!job || plans.has(release.jobId)) continue;
    const plan = { created: [] as string[], refused: [] as string[] };
    let active = job.active;
    for (const run of release.runs) {
      if (job.existing.has(run.runId)) continue;
      if (!run.manual && active >= job.maxInstances) {
        plan.refused.push(run.runId);
        continue;
      }
      plan.created.push(run.runId);
      inserts.push({ ...run, jobId: job.id });
      if (!run.manual) active++;
    }
    if (release.exhausted && job.live === 0 && plan.created.length === 0) drop.push(job.id);
    plans.set(release.jobId, plan);
  }
  return { plans, inserts, drop };
}

/** The results of a release, given the run ids actually inserted and the jobs actually removed. */
export function releaseResults(releases: readonly JobRelease[], plan: ReleasePlan, created: ReadonlySet<string>, removed: ReadonlySet<string>): JobReleaseResult[] {
  return releases.map((release) => {
    const p = plan.plans.get(release.jobId);
    if (!p) return { jobId: release.jobId, created: [], refused: [], removed: false };
    return { jobId: release.jobId, created: p.created.filter((id) => created.has(id)), refused: p.refused, removed: removed.has(release.jobId) };
  });
}

/**
 * For `releaseAndClaim`: gives a claim token to the runs the release inserts that are due by
 * `now` and whose job record is known (acquired by the owner), the `limit` oldest (notBefore,
 * then run id). They are inserted claimed.
 */
export function claimOnInsert(plan: ReleasePlan, now: number, limit: number, known: (jobId: string) => boolean): void {
  const due = plan.inserts.filter((r) => r.notBefore <= now && known(r.jobId));
  due.sort((a, b) => a.notBefore - b.notBefore || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  for (const r of due.slice(0, Math.max(0, limit))) r.claimToken = randomUUID();
}

/**
 * The runs a release inserted claimed, as `claimDueRuns` would return them: the job as acquired
 * with the release's `nextRunTime` and `exhausted` (any other change to the job clears its
 * acquisition, and then the release skips it), leases from the statement's `leaseNow`.
 */
export function insertedClaims(
  releases: readonly JobRelease[], plan: ReleasePlan, created: ReadonlySet<string>, owner: string, leaseUntil: number, job: (jobId: string) => JobRecord | undefined,
): ClaimedRun[] {
  const byJob = new Map(releases.map((r) => [r.jobId, r]));
  const claimed: ClaimedRun[] = [];
  for (const r of plan.inserts) {
    const acquired = job(r.jobId);
    const release = byJob.get(r.jobId);
    if (r.claimToken === undefined || !created.has(r.runId) || !acquired || !release) continue;
    claimed.push({
      run: {
        runId: r.runId, jobId: r.jobId, scheduledRunTime: r.scheduledRunTime, attempt: r.attempt ?? 1, notBefore: r.notBefore,
        state: 'running', owner, leaseExpiresAt: leaseUntil, claimToken: r.claimToken, manual: r.manual ?? false,
      },
      job: { ...acquired, nextRunTime: release.nextRunTime, exhausted: release.exhausted },
      takenOver: false,
    });
  }
  return claimed;
}
