/**
 * fast-check arbitraries of hostile input for kairos' public entry points: anything at all
 * (bigints, null-prototype objects, boxed values, sparse arrays, typed arrays, cycles through
 * getters are out of scope), numbers at the edges, very long strings, `__proto__` and
 * `constructor` keys, zone names that are not zones, crontab text made of real and broken
 * tokens, and options objects whose keys are mostly the right ones with wrong values.
 */
import fc from 'fast-check';

/** Keys that pollute prototypes when copied carelessly. */
export const POISON_KEYS = ['__proto__', 'constructor', 'prototype'];

/** An object with an own `__proto__` key (as JSON.parse makes it), poisoned one level down. */
export const poisoned = (): Record<string, unknown> => JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}');

export const edgeNumbers = fc.constantFrom(
  NaN, Infinity, -Infinity, -0, 0, -1, 0.5, 1e-300, Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2,
  -(2 ** 53), 1e21, 2 ** 31, 2 ** 31 - 1, 8.64e15, 8.64e15 + 1, 1e308, 59, 60, 23, 24, 31, 32, 12, 13, 7, 9999, 10000,
);

const longString = fc.constantFrom('x'.repeat(100_000), '\u0000'.repeat(1000), '\ud800'.repeat(500), 'é'.repeat(70_000), '*/1 '.repeat(10_000));

export const zoneNames = fc.constantFrom(
  'UTC', 'Europe/Berlin', 'America/New_York', 'Pacific/Apia', 'Mars/Olympus', '', ' ', 'utc', 'Etc/GMT+14', 'Etc/GMT-15', '+25:00',
  '../../etc/passwd', 'Europe/Berlin\u0000', 'Local', 'system', 'EST5EDT', 'Z',
);

export const instants = fc.oneof(
  fc.date({ noInvalidDate: false }),
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
  edgeNumbers,
  fc.constantFrom('2026-01-01T00:00:00Z', '2026-13-01', 'tomorrow', '', '0', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00Z', '2026-03-29T02:30:00'),
);

const durationObject = fc.dictionary(
  fc.constantFrom('weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', 'hour', 'ms', '__proto__'),
  fc.oneof(edgeNumbers, fc.integer(), fc.string({ maxLength: 3 })),
  { maxKeys: 3 },
);
export const durations = fc.oneof(fc.integer({ min: -10, max: 10 ** 7 }), edgeNumbers, durationObject, fc.constant(null));

/** Anything, with the hostile kinds turned on. */
export const anything = fc.anything({
  maxDepth: 2,
  maxKeys: 4,
  key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...POISON_KEYS)),
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

/** A hostile value of any kind. */
export const hostile = fc.oneof(
  { arbitrary: anything, weight: 4 },
  { arbitrary: edgeNumbers, weight: 2 },
  { arbitrary: longString, weight: 1 },
  { arbitrary: zoneNames, weight: 1 },
  { arbitrary: instants, weight: 1 },
  { arbitrary: fc.constant(null).map(poisoned), weight: 1 },
  { arbitrary: fc.constantFrom(() => 1, Symbol('s'), Object.create(null), new Proxy({}, {}), [undefined], [1n], { toJSON: () => { throw new Error('toJSON'); } }), weight: 1 },
);

/** An options object: some of `keys` (and a poison key now and then) with plausible or hostile values. */
export function options(keys: readonly string[], plausible: fc.Arbitrary<unknown> = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.boolean(), instants, durations, zoneNames, edgeNumbers)): fc.Arbitrary<Record<string, unknown>> {
  const values = fc.oneof({ arbitrary: plausible, weight: 3 }, { arbitrary: hostile, weight: 1 });
  return fc.tuple(
    fc.dictionary(fc.constantFrom(...keys), values, { maxKeys: Math.min(4, keys.length) }),
    fc.option(fc.constantFrom(...POISON_KEYS, 'bogusKey'), { freq: 4 }),
  ).map(([o, extra]) => {
    if (extra === null) return o;
    // An own enumerable poison key, as JSON.parse of untrusted input would make it.
    return Object.assign(JSON.parse(`{${JSON.stringify(extra)}: {"polluted": "yes"}}`), o);
  });
}

const CRON_TOKENS = [
  '*', '*/0', '*/1', '*/15', '*/999999999', '0', '5', '59', '60', '61', '-1', '0-59', '59-0', '1-', '-', ',', '1,2,,3', 'L', 'last',
  '5L', 'last fri', '1#1', '1#6', '0#1', '2nd mon', 'mon', 'MON-FRI', 'sun-sat', 'jan', 'feb', 'dec', '?', 'W', '15W', 'LW',
  '31', '30', '29', '2', '1970', '9999', '10000', '1969', '1e3', '0x1', ' ', '\t', '\u0000', '٣',
];

/** Crontab text from real and broken tokens, 3 to 8 fields. */
export const crontabText = fc.oneof(
  { arbitrary: fc.array(fc.constantFrom(...CRON_TOKENS), { minLength: 3, maxLength: 8 }).map((t) => t.join(' ')), weight: 4 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 1 },
  { arbitrary: longString, weight: 1 },
);

/** Keyword-form cron fields with token values. */
export const cronFields = options(
  ['year', 'month', 'day', 'week', 'dayOfWeek', 'hour', 'minute', 'second', 'startDate', 'endDate', 'timezone', 'jitter'],
  fc.oneof(fc.constantFrom(...CRON_TOKENS), fc.integer({ min: -2, max: 10_000 }), zoneNames, instants),
);
