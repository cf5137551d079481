import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { SQLiteJobStore } from '../../src/index.js';
import { describePersistentScenarios } from '../scheduler/persistent-scenarios.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kairos-sqlite-scenarios-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
describePersistentScenarios('SQLiteJobStore', async () => {
  const file = path.join(dir, `jobs-${++n}.sqlite`);
  return () => new SQLiteJobStore({ path: file });
});
