/**
 * What a chaos run must show, as a list of failures (empty: passed), and its figures in one line
 * and as a Markdown table row (the README's Reliability section).
 */
import type { ChaosReport } from './scenario.js';

const RECURRING = ['cron', 'interval', 'retry'];

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

/**
 * Everything that went wrong. `takeoverBoundMs` applies to the faults done alone (in the mixed
 * phase a takeover may wait for the database to come back, so it is reported, not bounded).
 */
export function failures(report: ChaosReport, { takeoverBoundMs }: { takeoverBoundMs: number }): string[] {
  const out: string[] = [];
  const a = report.audit;
  const show = (x: unknown): string => JSON.stringify(x).slice(0, 2000);
  if (a.duplicates.unexplained.length > 0) out.push(`unexplained duplicates: ${show(a.duplicates.unexplained)}`);
  if (a.holes.length > 0) out.push(`holes (fire times neither run nor reported missed): ${show(a.holes)}`);
  if (a.retries.lost.length > 0) out.push(`pending retries that never ran: ${show(a.retries.lost)}`);
  if (a.notTakenOver.length > 0) out.push(`runs of a dead or stopped holder never taken over: ${show(a.notTakenOver)}`);
  if (a.fenced.missing.length > 0) out.push(`stopped holders not fenced (no LeaseLostError): ${show(a.fenced.missing)}`);
  if (a.unfinished.length > 0) out.push(`runs started by a live process that never finished: ${show(a.unfinished)}`);
  const slow = a.takeovers.filter((t) => t.phase === 'alone' && t.ms > takeoverBoundMs);
  if (slow.length > 0) out.push(`takeovers slower than ${takeoverBoundMs} ms: ${show(slow)}`);
  if (a.taskStarts === 0) out.push('no task ran');
  if (report.store === 'sqlite' && report.state.integrity !== 'ok') out.push(`integrity_check: ${report.state.integrity}`);
  for (const id of RECURRING) if (!report.state.jobIds.includes(id)) out.push(`job ${id} lost`);
  const stale = report.state.jobIds.filter((id) => !RECURRING.includes(id) && !(id.startsWith('date-') && Number(id.slice(5)) > a.window.to));
  if (stale.length > 0) out.push(`date jobs left behind after their time: ${show(stale)}`);
  if (report.faultErrors.length > 0) out.push(`faults that failed: ${show(report.faultErrors)}`);
  if (report.hung.length > 0) out.push(`processes that did not shut down: ${show(report.hung)}`);
  return out;
}

/** The run's figures in one object, for logs and the results file. */
export function summary(report: ChaosReport): Record<string, unknown> {
  const a = report.audit;
  const ms = a.takeovers.map((t) => t.ms);
  return {
    store: report.store,
    seed: report.seed,
    processes: report.processes,
    processesEver: report.processesEver,
    leaseMs: report.leaseMs,
    minutes: +(report.durationMs / 60_000).toFixed(1),
    taskStarts: a.taskStarts,
    startsByJob: a.startsByJob,
    fireTimesInWindow: a.window.fireTimes,
    faults: report.faultCounts,
    duplicates: { unexplained: a.duplicates.unexplained.length, explained: a.duplicates.explained.length },
    explainedBy: a.duplicates.explained.reduce<Record<string, number>>((acc, d) => ({ ...acc, [d.reason]: (acc[d.reason] ?? 0) + 1 }), {}),
    holes: a.holes.length,
    missed: a.missed,
    maxInstances: a.maxInstances,
    retries: { failedFirstTries: a.retries.failedFirstTries, retried: a.retries.retried, reportedMissed: a.retries.reportedMissed, lost: a.retries.lost.length },
    fenced: `${a.fenced.reported}/${a.fenced.expected} (signal aborted in ${a.fenced.aborted})`,
    leaseLostReported: a.leaseLostReported,
    takeovers: ms.length,
    /** The goal: taken over within the lease + 1 s. */
    takeoversWithinLeasePlus1s: ms.filter((m) => m <= report.leaseMs + 1000).length,
    takeoverMedianMs: median(ms),
    takeoverMaxMs: ms.length ? Math.max(...ms) : null,
    errorsLogged: a.errorsLogged,
    integrity: report.state.integrity,
    jobsLeft: report.state.jobIds.length,
    liveRunsLeft: report.state.liveRuns,
  };
}

/** Header and one row per run, Markdown. */
export function markdownTable(reports: ChaosReport[]): string {
  const head = '| store | processes (ever) | minutes | task starts | faults | duplicates unexplained / explained | holes | missed (reported) | retries run / failed first tries | fenced | takeover median / max |';
  const rule = `|${head.split('|').slice(1, -1).map(() => '---').join('|')}|`;
  const rows = reports.map((r) => {
    const s = summary(r) as { minutes: number; takeoverMedianMs: number | null; takeoverMaxMs: number | null; fenced: string };
    const a = r.audit;
    const faults = Object.entries(r.faultCounts).map(([k, n]) => `${k} ${n}`).join(', ');
    return `| ${r.store === 'sqlite' ? 'SQLite' : 'PostgreSQL'} | ${r.processes} (${r.processesEver}) | ${s.minutes} | ${a.taskStarts} | ${faults} | ` +
      `${a.duplicates.unexplained.length} / ${a.duplicates.explained.length} | ${a.holes.length} | ${a.missed} | ` +
      `${a.retries.retried} / ${a.retries.failedFirstTries} | ${s.fenced} | ${s.takeoverMedianMs ?? '-'} / ${s.takeoverMaxMs ?? '-'} ms |`;
  });
  return [head, rule, ...rows].join('\n');
}
