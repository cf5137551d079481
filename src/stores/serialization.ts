/**
 * What persistent stores accept: values that survive `JSON.stringify` → `JSON.parse` unchanged.
 * Checked before anything is written, so a job that cannot be stored leaves the store untouched.
 * @module
 */
import { SerializationError } from '../errors.js';

/** Describes why `value` cannot round-trip through JSON, or returns null when it can. */
export function jsonProblem(value: unknown, path = 'args', seen = new Set<object>()): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? null : `${path} is ${String(value)}, which JSON stores as ${JSON.stringify(value)}`;
    case 'bigint':
      return `${path} is a BigInt; pass it as a string or number`;
    case 'function':
      return `${path} is a function; pass data, and register code with registerTask`;
    case 'symbol':
      return `${path} is a symbol`;
    case 'undefined':
      return `${path} is undefined, which JSON drops or turns into null; use null`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return `${path} refers back to itself (a cycle)`;
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        if (!(i in obj)) return `${path}[${i}] is a hole in a sparse array`;
        const problem = jsonProblem(obj[i], `${path}[${i}]`, seen);
        if (problem) return problem;
      }
      return null;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      return `${path} is a ${kind} instance, which JSON turns into ${kind === 'Date' ? 'a string' : 'a plain object'}; pass plain data (for a Date, its ISO string)`;
    }
    if (Object.getOwnPropertySymbols(obj).length > 0) return `${path} has symbol keys`;
    for (const [key, v] of Object.entries(obj)) {
      const problem = jsonProblem(v, `${path}.${key}`, seen);
      if (problem) return problem;
    }
    return null;
  } finally {
    seen.delete(obj);
  }
}

/**
 * Throws SerializationError when `args` cannot be stored as JSON unchanged.
 * @throws SerializationError naming the offending path, the job and the store
 */
export function assertJsonArgs(args: unknown[], jobId: string, jobStore: string): void {
  const problem = jsonProblem(args);
  if (problem) {
    throw new SerializationError(
      `job "${jobId}" cannot be stored in store "${jobStore}": ${problem}. Persistent stores keep args as JSON`,
      jobId,
      jobStore,
    );
  }
}
