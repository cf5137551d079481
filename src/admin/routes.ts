/**
 * The admin API's routes as data: method, path pattern, whether it changes jobs, and a handler
 * from the request's params and query to a JSON reply. No framework here; `core.ts` matches and
 * guards, the Express and Fastify adapters only carry bytes.
 * @module
 */
import { JobLookupError, KairosRangeError, KairosTypeError, SchedulerStateError } from '../errors.js';
import type { Job } from '../scheduler/job.js';
import type { GetRunsQuery, RunHistoryEntry } from '../scheduler/run-history.js';
import type { AdminSource } from './options.js';
import { jobView, runSummary, runView, type RunSummary } from './views.js';

/** A handler's answer: JSON with a status, or the event stream. */
export type RouteReply = { status: number; json: unknown } | { stream: true };

/** What a handler gets. */
export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Segments after the mount, `:name` capturing one, e.g. `/api/jobs/:id/runs`. */
  pattern: string;
  /** Changes jobs: needs POST/DELETE with a JSON content type, and is absent from a read-only mount. */
  mutating: boolean;
  handle(ctx: RouteContext): Promise<RouteReply>;
}

/** How many recent runs of each job the list reads (its last outcome and sparkline). */
const RECENT_RUNS = 20;
/** How many jobs' histories are read at once. */
const HISTORY_CONCURRENCY = 8;

/** Refuses query parameters the route does not know, naming them. */
function checkQuery(query: URLSearchParams, allowed: string[]): void {
  for (const key of query.keys()) {
    if (!allowed.includes(key)) throw new KairosTypeError(key, query.get(key), `a query parameter of this route: ${allowed.length ? allowed.join(', ') : 'none'}`);
  }
}

/** A query value as a number when it reads as one (the API's own check then judges its range). */
function numeric(value: string): number | string {
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

function integerParam(query: URLSearchParams, key: string, fallback: number, min: number, max: number): number {
  const raw = query.get(key);
  if (raw === null) return fallback;
  const n = numeric(raw);
  if (typeof n !== 'number') throw new KairosTypeError(key, raw, `an integer from ${min} to ${max}`);
  if (n < min || n > max) throw new KairosRangeError(key, n, `an integer from ${min} to ${max}`);
  return n;
}

/** The recent runs of a job; none while the stores are closed (the scheduler is not started). */
async function recentRuns(source: AdminSource, jobId: string): Promise<RunHistoryEntry[]> {
  try {
    return await source.getRuns({ jobId, limit: RECENT_RUNS });
  } catch (err) {
    if (err instanceof SchedulerStateError) return [];
    throw err;
  }
}

async function viewOf(source: AdminSource, job: Job) {
  return jobView(job, source.timezone, runSummary(await recentRuns(source, job.id)));
}

/** Soonest next run first, paused jobs last, then by id. */
function byNextRun(a: Job, b: Job): number {
  const at = a.nextRunTime?.getTime() ?? Infinity;
  const bt = b.nextRunTime?.getTime() ?? Infinity;
  return at - bt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

async function mapLimited<T, U>(items: T[], limit: number, fn: (item: T) => Promise<U>): Promise<U[]> {
  const out: U[] = new Array<U>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function requireJob(source: AdminSource, id: string): Promise<Job> {
  const job = await source.getJob(id);
  if (job === null) throw new JobLookupError(id);
  return job;
}

/** The routes of a mount; a read-only mount gets those that do not change jobs. */
export function adminRoutes(source: AdminSource, { readOnly, live }: { readOnly: boolean; live: boolean }): Route[] {
  const routes: Route[] = [
    {
      method: 'GET',
      pattern: '/api/status',
      mutating: false,
      async handle({ query }) {
        checkQuery(query, []);
        const state = (source as { state?: unknown }).state;
        return { status: 200, json: { readOnly, events: live, timezone: source.timezone, state: typeof state === 'string' ? state : null, serverTime: new Date().toISOString() } };
      },
    },
    {
      method: 'GET',
      pattern: '/api/jobs',
      mutating: false,
      async handle({ query }) {
        checkQuery(query, ['limit', 'offset']);
        const limit = integerParam(query, 'limit', 500, 1, 1000);
        const offset = integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
        const all = (await source.getJobs()).sort(byNextRun);
        const jobs = await mapLimited(all.slice(offset, offset + limit), HISTORY_CONCURRENCY, (job) => viewOf(source, job));
        return { status: 200, json: { jobs, total: all.length, offset, limit } };
      },
    },
    {
      method: 'GET',
      pattern: '/api/jobs/:id',
      mutating: false,
      async handle({ params, query }) {
        checkQuery(query, []);
        return { status: 200, json: { job: await viewOf(source, await requireJob(source, params.id!)) } };
      },
    },
    {
      method: 'GET',
      pattern: '/api/jobs/:id/runs',
      mutating: false,
      async handle({ params, query }) {
        checkQuery(query, ['limit', 'cursor', 'outcome']);
        const id = params.id!;
        const q: GetRunsQuery = { jobId: id, limit: 20 };
        const limit = query.get('limit');
        if (limit !== null) q.limit = numeric(limit) as number; // getRuns names a bad value
        const cursor = query.get('cursor');
        if (cursor !== null) q.cursor = cursor;
        const outcome = query.get('outcome');
        if (outcome !== null) q.outcome = outcome as GetRunsQuery['outcome'];
        const runs = await source.getRuns(q);
        // A removed job's history stays readable; an id with neither a job nor history is unknown.
        if (runs.length === 0 && cursor === null && (await source.getJob(id)) === null) throw new JobLookupError(id);
        const nextCursor = runs.length === q.limit ? runs.at(-1)!.cursor : null;
        return { status: 200, json: { runs: runs.map(runView), nextCursor } };
      },
    },
    { method: 'GET', pattern: '/api/events', mutating: false, handle: async () => ({ stream: true }) },
  ];
  if (readOnly) return routes;
  const act = (verb: string, run: (id: string) => Promise<RouteReply>): Route => ({
    method: 'POST',
    pattern: `/api/jobs/:id/${verb}`,
    mutating: true,
    handle: async ({ params, query }) => {
      checkQuery(query, []);
      return run(params.id!);
    },
  });
  const withSummary = async (job: Job): Promise<RouteReply> => {
    const summary: RunSummary = runSummary(await recentRuns(source, job.id));
    return { status: 200, json: { job: jobView(job, source.timezone, summary) } };
  };
  routes.push(
    act('pause', async (id) => withSummary(await source.pauseJob(id))),
    act('resume', async (id) => withSummary(await source.resumeJob(id))),
    act('run', async (id) => {
      const requestedAt = new Date().toISOString();
      await source.runJob(id);
      return { status: 202, json: { jobId: id, requestedAt } };
    }),
    {
      method: 'DELETE',
      pattern: '/api/jobs/:id',
      mutating: true,
      async handle({ params, query }) {
        checkQuery(query, []);
        await source.removeJob(params.id!);
        return { status: 200, json: { removed: params.id } };
      },
    },
  );
  return routes;
}
