/**
 * What WorkerThreadsExecutor refuses at `submit()`, before a run touches a thread: a task that is
 * not `{ module, export }` (a function cannot cross to a worker thread) and args the structured
 * clone algorithm cannot copy. Each refusal is a typed error naming the job, the task and the fix.
 * @module
 */
import { KairosTypeError } from '../../errors.js';
import type { ExecutionRequest } from '../executor.js';

/** The error refusing `request` on a worker thread, or `null` when it can run there. */
export function refuseRequest(request: ExecutionRequest): KairosTypeError | null {
  const { task, taskId, context } = request;
  if (typeof task === 'function') {
    return new KairosTypeError(
      'task',
      task,
      'a { module, export } task',
      `job "${context.jobId}" (task "${taskId}") runs on WorkerThreadsExecutor, and a function cannot be sent to a worker thread; ` +
        `register the task by module instead: scheduler.registerTask("${taskId}", { module: new URL('./tasks.js', import.meta.url), export: '${task.name || 'myTask'}' })`,
    );
  }
  if (typeof task !== 'object' || task === null || !(typeof task.module === 'string' || task.module instanceof URL)) {
    return new KairosTypeError(`task "${taskId}".module`, task, 'a { module: string | URL, export?: string } task');
  }
  if (task.export !== undefined && typeof task.export !== 'string') {
    return new KairosTypeError(`task "${taskId}".export`, task.export, 'the name of an exported function, as a string');
  }
  return uncloneableArgument(request);
}

/** Finds which argument cannot be structured-cloned and says so; `null` when all can. */
export function uncloneableArgument(request: ExecutionRequest): KairosTypeError | null {
  for (const [index, arg] of request.args.entries()) {
    try {
      structuredClone(arg);
    } catch (err) {
      return new KairosTypeError(
        `args[${index}]`,
        arg,
        'a value the structured clone algorithm can copy (primitives, plain objects, arrays, Date, Map, Set, typed arrays; no functions or symbols)',
        `job "${request.context.jobId}" (task "${request.taskId}") runs on WorkerThreadsExecutor, which copies its args into a worker thread: ${(err as Error).message}`,
      );
    }
  }
  return null;
}
