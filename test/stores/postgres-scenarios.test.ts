import { afterAll, beforeAll } from 'vitest';
import { PostgresJobStore } from '../../src/index.js';
import { describePersistentScenarios } from '../scheduler/persistent-scenarios.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

let server: TestPostgres;
let url: string;
beforeAll(async () => {
  server = await startTestPostgres();
  url = await server.createDatabase('scenarios');
}, 60_000);
afterAll(async () => {
  await server?.destroy();
});

let n = 0;
describePersistentScenarios('PostgresJobStore', async () => {
  const schema = `scenario${++n}`;
  return () => new PostgresJobStore({ connectionString: url }, { schema });
});
