/**
 * The one check of option keys, shared by every options object kairos takes: the Scheduler's,
 * job options and defaults, retry policies, stores, executors and triggers. An unknown key is
 * refused rather than ignored (`jobstores`, APScheduler's spelling, would otherwise quietly give
 * a memory store), with a message naming the field, the value and the keys allowed, and a
 * "did you mean" for a near miss (`hours` for `hour`, `job_stores` or `jobstores` for `jobStores`).
 * Not exported from the package.
 * @module
 */
import { KairosTypeError } from './errors.js';

/** `a_b_c` → `aBC`: Python's spelling of an option, as APScheduler users type it. */
function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Edit distance (insert, delete, substitute, swap two neighbours), for typos such as `concurency`. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The allowed key `key` was most likely meant as, or undefined. Checked in order: the same key
 * in camelCase, singular/plural or another letter case; then one typo away (two for long keys).
 */
export function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  const c = camel(key);
  const candidates = [c, c.endsWith('s') ? c.slice(0, -1) : `${c}s`, c.toLowerCase()];
  const hit = allowed.find((a) => candidates.includes(a) || a.toLowerCase() === c.toLowerCase());
  if (hit !== undefined) return hit;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const a of allowed) {
    const dist = distance(c.toLowerCase(), a.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [a, dist];
  }
  return best !== undefined && bestDistance <= (best.length >= 8 ? 2 : 1) ? best : undefined;
}

function isOptionsObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Throws for an options value that is not a plain object, or that has a key not in `allowed`
 * (own enumerable string keys are checked; a key whose value is `undefined` counts too).
 * Returns the options, typed as a record.
 *
 * Messages, with `where` = `'Scheduler'` and `{ jobstores: … }`:
 * `Scheduler.jobstores: expected an option of Scheduler: one of timezone, clock, jobStores, …,
 * received {} (Object); did you mean "jobStores"?`
 *
 * @param where names the options object in messages and is the prefix of `field`: a class
 *   (`'AsyncExecutor'`) or a parameter (`'options'`, `'jobDefaults'`, `'retry'`)
 * @param hint appended to the message of an unknown key (what to do instead), e.g. `trigger
 *   arguments go in the third argument of addJob`
 * @throws KairosTypeError with `field` (`<where>.<key>`, or `where` for a value that is not an
 *   object), `value` and `allowed`
 */
export function checkKnownKeys(options: unknown, allowed: readonly string[], where: string, hint?: string): Record<string, unknown> {
  if (!isOptionsObject(options)) {
    throw new KairosTypeError(where, options, `an options object${allowed.length > 0 ? ` with keys among ${allowed.join(', ')}` : ''}`);
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const near = suggestKey(key, allowed);
    const because = near === undefined
      ? `"${key}" is not an option of ${where}${hint === undefined ? '' : `; ${hint}`}`
      : `did you mean "${near}"?${hint === undefined ? '' : ` (${hint})`}`;
    throw new KairosTypeError(`${where}.${key}`, options[key], `an option of ${where}: one of ${allowed.join(', ')}`, because);
  }
  return options;
}

/**
 * Lists the keys of the options type `T` at run time, for {@link checkKnownKeys}; the list must
 * name every key of `T`, else the call does not compile (and the error names the keys missing),
 * so an option added to an interface cannot be refused by its own checker.
 * @example
 * const KEYS = optionKeys<AsyncExecutorOptions>()(['concurrency']);
 */
export function optionKeys<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missingKeys: Exclude<keyof T, K[number]> }),
  ): readonly string[] => keys;
}
