/** The one admin API suite, against the Express mount and the Fastify mount. */
import { describeAdminApi } from './api-suite.js';
import { MOUNTS } from './mounts.js';

for (const [name, mount] of MOUNTS) describeAdminApi(name, mount);
