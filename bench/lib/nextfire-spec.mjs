// @ts-check
/**
 * Case 4's inputs, shared by the measuring children and the checker in the parent: the
 * expressions with their zones, and the seeded instants they are asked from.
 * @module
 */
import { prng } from './common.mjs';

/** @type {ReadonlyArray<{ expr: string, tz: string }>} */
export const EXPRESSIONS = [
  { expr: '0 3 * * *', tz: 'Europe/Berlin' },
  { expr: '*/15 * * * *', tz: 'Europe/Berlin' },
  { expr: '0 0 1 * *', tz: 'Europe/Berlin' },
  { expr: '0 9 * * 1-5', tz: 'Europe/Berlin' },
  { expr: '0 0 29 2 *', tz: 'Europe/Berlin' },
  { expr: '30 2 * * *', tz: 'America/New_York' },
];

/** Instants are drawn uniformly, to the millisecond, from these ten years (twenty DST changes). */
const FROM = Date.UTC(2020, 0, 1);
const TO = Date.UTC(2030, 0, 1);

/**
 * The instants every implementation is asked from (`seed` 4: measured; 5: JIT warm-up).
 * @param {number} n
 * @param {number} [seed]
 */
export function instants(n, seed = 4) {
  const random = prng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = FROM + Math.floor(random() * (TO - FROM));
  return out;
}
