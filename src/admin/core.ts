/**
 * The admin API and dashboard, knowing neither Express nor Fastify: a request (method, path
 * under the mount, query, headers, a way to read the body, the framework's request for
 * `authorize`) becomes a reply (status, headers, body) or the event stream. Every request passes
 * the same gates, in this order, so both mounts answer alike:
 * 1. `authorize(request, access)` must resolve `true` (else 403), for every path, known or not;
 * 2. the path must name a route (else 404) and the method be one it takes (else 405);
 * 3. a route that changes jobs needs a JSON content type (else 415: an HTML form cannot send one,
 *    and a cross-site `fetch` with one needs a CORS preflight this API never grants), and a
 *    browser's `Sec-Fetch-Site: cross-site` is refused outright (403); a body, if any, must be a
 *    JSON object (else 400).
 * Errors are JSON `{ error: { name, code, message } }`: JobLookupError 404, ConflictingIdError and
 * SchedulerStateError 409, bad input (TypeError/RangeError) 400, StoreClosedError 503.
 * @module
 */
import { AdminRequestError, ConflictingIdError, JobLookupError, KairosRangeError, KairosTypeError, SchedulerStateError, StoreClosedError } from '../errors.js';
import { loadDashboard, PAGE_HEADERS, type DashboardFile } from './dashboard-files.js';
import { EventFanOut } from './events.js';
import type { AdminAccess, AdminSource, ResolvedAdminOptions } from './options.js';
import { adminRoutes, type Route } from './routes.js';
import { errorView } from './views.js';

/** A request as an adapter hands it over. */
export interface AdminRequest<Raw> {
  method: string;
  /**
   * The path under the mount, still percent-encoded: `/api/jobs` or `/`; the empty string for
   * the mount itself without its trailing slash (`/admin`), which is redirected to `/admin/`.
   */
  path: string;
  /** The last segment of the mount's path (`admin` for `/ops/admin`), for that redirect. */
  mountName: string;
  query: URLSearchParams;
  header(name: string): string | undefined;
  /** The body as text, or as the object a body parser already made of it; undefined when none. */
  body(): Promise<string | object | undefined>;
  /** The framework's request, given to `authorize`. */
  raw: Raw;
}

/** A reply for the adapter to send. */
export type AdminReply =
  | { kind: 'send'; status: number; headers: Record<string, string>; body: string | Buffer }
  /** Hand the raw response to `core.events.open(res)`. */
  | { kind: 'events' };

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

function json(status: number, value: unknown, headers: Record<string, string> = {}): AdminReply {
  return { kind: 'send', status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(value) };
}

/** The status an error is answered with. */
export function statusOf(err: unknown): number {
  if (err instanceof AdminRequestError) return err.status;
  if (err instanceof JobLookupError) return 404;
  if (err instanceof ConflictingIdError || err instanceof SchedulerStateError) return 409;
  if (err instanceof KairosTypeError || err instanceof KairosRangeError) return 400;
  if (err instanceof StoreClosedError) return 503;
  return 500;
}

function errorReply(err: unknown, headers?: Record<string, string>): AdminReply {
  return json(statusOf(err), { error: errorView(err) }, headers);
}

interface Match {
  route: Route;
  params: Record<string, string>;
}

/** Splits a path into decoded segments. @throws AdminRequestError (400) for bad percent-encoding */
function segments(path: string): string[] {
  try {
    return path.split('/').slice(1).map((s) => decodeURIComponent(s));
  } catch {
    throw new AdminRequestError(400, 'KAIROS_ADMIN_BAD_REQUEST', `the path "${path}" is not valid percent-encoding`);
  }
}

function matchPattern(pattern: string, parts: string[]): Record<string, string> | null {
  const want = pattern.split('/').slice(1);
  if (want.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const p = parts[i]!;
    if (w.startsWith(':')) {
      if (p === '') return null;
      params[w.slice(1)] = p;
    } else if (w !== p) {
      return null;
    }
  }
  return params;
}

/** The framework-free admin API of one mount. */
export class AdminCore<Raw> {
  readonly events: EventFanOut;
  readonly #routes: Route[];
  readonly #files: Map<string, DashboardFile>;
  readonly #options: ResolvedAdminOptions<Raw>;

  constructor(source: AdminSource, options: ResolvedAdminOptions<Raw>) {
    this.#options = options;
    this.events = new EventFanOut(source, options.streamMaxAge);
    this.#routes = adminRoutes(source, { readOnly: options.readOnly, live: this.events.live });
    this.#files = loadDashboard();
  }

