/**
 * How the PostgreSQL store records the end of a run (`completeRun`): runs ending at once are
 * deleted in one statement (see Batcher), and a lost connection is retried rather than reported,
 * because a run whose end is not recorded would be taken over and run a second time.
 *
 * A retry cannot tell from the run alone whether the attempt before it committed (its reply
 * lost): the run is gone or pending either way, whether we ended it or another scheduler took
 * it over after our lease and ended it. So each completion also writes its claim token to
 * `ended_runs` (in the same statement), and a completion that finds its run not held with its
 * token looks for its token there: found, the run's end is ours and is reported as such;
 * otherwise the lease was lost. (In SQLite the question never arises: a completion commits
 * synchronously in the process, and an error means it did not commit.)
 *
 * An exhausted job is deleted by a second statement, once its last run's end committed (see
 * `deleteExhaustedJob`). When that statement cannot reach the server for longer than the retries
 * last, or a completion gives up not knowing whether its end committed, the job may be left
 * exhausted with no run: nothing would ever acquire or delete it. So the store sweeps such jobs
 * (`sweepIfDue`) at the next chance after a failure, and every minute anyway (a process killed
 * between the two statements leaves one too).
 * @module
 */
import type { Pool } from 'pg';
import { LeaseLostError } from '../../errors.js';
import type { Logger, RunOutcome } from '../job-store.js';
import { Batcher } from './batcher.js';
import { isConnectionError } from './connection.js';
import type { Queries } from './queries.js';

/** What {@link Completions} needs from its store. */
export interface CompletionContext {
  /** The pool; throws StoreClosedError once the store is closed. */
  db(): Pool;
  /** False once the store is closed (retrying then is pointless). */
  isOpen(): boolean;
  queries: Queries;
  leaseDuration: number;
  storeName(): string;
  logger(): Logger;
}

/** Ended claims are kept at least this long (ms), and at least ten leases. */
const KEEP_ENDED_MIN = 10 * 60_000;

/** The longest time between two sweeps of exhausted jobs left without a run (ms). */
const SWEEP_EVERY = 60_000;

export class Completions {
  readonly #c: CompletionContext;
  /**
   * How long an ended claim is kept: longer than any retry of its completion, which the store
   * gives up after a lease and the runner after another (plus what a hung connection takes).
   */
  readonly #keepEnded: number;
  /** Runs ending at once are deleted in one statement (see Batcher). */
  readonly #finisher: Batcher<{ runId: string; claimToken: string }, { jobId: string; exhausted: boolean } | null>;
  /** When the next sweep is due (epoch ms; 0: at the next chance). The store swept at open. */
  #sweepAt = Date.now() + SWEEP_EVERY;

  constructor(context: CompletionContext) {
    this.#c = context;
    this.#keepEnded = Math.max(KEEP_ENDED_MIN, 10 * context.leaseDuration);
    this.#finisher = new Batcher((runs) => this.#c.queries.finishRuns(this.#c.db(), runs, this.#keepEnded), { maxInFlight: 2, maxBatch: 1000, key: (r) => r.runId });
  }

  /**
   * Besides the contract: a lost connection is retried (with backoff, for up to `leaseDuration`)
   * rather than reported; and a completion this claim already recorded (an earlier attempt or
   * call whose reply was lost) is reported as done again, not as a lost lease.
   */
  async complete(runId: string, claimToken: string, outcome: RunOutcome): Promise<{ jobRemoved: boolean }> {
    const deadline = Date.now() + this.#c.leaseDuration;
    let delay = 100;
    const progress = { ended: false };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#completeOnce(runId, claimToken, outcome, progress);
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        if (Date.now() + delay > deadline || !this.#c.isOpen()) {
          // Its end may have committed (and is known to have, when `ended`) with its job left
          // exhausted and without a run: the next sweep deletes it.
          this.#sweepAt = 0;
          if (progress.ended) return { jobRemoved: false };
          throw err;
        }
        const name = this.#c.storeName();
        if (attempt === 1) this.#c.logger().warn(`kairos: store "${name}": recording the end of run "${runId}" failed (${(err as Error).message}); retrying`, { jobStore: name, runId }, err);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 2_000);
      }
    }
  }

  /** `progress.ended` is set once the run's end is known to have committed. */
  async #completeOnce(runId: string, claimToken: string, outcome: RunOutcome, progress: { ended: boolean }): Promise<{ jobRemoved: boolean }> {
    const db = this.#c.db();
    const q = this.#c.queries;
    if (outcome.status === 'retry') {
      if (await q.requeueRun(db, runId, claimToken, outcome.attempt, outcome.notBefore, this.#keepEnded)) return { jobRemoved: false };
    } else {
      const res = await this.#finisher.submit({ runId, claimToken });
      if (res) {
        progress.ended = true;
        return { jobRemoved: res.exhausted ? await q.deleteExhaustedJob(db, res.jobId) : false };
      }
    }
    const { endedJobId, liveJobId } = await q.endedRun(db, runId, claimToken);
    if (endedJobId === null) throw new LeaseLostError(runId, liveJobId ?? '?', this.#c.storeName());
    progress.ended = true;
    // Our own earlier attempt ended the run. If its job was exhausted, that attempt may have
    // failed before deleting it: deleting it again is a no-op when done.
    return { jobRemoved: outcome.status === 'retry' ? false : await q.deleteExhaustedJob(db, endedJobId) };
  }

  /**
   * Deletes the exhausted jobs left without a run, when a completion failed since the last
   * sweep or a minute has passed (one statement on the partial index jobs_exhausted). A failed
   * sweep is tried again next time.
   */
  async sweepIfDue(db: Pool): Promise<void> {
    const now = Date.now();
    if (now < this.#sweepAt) return;
    this.#sweepAt = now + SWEEP_EVERY;
    try {
      await this.#c.queries.deleteExhaustedJobs(db);
    } catch (err) {
      this.#sweepAt = 0;
      throw err;
    }
  }
}
