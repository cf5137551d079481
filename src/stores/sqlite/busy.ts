/**
 * How the SQLite store meets a lock held by another connection: better-sqlite3 first waits the
 * short blocking `busyTimeout`; past it, the statement fails with SQLITE_BUSY, and the store tries
 * again after an asynchronous backoff, for as long as it is open, never dropping the write.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreClosedError } from '../../errors.js';
import type { Logger } from '../job-store.js';

const BUSY_CODES = /^SQLITE_(BUSY|LOCKED)/;
const MAX_BACKOFF_MS = 500;
/** A retry of a busy statement is logged as a warning after this many attempts, and every this many after. */
const WARN_EVERY = 20;

/**
 * Runs `attempt` until it does not fail with SQLITE_BUSY/LOCKED, sleeping (asynchronously, in
 * real time) 5 ms, 10 ms, … up to 500 ms between tries, with jitter so that contending
 * processes spread out. Gives up only when `stillWanted` says so (the store was closed).
 * @throws StoreClosedError when the store was closed while waiting
 */
export async function retryBusy<T>(attempt: () => T, stillWanted: () => boolean, store: { name: string; logger: Logger | null }): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return attempt();
    } catch (err) {
      if (!BUSY_CODES.test(String((err as { code?: unknown }).code))) throw err;
      if (!stillWanted()) throw new StoreClosedError(store.name, 'SQLite');
      if (tries % WARN_EVERY === 0) {
        store.logger?.warn(`kairos: SQLite job store "${store.name}" is still waiting for a lock after ${tries} tries; retrying`, { jobStore: store.name });
      }
      const backoff = Math.min(MAX_BACKOFF_MS, 5 * 2 ** Math.min(tries - 1, 10));
      await sleep(backoff / 2 + Math.random() * (backoff / 2));
    }
  }
}
