/**
 * Loads better-sqlite3 when a SQLite store opens, not when kairos is imported: a program that
 * uses only the memory or PostgreSQL store never loads the native module.
 * @module
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { MissingDependencyError } from '../../errors.js';

/** The better-sqlite3 `Database` constructor. */
export type SqliteDriver = typeof Database;

const requireHere = createRequire(import.meta.url);

/**
 * better-sqlite3's `Database` class. Required synchronously (the package is CommonJS, and Node's
 * require cache makes every call after the first a lookup), so `open()` needs no await for it.
 * @param load the require, replaceable by tests
 * @throws MissingDependencyError when the package cannot be loaded
 */
export function loadSqliteDriver(load: () => unknown = () => requireHere('better-sqlite3')): SqliteDriver {
  try {
    return load() as SqliteDriver;
  } catch (err) {
    throw new MissingDependencyError('better-sqlite3', 'SQLiteJobStore', err);
  }
}
