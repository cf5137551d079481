// @ts-check
/**
 * Summarises a `node --cpu-prof` profile: self time and inclusive time per function (with file
 * and line), heaviest first. Used to explain a missed target precisely.
 *   node bench/tools/cpuprofile-summary.mjs FILE.cpuprofile [top=25] [filter]
 * @module
 */
import { readFileSync } from 'node:fs';

/**
 * @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[], hitCount?: number }} ProfileNode
 */
const [file, topArg = '25', filter = ''] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: node bench/tools/cpuprofile-summary.mjs FILE.cpuprofile [top] [filter]');
/** @type {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} */
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
/** @type {Map<number, number>} */
const selfUs = new Map();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
/** @param {ProfileNode} n */
const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|dist|bench)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
/** @type {Map<string, number>} */
const self = new Map();
/** @type {Map<string, number>} */
const inclusive = new Map();
/**
 * @param {number} id
 * @param {Set<string>} onStack
 * @returns {number}
 */
function walk(id, onStack) {
  const n = /** @type {ProfileNode} */ (byId.get(id));
  const key = label(n);
  const own = selfUs.get(id) ?? 0;
  self.set(key, (self.get(key) ?? 0) + own);
  const first = !onStack.has(key);
  if (first) onStack.add(key);
  let sum = own;
  for (const c of n.children ?? []) sum += walk(c, onStack);
  if (first) {
    onStack.delete(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
  }
  return sum;
}
walk(/** @type {ProfileNode} */ (profile.nodes[0]).id, new Set());
const top = Number(topArg);
/** @param {Map<string, number>} m */
const show = (m) => [...m].filter(([k]) => k.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top)
  .map(([k, us]) => `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log(`total ${(total / 1000).toFixed(0)} ms\n-- self time\n${show(self)}\n-- inclusive time\n${show(inclusive)}`);
