/**
 * The short chaos run on SQLite (issue 16): four scheduler processes on one file; each fault alone
 * (SIGKILL and restart, SIGSTOP past the lease, a foreign writer holding the write lock, one
 * process read-only, one process's disk full), then mixed, then one clock jumping an hour; then the
 * ledger is audited. A failure prints its seed: CHAOS_SEED=<seed> replays the same choices.
 */
import { afterAll, expect, it } from 'vitest';
import { failures, summary } from './checks.js';
import { SQLITE_FAULTS } from './faults.js';
import { chaosSeed } from './rng.js';
import { runChaos } from './scenario.js';
import { sqliteTarget } from './target.js';
import { tempDir } from '../e2e/helpers.js';

const LEASE_MS = 1500;
const { dir, cleanup } = tempDir('kairos-chaos-sqlite-');
let passed = false;
afterAll(() => {
  if (passed) cleanup();
  else console.log(`[chaos sqlite] kept ${dir} (ledger in fleet.sqlite, events-<pid>.jsonl)`);
});

it('SQLite: 4 processes under faults; nothing run twice unexplained, no hole, every retry run, takeover within 2 x lease + 1 s', { timeout: 120_000 }, async () => {
  const seed = chaosSeed();
  const target = sqliteTarget(dir);
  const report = await runChaos({ target, dir, seed, kinds: SQLITE_FAULTS, leaseMs: LEASE_MS, mixedMs: 5000, log: (l) => console.log(`[chaos sqlite] ${l}`) });
  try {
    console.log('[chaos sqlite]', JSON.stringify(summary(report)));
    const found = failures(report, { takeoverBoundMs: 2 * LEASE_MS + 1000 });
    expect(found, `seed ${seed} (CHAOS_SEED=${seed} replays it)\n${found.join('\n')}\n${report.fleet.outputs()}`).toEqual([]);
    for (const kind of SQLITE_FAULTS) expect(report.faultCounts[kind], `fault ${kind} never happened (seed ${seed})`).toBeGreaterThan(0);
    passed = true;
  } finally {
    await report.fleet.killAll();
    await target.close();
  }
});
