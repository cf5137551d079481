/**
 * The bodies of the SQLite store's dispatch transactions: acquiring due jobs, releasing them with
 * their new runs, claiming runs, and ending them. Each is a function of the prepared queries that
 * the store runs inside one `BEGIN IMMEDIATE` transaction (and retries while the file is busy);
 * none opens a transaction, reads a clock of its own, or keeps state.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { LeaseLostError } from '../../errors.js';
import type { ClaimedRun, JobRecord, JobRelease, JobReleaseResult, RunOutcome } from '../job-store.js';
import type { Queries, RunWithJob } from './queries.js';

/**
 * Due jobs nobody holds, then jobs whose acquisition expired (their holder died), at most `max`
 * in all (-1: no limit), marked as held by `owner` until `until` (lease clock).
 */
export function acquireDue(q: Queries, owner: string, now: number, max: number, leaseNow: number, until: number): JobRecord[] {
  const due = q.selectDueJobs(now, max);
  if (max < 0 || due.length < max) due.push(...q.selectExpiredAcquisitions(leaseNow, now, max < 0 ? -1 : max - due.length));
  for (const row of due) q.acquireJob(row.id, owner, until);
  return due;
}

/** See `JobStore.releaseJobs`; `leaseClock` stamps each job's new runs. */
export function releaseAcquired(q: Queries, owner: string, releases: JobRelease[], leaseClock: () => number): JobReleaseResult[] {
  return releases.map((release): JobReleaseResult => {
    const { jobId } = release;
    const job = q.selectJobHold(jobId);
    if (!job || job.acquired_by !== owner) return { jobId, created: [], refused: [], removed: false };
    q.releaseJob(jobId, release.nextRunTime, release.exhausted);
    const created: string[] = [];
    const refused: string[] = [];
    let active = q.countScheduledRuns(jobId);
    const createdAt = leaseClock();
    for (const run of release.runs) {
      const manual = run.manual ?? false;
      if (!manual && active >= job.max_instances) {
        if (!q.runExists(run.runId)) refused.push(run.runId); // one that exists is skipped, not refused
        continue;
      }
      if (!q.insertRun({ runId: run.runId, jobId, scheduledRunTime: run.scheduledRunTime, attempt: run.attempt ?? 1, notBefore: run.notBefore, manual, createdAt })) continue;
      created.push(run.runId);
      if (!manual) active++;
    }
    let removed = false;
    if (release.exhausted && q.countLiveRuns(jobId) === 0) {
      q.deleteJob(jobId);
      removed = true;
    }
    return { jobId, created, refused, removed };
  });
}

/**
 * Runs whose lease expired (taken over, attempt + 1), then pending runs due by `now`, at most
 * `max` in all (-1: no limit), claimed by `owner` until `until` (lease clock) with a new token.
 * Runs of removed jobs are deleted instead.
 */
export function claimDue(q: Queries, owner: string, now: number, max: number, leaseNow: number, until: number): ClaimedRun[] {
  const out: ClaimedRun[] = [];
  const room = (): number => (max < 0 ? -1 : max - out.length);
  const claim = ({ run, job }: RunWithJob, takenOver: boolean): void => {
    if (job === null) {
      q.deleteRun(run.runId); // its job was removed while the run waited or its holder died
      return;
    }
    const claimToken = randomUUID();
    q.claimRun(run.runId, owner, claimToken, until, takenOver);
    run.state = 'running';
    run.owner = owner;
    run.claimToken = claimToken;
    run.leaseExpiresAt = until;
    if (takenOver) run.attempt++;
    out.push({ run, job, takenOver });
  };
  // Each batch either fills the limit or drains its index range: claimed rows leave the
  // range (new lease, or no longer pending) and rows of removed jobs are deleted, so a
  // repeated select only ever sees rows it has not handled.
  const drain = (select: (n: number) => RunWithJob[], takenOver: boolean): void => {
    for (;;) {
      const want = room();
      if (want === 0) return;
      const rows = select(want);
      for (const row of rows) claim(row, takenOver);
      if (want < 0 || rows.length < want) return;
    }
  };
  drain((n) => q.selectExpiredLeases(leaseNow, n), true);
  drain((n) => q.selectPendingRuns(now, n), false);
  return out;
}

/**
 * See `JobStore.completeRun`.
 * @throws LeaseLostError when the run is not held with `claimToken` (checked before writing)
 */
export function completeClaimed(q: Queries, runId: string, claimToken: string, outcome: RunOutcome, storeName: string): { jobRemoved: boolean } {
  const run = q.selectRunToComplete(runId);
  if (!run || run.claim_token !== claimToken) throw new LeaseLostError(runId, run?.job_id ?? '?', storeName);
  const jobExists = run.exhausted !== null;
  if (outcome.status === 'retry' && jobExists) {
    q.retryRun(runId, outcome.attempt, outcome.notBefore);
    return { jobRemoved: false };
  }
  q.deleteRun(runId);
  if (jobExists && run.exhausted !== 0 && q.countLiveRuns(run.job_id) === 0) {
    q.deleteJob(run.job_id);
    return { jobRemoved: true };
  }
  return { jobRemoved: false };
}
