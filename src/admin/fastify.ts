/**
 * The admin API and dashboard as a Fastify plugin, encapsulated (its body parsing and hooks stay
 * inside it): `app.register(kairosFastify, { prefix: '/admin', scheduler, authorize })`. Two
 * catch-all routes hand every request under the prefix to the core, which matches the paths
 * itself, so job ids of any length work (Fastify's `maxParamLength`, 100 by default, limits
 * only `:param` routes) and both mounts answer alike.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { AdminCore } from './core.js';
import { MAX_BODY_BYTES } from './express.js';
import { ADMIN_OPTION_KEYS, resolveAdminOptions, type AdminOptions, type AdminSource } from './options.js';

/** Options of {@link kairosFastify}: the scheduler to serve, and the admin options. */
export interface KairosFastifyOptions extends AdminOptions<FastifyRequest> {
  /** The Scheduler (or JobClient) to serve. */
  scheduler: AdminSource;
  /** Where to mount it, as for any Fastify plugin (`'/admin'`). */
  prefix?: string;
}

/** Keys Fastify itself puts in a plugin's options. */
const FASTIFY_KEYS = ['prefix', 'logLevel', 'logSerializers'];
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The admin API and dashboard of a scheduler, as a Fastify plugin. Registering it without
 * `authorize` (and without `readOnly: true`) fails: `app.ready()` rejects with AdminMountError.
 * @example
 * await app.register(kairosFastify, { prefix: '/admin', scheduler, authorize: (request) => request.headers['x-admin-token'] === process.env.ADMIN_TOKEN });
 */
export async function kairosFastify(fastify: FastifyInstance, options: KairosFastifyOptions): Promise<void> {
  const { scheduler, ...rest } = (options ?? {}) as KairosFastifyOptions;
  const resolved = resolveAdminOptions<FastifyRequest>('kairosFastify', scheduler, rest, [...ADMIN_OPTION_KEYS, ...FASTIFY_KEYS]);
  const core = new AdminCore<FastifyRequest>(resolved.source, resolved.options);
  // The core judges content types and bodies (415, 400) the same way for both mounts.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => done(null, body));
  const prefix = fastify.prefix;
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const url = request.raw.url ?? request.url;
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const path = pathname.startsWith(prefix) ? pathname.slice(prefix.length) : pathname;
    const out = await core.handle({
      method: request.method,
      path: prefix === '' && path === '' ? '/' : path,
      mountName: decodeURIComponent(prefix.split('/').at(-1) ?? ''),
      query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
      header: (name) => {
        const v = request.headers[name];
        return Array.isArray(v) ? v.join(', ') : v;
      },
      body: async () => (typeof request.body === 'string' && request.body !== '' ? request.body : undefined),
      raw: request,
    });
    if (out.kind === 'events') {
      reply.hijack();
      core.events.open(reply.raw);
      return;
    }
    await reply.code(out.status).headers(out.headers).send(out.body);
  };
  fastify.route({ method: METHODS, url: '/', handler });
  fastify.route({ method: METHODS, url: '/*', handler });
  // Before the server stops accepting: open event streams would otherwise hold close() forever.
  fastify.addHook('preClose', async () => core.close());
}
