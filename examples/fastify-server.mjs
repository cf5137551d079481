// A Fastify app that starts a kairos scheduler with the server and stops it gracefully: the
// scheduler is started in an onReady hook and shut down in onClose, which Fastify runs after
// in-flight requests; SIGTERM closes the app. Run: npm run build && node examples/fastify-server.mjs
import Fastify from 'fastify';
import { Scheduler } from 'kairos';

const scheduler = new Scheduler();
const jobMs = Number(process.env.JOB_MS ?? 300);

scheduler.registerTask('sendDigest', async (ctx) => {
  console.log(`job started ${ctx.runId}`);
  await new Promise((resolve) => setTimeout(resolve, jobMs));
  console.log(`job finished ${ctx.runId}`);
});

const app = Fastify();
app.addHook('onReady', async () => {
  await scheduler.addJob('sendDigest', 'interval', { seconds: Number(process.env.EVERY_S ?? 1) }, { id: 'digest', replaceExisting: true });
  await scheduler.start();
});
app.addHook('onClose', async () => {
  await scheduler.shutdown({ wait: true }); // lets the running job finish
  console.log('scheduler stopped');
});
app.get('/jobs', async () => (await scheduler.getJobs()).map((j) => ({ id: j.id, nextRunTime: j.nextRunTime })));

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${new URL(address).port}`);

process.once('SIGTERM', async () => {
  console.log('SIGTERM: shutting down');
  await app.close();
  process.exit(0);
});
