/**
 * The decisions of a release (`releaseJobs`) in the PostgreSQL store, between its two
 * statements: which runs to insert, which to refuse for `maxInstances`, which exhausted jobs to
 * drop. Pure: it works on what `lockReleasedJobs` found.
 * @module
 */
import type { JobRelease, JobReleaseResult } from '../job-store.js';
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
