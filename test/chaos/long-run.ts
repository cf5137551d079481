/**
 * The long chaos run, `npm run chaos` (issue 16): the same fleet, faults and audit as the short
 * runs in `npm test` (sqlite.test.ts, postgres.test.ts), for CHAOS_MINUTES (default 4) per store,
 * mostly in the mixed phase. Prints each run's figures and failures, and writes them, with the
 * README's table, to bench/results/chaos-latest.{json,md}. Exit code 1 when a run failed a check.
 *
 * Environment: CHAOS_MINUTES (per store), CHAOS_STORES (`sqlite,postgres`), CHAOS_SEED (replay),
 * CHAOS_PROCESSES (default 4).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../e2e/helpers.js';
import { failures, markdownTable, summary } from './checks.js';
import { POSTGRES_FAULTS, SQLITE_FAULTS } from './faults.js';
import { chaosSeed } from './rng.js';
import { runChaos, type ChaosReport } from './scenario.js';
import { postgresTarget, sqliteTarget } from './target.js';

const LEASE_MS = 1500;
const minutes = Number(process.env.CHAOS_MINUTES ?? 4);
const stores = (process.env.CHAOS_STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim()) as Array<'sqlite' | 'postgres'>;
const processes = Number(process.env.CHAOS_PROCESSES ?? 4);
if (!(minutes > 0) || !(processes >= 2)) throw new RangeError('CHAOS_MINUTES must be > 0 and CHAOS_PROCESSES >= 2');
const results = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');

const started = Date.now();
const reports: ChaosReport[] = [];
const found: Record<string, string[]> = {};
for (const store of stores) {
  const seed = chaosSeed();
  const { dir, cleanup } = tempDir(`kairos-chaos-long-${store}-`);
  let server: TestPostgres | undefined;
  try {
    server = store === 'postgres' ? await startTestPostgres() : undefined;
    const target = server ? await postgresTarget(server) : sqliteTarget(dir);
    // About 40 s go to the start, the faults done alone and the end; the rest is mixed faults.
    const mixedMs = Math.max(5000, minutes * 60_000 - 40_000);
    console.log(`${store}: seed ${seed}, ${processes} processes, ${minutes} min (CHAOS_SEED=${seed} replays it)`);
    const report = await runChaos({
      target, dir, seed, kinds: store === 'sqlite' ? SQLITE_FAULTS : POSTGRES_FAULTS, processes, leaseMs: LEASE_MS, mixedMs,
      log: (line) => console.log(`  [${store} +${Math.round((Date.now() - started) / 1000)} s] ${line}`),
    });
    await report.fleet.killAll();
    const { fleet: _fleet, ...plain } = report;
    reports.push(plain as ChaosReport);
    found[store] = failures(report, { takeoverBoundMs: 2 * LEASE_MS + 1000 });
    if (found[store]!.length > 0) writeFileSync(path.join(dir, 'store-runs.json'), JSON.stringify(await target.dumpRuns(), (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 1));
    await target.close();
    console.log(JSON.stringify(summary(report), null, 2));
    if (found[store]!.length > 0) {
      // Everything the audit saw, beside the ledger and the events, to study the failure.
      writeFileSync(path.join(dir, 'report.json'), JSON.stringify(plain, null, 1));
      console.log(`${store} FAILED (seed ${seed}; kept ${dir}, report.json there):\n${found[store]!.join('\n')}`);
    } else cleanup();
  } finally {
    await server?.destroy();
  }
}

const table = markdownTable(reports);
console.log(`\n${table}`);
mkdirSync(results, { recursive: true });
writeFileSync(path.join(results, 'chaos-latest.json'), `${JSON.stringify({ at: new Date().toISOString(), minutesPerStore: minutes, runs: reports.map(summary), failures: found }, null, 2)}\n`);
writeFileSync(path.join(results, 'chaos-latest.md'), `${table}\n`);
console.log(`written to ${path.relative(process.cwd(), results)}/chaos-latest.{json,md}`);
process.exit(Object.values(found).some((f) => f.length > 0) ? 1 : 0);
