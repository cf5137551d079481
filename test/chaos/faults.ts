/**
 * The faults of a chaos run, one function each. Every choice (which process, how long) comes from
 * the run's seeded Rng, so a failing run replays from its seed. Each fault undoes itself before it
 * resolves (a killed process is restarted, a stopped one continued, a stopped server started) and
 * returns what it did, with real-time instants, for the audit.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Fleet } from './fleet.js';
import type { Rng } from './rng.js';
import type { ChaosTarget } from './target.js';

export type FaultKind = 'kill' | 'stop' | 'sqliteLock' | 'readOnly' | 'diskFull' | 'pgRestart' | 'pgTerminate' | 'clockJump';

export const SQLITE_FAULTS: FaultKind[] = ['kill', 'stop', 'sqliteLock', 'readOnly', 'diskFull', 'clockJump'];
export const POSTGRES_FAULTS: FaultKind[] = ['kill', 'stop', 'pgRestart', 'pgTerminate', 'clockJump'];

/** What one fault did. `pid`: the process it hit (kill, stop, readOnly, diskFull, clockJump). */
export interface FaultRecord {
  kind: FaultKind;
  phase: 'alone' | 'mixed' | 'last';
  at: number;
  endAt: number;
  pid?: number;
  detail?: string;
}

export interface FaultContext {
  fleet: Fleet;
  target: ChaosTarget;
  rng: Rng;
  leaseMs: number;
  /** Slots some fault is working on now: a mixed phase never aims two faults at one process. */
  busy: Set<number>;
  /** A database fault (lock, server restart, terminated connections) is under way: one at a time. */
  databaseBusy?: boolean;
}

/**
 * Runs a database fault unless another one is under way (then: null, nothing done). The database
 * stays quiet for `DATABASE_QUIET_MS` after each, so that a mixed phase is not one long outage.
 */
async function onDatabase(ctx: FaultContext, phase: FaultRecord['phase'], act: () => Promise<FaultRecord>): Promise<FaultRecord | null> {
  // Alone, a fault waits for the quiet time to pass; mixed, it gives way.
  while (ctx.databaseBusy && phase !== 'mixed') await sleep(100);
  if (ctx.databaseBusy) return null;
  ctx.databaseBusy = true;
  try {
    return await act();
  } finally {
    setTimeout(() => (ctx.databaseBusy = false), DATABASE_QUIET_MS);
  }
}

const DATABASE_QUIET_MS = 3000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A live slot no other fault is working on, or undefined. At most N - 1 processes are faulted at
 * once, so the fleet always has one to take over.
 */
async function freeSlot(ctx: FaultContext, preferHolders: boolean): Promise<number | undefined> {
  if (ctx.busy.size >= ctx.fleet.size - 1) return undefined;
  const free = ctx.fleet.members.map((_, slot) => slot).filter((slot) => !ctx.busy.has(slot) && ctx.fleet.alive(slot));
  if (free.length === 0) return undefined;
  if (preferHolders) {
    // A process in the middle of a run, when there is one: its takeover and fencing are what to see.
    const holding = new Set(await ctx.target.runningPids().catch(() => []));
    const holders = free.filter((slot) => holding.has(ctx.fleet.member(slot).pid));
    if (holders.length > 0) return ctx.rng.pick(holders);
  }
  return ctx.rng.pick(free);
}

/** Restarts `slot`, retrying while the database is unreachable (a server restart at the same time). */
async function restart(ctx: FaultContext, slot: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await ctx.fleet.restart(slot)).pid;
    } catch (err) {
      if (attempt >= 10) throw err;
      await sleep(1000);
    }
  }
}

async function onProcess(ctx: FaultContext, kind: FaultKind, phase: FaultRecord['phase'], act: (slot: number, pid: number) => Promise<string | undefined>): Promise<FaultRecord | null> {
  const slot = await freeSlot(ctx, kind === 'kill' || kind === 'stop');
  if (slot === undefined || ctx.busy.has(slot) || ctx.busy.size >= ctx.fleet.size - 1) return null; // another fault took it meanwhile
  ctx.busy.add(slot);
  try {
    const pid = ctx.fleet.member(slot).pid;
    const at = Date.now();
    const detail = await act(slot, pid);
    return { kind, phase, at, endAt: Date.now(), pid, ...(detail === undefined ? {} : { detail }) };
  } finally {
    ctx.busy.delete(slot);
  }
}

