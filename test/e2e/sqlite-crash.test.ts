/**
 * Crash safety of the SQLite store: a process writing through it is SIGKILLed in the middle of a
 * burst of writes; the file must then pass `PRAGMA integrity_check`, and every job whose write was
 * acknowledged must be there, intact and once. Also: several processes creating the schema of a
 * new file at the same moment all succeed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLiteJobStore } from '../../src/stores/sqlite/index.js';
import { MIGRATIONS } from '../../src/stores/sqlite/migrations.js';
import { forkFixture, killAllChildren, killChild, tempDir, until } from './helpers.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
afterEach(killAllChildren);

function acked(ackPath: string): string[] {
  return readFileSync(ackPath, 'utf8').split('\n').filter((line) => /^job-\d{7}$/.test(line));
}

describe('SIGKILL during a burst of writes', () => {
  it('leaves a file that passes integrity_check, with every acknowledged job present once and intact', { timeout: 60_000 }, async () => {
    const { dir, cleanup } = tempDir('kairos-crash-');
    try {
      const file = path.join(dir, 'jobs.sqlite');
      const ackPath = path.join(dir, 'acks.log');
      let first = 0;
      // Two rounds: the second writer starts on the file the first one left behind.
      for (const killAfter of [400, 900]) {
        const writer = forkFixture('store-writer.mjs', [file, ackPath, String(first)]);
        await writer.message((m) => m === 'ready');
        const enough = await until(() => {
          try {
            return acked(ackPath).length >= first + killAfter;
          } catch {
            return false;
          }
        }, 30_000, 2);
        expect(enough, writer.output()).toBe(true);
        await killChild(writer);
        expect(writer.exited!.signal).toBe('SIGKILL');

        const db = new Database(file);
        try {
          expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          const ids = acked(ackPath);
          const rows = db.prepare('SELECT id, args FROM kairos_jobs ORDER BY id').all() as Array<{ id: string; args: string }>;
          const stored = new Set(rows.map((r) => r.id));
          expect(ids.filter((id) => !stored.has(id)), 'acknowledged jobs lost').toEqual([]);
          // At most the one write in flight at the kill is there without its acknowledgement.
          expect(rows.length - ids.length).toBeGreaterThanOrEqual(0);
          expect(rows.length - ids.length).toBeLessThanOrEqual(1);
          for (const row of rows) {
            const [index, payload] = JSON.parse(row.args) as [number, string];
            expect(row.id).toBe(`job-${String(index).padStart(7, '0')}`);
            expect(payload).toHaveLength(2000);
          }
          // Runs: each belongs to a stored job, and no job has more live runs than maxInstances (1).
          const orphans = db.prepare('SELECT COUNT(*) FROM kairos_runs r LEFT JOIN kairos_jobs j ON j.id = r.job_id WHERE j.id IS NULL').pluck().get();
          expect(orphans).toBe(0);
          const crowded = db.prepare("SELECT job_id FROM kairos_runs WHERE state IN ('pending', 'running') GROUP BY job_id HAVING COUNT(*) > 1").all();
          expect(crowded).toEqual([]);
          first = rows.length;
        } finally {
          db.close();
        }
      }

      // The store opens the crashed file and works: runs left 'running' by the dead writer are
      // taken over once their lease expires.
      const store = new SQLiteJobStore({ path: file, leaseClock: () => Date.now() + 60_000 });
      await store.open({ name: 'crash', logger: silent });
      try {
        expect((await store.getJobs()).length).toBe(first);
        const claimed = await store.claimDueRuns('survivor', Number.MAX_SAFE_INTEGER, 100_000);
        for (const c of claimed) await store.completeRun(c.run.runId, c.run.claimToken!, { status: 'succeeded' });
        expect(await store.claimDueRuns('survivor', Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      cleanup();
    }
  });
});

describe('schema creation', () => {
  it('several processes opening a new file at the same moment all succeed', { timeout: 60_000 }, async () => {
    const { dir, cleanup } = tempDir('kairos-migrate-');
    try {
      for (let round = 0; round < 2; round++) {
        const file = path.join(dir, `race-${round}.sqlite`);
        const kids = [0, 1, 2].map(() => forkFixture('open-store.mjs', [file]));
        await Promise.all(kids.map((k) => k.message((m) => m === 'ready')));
        for (const k of kids) k.cp.send('go');
        const results = await Promise.all(kids.map((k) => k.message((m) => typeof m === 'object' && 'ok' in m)));
        expect(results).toEqual(kids.map(() => ({ ok: true })));
        await Promise.all(kids.map((k) => k.exit));
        const db = new Database(file);
        try {
          // Every migration applied exactly once, however many processes raced to apply it.
          expect(db.prepare('SELECT version FROM kairos_migrations ORDER BY version').pluck().all()).toEqual(
            MIGRATIONS.map((m) => m.version),
          );
          expect(db.prepare('SELECT COUNT(*) FROM kairos_jobs').pluck().get()).toBe(3);
        } finally {
          db.close();
        }
      }
    } finally {
      cleanup();
    }
  });
});
