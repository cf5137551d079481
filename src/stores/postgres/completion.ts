/**
 * How the PostgreSQL store records the end of a run (`completeRun`): runs ending at once are
 * deleted in one statement (see Batcher), and a lost connection is retried rather than reported,
 * because a run whose end is not recorded would be taken over and run a second time.
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

export class Completions {
  readonly #c: CompletionContext;
  /** Runs ending at once are deleted in one statement (see Batcher). */
  readonly #finisher: Batcher<{ runId: string; claimToken: string }, { jobId: string; exhausted: boolean } | null>;

  constructor(context: CompletionContext) {
    this.#c = context;
    this.#finisher = new Batcher((runs) => this.#c.queries.finishRuns(this.#c.db(), runs), { maxInFlight: 2, maxBatch: 1000, key: (r) => r.runId });
  }

  /**
   * Besides the contract: a lost connection is retried (with backoff, for up to `leaseDuration`)
   * rather than reported. When an earlier attempt did commit before its reply was lost, the retry
   * finds the run already ended (or requeued) and reports success.
   */
  async complete(runId: string, claimToken: string, outcome: RunOutcome): Promise<{ jobRemoved: boolean }> {
    const deadline = Date.now() + this.#c.leaseDuration;
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#completeOnce(runId, claimToken, outcome, attempt > 1);
      } catch (err) {
        if (!isConnectionError(err) || Date.now() + delay > deadline || !this.#c.isOpen()) throw err;
        const name = this.#c.storeName();
        if (attempt === 1) this.#c.logger().warn(`kairos: store "${name}": recording the end of run "${runId}" failed (${(err as Error).message}); retrying`, { jobStore: name, runId }, err);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 2_000);
      }
    }
  }

  async #completeOnce(runId: string, claimToken: string, outcome: RunOutcome, retrying: boolean): Promise<{ jobRemoved: boolean }> {
    const db = this.#c.db();
    const q = this.#c.queries;
    if (outcome.status === 'retry') {
      const res = await q.requeueRun(db, runId, claimToken, outcome.attempt, outcome.notBefore);
      if (res) return { jobRemoved: false };
    } else {
      const res = await this.#finisher.submit({ runId, claimToken });
      if (res) {
        const jobRemoved = res.exhausted ? await q.deleteExhaustedJob(db, res.jobId) : false;
        return { jobRemoved };
      }
    }
    const state = await q.runState(db, runId);
    // After a lost reply, our own earlier attempt may have ended (or requeued) the run.
    if (retrying && (state === null || state.state === 'pending')) return { jobRemoved: false };
    throw new LeaseLostError(runId, state?.jobId ?? '?', this.#c.storeName());
  }
}
