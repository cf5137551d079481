/** Pacer and Slicer: due work in slices, so that the event loop gets a turn about every SLICE_MS. */
import { describe, expect, it } from 'vitest';
import { Pacer, SLICE_MS, Slicer } from '../../src/scheduler/pacer.js';

const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

/** Counts turns of the event loop (a setImmediate chain) until stopped. */
function turnCounter() {
  let turns = 0;
  let on = true;
  const tick = (): void => {
    turns++;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return { get turns() { return turns; }, stop: () => void (on = false) };
}

describe('Pacer', () => {
  it('starts the first slice inside add(), and a handful of items in one pass', () => {
    const seen: number[] = [];
    const pacer = new Pacer<number>((n) => void seen.push(n));
    pacer.add([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
    expect(pacer.pending).toBe(0);
  });

  it('deferred: items added one by one from many continuations of one turn are still done in slices', async () => {
    const turnOf: number[] = [];
    const counter = turnCounter();
    const pacer = new Pacer<number>(() => {
      busy(0.05);
      turnOf.push(counter.turns);
    }, { deferred: true });
    // 200 runs ending in one turn each add their own ending (~10 ms of work in all)
    await Promise.all(Array.from({ length: 200 }, async (_, i) => {
      await null;
      pacer.add([i]);
    }));
    expect(turnOf).toEqual([]); // nothing in the adding turn
    await pacer.idle();
    counter.stop();
    expect(turnOf).toHaveLength(200);
    // slices of about SLICE_MS each, a turn between: not one 10 ms block
    expect(new Set(turnOf).size).toBeGreaterThanOrEqual(5);
  });

  it('starts everything in order, in slices with turns of the event loop between them', async () => {
    const seen: number[] = [];
    const pacer = new Pacer<number>((n) => {
      busy(0.05);
      seen.push(n);
    });
    const counter = turnCounter();
    pacer.add(Array.from({ length: 200 }, (_, i) => i)); // ~10 ms of work
    expect(seen.length).toBeLessThan(200);
    pacer.add([200, 201]);
    await pacer.idle();
    counter.stop();
    expect(seen).toEqual(Array.from({ length: 202 }, (_, i) => i));
    // 10 ms of work in slices of SLICE_MS at most (a loaded machine stretches them, never merges them)
    expect(counter.turns).toBeGreaterThanOrEqual(Math.floor(10 / (4 * SLICE_MS)));
  });

  it('an item that throws does not stop the queue', async () => {
    const seen: number[] = [];
    const pacer = new Pacer<number>((n) => {
      if (n === 1) throw new Error('boom');
      seen.push(n);
    });
    pacer.add([0, 1, 2]);
    await pacer.idle();
    expect(seen).toEqual([0, 2]);
  });

  it('takeWhere takes out queued items not started yet', async () => {
    const seen: number[] = [];
    const pacer = new Pacer<number>((n) => {
      busy(0.1);
      seen.push(n);
    });
    pacer.add(Array.from({ length: 100 }, (_, i) => i));
    const taken = pacer.takeWhere((n) => n % 2 === 1);
    await pacer.idle();
    expect(taken.length).toBeGreaterThan(0);
    expect([...seen, ...taken].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(taken.every((n) => n % 2 === 1 && !seen.includes(n))).toBe(true);
  });
});

describe('Slicer', () => {
  it('is due after SLICE_MS, and a yield lets the event loop turn', async () => {
    const slicer = new Slicer();
    busy(SLICE_MS + 0.1);
    expect(slicer.due()).toBe(true);
    const counter = turnCounter();
    await slicer.yield();
    counter.stop();
    expect(counter.turns).toBeGreaterThanOrEqual(1);
    expect(slicer.due()).toBe(false);
  });
});
