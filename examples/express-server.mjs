// An Express app that starts a kairos scheduler with the server and stops both gracefully on
// SIGTERM: the HTTP server stops accepting connections, running jobs finish, then the process
// exits 0. Run: npm run build && node examples/express-server.mjs   (PORT=3000 by default)
import express from 'express';
import { Scheduler } from 'kairos';

const scheduler = new Scheduler();
const jobMs = Number(process.env.JOB_MS ?? 300);

scheduler.registerTask('refreshCache', async (ctx) => {
  console.log(`job started ${ctx.runId}`);
  await new Promise((resolve) => setTimeout(resolve, jobMs));
  console.log(`job finished ${ctx.runId}`);
});
await scheduler.addJob('refreshCache', 'interval', { seconds: Number(process.env.EVERY_S ?? 1) }, { id: 'refresh-cache' });

const app = express();
app.get('/jobs', async (_req, res) => {
  const jobs = await scheduler.getJobs();
  res.json(jobs.map((j) => ({ id: j.id, nextRunTime: j.nextRunTime })));
});

await scheduler.start();
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on ${server.address().port}`);
});

process.once('SIGTERM', async () => {
  console.log('SIGTERM: shutting down');
  server.close();
  await scheduler.shutdown({ wait: true }); // lets the running job finish
  console.log('scheduler stopped');
  process.exit(0);
});
