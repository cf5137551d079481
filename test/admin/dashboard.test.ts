/**
 * The dashboard in a real browser: playwright-core driving Debian's Chromium (/usr/bin/chromium,
 * headless, a fresh profile), against the Fastify mount and the Express mount, each serving a
 * real Scheduler. It sees the jobs, runs one now and sees the run appear within a second, pauses
 * and resumes a job, and shows a job named `<img src=x onerror=alert(1)>` (and an error message
 * full of markup) as text. Without Chromium the file is skipped with a message, except under CI
 * (CI=true), where it fails: .ci/run installs Chromium with apt-get first.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/index.js';
import { MOUNTS, type Mounted } from './mounts.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';
if (!haveChromium && !inCI) {
  console.warn(`test/admin/dashboard.test.ts: skipped, ${CHROMIUM} is missing (apt-get install chromium; under CI=true this fails instead)`);
}

const XSS_NAME = '<img src=x onerror=alert(1)>';
const XSS_ERROR = '<b>boom</b><img src=x onerror="window.__pwned=1">';
const TOKEN = 'dashboard-test-token';

let profile: string;
let context: BrowserContext;

describe.runIf(haveChromium || inCI)('dashboard in Chromium', () => {
  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing: the dashboard's browser tests need Debian's chromium (.ci/run installs it with apt-get)`);
    profile = mkdtempSync(path.join(tmpdir(), 'kairos-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      // what the test app's authorize() checks, sent with every request of the page
      extraHTTPHeaders: { 'x-admin-token': TOKEN },
    });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  for (const [name, mount] of MOUNTS.slice().reverse()) {
    describe(`the ${name} mount`, () => {
      let scheduler: Scheduler;
      let server: Mounted;
      let page: Page;
      const dialogs: string[] = [];
      const pageErrors: string[] = [];

      beforeAll(async () => {
        scheduler = new Scheduler({ timezone: 'UTC' });
        scheduler.registerTask('report', async () => 'ok');
        scheduler.registerTask('explode', async () => {
          throw new Error(XSS_ERROR);
        });
        await scheduler.start();
        await scheduler.addJob('report', 'cron', { hour: 3, timezone: 'Europe/Berlin' }, { id: 'nightly', name: 'Nightly report' });
        await scheduler.addJob('report', 'interval', { minutes: 30 }, { id: 'sync', name: 'Sync' });
        await scheduler.addJob('explode', 'interval', { hours: 6 }, { id: 'xss', name: XSS_NAME });
        server = await mount(scheduler, { authorize: (req: { headers: Record<string, unknown> }) => req.headers['x-admin-token'] === TOKEN });
        page = await context.newPage();
        page.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        page.on('pageerror', (err) => pageErrors.push(err.message));
        // a Content-Security-Policy violation (an inline style, a blocked request) is reported as a console error
        page.on('console', (msg) => {
          if (msg.type() === 'error') pageErrors.push(msg.text());
        });
        await page.goto(`${server.base}/`);
        await page.waitForSelector('tr.job[data-job-id="nightly"]');
      });
      afterAll(async () => {
        await page?.close();
        await server?.close();
        await scheduler?.shutdown();
      });

      const row = (id: string) => page.locator(`tr.job[data-job-id="${id}"]`);

      it('a read-only mount shows the jobs without buttons', async () => {
        const readOnly = await mount(scheduler, { readOnly: true });
        const other = await context.newPage();
        try {
          await other.goto(`${readOnly.base}/`);
          await other.waitForSelector('tr.job[data-job-id="nightly"]');
          await expect.poll(() => other.locator('#status').textContent()).toMatch(/read-only/);
          expect(await other.locator('tr.job').count()).toBe(3);
          expect(await other.locator('button[data-action]').count()).toBe(0);
        } finally {
          await other.close();
          await readOnly.close();
        }
      });

      it('lists the jobs with their trigger, next run and state, live', async () => {
        await expect.poll(() => page.locator('tr.job').count()).toBe(3);
        const nightly = row('nightly');
        expect(await nightly.locator('.job-name').textContent()).toBe('Nightly report');
        expect(await nightly.locator('.trigger').textContent()).toBe('cron hour=3');
        expect(await nightly.locator('.next-run').textContent()).toMatch(/ 03:00:00 \+0[12]:00/);
        expect(await nightly.locator('.state').textContent()).toBe('active');
        expect(await nightly.locator('.last-outcome').textContent()).toBe('none yet');
        await expect.poll(() => page.locator('#status').textContent()).toMatch(/scheduler running · zone UTC · live/);
        expect(pageErrors).toEqual([]);
      });

      it('run now: the new run shows in the job’s history within a second, with its duration in the sparkline', async () => {
        await row('sync').click();
        await page.waitForSelector('#detail:not([hidden])');
        expect(await page.locator('#runs tbody tr').count()).toBe(0);
        const clicked = Date.now();
        await row('sync').locator('button[data-action="run"]').click();
        await page.locator('#runs tbody tr.run').first().waitFor({ timeout: 1000 });
        expect(Date.now() - clicked).toBeLessThan(1000);
        expect(await page.locator('#runs tbody tr.run').count()).toBe(1);
        expect(await page.locator('#runs tbody tr.run').first().textContent()).toContain('succeeded');
        await expect.poll(() => row('sync').locator('.last-outcome').textContent(), { timeout: 2000 }).toMatch(/^succeeded/);
        expect(await row('sync').locator('.sparkline polyline').count()).toBe(1);
        const runs = await scheduler.getRuns({ jobId: 'sync' });
        expect(runs.map((r) => r.outcome)).toEqual(['succeeded']);
      });

      it('pause and resume change the job’s state, in the page and in the scheduler', async () => {
        await row('nightly').locator('button[data-action="pause"]').click();
        await expect.poll(() => row('nightly').locator('.state').textContent(), { timeout: 2000 }).toBe('paused');
        expect(await row('nightly').locator('.next-run').textContent()).toBe('—');
        expect((await scheduler.getJob('nightly'))!.nextRunTime).toBeNull();
        await row('nightly').locator('button[data-action="resume"]').click();
        await expect.poll(() => row('nightly').locator('.state').textContent(), { timeout: 2000 }).toBe('active');
        expect((await scheduler.getJob('nightly'))!.nextRunTime).not.toBeNull();
      });

      it('a job named <img src=x onerror=alert(1)> and an error message of markup display literally, and nothing runs', async () => {
        const xss = row('xss');
        expect(await xss.locator('.job-name').textContent()).toBe(XSS_NAME);
        expect(await xss.locator('.job-name img').count()).toBe(0);
        await xss.click();
        await xss.locator('button[data-action="run"]').click();
        await page.waitForSelector('#runs tbody tr.run details.error', { timeout: 2000 });
        expect(await page.locator('#detail-name').textContent()).toBe(XSS_NAME);
        const summary = page.locator('#runs details.error summary').first();
        expect(await summary.textContent()).toBe(`Error: ${XSS_ERROR}`);
        await summary.click();
        expect(await page.locator('#runs pre.stack').first().textContent()).toContain(`Error: ${XSS_ERROR}\n    at `);
        // a live update redraws the runs; the error the reader opened stays open
        const executed = new Promise((resolve) => scheduler.once('jobExecuted', resolve));
        await scheduler.runJob('sync');
        await executed;
        await new Promise((r) => setTimeout(r, 500));
        expect(await page.locator('#runs details.error[open] pre.stack').count()).toBe(1);
        // no element was made from the text, no handler ran, no dialog opened
        expect(await page.locator('main img, main b').count()).toBe(0);
        expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
        await new Promise((r) => setTimeout(r, 200));
        expect(dialogs).toEqual([]);
        expect(pageErrors).toEqual([]);
      });
    });
  }
});
