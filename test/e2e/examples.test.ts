/** The README's runnable examples run to completion against the built package. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

const EXPECTED: Record<string, RegExp> = {
  'basic.mjs': /executed greet .*hello ada #1/,
  'fake-clock.mjs': /2027-03-14T07:00:00\.000Z/,
  'metrics.mjs': /kairos_runs_total\{job="heartbeat",store="default",outcome="succeeded"\} 12[\s\S]*kairos_pending_retries\{store="default"\} 1/,
  'retries.mjs': /sent on try 3\s+invoices written: 1/,
  'run-history.mjs': /01:16:00\.000Z {2}export {2}succeeded {2}attempt 2 {2}\{"rows":700\}\n.*01:15:00\.000Z {2}export {2}failed {5}attempt 1 {2}Error: S3 unavailable[\s\S]*failures:\n.*01:15:00\.000Z {2}export {2}failed/,
  'triggers.mjs': /\S/,
  'worker-threads.mjs': /primes-d: 49098 primes[\s\S]*too-slow failed: JobTimeoutError/,
};

describe('examples/', () => {
  for (const [file, output] of Object.entries(EXPECTED)) {
    it.runIf(existsSync(path.join(root, 'examples', file)))(`${file} runs and prints what the README says`, async () => {
      const { stdout } = await run(process.execPath, [path.join(root, 'examples', file)], { cwd: root, timeout: 30_000 });
      expect(stdout).toMatch(output);
    });
  }
});
