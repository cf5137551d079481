// The kairos dashboard: a plain ES module, served as is by the admin mount. Everything that
// comes from the server (job names, triggers, error messages and stacks) reaches the page as
// text nodes (append / textContent), never as HTML, so a job named <img src=x onerror=…> shows
// those characters. The page's Content-Security-Policy allows this origin's scripts only.

const api = (path) => new URL(`api/${path}`, document.baseURI);
const $ = (id) => document.getElementById(id);

const state = {
  status: null,
  jobs: [],
  total: 0,
  /** The job whose runs are shown, or null. */
  selected: null,
  runs: [],
  nextCursor: null,
  pollTimer: null,
  /** Errors of runs the reader opened (runId + attempt). */
  openErrors: new Set(),
};

/** An element with attributes (`class`, `on<event>` listeners, others as attributes) and children (text or nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

function say(text, kind = 'info') {
  const box = $('message');
  box.textContent = text;
  box.className = kind;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => {
    box.textContent = '';
    box.className = '';
  }, 6000);
}

async function request(path, init) {
  const res = await fetch(api(path), { credentials: 'same-origin', ...init });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const error = body && body.error;
    throw new Error(error ? `${error.name} (${error.code}): ${error.message}` : `HTTP ${res.status}`);
  }
  return body;
}

const post = (path) => request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `2026-12-02 03:00:00` in `zone` (the job's), as the job list shows its next run. */
function when(iso, zone) {
  if (!iso) return '—';
  try {
    // Swedish writes dates the ISO way: 2026-12-02 03:00:00
    return new Date(iso).toLocaleString('sv-SE', { timeZone: zone, hour12: false });
  } catch {
    return iso;
  }
}

function outcomeBadge(outcome) {
  if (!outcome) return el('span', { class: 'muted' }, 'none yet');
  return el('span', { class: `badge outcome-${outcome}` }, outcome);
}

/** A sparkline of recent run durations (oldest left), failed tries marked. */
function sparkline(recent) {
  const width = 120;
  const height = 24;
  const box = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'sparkline', role: 'img' });
  if (recent.length === 0) return box;
  const max = Math.max(1, ...recent.map((r) => r.durationMs));
  const step = recent.length > 1 ? (width - 6) / (recent.length - 1) : 0;
  const points = recent.map((r, i) => [3 + i * step, height - 3 - (r.durationMs / max) * (height - 6)]);
  box.append(svg('polyline', { points: points.map((p) => p.join(',')).join(' '), class: 'spark-line' }));
  recent.forEach((r, i) => {
    if (r.outcome !== 'succeeded') box.append(svg('circle', { cx: points[i][0], cy: points[i][1], r: 2.5, class: `spark-bad outcome-${r.outcome}` }));
  });
  const title = svg('title', {});
  title.textContent = recent.map((r) => `${duration(r.durationMs)} ${r.outcome}`).join(', ');
  box.append(title);
  return box;
}

function actionButtons(job) {
  if (!state.status || state.status.readOnly) return el('td', { class: 'actions' });
  const act = (verb, label) =>
    el('button', { type: 'button', class: `act-${verb}`, 'data-action': verb, onclick: (e) => (e.stopPropagation(), act.run(verb, job)) }, label);
  act.run = async (verb, target) => {
    try {
      if (verb === 'run') {
        await post(`jobs/${encodeURIComponent(target.id)}/run`);
        say(`Asked for a run of ${target.name} now.`);
      } else {
        await post(`jobs/${encodeURIComponent(target.id)}/${verb}`);
        say(`${verb === 'pause' ? 'Paused' : 'Resumed'} ${target.name}.`);
      }
      scheduleRefresh();
    } catch (err) {
      say(err.message, 'error');
    }
  };
  return el('td', { class: 'actions' }, act('run', 'Run now'), job.paused ? act('resume', 'Resume') : act('pause', 'Pause'));
}

function jobRow(job) {
  const next = job.nextRunTime;
  const row = el(
    'tr',
    { class: `job${state.selected === job.id ? ' selected' : ''}${job.paused ? ' paused' : ''}`, 'data-job-id': job.id, onclick: () => select(job.id) },
    el('td', {}, el('span', { class: 'job-name' }, job.name), el('br'), el('span', { class: 'job-id muted mono' }, job.id)),
    el('td', { class: 'trigger' }, job.trigger.text),
    el('td', { class: 'next-run' }, next ? el('span', { title: `${next.utc} (UTC)` }, next.text) : el('span', { class: 'muted' }, '—'), next ? el('br') : null, next ? el('span', { class: 'muted small' }, `${next.utc.replace('T', ' ').replace(/\.000Z$/, 'Z')} UTC`) : null),
    el('td', { class: 'state' }, el('span', { class: `badge ${job.paused ? 'state-paused' : 'state-active'}` }, job.pending ? 'pending' : job.paused ? 'paused' : 'active')),
    el('td', { class: 'last-outcome' }, outcomeBadge(job.lastOutcome), job.lastRun ? el('span', { class: 'muted small' }, ` ${duration(job.lastRun.durationMs)}`) : null),
    el('td', { class: 'spark' }, sparkline(job.recent)),
    actionButtons(job),
  );
  return row;
}

function renderJobs() {
  const body = $('jobs').tBodies[0];
  body.replaceChildren(...state.jobs.map(jobRow));
  $('no-jobs').hidden = state.jobs.length > 0;
  $('job-count').textContent = state.total > state.jobs.length ? `(the first ${state.jobs.length} of ${state.total})` : `(${state.jobs.length})`;
}

