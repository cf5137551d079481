/**
 * N scheduler processes (fleet-child.mjs) sharing one store, each in a numbered slot: start them,
 * signal them, restart a slot with a new process, stop them all. Every process that ever ran is
 * remembered (the audit names pids).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '..', '..', 'dist', 'index.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The jobs every process holds, and how long their tasks take (ms). */
export interface FleetJobs {
  intervalMs: number;
  retryIntervalMs: number;
  retryDelayMs: number;
  taskMs: { interval: number; cron: number; retry: number; date: number };
}

/** argv[2] of fleet-child.mjs. */
export interface ChildConfig {
  store: 'sqlite' | 'postgres';
  target: string;
  /** Where the children write their events-<pid>.jsonl. */
  dir: string;
  leaseMs: number;
  graceMs: number;
  /** First fire time of the interval jobs (epoch ms); the audit's window starts here. */
  startMs: number;
  jobs: FleetJobs;
  /** runDates of the date jobs, added only by the first process of the run. */
  dateJobs?: number[];
}

export interface Member {
  slot: number;
  pid: number;
  cp: ChildProcess;
  startedAt: number;
  exited: { code: number | null; signal: NodeJS.Signals | null } | null;
  exit: Promise<unknown>;
  output(): string;
}

export class Fleet {
  readonly members: Member[] = [];
  /** Every process that ever ran, by pid. */
  readonly all = new Map<number, Member>();

  constructor(
    readonly config: ChildConfig,
    readonly size: number,
  ) {}

  /** Starts the first process (which adds the date jobs), then the others together. */
  async start(): Promise<void> {
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run "npm run build" (test/global-setup.ts does when dist/ is stale)`);
    this.members[0] = await this.#spawn(0, { ...this.config });
    const rest = Array.from({ length: this.size - 1 }, (_, i) => this.#spawn(i + 1, { ...this.config, dateJobs: [] }));
    for (const m of await Promise.all(rest)) this.members[m.slot] = m;
  }

  /** A new process in `slot` (its previous one must have exited). */
  async restart(slot: number): Promise<Member> {
    const m = await this.#spawn(slot, { ...this.config, dateJobs: [] });
    this.members[slot] = m;
    return m;
  }

  member(slot: number): Member {
    return this.members[slot]!;
  }

  alive(slot: number): boolean {
    return this.members[slot]?.exited === null;
  }

  send(slot: number, message: unknown): boolean {
    const m = this.members[slot];
    if (!m || m.exited) return false;
    try {
      m.cp.send(message as string);
      return true;
    } catch {
      return false;
    }
  }

  signal(slot: number, signal: NodeJS.Signals): boolean {
    const m = this.members[slot];
    if (!m || m.exited) return false;
    return m.cp.kill(signal);
  }

  /** Asks every process to shut down with wait (continuing any stopped one); SIGKILLs what hangs. */
  async stopAll(ms = 20_000): Promise<Array<{ pid: number; hung: boolean }>> {
    const live = this.members.filter((m) => m && !m.exited);
    for (const m of live) {
      m.cp.kill('SIGCONT');
      try {
        m.cp.send('stop');
      } catch {
        /* gone */
      }
    }
    return Promise.all(live.map(async (m) => {
      const done = await Promise.race([m.exit.then(() => true), sleep(ms).then(() => false)]);
      if (!done) {
        m.cp.kill('SIGKILL');
        await m.exit;
      }
      return { pid: m.pid, hung: !done };
    }));
  }

  /** SIGKILLs every process still running (cleanup after a failure). */
  async killAll(): Promise<void> {
    await Promise.all([...this.all.values()].filter((m) => !m.exited).map(async (m) => {
      m.cp.kill('SIGKILL');
      await m.exit;
    }));
  }

  /** The last output of every process, for a failure message. */
  outputs(): string {
    return [...this.all.values()].map((m) => `--- slot ${m.slot} pid ${m.pid} ${m.exited ? `exited ${JSON.stringify(m.exited)}` : 'running'}\n${m.output()}`).join('\n');
  }

  async #spawn(slot: number, config: ChildConfig): Promise<Member> {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // vitest's or tsx's loader hooks are not for plain children
    const cp = fork(path.join(here, 'fleet-child.mjs'), [JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [], env });
    let out = '';
    cp.stdout!.on('data', (d) => (out = (out + d).slice(-4000)));
    cp.stderr!.on('data', (d) => (out = (out + d).slice(-4000)));
    const member: Member = {
      slot, pid: cp.pid!, cp, startedAt: Date.now(), exited: null, output: () => out,
      exit: new Promise((resolve) => cp.on('exit', (code, signal) => resolve((member.exited = { code, signal })))),
    };
    this.all.set(member.pid, member);
    const ready = new Promise<boolean>((resolve) => {
      cp.on('message', (m) => {
        if (typeof m === 'object' && m !== null && (m as { type?: string }).type === 'ready') resolve(true);
      });
      void member.exit.then(() => resolve(false));
    });
    const ok = await Promise.race([ready, sleep(30_000).then(() => false)]);
    if (!ok) throw new Error(`fleet process in slot ${slot} (pid ${member.pid}) did not start:\n${out}`);
    return member;
  }
}
