/**
 * Run history, written once and run against every store by `describeJobStore` (conformance.ts):
 * `recordRuns` and `getRunHistory` as JobStore documents them, with the rules of
 * src/stores/history.ts (order, filters, positions for paging, retention by count and by age in
 * bounded batches, result truncation, storable text).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunHistoryOptions, RunHistoryRecord, StoredRunHistoryRecord } from '../../src/stores/history.js';
import type { JobStore } from '../../src/stores/job-store.js';
import type { StoreHarness } from './conformance.js';
import { jobRecord } from './conformance.js';

/** A harness factory that can give the store run-history options. */
export type HistoryHarnessFactory = (options?: RunHistoryOptions) => Promise<StoreHarness>;

const T0 = Date.parse('2026-01-01T00:00:00Z');
const min = (n: number): number => T0 + n * 60_000;
const HOUR = 3_600_000;

/** One entry: `succeeded` at `finishedAt`, with overrides. */
function entry(jobId: string, finishedAt: number, extra: Partial<RunHistoryRecord> = {}): RunHistoryRecord {
  return {
    runId: `${jobId}@${finishedAt}`, jobId, scheduledRunTime: finishedAt - 1000, lastScheduledRunTime: null, missedCount: null, attempt: 1,
    startedAt: finishedAt - 500, finishedAt, outcome: 'succeeded', error: null, ...extra,
  };
}

const ids = (rows: StoredRunHistoryRecord[]): string[] => rows.map((r) => r.runId);

