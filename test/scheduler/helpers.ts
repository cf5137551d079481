import { afterEach } from 'vitest';
import { FakeClock, Scheduler, type SchedulerEventName, type SchedulerOptions } from '../../src/index.js';

export const START = '2026-01-01T00:00:00Z';
export const at = (hhmmss: string, day = '2026-01-01'): string => new Date(`${day}T${hhmmss}Z`).toISOString();
export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

const EVENTS: SchedulerEventName[] = [
  'schedulerStarted', 'schedulerShutdown', 'schedulerPaused', 'schedulerResumed', 'jobAdded', 'jobModified',
  'jobRemoved', 'jobSubmitted', 'jobExecuted', 'jobError', 'jobMissed', 'jobMaxInstances',
];

export interface Recorded {
  name: SchedulerEventName;
  ev: Record<string, unknown>;
}

const open: Scheduler[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.shutdown({ wait: false });
});

/** A started-later scheduler on a FakeClock in UTC, with every event recorded. */
export function fakeSetup(options: Partial<SchedulerOptions> & { start?: string } = {}) {
  const { start, ...schedulerOptions } = options; // start is ours: the Scheduler refuses keys it does not know
  const clock = new FakeClock(start ?? START);
  const scheduler = new Scheduler({ timezone: 'UTC', clock, ...schedulerOptions });
  open.push(scheduler);
  const log: Recorded[] = [];
  for (const name of EVENTS) scheduler.on(name, (ev: object) => log.push({ name, ev: ev as Record<string, unknown> }));
  const of = (name: SchedulerEventName, jobId?: string) =>
    log.filter((e) => e.name === name && (jobId === undefined || e.ev.jobId === jobId)).map((e) => e.ev);
  return { clock, scheduler, log, of };
}

/** A task recording the scheduledRunTime of each call. */
export function recorder() {
  const runs: string[] = [];
  const fn = (...a: unknown[]): void => {
    runs.push((a[a.length - 1] as { scheduledRunTime: Date }).scheduledRunTime.toISOString());
  };
  return { runs, fn };
}
