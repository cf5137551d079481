import { describe, expect, it } from 'vitest';
import { AsyncExecutor, type ExecutionRequest } from '../../src/index.js';

function request(task: (...a: never[]) => unknown, args: unknown[] = [], controller = new AbortController()): ExecutionRequest {
  return {
    taskId: 't',
    task,
    args,
    context: { jobId: 'j', scheduledRunTime: new Date(0), runId: 'j@0', attempt: 1, signal: controller.signal },
  };
}

describe('AsyncExecutor', () => {
  it('calls task(...args, ctx) and resolves with its (awaited) result', async () => {
    const ex = new AsyncExecutor();
    await ex.start();
    await expect(ex.submit(request(async (a: number, b: number) => a + b, [2, 3]))).resolves.toBe(5);
    await expect(ex.submit(request(() => { throw new Error('boom'); }))).rejects.toThrow('boom');
  });

  it('runs at most `concurrency` at once and starts waiting runs first in, first out', async () => {
    const ex = new AsyncExecutor({ concurrency: 2 });
    const started: number[] = [];
    const release: Array<() => void> = [];
    const runs = [1, 2, 3, 4, 5].map((i) =>
      ex.submit(request(() => new Promise<void>((r) => { started.push(i); release.push(r); }))));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2]);
    expect(ex.running).toBe(2);
    expect(ex.waiting).toBe(3);
    release.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2, 3]);
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(runs);
    expect(started).toEqual([1, 2, 3, 4, 5]);
  });

  it('a run aborted while waiting never starts', async () => {
    const ex = new AsyncExecutor({ concurrency: 1 });
    let release!: () => void;
    const first = ex.submit(request(() => new Promise<void>((r) => (release = r))));
    const controller = new AbortController();
    let ran = false;
    const second = ex.submit(request(() => { ran = true; }, [], controller));
    controller.abort(new Error('stop'));
    release();
    await first;
    await expect(second).rejects.toThrow('stop');
    expect(ran).toBe(false);
  });

  it('shutdown({ wait: true }) waits for runs in flight', async () => {
    const ex = new AsyncExecutor();
    let done = false;
    void ex.submit(request(async () => { await new Promise((r) => setTimeout(r, 30)); done = true; }));
    await ex.shutdown({ wait: true });
    expect(done).toBe(true);
  });

  it('loads { module, export } tasks once and calls them', async () => {
    const ex = new AsyncExecutor();
    const mod = `data:text/javascript,export const twice = (x) => x * 2;`;
    await expect(ex.submit({ ...request(() => 0, [21]), task: { module: mod, export: 'twice' } })).resolves.toBe(42);
    await expect(ex.submit({ ...request(() => 0, [1]), task: { module: mod, export: 'nope' } })).rejects.toThrow(/exports are: twice/);
  });

  it('refuses a bad concurrency', () => {
    expect(() => new AsyncExecutor({ concurrency: 0 })).toThrow(RangeError);
  });
});
