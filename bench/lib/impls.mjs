// @ts-check
/**
 * One adapter per scheduler, so that cases 1-3 run the same code against each: kairos (memory
 * store, started scheduler, system clock, default executor) and the peers as their README shows
 * them. A peer without a one-off date job says so (`date: false`) and is left out of that case.
 * Each adapter is loaded lazily, so a child process imports only the library it measures.
 * @module
 */

/**
 * @typedef {() => void} Task
 * @typedef {object} Impl
 * @property {string} name
 * @property {boolean} date true when the library has one-off jobs at an instant
 * @property {(expr: string, fn: Task) => unknown} addCron  `S M H D M W` (6 fields, seconds first); may return a promise
 * @property {(at: Date, fn: Task) => unknown} addDate
 * @property {() => Promise<void>} shutdown
 */

/** Names, in the order the table shows them. */
export const IMPLS = ['kairos', 'croner', 'node-cron', 'node-schedule', 'toad-scheduler', 'cron'];
export const PEERS = IMPLS.slice(1);

/** @type {Record<string, () => Promise<Impl>>} */
const FACTORIES = {
  async kairos() {
    const { Scheduler } = await import('kairos');
    const scheduler = new Scheduler();
    await scheduler.start();
    return {
      name: 'kairos',
      date: true,
      addCron: (expr, fn) => scheduler.addJob(fn, 'cron', expr),
      addDate: (at, fn) => scheduler.addJob(fn, 'date', { runDate: at }),
      shutdown: () => scheduler.shutdown({ wait: false }),
    };
  },
  async croner() {
    const { Cron } = await import('croner');
    /** @type {import('croner').Cron[]} */
    const jobs = [];
    return {
      name: 'croner',
      date: true,
      addCron: (expr, fn) => jobs.push(new Cron(expr, fn)),
      addDate: (at, fn) => jobs.push(new Cron(at, fn)),
      shutdown: async () => jobs.forEach((j) => j.stop()),
    };
  },
  async 'node-cron'() {
    const cron = (await import('node-cron')).default;
    /** @type {import('node-cron').ScheduledTask[]} */
    const jobs = [];
    return {
      name: 'node-cron',
      date: false,
      addCron: (expr, fn) => jobs.push(cron.schedule(expr, fn)),
      addDate: () => {
        throw new Error('node-cron has no one-off date jobs');
      },
      shutdown: async () => {
        for (const j of jobs) await j.destroy();
      },
    };
  },
  async 'node-schedule'() {
    /** @type {any} node-schedule ships no types */
    const schedule = (await import('node-schedule')).default;
    return {
      name: 'node-schedule',
      date: true,
      addCron: (expr, fn) => schedule.scheduleJob(expr, fn),
      addDate: (at, fn) => schedule.scheduleJob(at, fn),
      shutdown: () => schedule.gracefulShutdown(),
    };
  },
  async 'toad-scheduler'() {
    const { ToadScheduler, CronJob, Task } = await import('toad-scheduler');
    const scheduler = new ToadScheduler();
    let n = 0;
    return {
      name: 'toad-scheduler',
      date: false,
      addCron: (expr, fn) => scheduler.addCronJob(new CronJob({ cronExpression: expr }, new Task(`t${++n}`, fn))),
      addDate: () => {
        throw new Error('toad-scheduler has no one-off date jobs');
      },
      shutdown: async () => scheduler.stop(),
    };
  },
  async cron() {
    const { CronJob } = await import('cron');
    /** @type {import('cron').CronJob[]} */
    const jobs = [];
    return {
      name: 'cron',
      date: true,
      addCron: (expr, fn) => jobs.push(CronJob.from({ cronTime: expr, onTick: fn, start: true })),
      addDate: (at, fn) => jobs.push(CronJob.from({ cronTime: at, onTick: fn, start: true })),
      shutdown: async () => {
        for (const j of jobs) await j.stop();
      },
    };
  },
};

/**
 * A started scheduler of that library.
 * @param {string} name one of {@link IMPLS}
 * @returns {Promise<Impl>}
 */
export async function load(name) {
  const factory = FACTORIES[name];
  if (factory === undefined) throw new Error(`unknown implementation ${name}; one of ${IMPLS.join(', ')}`);
  return factory();
}

/** Implementations that have one-off date jobs (without loading them). */
export const WITH_DATE = ['kairos', 'croner', 'node-schedule', 'cron'];
