/**
 * Reads what a chaos run left (the ledger, the events the processes reported, the faults done)
 * and judges it:
 * - a duplicate is a `(jobId, scheduledRunTime)` started twice without the first try having failed
 *   (the retry job's retries are not duplicates). It is explained only by its first holder having
 *   been killed or stopped while the run was in flight, or having reported losing its lease
 *   (LeaseLostError): at-least-once after a holder's death. Anything else is unexplained.
 * - a hole is a fire time in the window that neither ran nor was reported (jobMissed by the misfire
 *   rules, jobMaxInstances).
 * - a takeover is the run in flight in a killed or stopped process started again by another one;
 *   its time is from the fault to that start.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FaultRecord } from './faults.js';
import type { ChildConfig } from './fleet.js';
import type { LedgerRow } from './target.js';

/** One line of a child's events-<pid>.jsonl. */
export interface ChildEvent {
  type: string;
  pid: number;
  at: number;
  jobId?: string;
  runId?: string;
  attempt?: number;
  scheduledRunTime?: number;
  lastScheduledRunTime?: number;
  missedCount?: number | null;
  error?: { name: string; code?: string; message?: string };
  level?: string;
  message?: string;
}

export function readEvents(dir: string): ChildEvent[] {
  return readdirSync(dir)
    .filter((f) => /^events-\d+\.jsonl$/.test(f))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).flatMap((line) => {
      try {
        return [JSON.parse(line) as ChildEvent];
      } catch {
        return []; // the line a SIGKILL cut short
      }
    }));
}

export interface Duplicate {
  jobId: string;
  runId: string;
  scheduledMs: number;
  first: { pid: number; attempt: number; startedMs: number; outcome: string | null };
  again: { pid: number; attempt: number; startedMs: number };
  /**
   * killed / stopped: its first holder was, while it ran; leaseLost: the first holder reported
   * LeaseLostError for it; endNotRecorded: the first holder reported that it could not record the
   * run's end within a lease (its store refused writes), so the run was taken over.
   */
  reason: 'killed' | 'stopped' | 'leaseLost' | 'endNotRecorded' | 'unexplained';
  /** The fault that explains it, or the faults under way when unexplained. */
  fault?: string;
}

export interface Takeover {
  kind: FaultRecord['kind'];
  phase: FaultRecord['phase'];
  pid: number;
  runId: string;
  /** From the fault to the start by another process, ms. */
  ms: number;
}

export interface AuditReport {
  taskStarts: number;
  startsByJob: Record<string, number>;
  window: { from: number; to: number; fireTimes: number };
  duplicates: { explained: Duplicate[]; unexplained: Duplicate[] };
  holes: Array<{ jobId: string; scheduledMs: number }>;
  /** Fire times of the window reported missed, and refused by maxInstances. */
  missed: number;
  maxInstances: number;
  retries: { failedFirstTries: number; retried: number; reportedMissed: number; lost: string[] };
  takeovers: Takeover[];
  /** In flight in a killed or stopped process, and neither started again, nor reported missed, nor finished by its holder. */
  notTakenOver: Array<{ kind: string; pid: number; runId: string }>;
  /** Runs of stopped processes taken over by another: did the stopped one report LeaseLostError? */
  fenced: { expected: number; reported: number; aborted: number; missing: string[] };
  leaseLostReported: number;
  /** Started, never finished, by a process that was not killed: an end lost. */
  unfinished: LedgerRow[];
  errorsLogged: number;
}

export interface AuditInput {
  config: ChildConfig;
  rows: LedgerRow[];
  events: ChildEvent[];
  faults: FaultRecord[];
  window: { from: number; to: number };
}

const key = (jobId: string, ms: number): string => `${jobId}@${ms}`;

/** Every fire time of the fleet's jobs in [from, to]. */
export function fireTimes(config: ChildConfig, from: number, to: number): Array<{ jobId: string; ms: number }> {
  const out: Array<{ jobId: string; ms: number }> = [];
  const every = (jobId: string, start: number, step: number): void => {
    for (let t = start + Math.max(0, Math.ceil((from - start) / step)) * step; t <= to; t += step) out.push({ jobId, ms: t });
  };
  every('interval', config.startMs, config.jobs.intervalMs);
  every('retry', config.startMs, config.jobs.retryIntervalMs);
  every('cron', Math.ceil(from / 1000) * 1000, 1000);
  for (const at of config.dateJobs ?? []) if (at >= from && at <= to) out.push({ jobId: `date-${at}`, ms: at });
  return out;
}