function renderStatus(live) {
  const s = state.status;
  if (!s) return;
  const parts = [`scheduler ${s.state ?? 'client'}`, `zone ${s.timezone}`, live ? 'live' : 'refreshing every 5 s'];
  if (s.readOnly) parts.push('read-only');
  $('status').textContent = parts.join(' · ');
  document.body.classList.toggle('read-only', s.readOnly);
}

function runRow(run, zone) {
  // Live updates redraw the table: keep open the errors the reader opened.
  const ontoggle = (e) => (e.currentTarget.open ? state.openErrors.add(run.runId + run.attempt) : state.openErrors.delete(run.runId + run.attempt));
  const error = run.error
    ? el(
        'details',
        { class: 'error', open: state.openErrors.has(run.runId + run.attempt), ontoggle },
        el('summary', {}, `${run.error.name}: ${run.error.message}`),
        el('pre', { class: 'stack' }, run.error.stack ?? run.error.message),
      )
    : run.outcome === 'missed'
      ? el('span', { class: 'muted' }, `${run.missedCount ?? 'some'} fire time(s) missed`)
      : null;
  return el(
    'tr',
    { class: 'run', 'data-run-id': run.runId },
    el('td', { title: run.finishedAt }, when(run.finishedAt, zone)),
    el('td', {}, outcomeBadge(run.outcome)),
    el('td', {}, String(run.attempt)),
    el('td', {}, duration(run.durationMs)),
    el('td', { title: run.scheduledRunTime }, when(run.scheduledRunTime, zone)),
    el('td', {}, error),
  );
}

function renderDetail() {
  const job = state.jobs.find((j) => j.id === state.selected);
  $('detail').hidden = state.selected === null;
  if (state.selected === null) return;
  $('detail-name').textContent = job ? job.name : state.selected;
  $('detail-id').textContent = state.selected;
  const fields = job
    ? [
        ['Task', job.taskId],
        ['Trigger', job.trigger.text],
        ['Zone', job.timezone],
        ['Next run', job.nextRunTime ? `${job.nextRunTime.text} (${job.nextRunTime.utc})` : 'paused'],
        ['Store / executor', `${job.jobStore} / ${job.executor}`],
      ]
    : [['State', 'removed (its history stays until retention drops it)']];
  $('detail-fields').replaceChildren(...fields.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const zone = job ? job.timezone : state.status.timezone;
  $('runs-zone').textContent = `(${zone})`;
  $('runs').tBodies[0].replaceChildren(...state.runs.map((run) => runRow(run, zone)));
  $('no-runs').hidden = state.runs.length > 0;
  $('more-runs').hidden = state.nextCursor === null;
}

async function loadJobs() {
  const out = await request('jobs');
  state.jobs = out.jobs;
  state.total = out.total;
  renderJobs();
}

async function loadRuns(append = false) {
  if (state.selected === null) return;
  const id = state.selected;
  const query = new URLSearchParams({ limit: '20' });
  if (append && state.nextCursor) query.set('cursor', state.nextCursor);
  const out = await request(`jobs/${encodeURIComponent(id)}/runs?${query}`);
  if (state.selected !== id) return;
  state.runs = append ? state.runs.concat(out.runs) : out.runs;
  state.nextCursor = out.nextCursor;
  renderDetail();
}

async function select(id) {
  state.selected = id;
  state.runs = [];
  state.nextCursor = null;
  renderJobs();
  renderDetail();
  try {
    await loadRuns();
  } catch (err) {
    say(err.message, 'error');
  }
}

/**
 * Refreshes jobs and the open job's runs 150 ms after an event, and at most every 500 ms however
 * many events arrive (a list of 1,000 jobs costs the server ~150 ms to answer).
 */
function scheduleRefresh() {
  if (scheduleRefresh.pending) return;
  const wait = Math.max(150, (scheduleRefresh.last ?? 0) + 500 - Date.now());
  scheduleRefresh.pending = setTimeout(async () => {
    scheduleRefresh.pending = null;
    scheduleRefresh.last = Date.now();
    try {
      await Promise.all([loadJobs(), state.selected === null ? null : loadRuns()]);
      renderDetail();
    } catch (err) {
      say(err.message, 'error');
    }
  }, wait);
}

function poll(on) {
  clearInterval(state.pollTimer);
  state.pollTimer = on ? setInterval(scheduleRefresh, 5000) : null;
  renderStatus(!on);
}

function listen() {
  const events = new EventSource(api('events'));
  events.addEventListener('hello', (e) => {
    const { live } = JSON.parse(e.data);
    poll(!live);
    // whatever happened while the stream was down
    scheduleRefresh();
  });
  const names = ['jobAdded', 'jobModified', 'jobRemoved', 'jobSubmitted', 'jobExecuted', 'jobError', 'jobMissed', 'jobMaxInstances', 'schedulerStarted', 'schedulerShutdown', 'schedulerPaused', 'schedulerResumed'];
  for (const name of names) {
    events.addEventListener(name, () => {
      if (name.startsWith('scheduler')) request('status').then((s) => ((state.status = s), renderStatus(true))).catch(() => {});
      scheduleRefresh();
    });
  }
  // EventSource reconnects by itself; poll meanwhile.
  events.addEventListener('error', () => poll(true));
}

async function main() {
  $('more-runs').addEventListener('click', () => loadRuns(true).catch((err) => say(err.message, 'error')));
  try {
    state.status = await request('status');
    renderStatus(state.status.events);
    await loadJobs();
  } catch (err) {
    $('status').textContent = 'unavailable';
    say(err.message, 'error');
  }
  listen();
}

main();
