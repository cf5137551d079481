/**
 * Builds `dist/` once before the tests when it is older than `src/`, because the end-to-end tests
 * fork plain Node processes that import the package as users do (`import('kairos')`, resolved by
 * self-reference to `dist/index.js`). Skipped when the run is filtered to files that are not
 * end-to-end tests (`npx vitest run test/stores`). A failed build does not stop the other tests:
 * it is printed, and the end-to-end tests then fail with a message pointing here. The tests of the
 * `kairos` bin (test/cli) count as end-to-end: they spawn `dist/cli/main.js`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The file filters of this vitest run (`vitest run a b` → ['a', 'b']); empty when unfiltered. */
function fileFilters(): string[] {
  const args = process.argv.slice(2);
  const start = args.findIndex((a) => a === 'run' || a === 'watch' || a === 'related');
  const rest = start >= 0 ? args.slice(start + 1) : args.filter((a) => !a.includes('vitest'));
  const filters: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a.startsWith('-')) {
      if (!a.includes('=') && rest[i + 1] !== undefined && !rest[i + 1]!.startsWith('-') && /^--?(t|testNamePattern|project|config|c|reporter|root|dir|shard|maxWorkers|pool|environment)$/.test(a)) i++;
      continue;
    }
    filters.push(a);
  }
  return filters;
}

function e2eWanted(): boolean {
  const filters = fileFilters();
  if (filters.length === 0) return true;
  // test/cli spawns the built bin (dist/cli/main.js) and test/chaos forks fleets importing the
  // package, so they need dist/ as test/e2e does.
  const e2eDirs = [path.join(root, 'test', 'e2e'), path.join(root, 'test', 'cli'), path.join(root, 'test', 'chaos')];
  const e2eFiles = e2eDirs.flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(dir, f)) : []));
  return e2eFiles.some((file) => filters.some((filter) => file.includes(filter.replace(/^\.\//, '')) || path.resolve(root, filter) === file));
}

export default function setup(): void {
  if (!e2eWanted()) return;
  const entry = path.join(root, 'dist', 'index.js');
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  if (built >= newestMtime(path.join(root, 'src'))) return;
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    // tsc still emits JavaScript when types are wrong; report, and let the e2e tests judge dist/.
    const out = String((err as { stdout?: Buffer }).stdout ?? err);
    process.stderr.write(`test/global-setup.ts: "npm run build" reported errors; the end-to-end tests use whatever it emitted:\n${out.slice(0, 4000)}\n`);
  }
  // The rest of "npm run build": the dashboard's static files (src/admin/dashboard/, also inputs
  // of the staleness check above, as everything under src/ is) are copied, not compiled.
  execFileSync(process.execPath, [path.join(root, 'scripts', 'copy-dashboard.mjs')], { cwd: root, stdio: 'pipe' });
}
