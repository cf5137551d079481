// Types for embedded-postgres.mjs (plain JavaScript so that the example runs under plain `node`),
// for the TypeScript tests. Keep in step with its JSDoc.

/** A running throwaway server, from {@link startPostgres}. */
export interface EmbeddedPostgres {
  /** The loopback TCP port it listens on. */
  port: number;
  /** Creates an empty database and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server, keeping its data. No-op when stopped. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. No-op when running. */
  start(): Promise<void>;
  /** Stops the server and deletes its data. */
  destroy(): Promise<void>;
}

/**
 * Initialises a new cluster in a temp dir and starts a server on it, stopped when this process
 * exits if not before. `prefix`: of the temp dir's name, `kairos-pg-` by default.
 */
export function startPostgres(options?: { prefix?: string }): Promise<EmbeddedPostgres>;

/** Where the server's binaries are; `copied` when copied out of a dir the server user cannot reach. */
export function postgresBinaries(): Promise<{ initdb: string; postgres: string; copied: boolean }>;

/** Whether every directory from `/` down to `dir` lets "others" search it. */
export function reachableByOthers(dir: string): boolean;

/** Resolves a TCP port nobody listens on right now. */
export function freePort(): Promise<number>;
