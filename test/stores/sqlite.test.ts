import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SQLiteJobStore } from '../../src/stores/sqlite/index.js';
import type { JobStore } from '../../src/stores/job-store.js';
import { describeJobStore } from './conformance.js';

describeJobStore('SQLiteJobStore', async (history = {}) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kairos-sqlite-store-'));
  const file = path.join(dir, 'jobs.sqlite');
  let leaseNow = Date.parse('2026-01-01T00:00:00Z');
  const opened: JobStore[] = [];
  const make = (): SQLiteJobStore => {
    const store = new SQLiteJobStore({ path: file, leaseDuration: 30_000, leaseClock: () => leaseNow, ...history });
    opened.push(store);
    return store;
  };
  const store = make();
  return {
    store,
    expireLeases: async () => {
      leaseNow += 30_000;
    },
    reopen: async () => {
      await store.close();
      return make();
    },
    second: async () => make(),
    cleanup: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
