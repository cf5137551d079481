/**
 * A holder's death or stall on PostgreSQL, at each phase of a run: see takeover-scenarios.ts.
 */
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { killAllChildren } from './helpers.js';
import { describeTakeover, results } from './takeover-scenarios.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);
afterEach(killAllChildren);
afterAll(async () => {
  await server?.destroy();
  if (results.length > 0) console.log(`takeover on PostgreSQL, worst case: ${Math.max(...results.map((r) => r.takeoverMs))} ms`, results);
});

describe('PostgreSQL: a dead or stalled holder is taken over (two processes, lease 1.5 s)', () => {
  describeTakeover({ store: 'postgres', fresh: () => server.createDatabase('takeover') });
});
