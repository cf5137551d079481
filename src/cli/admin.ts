/**
 * `kairos migrate` (install or upgrade the schema ahead of a deploy) and `kairos doctor` (schema
 * version, leases held and by whom, expired leases, clock skew with the database). Both go
 * through the store itself: `migrate` is the store's own open (numbered migrations, each
 * claimed in its transaction, so two at once both succeed), `doctor` its `inspect()`.
 * @module
 */
import type { LeaseInfo, StoreInspection } from '../stores/job-store.js';
import { intOption, type Command } from './command.js';
import { emit, fields, formatDuration, formatInstant, table } from './output.js';

function schemaLine(s: StoreInspection): string {
  const newest = s.schemaVersion === s.latestSchemaVersion ? 'the newest this kairos knows' : `this kairos knows up to ${s.latestSchemaVersion}`;
  if (s.migratedOnOpen.length === 0) return `version ${s.schemaVersion} (${newest})`;
  const before = s.migratedOnOpen[0]! - 1;
  return `version ${s.schemaVersion} (${newest}); this command applied ${s.migratedOnOpen.join(', ')}: the database was at ${before === 0 ? 'no version' : `version ${before}`}`;
}

export const migrateCommand: Command = {
  path: ['migrate'],
  operands: '',
  arity: [0, 0],
  summary: 'install or upgrade the store\'s schema (safe when several run at once)',
  details:
    'Creates the store\'s tables (and the SQLite file, or the PostgreSQL schema) or applies the migrations this kairos has that the database lacks, ' +
    'then prints the schema version. Run it ahead of a deploy; schedulers starting together migrate just as safely. ' +
    'Each migration claims its version in its own transaction, so two migrates at once both succeed. ' +
    'A database migrated by a newer kairos is refused (exit code 3).',
  options: {},
  optionHelp: [],
  store: 'create',
  async run(ctx) {
    const s = await ctx.store!.store.inspect({ limit: 0 });
    emit(ctx.printer, { location: s.location, schemaVersion: s.schemaVersion, latestSchemaVersion: s.latestSchemaVersion, applied: s.migratedOnOpen }, () =>
      s.migratedOnOpen.length > 0
        ? `${s.location}: migrated to schema version ${s.schemaVersion} (applied ${s.migratedOnOpen.join(', ')})`
        : `${s.location}: schema version ${s.schemaVersion}, up to date`,
    );
  },
};

function historyLine(h: StoreInspection['history'], zone: string): string {
  if (h.entries === 0 || h.oldestFinishedAt === null || h.newestFinishedAt === null) return 'no run outcome recorded (kairos runs <jobId> reads them)';
  return `${h.entries} run outcome(s), finished ${formatInstant(h.oldestFinishedAt, zone)} to ${formatInstant(h.newestFinishedAt, zone)} (kairos runs <jobId> reads them)`;
}

/** A lease for JSON: instants as ISO text, with whether it has expired. */
function leaseJson(l: LeaseInfo, leaseNow: number): Record<string, unknown> {
  return { ...l, expiresAt: new Date(l.expiresAt).toISOString(), expired: l.expiresAt <= leaseNow, expiresInMs: Math.round(l.expiresAt - leaseNow) };
}

export const doctorCommand: Command = {
  path: ['doctor'],
  operands: '',
  arity: [0, 0],
  summary: 'schema version, leases held and expired, clock skew with the database, run history kept',
  details:
    'Reports the store\'s schema version, its jobs and runs, every lease held (a scheduler planning a job, or a run in flight) with the scheduler ' +
    'holding it (ownerId: host:pid:random) and when it runs out, and the leases that have expired: their holder stopped renewing (it died or stalls) ' +
    'and a scheduler sharing the store takes the work over. On PostgreSQL, leases live on the database\'s clock, and doctor measures how far this ' +
    'host\'s clock is from it. It counts the run history kept, with the oldest and newest finish. Reads only (but, like every command, a database without the kairos schema gets it).',
  options: { limit: { type: 'string' } },
  optionHelp: ['--limit <N>   most leases listed, expired ones first (default 100)'],
  store: 'open',
  async run(ctx) {
    const limit = intOption(ctx.values.limit, '--limit', 100, 0, 1_000_000);
    const before = Date.now();
    const s = await ctx.store!.store.inspect({ limit });
    const after = Date.now();
    const hostNow = (before + after) / 2;
    const skew = s.leaseClock === 'database' ? Math.round(s.leaseNow - hostNow) : null;
    const expired = s.leases.filter((l) => l.expiresAt <= s.leaseNow);
    const held = s.leases.filter((l) => l.expiresAt > s.leaseNow);
    const zone = ctx.printer.zone;
    const json = {
      location: s.location,
      kind: ctx.store!.kind,
      schemaVersion: s.schemaVersion,
      latestSchemaVersion: s.latestSchemaVersion,
      migratedOnOpen: s.migratedOnOpen,
      jobs: s.jobs,
      runs: s.runs,
      clock: {
        leaseClock: s.leaseClock,
        hostNow: new Date(hostNow).toISOString(),
        databaseNow: s.leaseClock === 'database' ? new Date(s.leaseNow).toISOString() : null,
        skewMs: skew,
        roundTripMs: after - before,
      },
      leases: s.leases.map((l) => leaseJson(l, s.leaseNow)),
      leasesHeld: held.length,
      leasesExpired: expired.length,
      history: {
        entries: s.history.entries,
        oldestFinishedAt: s.history.oldestFinishedAt === null ? null : new Date(s.history.oldestFinishedAt).toISOString(),
        newestFinishedAt: s.history.newestFinishedAt === null ? null : new Date(s.history.newestFinishedAt).toISOString(),
      },
    };
    emit(ctx.printer, json, () => {
      const clock =
        skew === null
          ? 'leases use each host\'s own clock (SQLite): there is no database clock to compare'
          : `the database clock is ${formatDuration(Math.abs(skew))} ${skew >= 0 ? 'ahead of' : 'behind'} this host's (round trip ${formatDuration(after - before)}); ` +
            'leases use the database clock, so skew cannot start a run twice' +
            (Math.abs(skew) > 1000 ? '; but each host decides when jobs are due by its own clock: keep hosts in sync (NTP)' : '');
      const lines = [
        fields([
          ['store', s.location],
          ['schema', schemaLine(s)],
          ['jobs', `${s.jobs.total} (${s.jobs.paused} paused)`],
          ['runs', `${s.runs.pending} waiting, ${s.runs.running} in flight`],
          ['clock', clock],
          ['leases', `${held.length} held, ${expired.length} expired${s.leases.length === limit && limit > 0 ? ` (the first ${limit}; --limit for more)` : ''}`],
          ['history', historyLine(s.history, zone)],
        ]),
      ];
      if (s.leases.length > 0) {
        lines.push(
          table(
            ['STATE', 'KIND', 'JOB', 'RUN', 'OWNER', 'EXPIRY'],
            s.leases.map((l) => {
              const ago = l.expiresAt - s.leaseNow;
              const at = formatInstant(Math.round(l.expiresAt), zone);
              return [ago <= 0 ? 'EXPIRED' : 'held', l.kind, l.jobId, l.runId ?? '-', l.owner, ago <= 0 ? `${at}, ${formatDuration(-ago)} ago` : `${at}, in ${formatDuration(ago)}`];
            }),
          ),
        );
      }
      if (expired.length > 0) {
        lines.push('expired leases: their holder stopped renewing (it died or stalls); a running scheduler sharing the store takes the work over (run again under the same runId, next attempt)');
      }
      return lines.join('\n');
    });
  },
};
