/**
 * The options of the admin mounts (`kairosRouter`, `kairosFastify`) and the one check both run:
 * a mount that anyone could use to change jobs is refused with `AdminMountError`.
 * @module
 */
import { AdminMountError } from '../errors.js';
import type { Scheduler } from '../scheduler.js';

/**
 * What the admin API reads and steers: a `Scheduler`, or a `JobClient` (an admin process beside
 * the schedulers; it emits no events, so the dashboard then refreshes by polling).
 */
export type AdminSource = Pick<Scheduler, 'getJob' | 'getJobs' | 'pauseJob' | 'resumeJob' | 'runJob' | 'removeJob' | 'getRuns' | 'timezone'> &
  Partial<Pick<Scheduler, 'on' | 'off'>>;

/** What a request asks for, passed to `authorize` beside the framework's request. */
export interface AdminAccess {
  /** True for the routes that change jobs (pause, resume, run now, remove). */
  mutating: boolean;
  /** The route, e.g. `POST /api/jobs/:id/pause`; `null` when no route matches (the answer will be 404 or 405). */
  route: string | null;
  /** The job the route names, if any. */
  jobId?: string;
}

/** Options of `kairosRouter` and `kairosFastify`. */
export interface AdminOptions<Request = unknown> {
  /**
   * Decides whether a request may use the admin API and dashboard: return (or resolve) `true` to
   * let it through; `false` answers 403. Called for every request under the mount, the page and
   * the event stream included, with the framework's request (Express `req`, Fastify `request`) and
   * what the request asks for (so viewers can be told apart from operators by `access.mutating`).
   * A throw answers 500 and lets nothing through. Required unless `readOnly` is true.
   * @example
   * authorize: (req) => req.get('x-admin-token') === process.env.ADMIN_TOKEN
   */
  authorize?: (request: Request, access: AdminAccess) => boolean | Promise<boolean>;
  /**
   * Registers no route that changes jobs: the API and dashboard only read. A read-only mount may
   * go without `authorize` (anyone who reaches it sees job names, triggers and errors).
   * @default false
   */
  readOnly?: boolean;
  /**
   * Longest an event stream stays open before the server ends it (the dashboard reconnects);
   * bounds what a forgotten browser tab holds. In ms. @default 3_600_000 (1 h)
   */
  streamMaxAge?: number;
  /** Most event streams open at once; one more is answered 503. @default 100 */
  maxStreams?: number;
}

/** {@link AdminOptions} checked. */
export interface ResolvedAdminOptions<Request> {
  authorize: ((request: Request, access: AdminAccess) => boolean | Promise<boolean>) | null;
  readOnly: boolean;
  streamMaxAge: number;
  maxStreams: number;
}

const METHODS = ['getJob', 'getJobs', 'pauseJob', 'resumeJob', 'runJob', 'removeJob', 'getRuns'] as const;

/**
 * Checks the options of a mount (`mount` names it in messages; `extraKeys` are keys the framework
 * itself puts in them, such as Fastify's `prefix`).
 * @throws AdminMountError
 */
export function resolveAdminOptions<Request>(
  mount: string,
  source: unknown,
  options: unknown,
  allowed: readonly string[],
): { source: AdminSource; options: ResolvedAdminOptions<Request> } {
  const isSource = source !== null && typeof source === 'object' && METHODS.every((m) => typeof (source as Record<string, unknown>)[m] === 'function');
  if (!isSource) throw new AdminMountError(mount, 'expected a Scheduler (or a JobClient) to serve, received ' + (source === null ? 'null' : typeof source));
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new AdminMountError(mount, 'options are required: give authorize(request) (resolving true to let a request through), or readOnly: true');
  }
  const o = options as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new AdminMountError(mount, `unknown option ${unknown.map((k) => `"${k}"`).join(', ')}; the options are ${allowed.join(', ')}`);
  if (o.readOnly !== undefined && typeof o.readOnly !== 'boolean') throw new AdminMountError(mount, `readOnly must be a boolean, received ${typeof o.readOnly}`);
  if (o.authorize !== undefined && typeof o.authorize !== 'function') throw new AdminMountError(mount, `authorize must be a function (request) => boolean | Promise<boolean>, received ${typeof o.authorize}`);
  const readOnly = o.readOnly === true;
  if (o.authorize === undefined && !readOnly) {
    throw new AdminMountError(
      mount,
      'refusing to mount the admin API without authorize: anyone reaching it could pause, run or remove jobs. Give authorize(request) ' +
        '(resolving true to let a request through), or readOnly: true for a mount that only reads',
    );
  }
  const positive = (key: string, fallback: number): number => {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new AdminMountError(mount, `${key} must be a positive integer, received ${String(v)}`);
    return v;
  };
  return {
    source: source as AdminSource,
    options: {
      authorize: (o.authorize as ResolvedAdminOptions<Request>['authorize']) ?? null,
      readOnly,
      streamMaxAge: positive('streamMaxAge', 3_600_000),
      maxStreams: positive('maxStreams', 100),
    },
  };
}

/** The option keys of {@link AdminOptions}. */
export const ADMIN_OPTION_KEYS = ['authorize', 'readOnly', 'streamMaxAge', 'maxStreams'] as const;
