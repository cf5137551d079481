/**
 * The short chaos run on PostgreSQL (issue 16): four scheduler processes on one database of an
 * embedded server; each fault alone (SIGKILL and restart, SIGSTOP past the lease, the server
 * stopped and started, connections killed with pg_terminate_backend), then mixed, then one clock
 * jumping an hour; then the ledger is audited. A failure prints its seed: CHAOS_SEED=<seed> replays
 * the same choices.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../e2e/helpers.js';
import { failures, summary } from './checks.js';
import { POSTGRES_FAULTS } from './faults.js';
import { chaosSeed } from './rng.js';
import { runChaos } from './scenario.js';
import { postgresTarget } from './target.js';

const LEASE_MS = 1500;
const { dir, cleanup } = tempDir('kairos-chaos-postgres-');
let server: TestPostgres;
let passed = false;
beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);
afterAll(async () => {
  await server?.destroy();
  if (passed) cleanup();
  else console.log(`[chaos postgres] kept ${dir} (events-<pid>.jsonl, store-state.json)`);
});

it('PostgreSQL: 4 processes under faults; nothing run twice unexplained, no hole, every retry run, takeover within 2 x lease + 1 s', { timeout: 120_000 }, async () => {
  const seed = chaosSeed();
  const target = await postgresTarget(server);
  const report = await runChaos({ target, dir, seed, kinds: POSTGRES_FAULTS, leaseMs: LEASE_MS, mixedMs: 4000, log: (l) => console.log(`[chaos postgres] ${l}`) });
  try {
    console.log('[chaos postgres]', JSON.stringify(summary(report)));
    const found = failures(report, { takeoverBoundMs: 2 * LEASE_MS + 1000 });
    // The server is destroyed after the run: keep its tables beside the events, to study a failure.
    if (found.length > 0) writeFileSync(path.join(dir, 'store-state.json'), JSON.stringify(await target.dumpRuns(), null, 1));
    expect(found, `seed ${seed} (CHAOS_SEED=${seed} replays it)\n${found.join('\n')}\n${report.fleet.outputs()}`).toEqual([]);
    for (const kind of POSTGRES_FAULTS) expect(report.faultCounts[kind], `fault ${kind} never happened (seed ${seed})`).toBeGreaterThan(0);
    passed = true;
  } finally {
    await report.fleet.killAll();
    await target.close();
  }
});
