/**
 * The scheduler's events, typed, and the one emit path that keeps a throwing listener from
 * breaking the loop or a store write.
 * @module
 */
import type { EventEmitter } from 'eventemitter3';
import type { LogFields } from '../logging.js';
import type { Logger } from '../stores/job-store.js';

/** Payload of the scheduler-level events. */
export interface SchedulerEvent {
  /** When it happened, on the scheduler's clock. */
  time: Date;
}

/** Payload of every job event. Fields that do not apply to an event are absent. */
export interface JobEvent {
  jobId: string;
  /** The name of the store that holds the job. */
  jobStore: string;
  /** The fire time the run belongs to. */
  scheduledRunTime?: Date;
  /** The run's id (see `TaskContext.runId`). */
  runId?: string;
  /** The try, from 1. */
  attempt?: number;
  /** `jobExecuted`: what the task returned (awaited). */
  result?: unknown;
  /** `jobError`: what the task threw, or why the run could not start (TaskLookupError, LeaseLostError, …). */
  error?: unknown;
  /** `jobError`: whether another try is scheduled. */
  willRetry?: boolean;
}

/** Payload of `jobMissed`: the missed fire times of one job at one wakeup. */
export interface JobMissedEvent extends JobEvent {
  /** The first missed fire time. */
  scheduledRunTime: Date;
  /** The last missed fire time. */
  lastScheduledRunTime: Date;
  /** How many were missed, where the trigger can count them without walking them (interval); else `null`. */
  missedCount: number | null;
}

/** Every event the scheduler emits, with its payload. */
export interface SchedulerEvents {
  schedulerStarted: [SchedulerEvent];
  schedulerShutdown: [SchedulerEvent];
  schedulerPaused: [SchedulerEvent];
  schedulerResumed: [SchedulerEvent];
  jobAdded: [JobEvent];
  jobModified: [JobEvent];
  jobRemoved: [JobEvent];
  jobSubmitted: [JobEvent];
  jobExecuted: [JobEvent];
  jobError: [JobEvent];
  jobMissed: [JobMissedEvent];
  jobMaxInstances: [JobEvent];
}

/** The names of {@link SchedulerEvents}. */
export type SchedulerEventName = keyof SchedulerEvents;

/**
 * Emits to every listener of `name`; a listener that throws is logged and the others still run,
 * so no listener can stop the loop or interrupt a store write.
 */
export function safeEmit<K extends SchedulerEventName>(
  emitter: EventEmitter<SchedulerEvents>,
  logger: Logger,
  name: K,
  ...payload: SchedulerEvents[K]
): void {
  // Most events have no listener: asking first spares the copy of the listener list.
  if (emitter.listenerCount(name) === 0) return;
  for (const listener of emitter.listeners(name)) {
    try {
      (listener as (...a: SchedulerEvents[K]) => void)(...payload);
    } catch (err) {
      logger.error(`kairos: a "${name}" listener threw; the scheduler goes on`, eventFields(name, payload[0]), err);
    }
  }
}

/** The log fields of an event: the job, run and store it is about, when it is a job event. */
function eventFields(name: SchedulerEventName, payload: SchedulerEvent | JobEvent): LogFields {
  const fields: LogFields = { event: name };
  if (!('jobId' in payload)) return fields;
  fields.jobId = payload.jobId;
  if (payload.runId !== undefined) fields.runId = payload.runId;
  if (payload.scheduledRunTime !== undefined) fields.scheduledRunTime = payload.scheduledRunTime.toISOString();
  if (payload.attempt !== undefined) fields.attempt = payload.attempt;
  fields.jobStore = payload.jobStore;
  return fields;
}
