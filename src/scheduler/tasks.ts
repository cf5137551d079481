/**
 * The task registry: ids for callables, so that a stored job names its code by id.
 * @module
 */
import { KairosTypeError, SerializationError } from '../errors.js';
import type { ModuleTask, TaskTarget } from '../executors/executor.js';

function isModuleTask(value: unknown): value is ModuleTask {
  return (
    typeof value === 'object' && value !== null &&
    (typeof (value as ModuleTask).module === 'string' || (value as ModuleTask).module instanceof URL) &&
    ((value as ModuleTask).export === undefined || typeof (value as ModuleTask).export === 'string')
  );
}

/** Maps task ids to callables and back. */
export class TaskRegistry {
  readonly #byId = new Map<string, TaskTarget>();
  readonly #byFunction = new Map<TaskTarget, string>();
  #anonymous = 0;

  register(id: string, target: unknown): void {
    if (typeof id !== 'string' || id.length === 0) throw new KairosTypeError('registerTask id', id, 'a non-empty string');
    if (typeof target !== 'function' && !isModuleTask(target)) {
      throw new KairosTypeError(`registerTask("${id}") target`, target, 'a function, or { module: string | URL, export?: string }');
    }
    const previous = this.#byId.get(id);
    if (previous !== undefined) this.#byFunction.delete(previous);
    this.#byId.set(id, target as TaskTarget);
    this.#byFunction.set(target as TaskTarget, id);
  }

  get(id: string): TaskTarget | undefined {
    return this.#byId.get(id);
  }

  /**
   * The task id for `addJob`'s `task` argument: a registered id as it is; a registered function
   * by its id; an unregistered function gets an id of its own (memory stores only).
   * @throws SerializationError for an unregistered function headed for a persistent store
   */
  idFor(task: unknown, persistent: boolean, jobStore: string, jobId: string | undefined): string {
    if (typeof task === 'string') return task;
    if (typeof task !== 'function') {
      throw new KairosTypeError('task', task, 'a function or the id of a task passed to registerTask');
    }
    const known = this.#byFunction.get(task as TaskTarget);
    if (known !== undefined) return known;
    if (persistent) {
      const name = task.name || 'myTask';
      throw new SerializationError(
        `job${jobId === undefined ? '' : ` "${jobId}"`} cannot be stored in persistent store "${jobStore}": its task is a plain function, and persistent stores keep a task id, never code. ` +
          `Call scheduler.registerTask('${name}', ${name}) before addJob, then pass the function or the id '${name}'`,
        jobId,
        jobStore,
      );
    }
    const id = `${task.name || 'anonymous'}#${++this.#anonymous}`;
    this.register(id, task);
    return id;
  }
}
