/**
 * HistoryRecorder, the queue between the runs and the stores' run history: batches, one write at
 * a time per store, failures logged and counted, a bounded queue, and a shutdown that a stuck
 * store cannot hold for ever.
 */
import { describe, expect, it } from 'vitest';
import { HISTORY_BATCH, HistoryRecorder, MAX_QUEUED, MEMORY_HISTORY_BATCH } from '../../src/scheduler/history-recorder.js';
import type { RunHistoryRecord } from '../../src/stores/history.js';
import type { JobStore, Logger } from '../../src/stores/job-store.js';

const entry = (i: number): RunHistoryRecord => ({
  runId: `r${i}`, jobId: 'a', scheduledRunTime: i, lastScheduledRunTime: null, missedCount: null, attempt: 1,
  startedAt: i, finishedAt: i, outcome: 'succeeded', error: null,
});

/** A (persistent) store with only recordRuns, whose writes the test settles one by one (or at once with `auto`). */
function fakeStore(auto = true, persistent = true) {
  const writes: RunHistoryRecord[][] = [];
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const store = {
    persistent,
    recordRuns: (entries: RunHistoryRecord[]) => {
      writes.push([...entries]);
      if (auto) return Promise.resolve();
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
  } as unknown as JobStore;
  return { store, writes, pending };
}

function setup() {
  const lines: unknown[][] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (...a) => void lines.push(a), error: (...a) => void lines.push(a) };
  const storeErrors: string[] = [];
  const notRecorded: Array<[string, number]> = [];
  const recorder = new HistoryRecorder({
    logger, onStoreError: (name) => void storeErrors.push(name), onNotRecorded: (name, n) => void notRecorded.push([name, n]),
  });
  recorder.open();
  return { recorder, lines, storeErrors, notRecorded };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('HistoryRecorder', () => {
  it('writes what one turn queued together, in batches of at most HISTORY_BATCH, in order', async () => {
    const { recorder } = setup();
    const { store, writes } = fakeStore();
    for (let i = 0; i < 1200; i++) recorder.record('s', store, entry(i));
    expect(writes).toEqual([]); // nothing written on the run's path
    await recorder.flush();
    expect(writes.map((w) => w.length)).toEqual([HISTORY_BATCH, HISTORY_BATCH, 200]);
    expect(writes.flat().map((e) => e.runId)).toEqual(Array.from({ length: 1200 }, (_, i) => `r${i}`));
  });

  it('a store in memory gets batches of MEMORY_HISTORY_BATCH, with a turn of the event loop between them', async () => {
    const { recorder } = setup();
    const { store, writes } = fakeStore(true, false);
    const n = 2 * MEMORY_HISTORY_BATCH + 20;
    for (let i = 0; i < n; i++) recorder.record('m', store, entry(i));
    // The writes seen at each turn of the loop: one more per turn at most, never two in one.
    const turns: number[] = [];
    const watch = async () => {
      while (writes.length < 3) {
        turns.push(writes.length);
        await turn();
      }
      turns.push(writes.length);
    };
    await Promise.all([recorder.flush(), watch()]);
    expect(turns.slice(1).every((n, i) => n - turns[i]! <= 1)).toBe(true);
    expect(writes.map((w) => w.length)).toEqual([MEMORY_HISTORY_BATCH, MEMORY_HISTORY_BATCH, 20]);
    expect(writes.flat().map((e) => e.runId)).toEqual(Array.from({ length: n }, (_, i) => `r${i}`));
  });

  it('one write at a time per store: what ends meanwhile goes in the next write', async () => {
    const { recorder } = setup();
    const { store, writes, pending } = fakeStore(false);
    recorder.record('s', store, entry(1));
    await turn();
    expect(writes).toHaveLength(1);
    recorder.record('s', store, entry(2));
    recorder.record('s', store, entry(3));
    await turn();
    expect(writes).toHaveLength(1); // still waiting for the first
    pending.shift()!.resolve();
    await turn();
    expect(writes.map((w) => w.map((e) => e.runId))).toEqual([['r1'], ['r2', 'r3']]);
    pending.shift()!.resolve();
    await recorder.flush();
  });

  it('a failed write is logged with its store and runs, and counted; the next writes go on', async () => {
    const { recorder, lines, storeErrors, notRecorded } = setup();
    const { store, writes, pending } = fakeStore(false);
    recorder.record('s', store, entry(1));
    recorder.record('s', store, entry(2));
    await turn();
    pending.shift()!.reject(new Error('disk full'));
    await turn();
    recorder.record('s', store, entry(3));
    await turn();
    pending.shift()!.resolve();
    await recorder.flush();
    expect(writes.map((w) => w.length)).toEqual([2, 1]);
    expect(storeErrors).toEqual(['s']);
    expect(notRecorded).toEqual([['s', 2]]);
    expect(lines).toHaveLength(1);
    expect(lines[0]![1]).toEqual({ jobStore: 's', entries: 2, runIds: ['r1', 'r2'] });
    expect((lines[0]![2] as Error).message).toBe('disk full');
  });

  it('a store that stopped answering: the queue stays bounded (oldest dropped, counted, logged once per batch)', async () => {
    const { recorder, lines, notRecorded } = setup();
    const { store } = fakeStore(false);
    recorder.record('s', store, entry(0));
    await turn(); // that write never ends
    for (let i = 1; i <= MAX_QUEUED + 1; i++) recorder.record('s', store, entry(i));
    expect(notRecorded).toEqual([['s', HISTORY_BATCH + 1]]);
    expect(lines).toHaveLength(1);
    expect(String(lines[0]![0])).toMatch(/not keeping up with run history/);
  });

  it('close() waits for the writes in progress, at most its limit: then the queue is dropped and counted', async () => {
    const { recorder, lines, notRecorded } = setup();
    const { store, pending } = fakeStore(false);
    recorder.record('s', store, entry(0));
    await turn();
    recorder.record('s', store, entry(1));
    recorder.record('s', store, entry(2));
    const t0 = Date.now();
    await recorder.close(100);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(notRecorded).toEqual([['s', 2]]);
    expect(String(lines[0]![0])).toMatch(/did not finish writing run history within 100 ms of shutdown; 2 queued outcome\(s\) dropped/);
    // after close, outcomes are counted, not queued
    recorder.record('s', store, entry(3));
    expect(notRecorded).toEqual([['s', 2], ['s', 1]]);
    pending.shift()!.resolve();
  });

  it('close() resolves at once when nothing is queued; a store without recordRuns is skipped', async () => {
    const { recorder, notRecorded } = setup();
    recorder.record('s', {} as JobStore, entry(1));
    const t0 = Date.now();
    await recorder.close(10_000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(notRecorded).toEqual([]);
  });
});
