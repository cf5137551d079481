/**
 * Takeover after a holder's death or stall, written once for both persistent stores: two real
 * scheduler processes share a store and a job that fires every second (a 700 ms task). One of
 * them is stopped on purpose at a chosen phase of a run (fixtures/takeover-child.mjs) and then
 * SIGKILLed, or SIGSTOPped for longer than the lease and continued. The survivor must start the
 * job again within `leaseDuration + 1 s`; no `(jobId, scheduledRunTime)` may run twice except the
 * run that was in flight at the kill; a stalled holder that comes back must be fenced.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { events, forkFixture, readStarts, sleep, stopChild, tempDir, until, type Child, type TaskStart } from './helpers.js';

export type Phase = 'acquired' | 'claimed' | 'running' | 'recording';
export const PHASES: Phase[] = ['acquired', 'claimed', 'running', 'recording'];
const LEASE_MS = 1500;

export interface TakeoverTarget {
  store: 'sqlite' | 'postgres';
  /** A fresh SQLite path (in `dir`) or PostgreSQL URL for one scenario. */
  fresh(dir: string): Promise<string>;
}

/** One measured scenario, for the README's figure. */
export interface TakeoverResult {
  store: string;
  phase: Phase;
  signal: 'SIGKILL' | 'SIGSTOP';
  takeoverMs: number;
}
export const results: TakeoverResult[] = [];

function describeRun(kids: Child[], starts: TaskStart[]): string {
  const lines = starts.map((s) => `${s.pid} ${s.t} attempt ${s.attempt} at +${s.at - starts[0]!.at}`);
  return `${lines.join('\n')}\n${kids.map((k) => `--- ${k.pid}\n${k.output()}`).join('\n')}`;
}

async function scenario(target: TakeoverTarget, phase: Phase, signal: 'SIGKILL' | 'SIGSTOP'): Promise<void> {
  const { dir, cleanup } = tempDir(`kairos-takeover-${target.store}-`);
  try {
    await scenarioIn(dir, target, phase, signal);
  } finally {
    cleanup();
  }
}

async function scenarioIn(dir: string, target: TakeoverTarget, phase: Phase, signal: 'SIGKILL' | 'SIGSTOP'): Promise<void> {
  const ledger = path.join(dir, 'ledger.log');
  const armFile = path.join(dir, 'armed');
  const config = {
    store: target.store, target: await target.fresh(dir), ledger, leaseMs: LEASE_MS, phase, armFile, claimFile: path.join(dir, 'claimed'),
    // Killed while holding: the hold outlasts the test. Stopped: the hold only has to cover the SIGSTOP.
    holdMs: signal === 'SIGKILL' ? 60_000 : 300,
  };
  const kids = [0, 1].map(() => forkFixture('takeover-child.mjs', [JSON.stringify(config)]));
  try {
    await Promise.all(kids.map((k) => k.message((m) => typeof m === 'object' && m.type === 'ready')));
    expect(await until(() => readStarts(ledger).length >= 2, 10_000), describeRun(kids, readStarts(ledger))).toBe(true);
    writeFileSync(armFile, '');
    const hit = (await Promise.any(kids.map((k) => k.message((m) => typeof m === 'object' && m.type === 'phase', 15_000)))) as {
      pid: number; runId?: string;
    };
    const victim = kids.find((k) => k.pid === hit.pid)!;
    const survivor = kids.find((k) => k !== victim)!;
    victim.cp.kill(signal);
    const killedAt = Date.now();

    // The survivor starts the job again (the run taken over, or the next fire time) within a lease and a second.
    const byOthers = (): TaskStart[] => readStarts(ledger).filter((s) => s.pid === survivor.pid && s.at > killedAt);
    await until(() => byOthers().length > 0, LEASE_MS + 4000);
    const first = byOthers()[0];
    expect(first, `no run by the survivor after the ${signal} in phase ${phase}\n${describeRun(kids, readStarts(ledger))}`).toBeDefined();
    const takeoverMs = first!.at - killedAt;
    results.push({ store: target.store, phase, signal, takeoverMs });
    expect(takeoverMs, describeRun(kids, readStarts(ledger))).toBeLessThanOrEqual(LEASE_MS + 1000);
    // ... and goes on running it.
    expect(await until(() => byOthers().length >= 3, 5000), describeRun(kids, readStarts(ledger))).toBe(true);

    if (signal === 'SIGSTOP') {
      // Stalled well past its lease, then continued: whatever it held is someone else's now.
      await sleep(Math.max(0, killedAt + 2 * LEASE_MS + 500 - Date.now()));
      victim.cp.kill('SIGCONT');
      if (phase !== 'acquired') {
        const fenced = await until(() => events(victim, 'jobError').find((e) => e.runId === hit.runId), 5000);
        expect(fenced, `the stalled holder did not report losing ${hit.runId}\n${describeRun(kids, readStarts(ledger))}`).toBeDefined();
        expect((fenced!.error as { name: string }).name).toBe('LeaseLostError');
        expect(events(victim, 'jobExecuted').filter((e) => e.runId === hit.runId)).toEqual([]);
      }
      await sleep(1500); // the continued process goes on as a scheduler among others
      await Promise.all(kids.map((k) => stopChild(k)));
    } else {
      await stopChild(survivor);
    }

    // Every (jobId, scheduledRunTime) ran once, except the run that was in flight when its holder died.
    const starts = readStarts(ledger);
    const count = new Map<string, number>();
    for (const s of starts) count.set(s.runId, (count.get(s.runId) ?? 0) + 1);
    const twice = [...count].filter(([, n]) => n > 1).map(([runId]) => runId);
    const inFlight = phase === 'running' || phase === 'recording' ? [hit.runId] : [];
    expect(twice.filter((runId) => !inFlight.includes(runId)), describeRun(kids, starts)).toEqual([]);
    // The run taken over kept its runId and counted one more attempt.
    if (inFlight.length > 0) expect(starts.filter((s) => s.runId === hit.runId).map((s) => s.attempt)).toEqual([1, 2]);
  } finally {
    for (const k of kids) if (!k.exited) k.cp.kill('SIGCONT');
  }
}

/** Registers one test per phase and signal. */
export function describeTakeover(target: TakeoverTarget): void {
  for (const signal of ['SIGKILL', 'SIGSTOP'] as const) {
    for (const phase of PHASES) {
      it(`${signal} while ${phase === 'acquired' ? 'holding the job before its fire time' : phase === 'claimed' ? 'holding a claimed run not yet started' : phase === 'running' ? 'running the task' : 'recording the end'}: taken over within the lease + 1 s, nothing run twice`, { timeout: 60_000 }, async () => {
        await scenario(target, phase, signal);
      });
    }
  }
}
