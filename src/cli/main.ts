#!/usr/bin/env node
/**
 * The `kairos` bin: `kairos <command> [options]`, on a SQLite file or a PostgreSQL database named
 * by `--db` (or `KAIROS_DB`). Exit codes: 0 ok, 1 not found, 2 bad input, 3 any other failure.
 * Arguments are parsed by `node:util` parseArgs; each command lives in its group's file.
 * @module
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KairosRangeError } from '../errors.js';
import { checkTimezone, systemTimezone } from '../units.js';
import { doctorCommand, migrateCommand } from './admin.js';
import type { Command, OptionsConfig } from './command.js';
import { jobCommands } from './jobs.js';
import { nextCommand } from './next.js';
import { EXIT, exitCodeFor, printError, type Io } from './output.js';
import { runsCommand } from './runs.js';
import { openStore, stderrLogger, type OpenedStore } from './store.js';

const COMMANDS: Command[] = [...jobCommands, runsCommand, migrateCommand, doctorCommand, nextCommand];

const GLOBAL_OPTIONS: OptionsConfig = {
  db: { type: 'string' },
  schema: { type: 'string' },
  json: { type: 'boolean' },
  tz: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const GLOBAL_HELP = [
  '--db <path|url>   a SQLite file, or a postgres:// URL (default: $KAIROS_DB)',
  '--schema <name>   the PostgreSQL schema (default: kairos)',
  '--tz <zone>       the zone times are shown in (default: the system zone)',
  '--json            print JSON on stdout (errors as { "error": { name, code, message } })',
  '-h, --help        this help; kairos <command> --help for one command',
];

const EXIT_HELP = 'Exit codes: 0 ok, 1 not found (an unknown job), 2 bad input, 3 other failures (the store cannot be opened, its schema is newer than this kairos).';

const usageOf = (c: Command): string => `kairos ${c.path.join(' ')}${c.operands ? ` ${c.operands}` : ''}`;

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => usageOf(c).length - 'kairos '.length));
  return [
    'kairos: read and steer the jobs of kairos schedulers sharing a SQLite file or a PostgreSQL database.',
    '',
    'Usage: kairos <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${usageOf(c).slice('kairos '.length).padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    ...GLOBAL_HELP.map((l) => `  ${l}`),
    '',
    EXIT_HELP,
  ].join('\n');
}

function commandHelp(c: Command): string {
  const own = c.optionHelp.map((l) => `  ${l}`);
  const global = GLOBAL_HELP.filter((l) => (c.store ? true : !/^--(db|schema)/.test(l)) && !(c.optionHelp.some((o) => o.startsWith('--tz')) && l.startsWith('--tz')));
  return [`Usage: ${usageOf(c)} [options]`, '', c.summary, '', c.details, '', 'Options:', ...own, ...global.map((l) => `  ${l}`), '', EXIT_HELP].join('\n');
}

function groupHelp(group: string): string {
  const members = COMMANDS.filter((c) => c.path[0] === group);
  return [`Usage: kairos ${group} <${members.map((c) => c.path[1]).join('|')}> …`, '', ...members.map((c) => `  ${usageOf(c).padEnd(28)}  ${c.summary}`), '', 'kairos <command> --help for one command.'].join('\n');
}

/** The command named by the leading positionals, and the positionals after its name. */
function findCommand(positionals: string[]): { command: Command; rest: string[] } | { group: string } | null {
  for (const c of COMMANDS) {
    if (c.path.every((word, i) => positionals[i] === word)) return { command: c, rest: positionals.slice(c.path.length) };
  }
  const group = COMMANDS.find((c) => c.path.length > 1 && c.path[0] === positionals[0]);
  return group ? { group: group.path[0]! } : null;
}

/**
 * Runs the command line `argv` (without `node` and the script) and resolves with its exit code.
 * @param env the environment (`KAIROS_DB`)
 */
export async function main(argv: string[], io: Io, env: Record<string, string | undefined> = process.env): Promise<number> {
  const allOptions: OptionsConfig = Object.assign({}, GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options));
  // A loose first pass finds the command (and --json, for how to report errors); the strict
  // second pass, with that command's options only, refuses anything it does not take.
  const loose = parseArgs({ args: argv, options: allOptions, allowPositionals: true, strict: false });
  const json = loose.values.json === true;
  let store: OpenedStore | undefined;
  try {
    const found = findCommand(loose.positionals);
    if (found === null || 'group' in found) {
      const wantsHelp = loose.values.help === true || loose.positionals[0] === 'help' || argv.length === 0;
      const named = loose.positionals[0] === 'help' ? findCommand(loose.positionals.slice(1)) : found;
      if (wantsHelp) {
        // Asked for: on stdout, exit 0. `kairos` alone is a usage error: on stderr, exit 2.
        const write = argv.length === 0 ? io.err : io.out;
        if (named && 'command' in named) write(commandHelp(named.command));
        else if (named && 'group' in named) write(groupHelp(named.group));
        else write(mainHelp());
        return argv.length === 0 ? EXIT.badInput : EXIT.ok;
      }
      if (found && 'group' in found) {
        const sub = loose.positionals[1];
        if (sub === undefined) {
          io.err(groupHelp(found.group));
          return EXIT.badInput;
        }
        throw new KairosRangeError(`${found.group} command`, sub, `one of ${COMMANDS.filter((c) => c.path[0] === found.group).map((c) => c.path[1]).join(', ')}`, 'kairos --help lists them');
      }
      throw new KairosRangeError('command', loose.positionals[0], `one of ${[...new Set(COMMANDS.map((c) => c.path[0]))].join(', ')}`, 'kairos --help lists them');
    }
    const { command } = found;
    if (loose.values.help === true) {
      io.out(commandHelp(command));
      return EXIT.ok;
    }
    const parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    const values = parsed.values as Record<string, string | boolean | undefined>;
    const positionals = parsed.positionals;
    const args = positionals.slice(command.path.length);
    const [fewest, most] = command.arity;
    if (args.length < fewest || args.length > most) {
      throw new KairosRangeError(usageOf(command), args, fewest === most ? `${fewest} argument${fewest === 1 ? '' : 's'} (${command.operands || 'none'})` : `${fewest} to ${most} arguments`, `kairos ${command.path.join(' ')} --help`);
    }
    if (!command.store && (values.db !== undefined || values.schema !== undefined)) {
      throw new KairosRangeError(values.db !== undefined ? '--db' : '--schema', values.db ?? values.schema, `nothing: kairos ${command.path.join(' ')} needs no database`);
    }
    const zone = typeof values.tz === 'string' ? checkTimezone(values.tz, '--tz') : systemTimezone();
    if (command.store) {
      const db = typeof values.db === 'string' ? values.db : env.KAIROS_DB;
      store = await openStore({ db, schema: values.schema as string | undefined }, stderrLogger(io.err), { create: command.store === 'create' });
    }
    const code = await command.run({ args, values, printer: { json, zone, io }, io, store });
    return code ?? EXIT.ok;
  } catch (err) {
    printError(io, json, err);
    return exitCodeFor(err);
  } finally {
    await store?.client.close();
  }
}

/** True when this module is the process's entry point (run as the bin, through its symlink or not). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const io: Io = {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
  };
  void main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
