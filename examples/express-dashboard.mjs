// The kairos admin API and dashboard in an Express app, behind a login: open the URL it prints
// (/login?token=…), which sets a session cookie, then the dashboard at /admin/ lists the jobs,
// runs, pauses and resumes them, live. authorize() accepts a request only with that cookie.
// Run: npm run build && node examples/express-dashboard.mjs   (PORT=3000, ADMIN_TOKEN random by default)
import { Buffer } from 'node:buffer';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { Scheduler } from 'kairos';
import { kairosRouter } from 'kairos/express';
import { addDemoJobs } from './tasks/demo-jobs.mjs';

const token = process.env.ADMIN_TOKEN ?? randomBytes(16).toString('hex');
const sessions = new Set();
const sameToken = (given) => typeof given === 'string' && given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token));
const sessionOf = (req) => /(?:^|;\s*)sid=([0-9a-f]{32})/.exec(req.headers.cookie ?? '')?.[1];

const scheduler = new Scheduler();
await addDemoJobs(scheduler);
await scheduler.start();

const app = express();
app.get('/login', (req, res) => {
  if (!sameToken(req.query.token)) return res.status(403).send('wrong token');
  const sid = randomBytes(16).toString('hex');
  sessions.add(sid);
  // HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it.
  res.cookie('sid', sid, { httpOnly: true, sameSite: 'strict', path: '/admin' });
  res.redirect('/admin/');
});
app.use('/admin', kairosRouter(scheduler, { authorize: (req) => sessions.has(sessionOf(req)) }));

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`dashboard: open http://127.0.0.1:${server.address().port}/login?token=${token}`);
});

process.once('SIGTERM', async () => {
  const closed = new Promise((resolve) => server.close(resolve)); // no new connections; idle ones close
  await scheduler.shutdown(); // ends the dashboard's event streams too, so the server can finish closing
  await closed;
  console.log('stopped');
  process.exit(0);
});
