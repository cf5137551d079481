/**
 * The admin API and dashboard as Express middleware (a router of its own: it matches the paths
 * under its mount itself, so it behaves the same on Express 4 and 5 and needs nothing from the
 * express package). Mount it with `app.use('/admin', kairosRouter(scheduler, { authorize }))`.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AdminRequestError } from '../errors.js';
import { AdminCore, type AdminReply } from './core.js';
import { ADMIN_OPTION_KEYS, resolveAdminOptions, type AdminOptions, type AdminSource } from './options.js';

/** Most bytes of a request body read (the API's bodies are empty or tiny). */
export const MAX_BODY_BYTES = 65_536;

/** What the router reads of Express's request: Node's, plus what Express adds. */
export type ExpressLikeRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

/** The middleware `kairosRouter` returns: mount it with `app.use(path, router)`. */
export interface KairosRouter<Req extends ExpressLikeRequest = ExpressLikeRequest> {
  (req: Req, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Ends the open event streams, so that `server.close()` need not wait for them. */
  close(): void;
}

function readBody(req: ExpressLikeRequest): Promise<string | object | undefined> {
  // A body parser in front (express.json()) has read the stream already.
  if (req.readableEnded || (req.body !== undefined && typeof req.body === 'object' && req.body !== null)) {
    return Promise.resolve(typeof req.body === 'string' || (typeof req.body === 'object' && req.body !== null) ? (req.body as string | object) : undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new AdminRequestError(413, 'KAIROS_ADMIN_BODY_TOO_LARGE', `the body is over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Exclude<AdminReply, { kind: 'events' }>): void {
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}

/**
 * The admin API and dashboard of `scheduler` as Express middleware.
 * @example
 * app.use('/admin', kairosRouter(scheduler, { authorize: (req) => req.get('x-admin-token') === process.env.ADMIN_TOKEN }));
 * @throws AdminMountError without `authorize` (unless `readOnly: true`), or for an unknown option
 */
export function kairosRouter<Req extends ExpressLikeRequest = ExpressLikeRequest>(scheduler: AdminSource, options: AdminOptions<Req>): KairosRouter<Req> {
  const resolved = resolveAdminOptions<Req>('kairosRouter', scheduler, options, ADMIN_OPTION_KEYS);
  const core = new AdminCore<Req>(resolved.source, resolved.options);
  const router = (req: Req, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q === -1 ? url : url.slice(0, q);
    const original = (req.originalUrl ?? url).split('?')[0]!;
    // At the mount itself, Express gives "/" for both "/admin" and "/admin/".
    if (path === '/' && !original.endsWith('/')) path = '';
    const mountName = original.replace(/\/+$/, '').split('/').at(-1) ?? '';
    core
      .handle({
        method: req.method ?? 'GET',
        path,
        mountName: decodeSafe(mountName),
        query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
        header: (name) => {
          const v = req.headers[name];
          return Array.isArray(v) ? v.join(', ') : v;
        },
        body: () => readBody(req),
        raw: req,
      })
      .then((reply) => (reply.kind === 'events' ? core.events.open(res) : send(res, reply)))
      .catch((err: unknown) => {
        // handle() answers every failure itself; this is a write to a response that broke.
        if (!res.headersSent) send(res, { kind: 'send', status: 500, headers: { 'content-type': 'text/plain' }, body: String(err) });
        else res.destroy();
      });
  };
  return Object.assign(router, { close: () => core.close() });
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
