/**
 * Loads prom-client when `collectMetrics` is called, not when kairos (or `kairos/metrics`) is
 * imported: prom-client is an optional peer dependency, needed only by programs that export
 * metrics.
 * @module
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import { MissingDependencyError } from '../errors.js';

/** The classes of prom-client kairos uses. */
export type PromClientClasses = Pick<typeof PromClient, 'Counter' | 'Gauge' | 'Histogram'>;

/**
 * Requires prom-client, resolved from kairos's own location as a static import would be, so that
 * it is the application's copy whenever npm deduplicated the peer dependency. prom-client is
 * CommonJS: a synchronous `require` keeps `collectMetrics` synchronous.
 * @param load the require, replaceable by tests
 * @throws MissingDependencyError naming `npm install prom-client` when the package cannot be loaded
 */
export function loadPromClient(load: () => unknown = () => createRequire(import.meta.url)('prom-client')): PromClientClasses {
  let loaded: unknown;
  try {
    loaded = load();
  } catch (err) {
    throw new MissingDependencyError('prom-client', 'collectMetrics', err);
  }
  return loaded as PromClientClasses;
}
