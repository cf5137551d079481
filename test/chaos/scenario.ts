/**
 * One chaos run: start the fleet, let it settle, do each fault alone (in a seeded order), then
 * faults mixed for a while, then the clock jump last (a forward jump in one process moves every
 * job an hour ahead fleet-wide, by the misfire rules, so nothing would fire after it), let the
 * fleet settle, stop it, and audit the ledger. Bounded in time, loopback only, stops by itself.
 */
import { runFault, type FaultContext, type FaultKind, type FaultRecord } from './faults.js';
import { Fleet, type ChildConfig, type FleetJobs } from './fleet.js';
import { audit, readEvents, type AuditReport } from './audit.js';
import { createRng } from './rng.js';
import type { ChaosTarget, StoreState } from './target.js';

export interface ChaosOptions {
  target: ChaosTarget;
  /** A fresh folder for the children's event files. */
  dir: string;
  seed: number;
  /** Fault kinds of this store; 'clockJump' is done last, once. */
  kinds: FaultKind[];
  processes?: number;
  leaseMs?: number;
  /** How long faults are mixed after each was done alone. */
  mixedMs: number;
  /** Pause after each lone fault, for the fleet to recover. */
  gapMs?: number;
  settleMs?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  store: 'sqlite' | 'postgres';
  /** What the children were given (jobs, first fire time, date jobs): the audit's expectations. */
  config: ChildConfig;
  seed: number;
  processes: number;
  /** Processes that ever ran (restarts included). */
  processesEver: number;
  leaseMs: number;
  durationMs: number;
  faults: FaultRecord[];
  faultCounts: Partial<Record<FaultKind, number>>;
  faultErrors: string[];
  /** Processes that did not shut down when asked at the end (SIGKILLed). */
  hung: number[];
  audit: AuditReport;
  state: StoreState;
}

export const DEFAULT_JOBS: FleetJobs = {
  intervalMs: 500,
  retryIntervalMs: 2000,
  retryDelayMs: 300,
  taskMs: { interval: 200, cron: 700, retry: 100, date: 150 },
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport & { fleet: Fleet }> {
  const { target, dir, seed, kinds, processes = 4, leaseMs = 1500, mixedMs, gapMs = 2000, settleMs = 2000 } = options;
  const log = options.log ?? (() => {});
  const rng = createRng(seed);
  const began = Date.now();
  const lone = rng.shuffle(kinds.filter((k) => k !== 'clockJump'));
  // Date jobs, one a second, over the planned length of the run (a fault takes up to ~4 s).
  const plannedMs = 2000 + lone.length * (4500 + gapMs) + mixedMs + 8000 + settleMs;
  const startMs = Math.ceil((Date.now() + 4000) / 1000) * 1000;
  const config: ChildConfig = {
    store: target.store, target: target.location, dir, leaseMs, graceMs: 2 * leaseMs + 2000, startMs, jobs: DEFAULT_JOBS,
    dateJobs: Array.from({ length: Math.ceil(plannedMs / 1000) }, (_, i) => startMs + 500 + i * 1000),
  };
  const fleet = new Fleet(config, processes);
  const faults: FaultRecord[] = [];
  const faultErrors: string[] = [];
  const ctx: FaultContext = { fleet, target, rng, leaseMs, busy: new Set() };
  const fault = async (kind: FaultKind, phase: FaultRecord['phase']): Promise<void> => {
    try {
      const record = await runFault(kind, ctx, phase);
      if (record) {
        faults.push(record);
        log(`${phase} ${kind}${record.pid ? ` pid ${record.pid}` : ''} ${record.detail ?? ''}`);
      }
    } catch (err) {
      faultErrors.push(`${phase} ${kind}: ${(err as Error).message.slice(0, 500)}`);
    }
  };

  await fleet.start();
  log(`seed ${seed}: ${processes} processes on ${target.store}, first fire time ${new Date(startMs).toISOString()}`);
  await sleep(Math.max(0, startMs + 1000 - Date.now()));

  for (const kind of lone) {
    await fault(kind, 'alone');
    await sleep(gapMs);
  }

  const mixedEnd = Date.now() + mixedMs;
  const running: Array<Promise<void>> = [];
  while (Date.now() < mixedEnd) {
    running.push(fault(rng.pick(lone), 'mixed'));
    await sleep(rng.int(300, 1500));
  }
  await Promise.all(running);
  await sleep(gapMs);

  if (kinds.includes('clockJump')) await fault('clockJump', 'last');
  await sleep(settleMs);

  const stopAt = Date.now();
  const stopped = await fleet.stopAll();
  const rows = await target.ledger();
  const window = { from: startMs, to: stopAt - 1500 };
  const report = audit({ config, rows, events: readEvents(dir), faults, window });
  const faultCounts: ChaosReport['faultCounts'] = {};
  for (const f of faults) faultCounts[f.kind] = (faultCounts[f.kind] ?? 0) + 1;
  return {
    fleet,
    store: target.store,
    config,
    seed,
    processes,
    processesEver: fleet.all.size,
    leaseMs,
    durationMs: Date.now() - began,
    faults,
    faultCounts,
    faultErrors,
    hung: stopped.filter((s) => s.hung).map((s) => s.pid),
    audit: report,
    state: await target.state(),
  };
}
