/**
 * Parent-side helpers of the end-to-end tests: temp folders, and child processes running the
 * fixtures in `./fixtures/`, which import the built package (`import 'kairos'` resolves to
 * `dist/index.js` by self-reference; test/global-setup.ts builds it when stale).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '..', '..', 'dist', 'index.js');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Throws a clear error when the package has not been built. */
export function assertBuilt(): void {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run "npm run build" (test/global-setup.ts does when dist/ is stale)`);
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `cond` until it is truthy or `ms` pass; returns its last value. */
export async function until<T>(cond: () => T, ms: number, step = 10): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = cond();
    if (v || Date.now() > end) return v;
    await sleep(step);
  }
}

export interface Child {
  cp: ChildProcess;
  pid: number;
  /** Messages received over IPC, in order. */
  messages: Array<Record<string, unknown> | string>;
  /** stdout and stderr, for failure messages. */
  output: () => string;
  exited: { code: number | null; signal: NodeJS.Signals | null } | null;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first message (already received or future) that `match` accepts. */
  message: (match: (m: Record<string, unknown> | string) => boolean, ms?: number) => Promise<Record<string, unknown> | string>;
}

const children = new Set<Child>();

/** Forks `fixtures/<name>` with `args`; IPC on, output captured. */
export function forkFixture(name: string, args: string[]): Child {
  assertBuilt();
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // vitest's loader hooks are not for plain children
  const cp = fork(path.join(here, 'fixtures', name), args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [], env });
  let out = '';
  cp.stdout!.on('data', (d) => (out += d));
  cp.stderr!.on('data', (d) => (out += d));
  const child: Child = {
    cp,
    pid: cp.pid!,
    messages: [],
    output: () => out.slice(-4000),
    exited: null,
    exit: new Promise((resolve) => cp.on('exit', (code, signal) => resolve((child.exited = { code, signal })))),
    message: async (match, ms = 20_000) => {
      const found = await until(() => child.messages.find(match) ?? (child.exited ? 'exited' : undefined), ms);
      if (found === undefined || found === 'exited') throw new Error(`child ${cp.pid} (${name}) ${found ?? 'sent no such message in time'}; output:\n${out.slice(-4000)}`);
      return found;
    },
  };
  cp.on('message', (m) => child.messages.push(m as Record<string, unknown> | string));
  children.add(child);
  void child.exit.then(() => children.delete(child));
  return child;
}

/** Asks a scheduler child to shut down with `wait` and exit; SIGKILLs it if it hangs. */
export async function stopChild(child: Child, ms = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; hung?: boolean }> {
  if (child.exited) return child.exited;
  try {
    child.cp.send('stop');
  } catch {
    /* already gone */
  }
  const r = await Promise.race([child.exit, sleep(ms).then(() => null)]);
  if (r) return r;
  child.cp.kill('SIGKILL');
  await child.exit;
  return { ...child.exited!, hung: true };
}

export async function killChild(child: Child): Promise<void> {
  if (!child.exited) child.cp.kill('SIGKILL');
  await child.exit;
}

/** SIGKILLs every child still running (for afterEach). */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...children].map(killChild));
}

/** One task start, as fixtures/scheduler-child.mjs logs it. */
export interface TaskStart {
  pid: number;
  jobId: string;
  runId: string;
  t: string;
  attempt: number;
  at: number;
}

export function readStarts(logPath: string): TaskStart[] {
  if (!existsSync(logPath)) return [];
  return readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as TaskStart);
}

/** Events a scheduler child forwarded. */
export function events(child: Child, name?: string, jobId?: string): Array<Record<string, unknown>> {
  return child.messages.filter(
    (m): m is Record<string, unknown> => typeof m === 'object' && m.type === 'event' && (name === undefined || m.name === name) && (jobId === undefined || m.jobId === jobId),
  );
}

export interface SchedulerChildConfig {
  file: string;
  log: string;
  leaseMs?: number;
  tasks: Record<string, { ms?: number; firstAttemptMs?: number }>;
}

/**
 * Starts fixtures/scheduler-child.mjs and waits until its scheduler has started. With `startAt`,
 * the child loads first and its `start()` is called when `startAt()` resolves (to choose the
 * instant of the first wakeup).
 */
export async function startScheduler(config: SchedulerChildConfig, startAt?: () => Promise<void>): Promise<Child & { startedAt: number }> {
  const child = forkFixture('scheduler-child.mjs', [JSON.stringify({ ...config, waitForStart: startAt !== undefined })]);
  if (startAt) {
    await child.message((m) => typeof m === 'object' && m.type === 'loaded');
    await startAt();
    child.cp.send('start');
  }
  const ready = (await child.message((m) => typeof m === 'object' && m.type === 'ready')) as { startedAt: number };
  return Object.assign(child, { startedAt: ready.startedAt });
}
