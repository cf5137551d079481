/**
 * The shape of one `kairos` command, and what it is given to run. Each command group
 * (`jobs.ts`, `admin.ts`, `next.ts`) exports its commands; `main.ts` parses the arguments and
 * opens the store for those that need one.
 * @module
 */
import type { ParseArgsConfig } from 'node:util';
import { KairosRangeError } from '../errors.js';
import type { Io, Printer } from './output.js';
import type { OpenedStore } from './store.js';

/** Options as `node:util` parseArgs takes them. */
export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What a command receives. */
export interface CommandContext {
  /** The positional arguments after the command's name. */
  args: string[];
  /** The options given (global ones included), as `node:util` parseArgs returns them. */
  values: Record<string, string | boolean | undefined>;
  printer: Printer;
  io: Io;
  /** The opened store, for commands with `store` set. */
  store: OpenedStore | undefined;
}

/** One command of the `kairos` bin. */
export interface Command {
  /** Its words, e.g. `['jobs', 'list']`, `['next']`. */
  path: string[];
  /** Its positional arguments, for the usage line, e.g. `<id>`. */
  operands: string;
  /** How many positional arguments it takes: [fewest, most]. */
  arity: [number, number];
  /** One line for `kairos --help`. */
  summary: string;
  /** More, for `kairos <command> --help`. */
  details: string;
  /** Its own options (besides --db, --schema, --json, --tz, --help). */
  options: OptionsConfig;
  /** One line per option of its own, for its help. */
  optionHelp: string[];
  /** Whether it opens the store named by --db: `'create'` may create a SQLite file. */
  store: false | 'open' | 'create';
  /** Runs the command; resolves with the exit code (0 when nothing is returned). */
  run(ctx: CommandContext): Promise<number | void>;
}

/**
 * A whole number option in [min, max], or `fallback` when not given.
 * @throws KairosRangeError naming the option
 */
export function intOption(value: string | boolean | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new KairosRangeError(name, value, `a whole number from ${min} to ${max}`);
  return n;
}
