/**
 * Audits again a chaos run kept after a failure (`npx tsx test/chaos/reaudit.ts <dir>`): reads
 * report.json, the events files and the ledger (fleet.sqlite, for a SQLite run), prints the
 * failures and the figures. For studying a failure, or a change to the audit, on the same data.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { audit, readEvents } from './audit.js';
import { failures, markdownTable, summary } from './checks.js';
import { DEFAULT_JOBS, type ChaosReport } from './scenario.js';
import type { ChildConfig } from './fleet.js';
import type { LedgerRow } from './target.js';

const dir = process.argv[2];
if (!dir) throw new TypeError('usage: tsx test/chaos/reaudit.ts <dir kept by a failed chaos run>');
const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as ChaosReport;
const window = { from: report.audit.window.from, to: report.audit.window.to };
// Reports written before the config was kept: every second of the window had its date job.
const config: ChildConfig = report.config ?? {
  store: report.store, target: '', dir, leaseMs: report.leaseMs, graceMs: 2 * report.leaseMs + 2000, startMs: window.from, jobs: DEFAULT_JOBS,
  dateJobs: Array.from({ length: Math.ceil((window.to - window.from) / 1000) + 1 }, (_, i) => window.from + 500 + i * 1000),
};
// The ledger: in the SQLite file, or (PostgreSQL, whose server is gone) in store-runs.json.
const rows = existsSync(path.join(dir, 'fleet.sqlite'))
  ? (new Database(path.join(dir, 'fleet.sqlite'), { readonly: true }).prepare('SELECT * FROM chaos_ledger ORDER BY id').all() as Array<Record<string, number | string | null>>).map((r): LedgerRow => ({
    id: Number(r.id), jobId: String(r.job_id), runId: String(r.run_id), scheduledMs: Number(r.scheduled_ms), attempt: Number(r.attempt), pid: Number(r.pid),
    startedMs: Number(r.started_ms), finishedMs: r.finished_ms === null ? null : Number(r.finished_ms), outcome: r.outcome === null ? null : String(r.outcome),
  }))
  : (JSON.parse(readFileSync(path.join(dir, 'store-runs.json'), 'utf8')) as { ledger: LedgerRow[] }).ledger;
const again: ChaosReport = { ...report, config, audit: audit({ config, rows, events: readEvents(dir), faults: report.faults, window }) };
console.log(JSON.stringify(summary(again), null, 2));
console.log(failures(again, { takeoverBoundMs: 2 * report.leaseMs + 1000 }).join('\n') || 'no failure');
console.log(markdownTable([again]));
