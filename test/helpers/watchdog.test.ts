import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `body` in a fresh Node process (the watchdog kills its process, so not this one). */
function run(body: string): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { startWatchdog } from './test/helpers/watchdog.ts';\n${body}`], {
    cwd: root, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL',
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

describe('startWatchdog', () => {
  it('kills the process when a guarded call spins, naming the call', () => {
    const r = run(`const w = startWatchdog(300); console.log(w.guard('quick', () => 42)); w.guard('spin({"seed":7})', () => { for (;;) {} });`);
    expect(r.stdout).toBe('42\n');
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toContain('[watchdog] a synchronous call has run for over 300 ms');
    expect(r.stderr).toContain('spin({"seed":7})');
    // Killed by the watchdog, not by spawnSync's 60 s timeout.
    expect(r.ms).toBeLessThan(30_000);
  }, 60_000);

  it('leaves alone guarded calls that return, slow code outside guard, and a process that ends', () => {
    const r = run(`const w = startWatchdog(300); for (let i = 0; i < 1000; i++) w.guard('call ' + i, () => i);
      const t0 = Date.now(); while (Date.now() - t0 < 1200) {} console.log('done');`);
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('done\n');
  }, 60_000);
});
