/**
 * Runs the built `kairos` bin (`node dist/cli/main.js`) as a user's shell would: a plain Node
 * process, its stdout, stderr and exit code. test/global-setup.ts builds dist/ when stale.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built bin. */
export const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for `--json`). */
  json: () => unknown;
}

/**
 * Runs `kairos ...args`; `env` is added to this process's environment (KAIROS_DB left out unless
 * given). `script`: the path run, default the built bin (a symlink to it, as npm makes one).
 */
export function kairos(args: string[], env: Record<string, string> = {}, script = bin): Promise<CliResult> {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run "npm run build" (test/global-setup.ts does when dist/ is stale)`);
  const base = { ...process.env };
  delete base.NODE_OPTIONS; // vitest's loader hooks are not for plain children
  delete base.KAIROS_DB;
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: { ...base, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({
        code,
        stdout,
        stderr,
        json: () => {
          try {
            return JSON.parse(stdout) as unknown;
          } catch {
            throw new Error(`kairos ${args.join(' ')} printed no JSON (exit ${code}):\n${stdout}\n${stderr}`);
          }
        },
      });
    });
  });
}
