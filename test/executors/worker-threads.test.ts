import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, threadId as mainThreadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobTimeoutError, KairosError, SchedulerStateError } from '../../src/errors.js';
import type { ExecutionRequest, TaskTarget } from '../../src/executors/executor.js';
import { ExecutorQueueFullError, WorkerThreadError, WorkerThreadsExecutor } from '../../src/executors/worker-threads.js';

// The Scheduler is written in parallel with this executor: its tests run once it loads.
const SCHEDULER_URL = new URL('../../src/scheduler.ts', import.meta.url);
const Scheduler = await import('../../src/scheduler.js').then(
  (m) => m.Scheduler,
  () => null,
);

const TASKS = new URL('./fixtures/tasks.mjs', import.meta.url);
const TSX_WORKER = new URL('./fixtures/tsx-worker.mjs', import.meta.url);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let jobs = 0;
/** A request for an export of fixtures/tasks.mjs (or any task) with a fresh job id. */
function request(
  exportName: string | undefined,
  args: unknown[] = [],
  { signal = new AbortController().signal, task }: { signal?: AbortSignal; task?: TaskTarget } = {},
): ExecutionRequest {
  const jobId = `job-${++jobs}`;
  return {
    taskId: exportName ?? 'echo',
    task: task ?? { module: TASKS, ...(exportName === undefined ? {} : { export: exportName }) },
    args,
    context: { jobId, scheduledRunTime: new Date('2030-01-02T03:04:05Z'), runId: `${jobId}@1`, attempt: 1, signal },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

interface Added {
  sum: number;
  isMainThread: boolean;
  threadId: number;
  loads: number;
  calls: number;
}
interface Busy {
  start: number;
  end: number;
  threadId: number;
}

describe('WorkerThreadsExecutor on a pool of 2', () => {
  const ex = new WorkerThreadsExecutor({ size: 2, abortGrace: 300 });
  beforeAll(() => ex.start());
  afterAll(() => ex.shutdown({ wait: false }));

  it('runs a { module, export } task off the main thread; each thread imports the module once', async () => {
    expect(ex.threads).toBe(2);
    const results: Added[] = [];
    for (let i = 0; i < 4; i++) results.push((await ex.submit(request('add', [i, 10]))) as Added);
    expect(results.map((r) => r.sum)).toEqual([10, 11, 12, 13]);
    for (const r of results) {
      expect(r.isMainThread).toBe(false);
      expect(r.threadId).not.toBe(mainThreadId);
      expect(r.loads).toBe(1); // the module's top level ran once in that thread
    }
    const callsByThread = new Map<number, number[]>();
    for (const r of results) callsByThread.set(r.threadId, [...(callsByThread.get(r.threadId) ?? []), r.calls]);
    for (const calls of callsByThread.values()) expect(calls).toEqual(calls.map((_, i) => calls[0]! + i));
  });

  it('calls the default export with structured-cloned args and the context, signal included', async () => {
    const args = [{ a: [1, 2] }, new Date('2031-01-01T00:00:00Z'), new Map([['k', 1]])];
    const req = request(undefined, args);
    const out = (await ex.submit(req)) as { args: unknown[]; ctx: Record<string, unknown> };
    expect(out.args).toEqual(args);
    expect(out.ctx).toEqual({ jobId: req.context.jobId, runId: req.context.runId, attempt: 1, scheduledRunTime: req.context.scheduledRunTime, aborted: false });
  });

  it('runs two CPU-bound runs at the same time on two threads', async () => {
    await Promise.all([ex.submit(request('busy', [10])), ex.submit(request('busy', [10]))]); // warm both threads
    const [a, b] = (await Promise.all([ex.submit(request('busy', [400])), ex.submit(request('busy', [400]))])) as Busy[];
    expect(a!.threadId).not.toBe(b!.threadId);
    expect(Math.max(a!.start, b!.start)).toBeLessThan(Math.min(a!.end, b!.end));
  });

  it('rejects with the task error, rebuilt with name, message, stack and fields; the thread lives on', async () => {
    const before = ex.threads;
    const err = (await rejection(ex.submit(request('throwBoom')))) as RangeError & { code: string; details: unknown };
    expect(err).toBeInstanceOf(RangeError);
    expect(err.name).toBe('RangeError');
    expect(err.message).toBe('boom-in-worker');
    expect(err.stack).toContain('tasks.mjs');
    expect(err.code).toBe('E_BOOM');
    expect(err.details).toEqual({ n: 1 });
    expect(await rejection(ex.submit(request('throwString')))).toBe('plain string');
    expect(ex.threads).toBe(before);
    expect(((await ex.submit(request('add', [1, 1]))) as Added).sum).toBe(2);
  });

  it('explains a missing export and a result that cannot be copied back', async () => {
    const missing = (await rejection(ex.submit(request('nope')))) as Error;
    expect(missing).toBeInstanceOf(TypeError);
    expect(missing.message).toMatch(/has no function export "nope".*add/);
    expect(((await rejection(ex.submit(request('notAFunction')))) as Error).message).toMatch(/"notAFunction"/);
    const result = (await rejection(ex.submit(request('returnsFunction')))) as Error;
    expect(result.message).toMatch(/task "returnsFunction" returned a value that cannot be copied back/);
  });

  it('refuses a function task and uncloneable args at submit, naming the job and the fix', async () => {
    const fnTask = request('x', [], { task: function resize() {} });
    const refused = (await rejection(ex.submit(fnTask))) as TypeError & { code: string; field: string };
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused.code).toBe('KAIROS_INVALID_ARGUMENT');
    expect(refused.field).toBe('task');
    expect(refused.message).toContain(`job "${fnTask.context.jobId}"`);
    expect(refused.message).toMatch(/registerTask\("x", \{ module: .*export: 'resize' \}\)/);

    const badArgs = request('add', [1, { cb: () => 1 }]);
    const err = (await rejection(ex.submit(badArgs))) as TypeError & { field: string };
    expect(err).toBeInstanceOf(TypeError);
    expect(err.field).toBe('args[1]');
    expect(err.message).toContain(`job "${badArgs.context.jobId}"`);
    expect(err.message).toMatch(/could not be cloned/);
    expect(((await ex.submit(request('add', [2, 2]))) as Added).sum).toBe(4);
  });

  it('replaces a thread that calls process.exit(); the run rejects and the others go on', async () => {
    const err = (await rejection(ex.submit(request('exitHard')))) as WorkerThreadError;
    expect(err).toBeInstanceOf(WorkerThreadError);
    expect(err.code).toBe('KAIROS_WORKER_THREAD');
    expect(err.failure).toBe('exit');
    expect(err.exitCode).toBe(7);
    expect(err.message).toMatch(/job "job-\d+" \(task "exitHard"\).*exited with code 7/);
    const after = (await Promise.all([ex.submit(request('add', [1, 1])), ex.submit(request('add', [2, 2]))])) as Added[];
    expect(after.map((r) => r.sum)).toEqual([2, 4]);
    expect(after.map((r) => r.threadId)).not.toContain(err.threadId);
    expect(ex.threads).toBe(2);
  });

  it('replaces a thread killed by an uncaught error outside the task promise', async () => {
    const err = (await rejection(ex.submit(request('throwLater')))) as WorkerThreadError;
    expect(err.failure).toBe('error');
    expect((err.cause as Error).message).toBe('uncaught-in-timer');
    expect(err.message).toContain('uncaught-in-timer');
    expect(((await ex.submit(request('add', [3, 3]))) as Added).sum).toBe(6);
  });

  it('aborts a run across the thread boundary: the task sees the reason; a rejection carries the original reason', async () => {
    const c1 = new AbortController();
    const seen = ex.submit(request('reportAbort', [], { signal: c1.signal }));
    setTimeout(() => c1.abort(new JobTimeoutError('j', 50)), 50);
    expect(await seen).toMatchObject({ name: 'JobTimeoutError', message: expect.stringContaining('timeout of 50 ms'), code: 'KAIROS_JOB_TIMEOUT' });

    const c2 = new AbortController();
    const reason = new Error('stop now');
    const rejected = ex.submit(request('rejectOnAbort', [], { signal: c2.signal }));
    setTimeout(() => c2.abort(reason), 50);
    expect(await rejection(rejected)).toBe(reason);

    const c3 = new AbortController();
    c3.abort();
    const unstarted = (await rejection(ex.submit(request('add', [1, 2], { signal: c3.signal })))) as Error;
    expect(unstarted.name).toBe('AbortError');
  });

  it('terminates and replaces a thread whose run ignores its aborted signal past abortGrace', async () => {
    const c = new AbortController();
    const reason = new Error('timed out');
    const started = Date.now();
    const run = ex.submit(request('busy', [60_000], { signal: c.signal }));
    setTimeout(() => c.abort(reason), 50);
    expect(await rejection(run)).toBe(reason);
    expect(Date.now() - started).toBeLessThan(10_000); // abortGrace is 300 ms; generous for a loaded machine
    const after = (await Promise.all([ex.submit(request('add', [1, 1])), ex.submit(request('add', [1, 2]))])) as Added[];
    expect(after.map((r) => r.sum)).toEqual([2, 3]);
    expect(ex.threads).toBe(2);
  });
});

describe('WorkerThreadsExecutor limits', () => {
  it('replaces a thread that exceeds resourceLimits (ERR_WORKER_OUT_OF_MEMORY)', async () => {
    const ex = new WorkerThreadsExecutor({ size: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    await ex.start();
    try {
      const err = (await rejection(ex.submit(request('hog')))) as WorkerThreadError;
      expect(err).toBeInstanceOf(WorkerThreadError);
      expect(err.failure).toBe('outOfMemory');
      expect((err.cause as KairosError).code).toBe('ERR_WORKER_OUT_OF_MEMORY');
      expect(err.message).toContain('"maxOldGenerationSizeMb":32');
      expect(((await ex.submit(request('add', [5, 5]))) as Added).sum).toBe(10);
    } finally {
      await ex.shutdown({ wait: false });
    }
  });

  it('queues runs first in, first out; an abort drops a waiting run; a full queue refuses with ExecutorQueueFullError', async () => {
    const ex = new WorkerThreadsExecutor({ size: 1, maxQueue: 2 });
    await ex.start();
    try {
      const first = ex.submit(request('sleep', [200]));
      const second = ex.submit(request('add', [1, 1]));
      const dropped = new AbortController();
      const third = rejection(ex.submit(request('add', [2, 2], { signal: dropped.signal })));
      expect(ex.waiting).toBe(2);
      const overflow = request('add', [3, 3]);
      const full = (await rejection(ex.submit(overflow))) as ExecutorQueueFullError;
      expect(full).toBeInstanceOf(ExecutorQueueFullError);
      expect(full.code).toBe('KAIROS_EXECUTOR_QUEUE_FULL');
      expect(full.jobId).toBe(overflow.context.jobId);
      expect(full.message).toMatch(/2 runs already wait \(maxQueue\)/);

      dropped.abort(new Error('dropped while waiting'));
      expect(((await third) as Error).message).toBe('dropped while waiting');
      expect(ex.waiting).toBe(1);
      const fourth = ex.submit(request('add', [4, 4]));
      const [r1, r2, r4] = (await Promise.all([first, second, fourth])) as Added[];
      expect([r2!.sum, r4!.sum]).toEqual([2, 8]);
      expect([r2!.calls, r4!.calls]).toEqual([r1!.calls + 1, r1!.calls + 2]); // in submit order on the one thread
    } finally {
      await ex.shutdown({ wait: false });
    }
  });

  it('validates its options', () => {
    expect(() => new WorkerThreadsExecutor({ size: 0 })).toThrow(/size: expected an integer from 1 up, received 0/);
    expect(() => new WorkerThreadsExecutor({ size: 1.5 })).toThrow(RangeError);
    expect(() => new WorkerThreadsExecutor({ maxQueue: -1 })).toThrow(/maxQueue/);
    expect(() => new WorkerThreadsExecutor({ abortGrace: { minutes: -1 } })).toThrow(/abortGrace/);
    expect(() => new WorkerThreadsExecutor({ execArgv: '--x' as unknown as string[] })).toThrow(/execArgv/);
    expect(new WorkerThreadsExecutor({ maxQueue: Infinity, abortGrace: { seconds: 2 } })).toMatchObject({ maxQueue: Infinity, abortGrace: 2000 });
    expect(new WorkerThreadsExecutor().size).toBeGreaterThanOrEqual(1);
  });
});

describe('WorkerThreadsExecutor lifecycle', () => {
  it('shutdown({ wait: true }) lets runs in flight and waiting finish, then ends every thread; start() works again', async () => {
    const ex = new WorkerThreadsExecutor({ size: 1 });
    await expect(ex.submit(request('add', [1, 1]))).rejects.toBeInstanceOf(SchedulerStateError);
    await ex.start();
    const runs = [ex.submit(request('sleep', [100])), ex.submit(request('add', [1, 2]))];
    await ex.shutdown({ wait: true });
    expect(ex.threads).toBe(0);
    expect(((await runs[1]) as Added).sum).toBe(3);
    await runs[0];
    await expect(ex.submit(request('add', [1, 1]))).rejects.toThrow(/not started/);
    await ex.start();
    expect(((await ex.submit(request('add', [2, 3]))) as Added).sum).toBe(5);
    await ex.shutdown({ wait: true });
    await ex.shutdown({ wait: true }); // idempotent
    expect(ex.threads).toBe(0);
  });

  it('shutdown({ wait: false }) terminates at once: aborted runs reject with their reason, others with WorkerThreadError', async () => {
    const ex = new WorkerThreadsExecutor({ size: 1 });
    await ex.start();
    const c = new AbortController();
    const aborted = rejection(ex.submit(request('busy', [60_000], { signal: c.signal })));
    const waiting = rejection(ex.submit(request('add', [1, 1])));
    await new Promise((r) => setTimeout(r, 50));
    const reason = new Error('scheduler shut down');
    c.abort(reason);
    const started = Date.now();
    await ex.shutdown({ wait: false });
    expect(Date.now() - started).toBeLessThan(3_000); // not abortGrace (5 s)
    expect(ex.threads).toBe(0);
    expect(await aborted).toBe(reason);
    const err = (await waiting) as WorkerThreadError;
    expect(err.failure).toBe('shutdown');
    expect(err.message).toMatch(/never started/);
  });

  it('reports a thread that cannot start from start()', async () => {
    const ex = new WorkerThreadsExecutor({ size: 1, execArgv: ['--import', 'file:///nonexistent/kairos-preload.mjs'] });
    const err = (await rejection(ex.start())) as WorkerThreadError;
    expect(err.failure).toBe('startup');
    expect(err.message).toMatch(/failed to start.*execArgv/);
    expect(ex.threads).toBe(0);
  });

  it('leaves nothing behind: a process that used it exits by itself after shutdown(), and idle threads never hold it', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./fixtures/exit-child.mjs', import.meta.url)),
        new URL('../../src/executors/worker-threads.ts', import.meta.url).href,
        ...(Scheduler ? [SCHEDULER_URL.href] : []),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    expect(out).toContain(`RESULT {"direct":3,"scheduled":${Scheduler ? 42 : null},"idleThreads":2}`);
    expect(code, `the child did not exit by itself:\n${out}`).toBe(0);
  });
});

describe('TypeScript task modules (README "Worker threads")', () => {
  const source = fileURLToPath(new URL('./fixtures/ts-task.ts', import.meta.url));

  it('compiled with tsc: the task points at the emitted .js', async () => {
    const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
    const dir = mkdtempSync(path.join(tmpdir(), 'kairos-ts-task-'));
    try {
      writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }');
      const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
        fileName: 'ts-task.ts',
      });
      writeFileSync(path.join(dir, 'ts-task.js'), outputText);
      const ex = new WorkerThreadsExecutor({ size: 1 });
      await ex.start();
      try {
        const out = await ex.submit(request('sum', [[1, 2, 3]], { task: { module: path.join(dir, 'ts-task.js'), export: 'sum' } }));
        expect(out).toMatchObject({ total: 6 });
      } finally {
        await ex.shutdown({ wait: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('run as .ts with tsx registered in each thread through execArgv; without it, the error says what to do', async () => {
    const ex = new WorkerThreadsExecutor({ size: 1, execArgv: ['--import', TSX_WORKER.href] });
    await ex.start();
    try {
      const out = await ex.submit(request('sum', [[4, 5]], { task: { module: source, export: 'sum' } }));
      expect(out).toMatchObject({ total: 9 });
    } finally {
      await ex.shutdown({ wait: true });
    }
    const bare = new WorkerThreadsExecutor({ size: 1, execArgv: [] });
    await bare.start();
    try {
      const err = (await rejection(bare.submit(request('sum', [[1]], { task: { module: source, export: 'sum' } })))) as Error;
      expect(err.message).toMatch(/TypeScript task module .* no TypeScript loader.*README/);
    } finally {
      await bare.shutdown({ wait: true });
    }
  });
});

describe.skipIf(!Scheduler)('WorkerThreadsExecutor under a Scheduler', () => {
  it('runs a registered { module, export } task; a crash and a full queue are jobError; the scheduler goes on', async () => {
    const workers = new WorkerThreadsExecutor({ size: 1, maxQueue: 0 });
    const scheduler = new Scheduler!({ timezone: 'UTC', executors: { default: workers } });
    for (const name of ['add', 'exitHard', 'sleep']) scheduler.registerTask(name, { module: TASKS, export: name });
    const outcomes = new Map<string, { ok?: unknown; error?: unknown }>();
    scheduler.on('jobExecuted', (e) => outcomes.set(e.jobId, { ok: e.result }));
    scheduler.on('jobError', (e) => outcomes.set(e.jobId, { error: e.error }));
    const settled = async (ids: string[]) => {
      for (let i = 0; i < 1_000 && !ids.every((id) => outcomes.has(id)); i++) await new Promise((r) => setTimeout(r, 10));
      return ids.map((id) => outcomes.get(id)!);
    };
    await scheduler.start();
    try {
      const runDate = new Date(Date.now() + 100);
      await scheduler.addJob('exitHard', 'date', { runDate }, { id: 'crash' });
      const [crash] = await settled(['crash']);
      expect(crash!.error).toBeInstanceOf(WorkerThreadError);

      await scheduler.addJob('sleep', 'date', { runDate: new Date(Date.now() + 50) }, { id: 'slow', args: [1_000] });
      for (let i = 0; i < 1_000 && workers.running === 0; i++) await new Promise((r) => setTimeout(r, 5));
      await scheduler.addJob('add', 'date', { runDate: new Date(Date.now() + 50) }, { id: 'refused', args: [1, 1] });
      const [slow, refused] = await settled(['slow', 'refused']);
      expect(slow!.ok).toMatchObject({ threadId: expect.any(Number) });
      expect(refused!.error).toBeInstanceOf(ExecutorQueueFullError);

      await scheduler.addJob('add', 'date', { runDate: new Date(Date.now() + 50) }, { id: 'after', args: [40, 2] });
      const [after] = await settled(['after']);
      expect(after!.ok).toMatchObject({ sum: 42, isMainThread: false });
      expect(isMainThread).toBe(true);
      expect(scheduler.state).toBe('running');
    } finally {
      await scheduler.shutdown({ wait: false });
    }
  });
});
