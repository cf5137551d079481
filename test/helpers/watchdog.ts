/**
 * A watchdog for synchronous hangs, which vitest's timeouts cannot stop: a timeout is a timer,
 * and no timer runs while a call spins in a loop on the test's thread. A worker thread, with an
 * event loop of its own, watches a mark that the test thread sets around each guarded call; when
 * one call has run for `limitMs`, the worker prints what was being called and kills the test
 * process, so the run fails, naming the input, instead of holding CI at full CPU forever.
 * (vitest then reports the file's worker as exited unexpectedly.)
 */
import { Worker } from 'node:worker_threads';

export interface Watchdog {
  /** Calls `fn` (its synchronous part) under the watch, as `what` in the message if it hangs. */
  guard<T>(what: string, fn: () => T): T;
  /** Ends the worker. */
  stop(): Promise<void>;
}

const TEXT_BYTES = 4096;

// Plain JavaScript, run with `eval`: the worker must not need vitest's TypeScript transform.
const WORKER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { state, text, limitMs } = workerData;
let seen = -1;
let since = 0;
setInterval(() => {
  if (Atomics.load(state, 1) === 0) return void (seen = -1);
  const serial = Atomics.load(state, 0);
  if (serial !== seen) {
    seen = serial;
    since = Date.now();
    return;
  }
  if (Date.now() - since < limitMs) return;
  const what = Buffer.from(text.slice(0, Atomics.load(state, 2))).toString('utf8');
  const message = '\\n[watchdog] a synchronous call has run for over ' + limitMs + ' ms, killing the test process: ' + what + '\\n';
  fs.writeSync(2, message);
  process.kill(process.pid, 'SIGKILL');
}, Math.min(250, limitMs / 4));
`;

/** Starts a watchdog that kills this process when one guarded call runs longer than `limitMs`. */
export function startWatchdog(limitMs: number): Watchdog {
  // [0] serial of the current call, [1] 1 while a call runs, [2] bytes of its description
  const state = new Int32Array(new SharedArrayBuffer(12));
  const text = new Uint8Array(new SharedArrayBuffer(TEXT_BYTES));
  // No inherited execArgv: under `--import tsx` the worker would load tsx's hooks first, which
  // wait on the main thread, so it never started while that thread spun.
  const worker = new Worker(WORKER, { eval: true, execArgv: [], workerData: { state, text, limitMs } });
  worker.unref();
  const encoder = new TextEncoder();
  return {
    guard<T>(what: string, fn: () => T): T {
      const { written } = encoder.encodeInto(what.length > TEXT_BYTES / 3 ? `${what.slice(0, TEXT_BYTES / 3)}...` : what, text);
      Atomics.store(state, 2, written);
      Atomics.add(state, 0, 1);
      Atomics.store(state, 1, 1);
      try {
        return fn();
      } finally {
        Atomics.store(state, 1, 0);
      }
    },
    async stop(): Promise<void> {
      await worker.terminate();
    },
  };
}