export function describeRunHistory(name: string, makeHarness: HistoryHarnessFactory): void {
  describe(`${name} (run history conformance)`, () => {
    const open: StoreHarness[] = [];
    /** A fresh store with these history options, opened. */
    const storeWith = async (options?: RunHistoryOptions): Promise<JobStore> => {
      const h = await makeHarness(options);
      open.push(h);
      await h.store.open({ name: 'default', logger: console });
      return h.store;
    };
    afterEach(async () => {
      for (const h of open.splice(0)) {
        await h.store.close();
        await h.cleanup();
      }
    });

    it('keeps every field and reads newest first by finishedAt, ties in the order recorded', async () => {
      const store = await storeWith();
      const failed = entry('a', min(2), {
        runId: 'a@x', outcome: 'failed', attempt: 2, error: { name: 'TypeError', message: 'bad "input" ✓', stack: 'TypeError: bad\n    at task (file.js:1:1)' },
      });
      const missed = entry('b', min(1), { outcome: 'missed', startedAt: null, lastScheduledRunTime: min(1) - 1000 + 180_000, missedCount: 4 });
      await store.recordRuns!([entry('a', min(1), { result: { n: [1, 'two'], ok: true } }), failed, missed]);
      await store.recordRuns!([entry('c', min(2), { runId: 'c@tie', result: null }), entry('c', min(0))]);
      const all = await store.getRunHistory!({ limit: 100 });
      // min(2) twice: the later write has the larger seq; min(1) twice: recording order within a write
      expect(ids(all)).toEqual(['c@tie', 'a@x', `b@${min(1)}`, `a@${min(1)}`, `c@${min(0)}`]);
      const seqs = all.map((r) => r.seq);
      expect(new Set(seqs).size).toBe(5);
      const byRun = Object.fromEntries(all.map(({ seq: _seq, ...r }) => [r.runId, r]));
      expect(byRun['a@x']).toEqual({ ...failed, result: null, resultTruncated: false });
      expect(byRun[`b@${min(1)}`]).toEqual({ ...missed, result: null, resultTruncated: false });
      expect(byRun[`a@${min(1)}`]!.result).toBe('{"n":[1,"two"],"ok":true}');
      expect(byRun['c@tie']!.result).toBe('null'); // null is a JSON result; undefined is none
      expect(byRun[`c@${min(0)}`]!.result).toBeNull();
    });

    it('filters by job, outcome, both, and since; `before` is a position (finishedAt, seq) for paging', async () => {
      const store = await storeWith();
      const outcomes = ['succeeded', 'failed', 'timedOut', 'succeeded', 'failed'] as const;
      for (let i = 0; i < 20; i++) {
        await store.recordRuns!([entry(i % 2 ? 'a' : 'b', min(i), { outcome: outcomes[i % 5]! }), entry('c', min(i))]);
      }
      expect(ids(await store.getRunHistory!({ jobId: 'a', limit: 3 }))).toEqual([`a@${min(19)}`, `a@${min(17)}`, `a@${min(15)}`]);
      expect((await store.getRunHistory!({ outcome: 'failed', limit: 100 })).map((r) => [r.jobId, r.finishedAt])).toEqual(
        [19, 16, 14, 11, 9, 6, 4, 1].map((i) => [i % 2 ? 'a' : 'b', min(i)]),
      );
      expect(ids(await store.getRunHistory!({ jobId: 'b', outcome: 'timedOut', limit: 100 }))).toEqual([`b@${min(12)}`, `b@${min(2)}`]);
      expect(ids(await store.getRunHistory!({ jobId: 'c', since: min(17), limit: 100 }))).toEqual([19, 18, 17].map((i) => `c@${min(i)}`));
      expect(await store.getRunHistory!({ jobId: 'nobody', limit: 10 })).toEqual([]);

      // Paging by position: every page starts strictly after the previous page's last entry.
      const all = await store.getRunHistory!({ limit: 1000 });
      expect(all).toHaveLength(40);
      for (const limit of [1, 3, 7]) {
        const pages: StoredRunHistoryRecord[] = [];
        for (;;) {
          const last = pages.at(-1);
          const page = await store.getRunHistory!({ limit, ...(last ? { before: { finishedAt: last.finishedAt, seq: last.seq } } : {}) });
          pages.push(...page);
          if (page.length < limit) break;
        }
        expect(pages.map((r) => r.seq)).toEqual(all.map((r) => r.seq));
      }
      // `before` at an instant with seq 0: strictly before that instant
      expect(ids(await store.getRunHistory!({ jobId: 'c', before: { finishedAt: min(2), seq: 0 }, limit: 10 }))).toEqual([`c@${min(1)}`, `c@${min(0)}`]);
    });

    it('keepRuns: each write keeps only the newest keepRuns entries of the jobs it wrote', async () => {
      const store = await storeWith({ keepRuns: 3 });
      for (let i = 0; i < 5; i++) await store.recordRuns!([entry('a', min(i)), entry('b', min(i))]);
      await store.recordRuns!([entry('a', min(10)), entry('a', min(11)), entry('a', min(12)), entry('a', min(13))]);
      expect(ids(await store.getRunHistory!({ jobId: 'a', limit: 100 }))).toEqual([13, 12, 11].map((i) => `a@${min(i)}`));
      expect(ids(await store.getRunHistory!({ jobId: 'b', limit: 100 }))).toEqual([4, 3, 2].map((i) => `b@${min(i)}`));
      // an entry older than the kept ones (a clock set back) is the one dropped
      await store.recordRuns!([entry('b', min(-5))]);
      expect(ids(await store.getRunHistory!({ jobId: 'b', limit: 100 }))).toEqual([4, 3, 2].map((i) => `b@${min(i)}`));
    });

    it('keepRuns: 0 keeps no history', async () => {
      const store = await storeWith({ keepRuns: 0 });
      await store.recordRuns!([entry('a', min(1))]);
      expect(await store.getRunHistory!({ limit: 10 })).toEqual([]);
    });

    it("keepRunsFor: a write drops what finished that long before its newest entry, a removed job's history too", async () => {
      const store = await storeWith({ keepRunsFor: { hours: 1 } });
      await store.addJob(jobRecord('gone'), { replaceExisting: false });
      await store.recordRuns!([entry('gone', min(0)), entry('gone', min(30))]);
      await store.removeJob('gone');
      // A removed job's history stays…
      expect(ids(await store.getRunHistory!({ jobId: 'gone', limit: 10 }))).toEqual([`gone@${min(30)}`, `gone@${min(0)}`]);
      await store.recordRuns!([entry('a', min(60))]); // exactly keepRunsFor after min(0): kept
      expect(await store.getRunHistory!({ limit: 10 })).toHaveLength(3);
      await store.recordRuns!([entry('a', min(61))]);
      expect(ids(await store.getRunHistory!({ limit: 10 }))).toEqual([`a@${min(61)}`, `a@${min(60)}`, `gone@${min(30)}`]);
      // …until retention by age drops it.
      await store.recordRuns!([entry('a', min(95))]);
      expect(ids(await store.getRunHistory!({ limit: 10 }))).toEqual([`a@${min(95)}`, `a@${min(61)}`, `a@${min(60)}`]);
    });

    it('retention deletes in bounded batches: a backlog goes over several writes, never one huge delete', async () => {
      const store = await storeWith({ keepRuns: 10_000, keepRunsFor: HOUR });
      const old = Array.from({ length: 1300 }, (_, i) => entry(`j${i % 13}`, min(0), { runId: `old-${i}` }));
      await store.recordRuns!(old);
      // One write far later: everything above is too old, but a write of 1 entry deletes at most 500 rows.
      await store.recordRuns!([entry('new', min(600))]);
      expect(await store.getRunHistory!({ since: min(0), before: { finishedAt: min(1), seq: 0 }, limit: 1000 })).toHaveLength(800);
      await store.recordRuns!([entry('new', min(601))]);
      expect(await store.getRunHistory!({ before: { finishedAt: min(1), seq: 0 }, limit: 1000 })).toHaveLength(300);
      await store.recordRuns!([entry('new', min(602))]);
      expect(ids(await store.getRunHistory!({ limit: 1000 }))).toEqual([602, 601, 600].map((i) => `new@${min(i)}`));
    });

    it('cuts a result past maxResultBytes (never inside a character) and keeps none that JSON cannot hold', async () => {
      const store = await storeWith({ maxResultBytes: 10 });
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      await store.recordRuns!([
        entry('a', min(1), { runId: 'short', result: 'abcdefgh' }), // "abcdefgh" is 10 bytes: kept whole
        entry('a', min(2), { runId: 'ascii', result: 'abcdefghi' }),
        entry('a', min(3), { runId: 'euro', result: 'ab€€€' }), // "ab€€ is 9 bytes; the next € would make 12
        entry('a', min(4), { runId: 'bigint', result: 10n }),
        entry('a', min(5), { runId: 'function', result: () => 1 }),
        entry('a', min(6), { runId: 'cycle', result: cycle }),
      ]);
      const byRun = Object.fromEntries((await store.getRunHistory!({ limit: 10 })).map((r) => [r.runId, [r.result, r.resultTruncated]]));
      expect(byRun).toEqual({
        short: ['"abcdefgh"', false],
        ascii: ['"abcdefghi', true],
        euro: ['"ab€€', true],
        bigint: [null, false],
        function: [null, false],
        cycle: [null, false],
      });
      const none = await storeWith({ maxResultBytes: 0 });
      await none.recordRuns!([entry('a', min(1), { result: 1 })]);
      expect((await none.getRunHistory!({ limit: 1 }))[0]!.result).toBeNull();
    });

    it('stores any text: NUL characters and lone surrogates become U+FFFD instead of failing the write', async () => {
      const store = await storeWith();
      await store.recordRuns!([
        entry('a\u0000b', min(1), { outcome: 'failed', error: { name: 'E\u0000', message: 'bad \ud800 text\u0000', stack: null }, result: 'x\u0000' }),
      ]);
      const [row] = await store.getRunHistory!({ limit: 1 });
      expect(row).toMatchObject({ jobId: 'a\ufffdb', error: { name: 'E\ufffd', message: 'bad \ufffd text\ufffd', stack: null }, result: '"x\\u0000"' });
    });

    it('an empty write is a no-op; entries survive a reopen (persistent stores)', async () => {
      const h = await makeHarness();
      open.push(h);
      await h.store.open({ name: 'default', logger: console });
      await h.store.recordRuns!([]);
      expect(await h.store.getRunHistory!({ limit: 10 })).toEqual([]);
      await h.store.recordRuns!([entry('a', min(1), { result: [1] })]);
      if (!h.reopen) return;
      const again = await h.reopen();
      h.store = again;
      await again.open({ name: 'default', logger: console });
      expect((await again.getRunHistory!({ limit: 10 })).map((r) => [r.runId, r.result])).toEqual([[`a@${min(1)}`, '[1]']]);
    });
  });
}
