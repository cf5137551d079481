// A few jobs for the dashboard examples (and the README's screenshot): a quick heartbeat with
// varying durations, an export that fails now and then, a nightly report, and a paused cleanup.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function addDemoJobs(scheduler, { every = 2 } = {}) {
  let exports = 0;
  scheduler.registerTask('heartbeat', async () => {
    await sleep(20 + Math.round(Math.random() * 100));
    return { ok: true };
  });
  scheduler.registerTask('exportOrders', async () => {
    await sleep(60 + Math.round(Math.random() * 60));
    exports += 1;
    if (exports % 3 === 0) throw new Error('S3 unavailable: 503 Slow Down (bucket orders-archive)');
    return { rows: 700 + exports };
  });
  scheduler.registerTask('report', async () => 'sent');
  await scheduler.addJob('heartbeat', 'interval', { seconds: every }, { id: 'heartbeat', name: 'Heartbeat', replaceExisting: true });
  await scheduler.addJob('exportOrders', 'interval', { seconds: every * 2 }, { id: 'export-orders', name: 'Export orders to S3', replaceExisting: true });
  await scheduler.addJob('report', 'cron', { hour: 3, timezone: 'Europe/Berlin' }, { id: 'nightly-report', name: 'Nightly report', replaceExisting: true });
  await scheduler.addJob('report', 'cron', '0 4 * * sun', { id: 'weekly-cleanup', name: 'Weekly cleanup', nextRunTime: null, replaceExisting: true });
}
