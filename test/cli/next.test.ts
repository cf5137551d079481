/**
 * `kairos next` (SPEC "The kairos bin", issue 14 item 5): it agrees with CronTrigger on the DST
 * cases of SPEC "Time zones and DST" (New York spring-forward and fall-back, London), marks the
 * fire times DST moved and the wall times a fall-back repeats, prints wall time with UTC offset,
 * and refuses bad input with exit code 2. Also the bin's help and usage errors, which need no
 * database.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CronTrigger } from '../../src/index.js';
import { bin, kairos } from './helpers.js';

interface NextJson {
  expression: string;
  timezone: string;
  from: string;
  fireTimes: Array<{ utc: string; local: string; offset: string; abbreviation: string; dst: null | { kind: string; wallTime?: string; occurrence?: number } }>;
}

/** The trigger's own fire times: what a scheduler would run. */
function triggerTimes(expression: string, timezone: string, from: string, count: number): string[] {
  const trigger = CronTrigger.fromCrontab(expression, { timezone });
  const out: string[] = [];
  let t = trigger.getNextFireTime(null, new Date(from));
  while (t && out.length < count) {
    out.push(t.toISOString());
    t = trigger.getNextFireTime(t, t);
  }
  return out;
}

const DST_CASES = [
  {
    name: 'New York spring-forward, fixed time in the gap: 02:30 fires at 03:00 EDT, marked moved',
    expression: '30 2 * * *', tz: 'America/New_York', from: '2027-03-13T00:00:00-05:00', count: 3,
    expected: [
      { utc: '2027-03-13T07:30:00.000Z', local: '2027-03-13T02:30:00-05:00', dst: null },
      { utc: '2027-03-14T07:00:00.000Z', local: '2027-03-14T03:00:00-04:00', dst: { kind: 'moved', wallTime: '2027-03-14T02:30:00' } },
      { utc: '2027-03-15T06:30:00.000Z', local: '2027-03-15T02:30:00-04:00', dst: null },
    ],
  },
  {
    name: 'New York spring-forward, wildcard job: nothing fires inside the gap, nothing moved',
    expression: '*/30 * * * *', tz: 'America/New_York', from: '2027-03-14T01:00:00-05:00', count: 3,
    expected: [
      { utc: '2027-03-14T06:00:00.000Z', local: '2027-03-14T01:00:00-05:00', dst: null },
      { utc: '2027-03-14T06:30:00.000Z', local: '2027-03-14T01:30:00-05:00', dst: null },
      { utc: '2027-03-14T07:00:00.000Z', local: '2027-03-14T03:00:00-04:00', dst: null },
    ],
  },
  {
    name: 'New York fall-back, fixed time: 01:30 fires once, at its first occurrence',
    expression: '30 1 * * *', tz: 'America/New_York', from: '2027-11-06T12:00:00-04:00', count: 2,
    expected: [
      { utc: '2027-11-07T05:30:00.000Z', local: '2027-11-07T01:30:00-04:00', dst: { kind: 'repeated', occurrence: 1 } },
      { utc: '2027-11-08T06:30:00.000Z', local: '2027-11-08T01:30:00-05:00', dst: null },
    ],
  },
  {
    name: 'New York fall-back, wildcard job: both occurrences of the repeated hour',
    expression: '0,30 1 * * *', tz: 'America/New_York', from: '2027-11-07T00:00:00-04:00', count: 4,
    expected: [
      { utc: '2027-11-07T05:00:00.000Z', local: '2027-11-07T01:00:00-04:00', dst: { kind: 'repeated', occurrence: 1 } },
      { utc: '2027-11-07T05:30:00.000Z', local: '2027-11-07T01:30:00-04:00', dst: { kind: 'repeated', occurrence: 1 } },
      { utc: '2027-11-08T06:00:00.000Z', local: '2027-11-08T01:00:00-05:00', dst: null },
      { utc: '2027-11-08T06:30:00.000Z', local: '2027-11-08T01:30:00-05:00', dst: null },
    ],
  },
  {
    name: 'New York fall-back, every 30 minutes: 01:00 and 01:30 twice, EDT then EST',
    expression: '*/30 * * * *', tz: 'America/New_York', from: '2027-11-07T00:45:00-04:00', count: 5,
    expected: [
      { utc: '2027-11-07T05:00:00.000Z', local: '2027-11-07T01:00:00-04:00', dst: { kind: 'repeated', occurrence: 1 } },
      { utc: '2027-11-07T05:30:00.000Z', local: '2027-11-07T01:30:00-04:00', dst: { kind: 'repeated', occurrence: 1 } },
      { utc: '2027-11-07T06:00:00.000Z', local: '2027-11-07T01:00:00-05:00', dst: { kind: 'repeated', occurrence: 2 } },
      { utc: '2027-11-07T06:30:00.000Z', local: '2027-11-07T01:30:00-05:00', dst: { kind: 'repeated', occurrence: 2 } },
      { utc: '2027-11-07T07:00:00.000Z', local: '2027-11-07T02:00:00-05:00', dst: null },
    ],
  },
  {
    name: 'London spring-forward: 01:30 GMT does not exist on 2027-03-28, fires at 02:00 BST',
    expression: '30 1 * * *', tz: 'Europe/London', from: '2027-03-27T00:00:00Z', count: 3,
    expected: [
      { utc: '2027-03-27T01:30:00.000Z', local: '2027-03-27T01:30:00+00:00', dst: null },
      { utc: '2027-03-28T01:00:00.000Z', local: '2027-03-28T02:00:00+01:00', dst: { kind: 'moved', wallTime: '2027-03-28T01:30:00' } },
      { utc: '2027-03-29T00:30:00.000Z', local: '2027-03-29T01:30:00+01:00', dst: null },
    ],
  },
  {
    name: 'London fall-back: 01:30 on 2027-10-31 fires at its first occurrence (BST)',
    expression: '30 1 * * *', tz: 'Europe/London', from: '2027-10-30T12:00:00Z', count: 2,
    expected: [
      { utc: '2027-10-31T00:30:00.000Z', local: '2027-10-31T01:30:00+01:00', dst: { kind: 'repeated', occurrence: 1 } },
      { utc: '2027-11-01T01:30:00.000Z', local: '2027-11-01T01:30:00+00:00', dst: null },
    ],
  },
];

