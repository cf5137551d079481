/**
 * `Scheduler.stats()`: the figures monitoring reads (what `kairos/metrics` exports as gauges), and
 * the count of store failures the scheduler met. Cheap enough to call at every scrape: the
 * stores answer with a count (`JobStore.getCounts`), never by reading the jobs.
 * @module
 */
import type { JobStore, Logger } from '../stores/job-store.js';

/** One store's figures in {@link SchedulerStats}. */
export interface StoreStats {
  /**
   * Jobs in the store, paused ones included (all of them: other schedulers' too, when shared);
   * `null` when the store cannot count them (it lacks `getCounts`), failed to, or is not open.
   */
  jobs: number | null;
  /** Runs waiting in the store for their next try after a failed one; `null` as for `jobs`. */
  pendingRetries: number | null;
  /** Runs of this store that this scheduler has in flight (started, not yet ended). */
  runsInFlight: number;
  /**
   * How many of this scheduler's operations on the store failed since it was constructed: a
   * wakeup, reading the next wake time, renewing leases, recording a run's end (each failed try),
   * writing a batch of run history, giving a held run back, counting for `stats()`, closing.
   * Failures thrown to a caller (an `addJob` that rejects) are the caller's to count, not counted
   * here.
   */
  errors: number;
  /**
   * Run outcomes this scheduler could not add to the store's run history: their write failed, the
   * store fell too far behind (see `HistoryRecorder`), or the run ended after `shutdown()` closed
   * the store. The runs themselves are unaffected.
   */
  runsNotRecorded: number;
}

/** What {@link Scheduler.stats} reports. */
export interface SchedulerStats {
  /** By store name, as in the `jobStores` option. */
  stores: Record<string, StoreStats>;
  /**
   * When the scheduler's timer fires next (its clock); the current time while a wakeup is in
   * progress; `null` when no timer is armed (the scheduler is stopped or paused, or has no work).
   */
  nextWakeupAt: Date | null;
}

/** What {@link readStats} needs from the scheduler. */
export interface StatsSource {
  stores: Iterable<{ name: string; store: JobStore }>;
  /** False while stopped: closed stores are not asked. */
  open: boolean;
  runsInFlight(storeName: string): number;
  errors: ReadonlyMap<string, number>;
  runsNotRecorded: ReadonlyMap<string, number>;
  nextWakeupAt: number | null;
  /** Called when a store fails to count (the failure is counted in `errors`). */
  onStoreError(storeName: string): void;
  logger: Logger;
}

/** Builds a {@link SchedulerStats}; the stores are asked together. */
export async function readStats(source: StatsSource): Promise<SchedulerStats> {
  const entries = await Promise.all(
    [...source.stores].map(async ({ name, store }): Promise<[string, StoreStats]> => {
      let counts: { jobs: number | null; pendingRetries: number | null } = { jobs: null, pendingRetries: null };
      if (source.open && store.getCounts) {
        try {
          counts = await store.getCounts();
        } catch (err) {
          source.onStoreError(name);
          source.logger.warn(`kairos: store "${name}" could not count its jobs for stats()`, { jobStore: name }, err);
        }
      }
      return [name, {
        ...counts, runsInFlight: source.runsInFlight(name), errors: source.errors.get(name) ?? 0, runsNotRecorded: source.runsNotRecorded.get(name) ?? 0,
      }];
    }),
  );
  return { stores: Object.fromEntries(entries), nextWakeupAt: source.nextWakeupAt === null ? null : new Date(source.nextWakeupAt) };
}
