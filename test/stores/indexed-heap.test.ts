import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexedHeap } from '../../src/stores/indexed-heap.js';

describe('IndexedHeap', () => {
  it('behaves like a sorted map under random set, delete and pop', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 30 }), p: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('pop' as const), max: fc.integer({ min: 0, max: 50 }), limit: fc.integer({ min: 0, max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const heap = new IndexedHeap();
        // key -> [priority, insertion order]; a set on a present key keeps its insertion order
        const model = new Map<string, [number, number]>();
        let seq = 0;
        const order = () => [...model].sort((a, b) => a[1][0] - b[1][0] || a[1][1] - b[1][1]);
        for (const o of ops) {
          if (o.kind === 'set') {
            heap.set(`k${o.key}`, o.p);
            const had = model.get(`k${o.key}`);
            model.set(`k${o.key}`, [o.p, had ? had[1] : seq++]);
          } else if (o.kind === 'delete') {
            expect(heap.delete(`k${o.key}`)).toBe(model.delete(`k${o.key}`));
          } else {
            const expected = order().filter(([, [p]]) => p <= o.max).slice(0, o.limit).map(([k]) => k);
            expect(heap.popUpTo(o.max, o.limit)).toEqual(expected);
            for (const k of expected) model.delete(k);
          }
          expect(heap.size).toBe(model.size);
          expect(heap.peekKey()).toBe(order()[0]?.[0]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
