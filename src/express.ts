/**
 * `kairos/express`: the admin API and dashboard of a scheduler as Express middleware.
 *
 * ```ts
 * import express from 'express';
 * import { kairosRouter } from 'kairos/express';
 *
 * const app = express();
 * app.use('/admin', kairosRouter(scheduler, { authorize: (req) => req.get('x-admin-token') === process.env.ADMIN_TOKEN }));
 * ```
 *
 * Nothing here loads the express package; `import('kairos')` loads none of this.
 * @module kairos/express
 */
export { kairosRouter } from './admin/express.js';
export type { ExpressLikeRequest, KairosRouter } from './admin/express.js';
export type { AdminAccess, AdminOptions, AdminSource } from './admin/options.js';
export type { JobView, NextRunView, RunView } from './admin/views.js';
export { AdminMountError, AdminRequestError } from './errors.js';
