// The kairos admin API and dashboard in a Fastify app, behind a login: open the URL it prints
// (/login?token=…), which sets a session cookie, then the dashboard at /admin/ lists the jobs,
// runs, pauses and resumes them, live. authorize() accepts a request only with that cookie.
// Run: npm run build && node examples/fastify-dashboard.mjs   (PORT=3000, ADMIN_TOKEN random by default)
import { Buffer } from 'node:buffer';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import { Scheduler } from 'kairos';
import { kairosFastify } from 'kairos/fastify';
import { addDemoJobs } from './tasks/demo-jobs.mjs';

const token = process.env.ADMIN_TOKEN ?? randomBytes(16).toString('hex');
const sessions = new Set();
const sameToken = (given) => typeof given === 'string' && given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token));
const sessionOf = (request) => /(?:^|;\s*)sid=([0-9a-f]{32})/.exec(request.headers.cookie ?? '')?.[1];

const scheduler = new Scheduler();
const app = Fastify();
app.addHook('onReady', async () => {
  await addDemoJobs(scheduler);
  await scheduler.start();
});
app.addHook('onClose', async () => scheduler.shutdown());

app.get('/login', async (request, reply) => {
  if (!sameToken(request.query.token)) return reply.code(403).send('wrong token');
  const sid = randomBytes(16).toString('hex');
  sessions.add(sid);
  // HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it.
  return reply.header('set-cookie', `sid=${sid}; Path=/admin; HttpOnly; SameSite=Strict`).redirect('/admin/');
});
await app.register(kairosFastify, { prefix: '/admin', scheduler, authorize: (request) => sessions.has(sessionOf(request)) });

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`dashboard: open ${address}/login?token=${token}`);

process.once('SIGTERM', async () => {
  await app.close(); // ends the dashboard's event streams, then stops the scheduler (onClose)
  console.log('stopped');
  process.exit(0);
});
