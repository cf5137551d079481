// @ts-check
/**
 * Case 4's correctness check, run by the parent after every implementation wrote its answers:
 * compares all implementations instant by instant, and judges each against the reference in
 * cron-oracle.mjs on every instant where two of them disagree plus an even sample of the rest.
 * Disagreements are returned for printing, never hidden.
 * @module
 */
import { readFileSync } from 'node:fs';
import { oracle } from './cron-oracle.mjs';
import { EXPRESSIONS, instants } from './nextfire-spec.mjs';

/**
 * @typedef {object} ExpressionCheck
 * @property {string} key
 * @property {number} checked instants judged against the reference
 * @property {number} disagreeing instants where two implementations answered differently
 * @property {Record<string, number>} wrong per implementation, answers unlike the reference among the checked
 * @property {Record<string, number>} answered per implementation
 * @property {string[]} examples a few disagreements, spelled out
 */

/**
 * @param {number} ms
 * @param {string} tz
 */
function show(ms, tz) {
  if (Number.isNaN(ms)) return 'none';
  const local = new Date(ms).toLocaleString('sv-SE', { timeZone: tz, timeZoneName: 'short' });
  return `${new Date(ms).toISOString()} (${local})`;
}

/**
 * @param {Record<string, { file: string, answered: Record<string, number> }>} results per implementation
 * @param {number} n instants per expression
 * @param {{ sample?: number, maxDisagreements?: number }} [options]
 * @returns {ExpressionCheck[]}
 */
export function checkNextFire(results, n, { sample = 500, maxDisagreements = 300 } = {}) {
  const from = instants(n);
  const names = Object.keys(results);
  const answers = Object.fromEntries(names.map((name) => {
    const buf = readFileSync(/** @type {{ file: string }} */ (results[name]).file);
    return [name, new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8)];
  }));
  return EXPRESSIONS.map(({ expr, tz }, e) => {
    const key = `${expr} ${tz}`;
    const reference = oracle(expr, tz);
    /** @type {Record<string, number>} */
    const answered = Object.fromEntries(names.map((name) => [name, results[name]?.answered[key] ?? 0]));
    /** @param {string} name @param {number} i */
    const answer = (name, i) => (i < (answered[name] ?? 0) ? answers[name]?.[e * n + i] : undefined);
    /** @type {Set<number>} */
    const toCheck = new Set();
    let disagreeing = 0;
    for (let i = 0; i < n; i++) {
      const values = names.map((name) => answer(name, i)).filter((v) => v !== undefined);
      if (values.length < 2) continue;
      if (values.some((v) => !Object.is(v, values[0]))) {
        disagreeing++;
        if (toCheck.size < maxDisagreements) toCheck.add(i);
      }
    }
    const step = Math.max(1, Math.floor(n / sample));
    for (let i = 0; i < n; i += step) toCheck.add(i);
    /** @type {Record<string, number>} */
    const wrong = Object.fromEntries(names.map((name) => [name, 0]));
    /** @type {string[]} */
    const examples = [];
    for (const i of [...toCheck].sort((a, b) => a - b)) {
      const at = /** @type {number} */ (from[i]);
      const expected = reference(at);
      /** @type {string[]} */
      const off = [];
      for (const name of names) {
        const got = answer(name, i);
        if (got === undefined || Object.is(got, expected)) continue;
        wrong[name] = (wrong[name] ?? 0) + 1;
        off.push(`${name} ${show(got, tz)}`);
      }
      if (off.length > 0 && examples.length < 4) {
        examples.push(`after ${show(at, tz)}: reference ${show(expected, tz)}; ${off.join('; ')}`);
      }
    }
    return { key, checked: toCheck.size, disagreeing, wrong, answered, examples };
  });
}
