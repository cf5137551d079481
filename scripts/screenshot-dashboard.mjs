// Writes docs/dashboard.png, the README's picture of the dashboard: the demo jobs of the
// examples run for a few seconds under a Fastify mount, then Chromium (Debian's, through
// playwright-core) opens the page, selects the job that fails now and then, opens one error.
// Run: npm run screenshot   (builds first; needs /usr/bin/chromium)
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { Scheduler } from 'kairos';
import { kairosFastify } from 'kairos/fastify';
import { chromium } from 'playwright-core';
import { addDemoJobs } from '../examples/tasks/demo-jobs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'docs', 'dashboard.png');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const scheduler = new Scheduler({ timezone: 'Europe/Berlin' });
await addDemoJobs(scheduler, { every: 1 });
await scheduler.start();
const app = Fastify();
await app.register(kairosFastify, { prefix: '/admin', scheduler, authorize: (request) => request.ip === '127.0.0.1' });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
await sleep(9000); // some history: ~9 heartbeats, ~4 exports (every third fails)

const profile = mkdtempSync(path.join(tmpdir(), 'kairos-screenshot-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1240, height: 760 },
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await context.newPage();
  await page.goto(`${address}/admin/`);
  await page.waitForSelector('tr.job[data-job-id="export-orders"]');
  await page.locator('tr.job[data-job-id="export-orders"]').click();
  await page.locator('#runs details.error summary').first().click();
  await page.waitForSelector('#runs details.error[open] pre.stack');
  await sleep(300);
  mkdirSync(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${path.relative(root, out)}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  await app.close();
  await scheduler.shutdown();
}