export function audit({ config, rows, events, faults, window }: AuditInput): AuditReport {
  const ran = new Set(rows.map((r) => key(r.jobId, r.scheduledMs)));
  const missedRanges = new Map<string, Array<[number, number]>>();
  const missedRuns = new Set<string>();
  const refused = new Set<string>();
  const leaseLost = new Set<string>(); // `${pid}:${runId}`
  const endNotRecorded = new Set<string>(); // `${pid}:${runId}`
  for (const e of events) {
    if (e.type === 'jobMissed' && e.jobId !== undefined && e.scheduledRunTime !== undefined) {
      const list = missedRanges.get(e.jobId) ?? [];
      list.push([e.scheduledRunTime, e.lastScheduledRunTime ?? e.scheduledRunTime]);
      missedRanges.set(e.jobId, list);
      if (e.runId !== undefined) missedRuns.add(e.runId);
    }
    if (e.type === 'jobMaxInstances' && e.jobId !== undefined && e.scheduledRunTime !== undefined) refused.add(key(e.jobId, e.scheduledRunTime));
    if (e.type === 'jobError' && e.error?.name === 'LeaseLostError' && e.runId !== undefined) leaseLost.add(`${e.pid}:${e.runId}`);
    const unrecorded = e.type === 'log' ? /could not record the outcome of run "([^"]+)"/.exec(e.message ?? '') : null;
    if (unrecorded) endNotRecorded.add(`${e.pid}:${unrecorded[1]}`);
  }
  const wasMissed = (jobId: string, ms: number): boolean => (missedRanges.get(jobId) ?? []).some(([a, b]) => a <= ms && ms <= b);

  // Holes: fire times of the window nobody ran or reported.
  const expected = fireTimes(config, window.from, window.to);
  const holes: AuditReport['holes'] = [];
  let missed = 0;
  let maxInstances = 0;
  for (const { jobId, ms } of expected) {
    if (ran.has(key(jobId, ms))) continue;
    if (wasMissed(jobId, ms)) missed++;
    else if (refused.has(key(jobId, ms))) maxInstances++;
    else holes.push({ jobId, scheduledMs: ms });
  }

  // Duplicates, each explained by a fault on its first holder or not at all.
  const kills = faults.filter((f) => f.kind === 'kill');
  const stops = faults.filter((f) => f.kind === 'stop');
  // In flight includes recording the end, which the runner retries for up to a lease after the
  // task returned (the database may be down meanwhile).
  const recordingMs = config.leaseMs + 1000;
  const inFlightAt = (r: LedgerRow, at: number): boolean => r.startedMs <= at && (r.finishedMs === null || r.finishedMs >= at - recordingMs);
  const byRun = new Map<string, LedgerRow[]>();
  for (const r of rows) byRun.set(r.runId, [...(byRun.get(r.runId) ?? []), r]);
  const duplicates: AuditReport['duplicates'] = { explained: [], unexplained: [] };
  const retries: AuditReport['retries'] = { failedFirstTries: 0, retried: 0, reportedMissed: 0, lost: [] };
  for (const [runId, list] of byRun) {
    // By attempt: a stopped holder's try may start after its takeover's, in real time.
    list.sort((a, b) => a.attempt - b.attempt || a.startedMs - b.startedMs || a.id - b.id);
    list.forEach((r, i) => {
      if (r.outcome === 'failed') {
        retries.failedFirstTries++;
        if (list.slice(i + 1).some((n) => n.attempt > r.attempt)) retries.retried++;
        else if (missedRuns.has(runId)) retries.reportedMissed++;
        // A try outside the window (the clock-jumped process ran fire times an hour ahead) leaves
        // its retry due an hour ahead too: stored, not lost.
        else if ((r.finishedMs ?? 0) < window.to && r.scheduledMs <= window.to) retries.lost.push(`${runId} attempt ${r.attempt} (pid ${r.pid})`);
      }
      if (i === 0) return;
      const prev = list[i - 1]!;
      if (prev.outcome === 'failed' && r.attempt > prev.attempt) return; // a retry, as asked
      const kill = kills.find((f) => f.pid === prev.pid && inFlightAt(prev, f.at));
      const stop = stops.find((f) => f.pid === prev.pid && inFlightAt(prev, f.at));
      const lost = leaseLost.has(`${prev.pid}:${runId}`);
      const unrecorded = endNotRecorded.has(`${prev.pid}:${runId}`);
      // One process starting a run again is explained only by its having given the first try up
      // (fenced, or unable to record its end within a lease): a try it still runs must never be
      // started twice there.
      const reason: Duplicate['reason'] = prev.pid === r.pid ? (lost ? 'leaseLost' : unrecorded ? 'endNotRecorded' : 'unexplained')
        : kill ? 'killed' : stop ? 'stopped' : lost ? 'leaseLost' : unrecorded ? 'endNotRecorded' : 'unexplained';
      const during = faults.filter((f) => f.at - 1000 <= r.startedMs && prev.startedMs <= f.endAt + 1000).map((f) => `${f.kind}(${f.pid ?? ''})`).join(',');
      const dup: Duplicate = {
        jobId: r.jobId, runId, scheduledMs: r.scheduledMs,
        first: { pid: prev.pid, attempt: prev.attempt, startedMs: prev.startedMs, outcome: prev.outcome },
        again: { pid: r.pid, attempt: r.attempt, startedMs: r.startedMs }, reason,
        fault: kill ? `kill of ${kill.pid} at ${kill.at}` : stop ? `stop of ${stop.pid} at ${stop.at}` : during || undefined,
      };
      (reason === 'unexplained' ? duplicates.unexplained : duplicates.explained).push(dup);
    });
  }

  // Takeovers of what killed and stopped processes held; fencing of the stopped ones.
  const takeovers: Takeover[] = [];
  const notTakenOver: AuditReport['notTakenOver'] = [];
  const fenced: AuditReport['fenced'] = { expected: 0, reported: 0, aborted: 0, missing: [] };
  for (const f of [...kills, ...stops]) {
    for (const r of rows.filter((x) => x.pid === f.pid && x.startedMs <= f.at && (x.finishedMs === null || x.finishedMs >= f.at))) {
      const others = (byRun.get(r.runId) ?? []).filter((n) => n.pid !== f.pid && n.attempt > r.attempt);
      // Taken over already, after an earlier fault on the same holder (stopped, later killed).
      if (others.some((n) => n.startedMs <= f.at)) continue;
      const next = others.find((n) => n.startedMs > f.at);
      if (next) {
        takeovers.push({ kind: f.kind, phase: f.phase, pid: f.pid!, runId: r.runId, ms: next.startedMs - f.at });
        // A stopped holder hit by another fault soon after its SIGCONT (a mixed phase: killed, or
        // its store refusing writes) had no chance to hear from the store that it was fenced.
        const hitAfter = faults.some((k) => k !== f && k.pid === f.pid && k.at >= f.at && k.at <= f.endAt + 3000);
        if (f.kind === 'stop' && !hitAfter) {
          fenced.expected++;
          if (leaseLost.has(`${f.pid}:${r.runId}`)) fenced.reported++;
          else fenced.missing.push(`${r.runId} held by ${f.pid}`);
          if (r.outcome === 'aborted') fenced.aborted++;
        }
      } else if (!missedRuns.has(r.runId) && !(f.kind === 'stop' && r.outcome !== null) && r.scheduledMs <= window.to) {
        notTakenOver.push({ kind: f.kind, pid: f.pid!, runId: r.runId });
      }
    }
  }

  const killed = new Set(kills.map((f) => f.pid));
  const startsByJob: Record<string, number> = {};
  for (const r of rows) {
    const job = r.jobId.startsWith('date-') ? 'date' : r.jobId;
    startsByJob[job] = (startsByJob[job] ?? 0) + 1;
  }
  return {
    taskStarts: rows.length,
    startsByJob,
    window: { ...window, fireTimes: expected.length },
    duplicates,
    holes,
    missed,
    maxInstances,
    retries,
    takeovers,
    notTakenOver,
    fenced,
    leaseLostReported: leaseLost.size,
    unfinished: rows.filter((r) => r.finishedMs === null && !killed.has(r.pid)),
    errorsLogged: events.filter((e) => e.type === 'log').length,
  };
}