describe('kairos next', () => {
  describe('agrees with CronTrigger.getNextFireTime on the DST cases, and marks what DST did', () => {
    it.each(DST_CASES)('$name', async ({ expression, tz, from, count, expected }) => {
      const r = await kairos(['next', expression, '--tz', tz, '--from', from, '--count', String(count), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = r.json() as NextJson;
      expect(out).toMatchObject({ expression, timezone: tz, from: new Date(from).toISOString() });
      expect(out.fireTimes.map((t) => t.utc)).toEqual(triggerTimes(expression, tz, from, count));
      expect(out.fireTimes.map(({ utc, local, dst }) => ({ utc, local, dst }))).toEqual(expected);
    });
  });

  it('prints local wall time with its UTC offset and marks the moved fire time', async () => {
    const r = await kairos(['next', '30 2 * * *', '--tz', 'America/New_York', '--from', '2027-03-13', '--count', '3']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('30 2 * * * in America/New_York, from 2027-03-13 00:00:00 -05:00 (EST):');
    expect(lines[1]).toMatch(/^ {2}2027-03-13 02:30:00 -05:00 \(EST\) {2}2027-03-13T07:30:00\.000Z$/);
    expect(lines[2]).toMatch(/^ {2}2027-03-14 03:00:00 -04:00 \(EDT\) {2}2027-03-14T07:00:00\.000Z {2}moved by DST: 02:30 does not exist that day/);
    expect(lines[3]).toMatch(/^ {2}2027-03-15 02:30:00 -04:00 \(EDT\) {2}2027-03-15T06:30:00\.000Z$/);
    expect(lines).toHaveLength(4);
  });

  it('takes --from as epoch ms or ISO text (wall time in --tz without an offset), and counts 5 by default', async () => {
    const epoch = await kairos(['next', '0 12 * * *', '--tz', 'Asia/Tokyo', '--from', String(Date.parse('2027-01-01T00:00:00Z')), '--json']);
    expect(epoch.code, epoch.stderr).toBe(0);
    const times = (epoch.json() as NextJson).fireTimes;
    expect(times.map((t) => t.utc)).toEqual(['2027-01-01T03:00:00.000Z', '2027-01-02T03:00:00.000Z', '2027-01-03T03:00:00.000Z', '2027-01-04T03:00:00.000Z', '2027-01-05T03:00:00.000Z']);
    expect(times[0]).toMatchObject({ offset: '+09:00', abbreviation: 'GMT+9' });
    const wall = await kairos(['next', '0 12 * * *', '--tz', 'Asia/Tokyo', '--from', '2027-01-01T12:00', '--count', '1', '--json']);
    expect((wall.json() as NextJson).fireTimes.map((t) => t.utc)).toEqual(['2027-01-01T03:00:00.000Z']);
  });

  it('refuses bad input with exit code 2 and the library\'s message', async () => {
    const badCron = await kairos(['next', '61 * * * *', '--tz', 'UTC']);
    expect(badCron.code).toBe(2);
    expect(badCron.stdout).toBe('');
    expect(badCron.stderr).toMatch(/^kairos: minute: expected .*0 to 59.*received/);

    const neverFires = await kairos(['next', '0 0 30 2 *', '--tz', 'UTC', '--json']);
    expect(neverFires.code).toBe(2);
    expect(neverFires.json()).toEqual({ error: { name: 'RangeError', code: 'KAIROS_INVALID_ARGUMENT', message: expect.stringMatching(/can never fire/) } });

    for (const args of [
      ['next', '* * * * *', '--tz', 'Mars/Olympus_Mons'],
      ['next', '* * * * *', '--count', '0'],
      ['next', '* * * * *', '--count', 'many'],
      ['next', '* * * * *', '--from', 'yesterday'],
      ['next', '* * * * *', '--from', '99999999999999999'],
      ['next', '* * * * *', '--db', 'jobs.sqlite'],
      ['next', '* * * * *', '--frequency', '3'],
      ['next'],
      ['next', '* * * * *', 'extra'],
      ['frobnicate'],
      [],
    ]) {
      const r = await kairos(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/kairos/);
    }
  });

  it('names --from when its epoch ms lie past what a Date holds', async () => {
    const r = await kairos(['next', '* * * * *', '--from', '99999999999999999', '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toEqual({ error: { name: 'RangeError', code: 'KAIROS_INVALID_ARGUMENT', message: expect.stringMatching(/^--from: /) } });
  });

  it('has help: kairos --help lists every command (exit 0), kairos <command> --help describes one', async () => {
    const help = await kairos(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['jobs list', 'jobs show <id>', 'jobs pause <id>', 'jobs resume <id>', 'jobs remove <id>', 'jobs run <id>', 'runs <jobId>', 'migrate', 'doctor', "next '<cron>'"]) {
      expect(help.stdout).toContain(`  ${c} `);
    }
    expect(help.stdout).toMatch(/Exit codes: 0 ok, 1 not found .*2 bad input/);
    const next = await kairos(['next', '--help']);
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(/^Usage: kairos next '<cron>' \[options\]/);
    expect(next.stdout).toContain('--count <N>');
    expect(next.stdout).not.toContain('--db');
    const jobs = await kairos(['help', 'jobs']);
    expect(jobs.code).toBe(0);
    expect(jobs.stdout).toMatch(/^Usage: kairos jobs <list\|show\|pause\|resume\|remove\|run>/);
  });

  it('runs through a symlink, as npm links node_modules/.bin/kairos to it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kairos-bin-'));
    try {
      const link = path.join(dir, 'kairos');
      symlinkSync(bin, link);
      const r = await kairos(['next', '@daily', '--tz', 'UTC', '--from', '2027-01-01T12:00Z', '--count', '1'], {}, link);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('2027-01-02 00:00:00 +00:00 (UTC)  2027-01-02T00:00:00.000Z');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
