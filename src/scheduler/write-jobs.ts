/**
 * Writing new jobs to their stores, one (`addJob`) or many at once (`addJobs`), with the rule
 * both share: `replaceExisting` of an unchanged trigger keeps the stored schedule (an upsert at
 * every deploy must neither repeat nor skip a run), a changed one cancels its pending runs.
 * @module
 */
import type { JobRecord, JobStore, NewJob } from '../stores/job-store.js';
import type {
  CalendarIntervalTriggerOptions,
  CronTriggerOptions,
  DateTriggerOptions,
  IntervalTriggerOptions,
} from '../triggers/index.js';
import type { SerializedTrigger, Trigger } from '../triggers/trigger.js';
import type { AddJobOptions } from './options.js';

type Task = string | ((...args: never[]) => unknown);

/**
 * One job of `addJobs`: the arguments of `addJob` as named fields, typed by trigger alias as
 * `addJob` is (a Trigger object takes no `triggerArgs`).
 */
export type JobSpec =
  | { task: Task; trigger: 'cron'; triggerArgs: CronTriggerOptions | string; options?: AddJobOptions }
  | { task: Task; trigger: 'interval'; triggerArgs: IntervalTriggerOptions; options?: AddJobOptions }
  | { task: Task; trigger: 'date'; triggerArgs: DateTriggerOptions; options?: AddJobOptions }
  | { task: Task; trigger: 'calendarinterval'; triggerArgs: CalendarIntervalTriggerOptions; options?: AddJobOptions }
  | { task: Task; trigger: Trigger; triggerArgs?: undefined; options?: AddJobOptions };

/** A job checked and resolved by the job API, ready to write. */
export interface PreparedJob {
  record: JobRecord;
  store: JobStore;
  storeName: string;
  replaceExisting: boolean;
  /** No `nextRunTime` was given: an upsert of an unchanged trigger keeps the stored one. */
  keepSchedule: boolean;
  built: Trigger;
  triggerJson: SerializedTrigger;
}

/** Key-order-independent JSON, to compare trigger options. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

const sameTrigger = (a: SerializedTrigger, b: SerializedTrigger): boolean => a.kind === b.kind && canonical(a.options) === canonical(b.options);

/**
 * The record to write over `existing` (a replaceExisting upsert): an unchanged trigger keeps its
 * schedule; `cancel` says whether the job's pending runs go (its trigger changed).
 */
function upsert(record: JobRecord, existing: JobRecord | null, keepSchedule: boolean): { record: JobRecord; cancel: boolean } {
  if (existing === null) return { record, cancel: false };
  if (keepSchedule && sameTrigger(existing.trigger, record.trigger)) {
    return { record: { ...record, trigger: existing.trigger, nextRunTime: existing.nextRunTime, exhausted: existing.exhausted }, cancel: false };
  }
  return { record, cancel: true };
}

/** Writes one job (`addJob`); returns the record as written. */
export async function writeJob(store: JobStore, record: JobRecord, replaceExisting: boolean, keepSchedule: boolean): Promise<JobRecord> {
  let cancel = false;
  if (replaceExisting) ({ record, cancel } = upsert(record, await store.getJob(record.id), keepSchedule));
  await store.addJob(record, { replaceExisting });
  if (cancel) await store.updateJob(record.id, {}, { cancelPendingRuns: true });
  return record;
}

/**
 * Writes many jobs, all or none: per store in one `JobStore.addJobs` (or `addJob` after `addJob`
 * for a store without it, undone with `removeJob` when one fails); when a later store fails, the
 * jobs written to the earlier ones are removed again. Returns the records as written, in order.
 */
export async function writeJobs(jobs: readonly PreparedJob[]): Promise<JobRecord[]> {
  const written = jobs.map((j) => j.record);
  const byStore = new Map<JobStore, number[]>();
  jobs.forEach((j, i) => {
    const list = byStore.get(j.store);
    if (list) list.push(i);
    else byStore.set(j.store, [i]);
  });
  const cancels: Array<{ store: JobStore; id: string }> = [];
  const done: Array<{ store: JobStore; ids: string[] }> = [];
  try {
    for (const [store, indices] of byStore) {
      for (const i of indices) {
        const job = jobs[i]!;
        if (!job.replaceExisting) continue;
        const { record, cancel } = upsert(job.record, await store.getJob(job.record.id), job.keepSchedule);
        written[i] = record;
        if (cancel) cancels.push({ store, id: record.id });
      }
      const entries: NewJob[] = indices.map((i) => ({ job: written[i]!, replaceExisting: jobs[i]!.replaceExisting }));
      // Only jobs that were not there before may be removed when undoing.
      const fresh = indices.filter((i) => !jobs[i]!.replaceExisting).map((i) => jobs[i]!.record.id);
      if (store.addJobs) {
        await store.addJobs(entries);
      } else {
        const added: string[] = [];
        try {
          for (const e of entries) {
            await store.addJob(e.job, { replaceExisting: e.replaceExisting });
            if (!e.replaceExisting) added.push(e.job.id);
          }
        } catch (err) {
          await removeAll(store, added);
          throw err;
        }
      }
      done.push({ store, ids: fresh });
    }
  } catch (err) {
    for (const { store, ids } of done) await removeAll(store, ids);
    throw err;
  }
  for (const { store, id } of cancels) await store.updateJob(id, {}, { cancelPendingRuns: true });
  return written;
}

async function removeAll(store: JobStore, ids: readonly string[]): Promise<void> {
  for (const id of ids) await store.removeJob(id).catch(() => {});
}

/**
 * The error of spec `index` of `addJobs`: the same error (class, code, fields), its message
 * prefixed with the spec's place, and `index` set.
 */
export function atIndex(err: unknown, index: number): unknown {
  if (!(err instanceof Error)) return err;
  err.message = `addJobs: specs[${index}]: ${err.message}`;
  (err as Error & { index?: number }).index = index;
  return err;
}
