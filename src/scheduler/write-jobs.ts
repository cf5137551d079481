/**
 * Writing new jobs to their stores, one (`addJob`) or many at once (`addJobs`), with the rule
 * both share: `replaceExisting` of an unchanged trigger keeps the stored schedule (an upsert at
 * every deploy must neither repeat nor skip a run), a changed one cancels its pending runs.
 * @module
 */
import { JobLookupError } from '../errors.js';
import type { JobChanges, JobRecord, JobStore, NewJob } from '../stores/job-store.js';
import type {
  CalendarIntervalTriggerOptions,
  CronTriggerOptions,
  DateTriggerOptions,
  IntervalTriggerOptions,
} from '../triggers/index.js';
import type { SerializedTrigger, Trigger } from '../triggers/trigger.js';
import type { AddJobOptions } from './options.js';

/** A job's task as `addJob` takes it: the id of a registered task, or a function (memory store only). */
export type JobTask = string | ((...args: never[]) => unknown);

/**
 * One job of `addJobs`: the arguments of `addJob` as named fields, typed by trigger alias as
 * `addJob` is (a Trigger object takes no `triggerArgs`).
 */
export type JobSpec =
  | { task: JobTask; trigger: 'cron'; triggerArgs: CronTriggerOptions | string; options?: AddJobOptions }
  | { task: JobTask; trigger: 'interval'; triggerArgs: IntervalTriggerOptions; options?: AddJobOptions }
  | { task: JobTask; trigger: 'date'; triggerArgs: DateTriggerOptions; options?: AddJobOptions }
  | { task: JobTask; trigger: 'calendarinterval'; triggerArgs: CalendarIntervalTriggerOptions; options?: AddJobOptions }
  | { task: JobTask; trigger: Trigger; triggerArgs?: undefined; options?: AddJobOptions };

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
 * What a `replaceExisting` upsert of `record` does over `existing`: an unchanged trigger keeps the
 * stored schedule by updating only the other fields (`update`: never nextRunTime, not even to the
 * value just read, since another scheduler may plan the job in between, and putting its old fire
 * time back would run that time twice); otherwise the record is written whole, and `cancel` says
 * whether the job's pending runs go (its trigger changed).
 */
type Upsert = { kind: 'update'; fields: JobChanges } | { kind: 'write'; cancel: boolean };

function upsert(record: JobRecord, existing: JobRecord | null, keepSchedule: boolean): Upsert {
  if (existing === null) return { kind: 'write', cancel: false };
  if (keepSchedule && sameTrigger(existing.trigger, record.trigger)) {
    const { id: _id, trigger: _trigger, nextRunTime: _next, exhausted: _exhausted, ...fields } = record;
    return { kind: 'update', fields };
  }
  return { kind: 'write', cancel: true };
}

/** Updates a job's fields for an upsert; `null` when the job was removed meanwhile (then it is added afresh). */
async function updateFields(store: JobStore, id: string, fields: JobChanges): Promise<JobRecord | null> {
  try {
    return await store.updateJob(id, fields);
  } catch (err) {
    if (err instanceof JobLookupError) return null;
    throw err;
  }
}

/** Writes one job (`addJob`); returns the record as stored. */
export async function writeJob(store: JobStore, record: JobRecord, replaceExisting: boolean, keepSchedule: boolean): Promise<JobRecord> {
  let cancel = false;
  if (replaceExisting) {
    const plan = upsert(record, await store.getJob(record.id), keepSchedule);
    if (plan.kind === 'update') {
      const updated = await updateFields(store, record.id, plan.fields);
      if (updated) return updated;
    } else cancel = plan.cancel;
  }
  await store.addJob(record, { replaceExisting });
  if (cancel) await store.updateJob(record.id, {}, { cancelPendingRuns: true });
  return record;
}

/**
 * Writes many jobs, all new ones or none: per store in one `JobStore.addJobs` (or `addJob` after
 * `addJob` for a store without it, undone with `removeJob` when one fails); when a later store
 * fails, the jobs written to the earlier ones are removed again. Upserts of an unchanged trigger
 * update the stored jobs' other fields after their store's write (as `addJob` does; such an
 * update, already made, stays when a later store fails). Returns the records as stored, in order.
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
      const whole: number[] = [];
      const updates: Array<{ i: number; fields: JobChanges }> = [];
      for (const i of indices) {
        const job = jobs[i]!;
        const plan: Upsert = job.replaceExisting ? upsert(job.record, await store.getJob(job.record.id), job.keepSchedule) : { kind: 'write', cancel: false };
        if (plan.kind === 'update') updates.push({ i, fields: plan.fields });
        else {
          whole.push(i);
          if (plan.cancel) cancels.push({ store, id: job.record.id });
        }
      }
      const entries: NewJob[] = whole.map((i) => ({ job: written[i]!, replaceExisting: jobs[i]!.replaceExisting }));
      // Only jobs that were not there before may be removed when undoing.
      const fresh = whole.filter((i) => !jobs[i]!.replaceExisting).map((i) => jobs[i]!.record.id);
      if (entries.length > 0) await insertAll(store, entries);
      done.push({ store, ids: fresh });
      for (const { i, fields } of updates) {
        const job = jobs[i]!;
        const updated = await updateFields(store, job.record.id, fields);
        if (updated) written[i] = updated;
        else await store.addJob(job.record, { replaceExisting: true });
      }
    }
  } catch (err) {
    for (const { store, ids } of done) await removeAll(store, ids);
    throw err;
  }
  for (const { store, id } of cancels) await store.updateJob(id, {}, { cancelPendingRuns: true });
  return written;
}

/** One store's share of `addJobs`: its `addJobs`, or `addJob` one by one, undone when one fails. */
async function insertAll(store: JobStore, entries: NewJob[]): Promise<void> {
  if (store.addJobs) return store.addJobs(entries);
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
