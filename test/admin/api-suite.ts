/**
 * The admin API suite, written once and run against each mount (test/admin/api.test.ts): real
 * HTTP with fetch against a real Scheduler (memory store, system clock; the jobs fire hourly or
 * daily, so only "run now" makes runs during a test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler, type JobEvent } from '../../src/index.js';
import type { Mount, Mounted } from './mounts.js';

export const JSON_POST = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' } as const;

/** Resolves with the next `name` event of `scheduler` for job `jobId`. */
export function nextEvent(scheduler: Scheduler, name: 'jobExecuted' | 'jobError', jobId: string): Promise<JobEvent> {
  return new Promise((resolve) => {
    const listener = (e: JobEvent): void => {
      if (e.jobId !== jobId) return;
      scheduler.off(name, listener);
      resolve(e);
    };
    scheduler.on(name, listener);
  });
}

async function body(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

/** Reads server-sent events from `url` until `until` says stop; resolves with the events seen. */
export async function readEvents(url: string, until: (events: Array<{ event: string; data: Record<string, unknown> }>) => boolean, timeoutMs = 5000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: Array<{ event: string; data: Record<string, unknown> }> = [];
  try {
    const res = await fetch(url, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      }
    }
    return events;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

export function describeAdminApi(name: string, mount: Mount): void {
  describe(`admin API (${name})`, () => {
    let scheduler: Scheduler;
    let server: Mounted;
    const longId = `long-${'x'.repeat(195)}`;

    beforeAll(async () => {
      scheduler = new Scheduler({ timezone: 'UTC' });
      scheduler.registerTask('report', async () => ({ rows: 3 }));
      scheduler.registerTask('broken', async () => {
        throw new Error('S3 <b>unavailable</b>');
      });
      await scheduler.start();
      await scheduler.addJob('report', 'cron', { hour: 3, timezone: 'Europe/Berlin' }, { id: 'nightly', name: 'Nightly report' });
      await scheduler.addJob('broken', 'interval', { hours: 1 }, { id: 'export' });
      await scheduler.addJob('report', 'interval', { hours: 2 }, { id: longId });
      await scheduler.addJob('report', 'interval', { hours: 3 }, { id: 'a/b c' });
      server = await mount(scheduler, { authorize: () => true });
    });
    afterAll(async () => {
      await server?.close();
      await scheduler?.shutdown();
    });

    const api = (path: string, init?: RequestInit) => fetch(`${server.base}${path}`, init);

    it('lists jobs soonest first with the trigger in words and as data, the next run in the job zone and in UTC', async () => {
      const res = await api('/api/jobs');
      expect(res.status).toBe(200);
      const out = (await body(res)) as { jobs: Array<Record<string, unknown>>; total: number };
      expect(out.total).toBe(4);
      const times = out.jobs.map((j) => Date.parse((j.nextRunTime as { utc: string }).utc));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      const nightly = out.jobs.find((j) => j.id === 'nightly')!;
      expect(nightly).toMatchObject({
        name: 'Nightly report',
        taskId: 'report',
        timezone: 'Europe/Berlin',
        paused: false,
        lastOutcome: null,
        lastRun: null,
        recent: [],
        trigger: { text: 'cron hour=3', data: { kind: 'cron', options: { hour: 3 }, timezone: 'Europe/Berlin' } },
      });
      const next = nightly.nextRunTime as { utc: string; local: string; text: string };
      // 03:00 Berlin is 01:00 or 02:00 UTC, and the local form carries Berlin's offset
      expect(next.local).toMatch(/T03:00:00\.000\+0[12]:00$/);
      expect(Date.parse(next.local)).toBe(Date.parse(next.utc));
      expect(next.utc).toMatch(/T0[12]:00:00\.000Z$/);
      expect(next.text).toMatch(/ 03:00:00 \+0[12]:00( \(\w+\))?$/);
      const exportJob = out.jobs.find((j) => j.id === 'export')!;
      expect(exportJob.trigger).toMatchObject({ text: 'every 1 h' });
    });

    it('pages the job list with limit and offset', async () => {
      const first = (await body(await api('/api/jobs?limit=3'))) as { jobs: Array<{ id: string }>; total: number };
      const rest = (await body(await api('/api/jobs?limit=3&offset=3'))) as { jobs: Array<{ id: string }> };
      expect(first.jobs).toHaveLength(3);
      expect(rest.jobs).toHaveLength(1);
      expect(new Set([...first.jobs, ...rest.jobs].map((j) => j.id)).size).toBe(4);
    });

    it('shows one job; an unknown one is 404 JobLookupError as JSON', async () => {
      const res = await api('/api/jobs/nightly');
      expect(res.status).toBe(200);
      expect(((await body(res)).job as { id: string }).id).toBe('nightly');
      const missing = await api('/api/jobs/nope');
      expect(missing.status).toBe(404);
      expect((await body(missing)).error).toEqual({
        name: 'JobLookupError',
        code: 'KAIROS_JOB_LOOKUP',
        message: expect.stringContaining('no job with id "nope"'),
      });
      for (const path of ['/api/jobs/nope/runs', '/api/jobs/nope/pause', '/api/jobs/nope/resume', '/api/jobs/nope/run']) {
        const r = path.endsWith('/runs') ? await api(path) : await api(path, JSON_POST);
        expect(r.status, path).toBe(404);
        expect(((await body(r)).error as { code: string }).code).toBe('KAIROS_JOB_LOOKUP');
      }
      expect((await api('/api/jobs/nope', { method: 'DELETE', headers: { 'content-type': 'application/json' } })).status).toBe(404);
    });

    it('job ids with slashes, spaces and 200 characters (past Fastify’s default maxParamLength of 100) work', async () => {
      for (const id of ['a/b c', longId]) {
        const res = await api(`/api/jobs/${encodeURIComponent(id)}`);
        expect(res.status, id).toBe(200);
        expect(((await body(res)).job as { id: string }).id).toBe(id);
      }
      const run = await api(`/api/jobs/${encodeURIComponent(longId)}/run`, JSON_POST);
      expect(run.status).toBe(202);
    });

    it('runs a job now (202), then its runs read back newest first, paged by cursor', async () => {
      for (let i = 0; i < 3; i++) {
        const executed = nextEvent(scheduler, 'jobExecuted', 'nightly');
        const res = await api('/api/jobs/nightly/run', JSON_POST);
        expect(res.status).toBe(202);
        expect(await body(res)).toMatchObject({ jobId: 'nightly', requestedAt: expect.any(String) });
        await executed;
      }
      const page1 = (await body(await api('/api/jobs/nightly/runs?limit=2'))) as { runs: Array<Record<string, unknown>>; nextCursor: string | null };
      expect(page1.runs).toHaveLength(2);
      expect(page1.runs[0]).toMatchObject({ jobId: 'nightly', outcome: 'succeeded', attempt: 1, result: { rows: 3 }, durationMs: expect.any(Number) });
      expect(page1.runs[0]!.runId).toMatch(/^nightly@manual:/);
      expect(Date.parse(page1.runs[0]!.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(page1.runs[1]!.finishedAt as string));
      expect(page1.nextCursor).toEqual(expect.any(String));
      const page2 = (await body(await api(`/api/jobs/nightly/runs?limit=2&cursor=${encodeURIComponent(page1.nextCursor!)}`))) as typeof page1;
      expect(page2.runs).toHaveLength(1);
      expect(page2.nextCursor).toBeNull();
      expect(new Set([...page1.runs, ...page2.runs].map((r) => r.runId)).size).toBe(3);
      // the list now shows the last outcome and the durations for the sparkline
      const job = ((await body(await api('/api/jobs/nightly'))).job as { lastOutcome: string; recent: Array<{ durationMs: number; outcome: string }> });
      expect(job.lastOutcome).toBe('succeeded');
      expect(job.recent).toHaveLength(3);
      expect(job.recent.every((r) => r.outcome === 'succeeded' && r.durationMs >= 0)).toBe(true);
    });

    it('a failed run carries its error class, message and stack; runs filter by outcome', async () => {
      const failed = nextEvent(scheduler, 'jobError', 'export');
      expect((await api('/api/jobs/export/run', JSON_POST)).status).toBe(202);
      await failed;
      const out = (await body(await api('/api/jobs/export/runs?outcome=failed'))) as { runs: Array<{ outcome: string; error: { name: string; message: string; stack: string } }> };
      expect(out.runs).toHaveLength(1);
      expect(out.runs[0]!.error).toMatchObject({ name: 'Error', message: 'S3 <b>unavailable</b>' });
      expect(out.runs[0]!.error.stack).toContain('S3 <b>unavailable</b>\n    at ');
      const job = (await body(await api('/api/jobs/export'))).job as { lastOutcome: string };
      expect(job.lastOutcome).toBe('failed');
    });

    it('pauses and resumes a job', async () => {
      const paused = await api('/api/jobs/nightly/pause', JSON_POST);
      expect(paused.status).toBe(200);
      expect((await body(paused)).job).toMatchObject({ id: 'nightly', paused: true, nextRunTime: null });
      expect((await scheduler.getJob('nightly'))!.nextRunTime).toBeNull();
      const resumed = await api('/api/jobs/nightly/resume', { ...JSON_POST, headers: { 'content-type': 'application/json; charset=utf-8' } });
      expect(resumed.status).toBe(200);
      expect((await body(resumed)).job).toMatchObject({ id: 'nightly', paused: false, nextRunTime: { utc: expect.any(String) } });
      expect((await scheduler.getJob('nightly'))!.nextRunTime).not.toBeNull();
    });

    it('bad input is 400 naming what was wrong', async () => {
      const cases: Array<[string, RequestInit | undefined, RegExp]> = [
        ['/api/jobs/nightly/runs?limit=abc', undefined, /^limit: expected/],
        ['/api/jobs/nightly/runs?limit=0', undefined, /^limit: expected an integer from 1 to 1000/],
        ['/api/jobs/nightly/runs?cursor=nonsense', undefined, /^cursor: expected/],
        ['/api/jobs/nightly/runs?outcome=great', undefined, /^outcome: expected one of succeeded/],
        ['/api/jobs?limit=-1', undefined, /^limit: expected an integer from 1 to 1000/],
        ['/api/jobs?sort=name', undefined, /^sort: expected a query parameter of this route: limit, offset/],
        ['/api/jobs/nightly/pause', { ...JSON_POST, body: '{not json' }, /not valid JSON/],
        ['/api/jobs/nightly/pause', { ...JSON_POST, body: '[1]' }, /must be a JSON object/],
      ];
      for (const [path, init, message] of cases) {
        const res = await api(path, init);
        expect(res.status, path).toBe(400);
        expect(((await body(res)).error as { message: string }).message, path).toMatch(message);
      }
      // Bad percent-encoding is 400 too; Fastify refuses it before any route (FST_ERR_BAD_URL, in its own JSON).
      expect((await api('/api/jobs/%E0%A4%A/runs')).status).toBe(400);
      // the refused pause changed nothing
      expect((await scheduler.getJob('nightly'))!.nextRunTime).not.toBeNull();
    });

    it('unknown paths are 404 and known paths with another method 405 with Allow', async () => {
      const missing = await api('/api/nothing');
      expect(missing.status).toBe(404);
      expect(((await body(missing)).error as { code: string }).code).toBe('KAIROS_ADMIN_NOT_FOUND');
      const wrong = await api('/api/jobs/nightly/pause');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
      expect(((await body(wrong)).error as { name: string; code: string })).toMatchObject({ name: 'AdminRequestError', code: 'KAIROS_ADMIN_METHOD' });
      const put = await api('/api/jobs/nightly', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(put.status).toBe(405);
      expect(put.headers.get('allow')).toBe('GET, DELETE');
    });

    it('streams scheduler events (server-sent events) as they happen', async () => {
      const seen = readEvents(`${server.base}/api/events`, (events) => events.some((e) => e.event === 'jobExecuted' && e.data.jobId === 'nightly'));
      // wait for the stream to be open (its hello) before causing events
      await expect.poll(() => fetch(`${server.base}/api/status`).then((r) => r.json()).then(() => true)).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect((await api('/api/jobs/nightly/run', JSON_POST)).status).toBe(202);
      const events = await seen;
      expect(events[0]).toEqual({ event: 'hello', data: { live: true } });
      const names = events.filter((e) => e.data.jobId === 'nightly').map((e) => e.event);
      expect(names).toEqual(['jobSubmitted', 'jobExecuted']);
      const executed = events.find((e) => e.event === 'jobExecuted')!.data;
      expect(executed).toMatchObject({ event: 'jobExecuted', jobId: 'nightly', jobStore: 'default', attempt: 1, runId: expect.stringMatching(/^nightly@manual:/) });
      expect(executed.scheduledRunTime).toMatch(/Z$/);
      expect(executed).not.toHaveProperty('result');
    });

    it('serves the dashboard page with a strict Content-Security-Policy, and redirects the bare mount to its slash', async () => {
      const page = await api('/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(await page.text()).toContain('<script type="module" src="dashboard.js"></script>');
      const js = await api('/dashboard.js');
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
      const bare = await fetch(server.base, { redirect: 'manual' });
      expect(bare.status).toBe(308);
      expect(new URL(bare.headers.get('location')!, server.base).href).toBe(`${server.base}/`);
      const status = (await body(await api('/api/status'))) as Record<string, unknown>;
      expect(status).toMatchObject({ readOnly: false, events: true, timezone: 'UTC', state: 'running' });
    });

    it('removes a job; its history stays readable', async () => {
      const res = await api(`/api/jobs/export`, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(200);
      expect(await body(res)).toEqual({ removed: 'export' });
      expect(await scheduler.getJob('export')).toBeNull();
      expect((await api('/api/jobs/export')).status).toBe(404);
      const runs = (await body(await api('/api/jobs/export/runs'))) as { runs: unknown[] };
      expect(runs.runs).toHaveLength(1);
    });

    it('a scheduler that is not started: its jobs list (pending), run now is 409 SchedulerStateError', async () => {
      const stopped = new Scheduler({ timezone: 'UTC' });
      await stopped.addJob(() => {}, 'interval', { hours: 1 }, { id: 'later' });
      const other = await mount(stopped, { authorize: () => true });
      try {
        const list = (await body(await fetch(`${other.base}/api/jobs`))) as { jobs: Array<{ id: string; pending: boolean; lastRun: unknown }> };
        expect(list.jobs).toMatchObject([{ id: 'later', pending: true, lastRun: null }]);
        const run = await fetch(`${other.base}/api/jobs/later/run`, JSON_POST);
        expect(run.status).toBe(409);
        expect((await body(run)).error).toMatchObject({ name: 'SchedulerStateError', code: 'KAIROS_SCHEDULER_STATE' });
      } finally {
        await other.close();
      }
    });
  });
}
