/** `npm run demo` (after its build step): examples/demo.mjs runs, shows what it says, and exits by itself. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { assertBuilt } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

it('examples/demo.mjs fires cron, interval and date jobs, restarts on its file, coalesces the missed runs, and exits', { timeout: 40_000 }, async () => {
  assertBuilt();
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'examples', 'demo.mjs')], { cwd: root, timeout: 30_000 }); // killed (and failed) if it does not exit by itself
  expect(stdout).toMatch(/\[cron\] +report +scheduled/);
  expect(stdout).toMatch(/\[date\] +one-off .*hello from a date job/);
  expect(stdout).toMatch(/job "once" removed/);
  expect(stdout).toMatch(/scheduler 2 opened the same file and found: heartbeat \(next run [\d:.]+, now past\), report/);
  expect(stdout).toMatch(/\[interval\] heartbeat +scheduled [\d:.]+ +<- catch-up: the fire times [\d:.]+ to [\d:.]+ fell while down; coalesced into this one run/);
});
