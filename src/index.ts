/**
 * kairos: an in-process job scheduler for Node.js. Everything public is named here.
 * @module kairos
 */
export { Scheduler } from './scheduler.js';
export type { SchedulerOptions, SchedulerState } from './scheduler.js';
export type { SchedulerStats, StoreStats } from './scheduler/stats.js';
export type { GetRunsQuery, RunHistoryEntry } from './scheduler/run-history.js';
export type { RunError, RunHistoryOptions, RunHistoryOutcome, RunHistoryQuery, RunHistoryRecord, StoredRunHistoryRecord, HistoryPosition } from './stores/history.js';
export { JobClient } from './client.js';
export type { JobClientOptions } from './client.js';
export type { JobSpec, JobTask, TriggerAlias } from './scheduler/job-api.js';
export type { Job } from './scheduler/job.js';
export type { AddJobOptions, JobChangesInput, JobDefaults, RetryOptions } from './scheduler/options.js';
export type { JobEvent, JobMissedEvent, SchedulerEvent, SchedulerEventName, SchedulerEvents } from './scheduler/events.js';

export { DateTrigger, IntervalTrigger, CronTrigger, CalendarIntervalTrigger, AndTrigger, OrTrigger } from './triggers/index.js';
export type { ResolveContext, Trigger, SerializedTrigger, TriggerKind } from './triggers/trigger.js';
export type {
  DateTriggerOptions, IntervalTriggerOptions, CronTriggerOptions, CrontabOptions, CronFieldValue,
  CalendarIntervalTriggerOptions, CombiningTriggerOptions, TriggerBaseOptions,
} from './triggers/index.js';

export { FakeClock } from './clock/fake-clock.js';
export { SystemClock } from './clock/system-clock.js';
export type { Clock, CancelTimer } from './clock/clock.js';

export { MemoryJobStore } from './stores/memory.js';
export type { MemoryJobStoreOptions } from './stores/memory.js';
// The persistent stores' preferred homes are 'kairos/sqlite' and 'kairos/postgres'; these are the
// same classes, kept here for compatibility. Neither module loads its driver until a store opens.
export { SQLiteJobStore } from './sqlite.js';
export type { SQLiteJobStoreOptions, SQLiteJobStoreTarget, SQLiteJobStoreTuning } from './sqlite.js';
export { PostgresJobStore } from './postgres.js';
export type { PostgresConnection, PostgresJobStoreConfig, PostgresJobStoreOptions } from './postgres.js';
export type {
  ClaimedRun, JobChanges, JobRecord, JobRelease, JobReleaseResult, JobStore, Logger, NewJob, NewRun, RetryPolicy, RunOutcome, RunRecord, StoreOpenContext,
  WakeTimes, LeaseInfo, StoreCounts, StoreInspection,
} from './stores/job-store.js';
export { earliestWakeTimes } from './stores/job-store.js';
export type { LogFields } from './logging.js';

export { AsyncExecutor } from './executors/async.js';
export type { AsyncExecutorOptions } from './executors/async.js';
export { WorkerThreadsExecutor } from './executors/worker-threads.js';
export type { WorkerThreadsExecutorOptions } from './executors/worker-threads.js';
export type { ExecutionRequest, Executor, ModuleTask, TaskContext, TaskTarget } from './executors/executor.js';

export {
  AdminMountError,
  AdminRequestError,
  ConflictingIdError,
  ExecutorLookupError,
  ExecutorQueueFullError,
  JobLookupError,
  JobTimeoutError,
  KairosError,
  KairosRangeError,
  KairosTypeError,
  LeaseLostError,
  MissingDependencyError,
  SchedulerStateError,
  SchemaTooNewError,
  SerializationError,
  ShutdownAbortError,
  StoreClosedError,
  StoreOpenError,
  TaskLookupError,
  WorkerThreadError,
} from './errors.js';
export type { ArgumentErrorDetails, WorkerFailure, WorkerFailureDetails } from './errors.js';
export type { DurationLike, DurationObject, InstantLike } from './units.js';
