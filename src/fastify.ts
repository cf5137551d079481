/**
 * `kairos/fastify`: the admin API and dashboard of a scheduler as a Fastify plugin.
 *
 * ```ts
 * import Fastify from 'fastify';
 * import { kairosFastify } from 'kairos/fastify';
 *
 * const app = Fastify();
 * await app.register(kairosFastify, { prefix: '/admin', scheduler, authorize: (request) => request.headers['x-admin-token'] === process.env.ADMIN_TOKEN });
 * ```
 *
 * Only types come from the fastify package; `import('kairos')` loads none of this.
 * @module kairos/fastify
 */
export { kairosFastify } from './admin/fastify.js';
export type { KairosFastifyOptions } from './admin/fastify.js';
export type { AdminAccess, AdminOptions, AdminSource } from './admin/options.js';
export type { JobView, NextRunView, RunView } from './admin/views.js';
export { AdminMountError, AdminRequestError } from './errors.js';
