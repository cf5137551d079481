// @ts-check
/**
 * Case 4: µs per next-fire-time computation from N different instants, for each expression of
 * nextfire-spec.mjs, by one implementation. Every implementation answers "the first fire time
 * strictly after this instant": kairos `getNextFireTime(instant, instant)`, croner
 * `nextRun(instant)`, cron-parser `reset(instant)` + `next()` (parsed once), cron
 * `CronTime.getNextDateFrom(instant)`. The answers go to `out` (Float64, NaN for none) for the
 * parent to compare; timing follows a warm-up on other instants. A slow implementation stops
 * after `budgetMs` per expression and is timed on the instants it answered (`answered`); the
 * rest of its answers are NaN and not compared.
 * Params: { impl, n, out, budgetMs? }.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { emit, params } from '../lib/common.mjs';
import { EXPRESSIONS, instants } from '../lib/nextfire-spec.mjs';

const { impl, n, out, budgetMs } = params();

/**
 * A function from an instant (ms) to the next fire time (ms, NaN for none), for one expression.
 * @param {string} expr
 * @param {string} tz
 * @returns {Promise<(ms: number) => number>}
 */
async function compile(expr, tz) {
  switch (impl) {
    case 'kairos': {
      const { CronTrigger } = await import('kairos');
      const trigger = CronTrigger.fromCrontab(expr, { timezone: tz });
      return (ms) => {
        const d = new Date(ms);
        return trigger.getNextFireTime(d, d)?.getTime() ?? NaN;
      };
    }
    case 'croner': {
      const { Cron } = await import('croner');
      const job = new Cron(expr, { timezone: tz, paused: true });
      return (ms) => job.nextRun(new Date(ms))?.getTime() ?? NaN;
    }
    case 'cron-parser': {
      const { CronExpressionParser } = await import('cron-parser');
      const parsed = CronExpressionParser.parse(expr, { tz, currentDate: new Date(0) });
      return (ms) => {
        parsed.reset(new Date(ms));
        return parsed.next().getTime();
      };
    }
    case 'cron': {
      const { CronTime } = await import('cron');
      const time = new CronTime(expr, tz);
      return (ms) => time.getNextDateFrom(new Date(ms), tz).toMillis();
    }
    default:
      throw new Error(`no next-fire-time adapter for ${impl}`);
  }
}

/** Per expression, the measured loop stops after this long (slow peers answer fewer instants). */
const BUDGET_MS = budgetMs ?? 5000;
const measured = instants(n);
const warm = instants(Math.min(n, 5000), 5);
const answers = new Float64Array(n * EXPRESSIONS.length);
/** @type {Record<string, number | null>} */
const usPerCall = {};
/** @type {Record<string, number>} */
const answered = {};
/** @type {Record<string, string>} */
const errors = {};
for (const [e, { expr, tz }] of EXPRESSIONS.entries()) {
  const key = `${expr} ${tz}`;
  try {
    const next = await compile(expr, tz);
    const w0 = performance.now();
    for (let i = 0; i < warm.length && (i % 64 !== 0 || performance.now() - w0 < BUDGET_MS / 5); i++) next(/** @type {number} */ (warm[i]));
    answers.fill(NaN, e * n, (e + 1) * n);
    const t0 = performance.now();
    let i = 0;
    for (; i < n; i++) {
      if (i % 64 === 0 && performance.now() - t0 > BUDGET_MS) break;
      answers[e * n + i] = next(/** @type {number} */ (measured[i]));
    }
    usPerCall[key] = ((performance.now() - t0) * 1000) / i;
    answered[key] = i;
  } catch (err) {
    usPerCall[key] = null;
    errors[key] = String(err instanceof Error ? err.message : err).slice(0, 200);
    answers.fill(NaN, e * n, (e + 1) * n);
  }
}
writeFileSync(out, answers);
emit({ usPerCall, answered, errors });