const faults: Record<FaultKind, (ctx: FaultContext, phase: FaultRecord['phase']) => Promise<FaultRecord | null>> = {
  /** SIGKILL, then a new process in its slot a few seconds later. */
  kill: (ctx, phase) => onProcess(ctx, 'kill', phase, async (slot) => {
    ctx.fleet.signal(slot, 'SIGKILL');
    await ctx.fleet.member(slot).exit;
    await sleep(ctx.rng.int(1000, 2500));
    return `restarted as ${await restart(ctx, slot)}`;
  }),

  /** SIGSTOP for longer than the lease, then SIGCONT: what it held is someone else's by then. */
  stop: (ctx, phase) => onProcess(ctx, 'stop', phase, async (slot) => {
    ctx.fleet.signal(slot, 'SIGSTOP');
    const ms = ctx.leaseMs + ctx.rng.int(800, 1500);
    await sleep(ms);
    ctx.fleet.signal(slot, 'SIGCONT');
    return `stopped ${ms} ms`;
  }),

  /** One process's store connection refuses writes (SQLITE_READONLY through PRAGMA query_only). */
  readOnly: (ctx, phase) => onProcess(ctx, 'readOnly', phase, async (slot) => {
    const ms = ctx.rng.int(2000, 3000);
    ctx.fleet.send(slot, { type: 'readonly', on: true });
    await sleep(ms);
    ctx.fleet.send(slot, { type: 'readonly', on: false });
    return `${ms} ms`;
  }),

  /** One process's store connection cannot grow the file (SQLITE_FULL through PRAGMA max_page_count). */
  diskFull: (ctx, phase) => onProcess(ctx, 'diskFull', phase, async (slot) => {
    const ms = ctx.rng.int(2000, 3000);
    ctx.fleet.send(slot, { type: 'full', on: true });
    await sleep(ms);
    ctx.fleet.send(slot, { type: 'full', on: false });
    return `${ms} ms`;
  }),

  /** One process's clock jumps an hour forward, then back. */
  clockJump: (ctx, phase) => onProcess(ctx, 'clockJump', phase, async (slot) => {
    ctx.fleet.send(slot, { type: 'jump', ms: 3_600_000 });
    await sleep(2000);
    ctx.fleet.send(slot, { type: 'jump', ms: -3_600_000 });
    return '+1 h for 2 s';
  }),

  /** A foreign connection holds the SQLite write lock for 2 s. */
  sqliteLock: (ctx, phase) => onDatabase(ctx, phase, async () => {
    const db = new Database(ctx.target.location);
    db.pragma('busy_timeout = 5000');
    const at = Date.now();
    try {
      db.exec('BEGIN IMMEDIATE');
      db.prepare('INSERT INTO chaos_foreign (at) VALUES (?)').run(at);
      await sleep(2000);
      db.exec('COMMIT');
    } finally {
      db.close();
    }
    return { kind: 'sqliteLock', phase, at, endAt: Date.now(), detail: 'write lock held 2 s' };
  }),

  /** The PostgreSQL server stopped (fast shutdown: every session ended), then started again. */
  pgRestart: (ctx, phase) => onDatabase(ctx, phase, async () => {
    const server = ctx.target.server!;
    const at = Date.now();
    await server.stopServer();
    const ms = ctx.rng.int(1500, 3000);
    await sleep(ms);
    await server.startServer();
    return { kind: 'pgRestart', phase, at, endAt: Date.now(), detail: `down ${Date.now() - at} ms` };
  }),

  /** pg_terminate_backend on some of the fleet's connections (store pools, LISTEN connections). */
  pgTerminate: (ctx, phase) => onDatabase(ctx, phase, async () => {
    const at = Date.now();
    const client = new pg.Client({ connectionString: ctx.target.location });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid',
      );
      const victims = rows.filter(() => ctx.rng.next() < 0.5).map((r) => r.pid);
      if (victims.length > 0) await client.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [victims]);
      return { kind: 'pgTerminate', phase, at, endAt: Date.now(), detail: `${victims.length} of ${rows.length} connections` };
    } finally {
      await client.end();
    }
  }),
};

export function runFault(kind: FaultKind, ctx: FaultContext, phase: FaultRecord['phase']): Promise<FaultRecord | null> {
  return faults[kind](ctx, phase);
}