  /** Answers one request; never throws (every failure is a JSON error reply). */
  async handle(req: AdminRequest<Raw>): Promise<AdminReply> {
    const method = req.method.toUpperCase();
    let parts: string[] | null = null;
    let badPath: unknown;
    try {
      parts = segments(req.path);
    } catch (err) {
      badPath = err;
    }
    const candidates = parts === null ? [] : this.#candidates(parts);
    const match = candidates.find((c) => c.route.method === method);
    const access: AdminAccess = { mutating: match?.route.mutating ?? false, route: match ? `${match.route.method} ${match.route.pattern}` : null };
    const jobId = match?.params.id;
    if (jobId !== undefined) access.jobId = jobId;
    try {
      if (!(await this.#authorized(req.raw, access))) {
        throw new AdminRequestError(403, 'KAIROS_ADMIN_FORBIDDEN', 'authorize(request) refused this request');
      }
    } catch (err) {
      return errorReply(err);
    }
    // Only now: a caller authorize refuses learns nothing, not even that its path was malformed.
    if (badPath !== undefined) return errorReply(badPath);
    const page = this.#page(method, req);
    if (page) return page;
    if (!match) {
      if (candidates.length === 0) return errorReply(new AdminRequestError(404, 'KAIROS_ADMIN_NOT_FOUND', `no admin route at "${req.path}"`));
      const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ');
      return errorReply(new AdminRequestError(405, 'KAIROS_ADMIN_METHOD', `"${req.path}" takes ${allow}, not ${method}`), { allow });
    }
    try {
      if (match.route.mutating) await this.#checkMutation(req);
      if (match.route.pattern === '/api/events' && this.events.size >= this.#options.maxStreams) {
        throw new AdminRequestError(503, 'KAIROS_ADMIN_BUSY', `${this.#options.maxStreams} event streams are open already (maxStreams)`);
      }
      const reply = await match.route.handle({ params: match.params, query: req.query });
      return 'stream' in reply ? { kind: 'events' } : json(reply.status, reply.json);
    } catch (err) {
      return errorReply(err);
    }
  }

  /** Ends the event streams (the server is closing). */
  close(): void {
    this.events.close();
  }

  #candidates(parts: string[]): Match[] {
    const out: Match[] = [];
    for (const route of this.#routes) {
      const params = matchPattern(route.pattern, parts);
      if (params) out.push({ route, params });
    }
    return out;
  }

  async #authorized(raw: Raw, access: AdminAccess): Promise<boolean> {
    const authorize = this.#options.authorize;
    if (authorize === null) return true;
    let verdict: unknown;
    try {
      verdict = await authorize(raw, access);
    } catch (err) {
      throw new AdminRequestError(500, 'KAIROS_ADMIN_AUTHORIZE', `authorize(request) threw, so the request was refused: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Only a real `true` lets a request through: a truthy mistake (a promise of a user object, a string) does not.
    return verdict === true;
  }

  /** The dashboard's page and files (GET only), and the redirect that gives the mount its trailing slash. */
  #page(method: string, req: AdminRequest<Raw>): AdminReply | null {
    if (method !== 'GET' && method !== 'HEAD') return null;
    if (req.path === '') {
      const search = req.query.toString();
      return { kind: 'send', status: 308, headers: { location: `${encodeURIComponent(req.mountName)}/${search ? `?${search}` : ''}` }, body: '' };
    }
    const file = this.#files.get(req.path);
    if (!file) return null;
    return { kind: 'send', status: 200, headers: { ...PAGE_HEADERS, 'content-type': file.contentType }, body: method === 'HEAD' ? '' : file.body };
  }

  async #checkMutation(req: AdminRequest<Raw>): Promise<void> {
    if (req.header('sec-fetch-site') === 'cross-site') {
      throw new AdminRequestError(403, 'KAIROS_ADMIN_FORBIDDEN', 'a cross-site request may not change jobs');
    }
    const type = req.header('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new AdminRequestError(415, 'KAIROS_ADMIN_MEDIA_TYPE', `a request that changes jobs must have Content-Type: application/json, received ${type === '' ? 'none' : JSON.stringify(type)}`);
    }
    const body = await req.body();
    if (typeof body === 'string' && body.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new AdminRequestError(400, 'KAIROS_ADMIN_BAD_REQUEST', 'the body is not valid JSON');
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new AdminRequestError(400, 'KAIROS_ADMIN_BAD_REQUEST', 'the body must be a JSON object (or empty)');
      }
    }
  }
}
