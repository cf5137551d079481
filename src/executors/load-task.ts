import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { KairosTypeError } from '../errors.js';
import type { ModuleTask } from './executor.js';

/** The import specifier of a task module: URLs as they are, paths resolved from the working directory. */
export function moduleSpecifier(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module)) return module; // file:, data:, node: …
  return pathToFileURL(path.resolve(module)).href;
}

/** Imports a `{ module, export }` task and returns its function. */
export async function loadModuleTask(task: ModuleTask, taskId: string): Promise<(...args: unknown[]) => unknown> {
  const specifier = moduleSpecifier(task.module);
  const name = task.export ?? 'default';
  const mod = (await import(specifier)) as Record<string, unknown>;
  const fn = mod[name];
  if (typeof fn !== 'function') {
    throw new KairosTypeError(`task "${taskId}".export`, name, `the name of a function exported by ${specifier}`, `its exports are: ${Object.keys(mod).join(', ') || 'none'}`);
  }
  return fn as (...args: unknown[]) => unknown;
}
