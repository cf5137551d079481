/**
 * A holder's death or stall on SQLite, at each phase of a run: see takeover-scenarios.ts.
 */
import path from 'node:path';
import { afterAll, afterEach, describe } from 'vitest';
import { killAllChildren } from './helpers.js';
import { describeTakeover, results } from './takeover-scenarios.js';

afterEach(killAllChildren);
afterAll(() => {
  if (results.length > 0) console.log(`takeover on SQLite, worst case: ${Math.max(...results.map((r) => r.takeoverMs))} ms`, results);
});

describe('SQLite: a dead or stalled holder is taken over (two processes, lease 1.5 s)', () => {
  describeTakeover({ store: 'sqlite', fresh: async (dir) => path.join(dir, 'jobs.sqlite') });
});
