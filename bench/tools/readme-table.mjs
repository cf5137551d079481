// @ts-check
/**
 * Prints the README's Performance table from bench/results/latest.json (one full run): every row
 * with a target, its kairos figure, the best peer's, the ratio and met / missed.
 *   node bench/tools/readme-table.mjs [results.json]
 * @module
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? path.join(here, '..', 'results', 'latest.json');
/** @type {{ date: string, kairosCommit: string, node: string, cpus: number, loadAverage: { before: number[], after: number[] }, cases: any[] }} */
const run = JSON.parse(readFileSync(file, 'utf8'));

/** @param {unknown} v @param {string} metric */
function fmt(v, metric) {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (typeof v !== 'number') return String(v);
  if (metric.startsWith('ms')) return v >= 10_000 ? `${(v / 1000).toPrecision(3)} s` : `${v} ms`;
  if (metric === 'bytes/job') return v >= 1024 ? `${(v / 1024).toPrecision(3)} KB` : `${Math.round(v)} B`;
  if (metric === 'runs/s' || metric === 'jobs/s') return `${Math.round(v).toLocaleString('en-US')}/s`;
  return String(v);
}

/** The best numeric peer of a row, with its name. @param {any} row */
function bestPeer(row) {
  let best = null;
  for (const [name, v] of Object.entries(row.peers ?? {})) {
    if (typeof v !== 'number') continue;
    if (best === null || (row.lowerIsBetter ? v < best.v : v > best.v)) best = { name, v };
  }
  return best;
}

const lines = [
  `Full run of ${run.date.slice(0, 16).replace('T', ' ')} UTC, kairos at ${run.kairosCommit}, Node ${run.node.slice(1)}, ${run.cpus} cores, load average ${run.loadAverage.before[0]} before and ${run.loadAverage.after[0]} after.`,
  '',
  '| case | target | kairos | best peer | ratio | |',
  '| --- | --- | --- | --- | --- | --- |',
];
for (const row of run.cases) {
  if (row.met === null || row.met === undefined) continue;
  const best = bestPeer(row);
  lines.push(`| ${row.case} | ${row.target} | ${fmt(row.kairos, row.metric)} | ${best ? `${best.name} ${fmt(best.v, row.metric)}` : ''} | ${row.ratio === null || row.ratio === undefined ? '' : `${row.ratio}×`} | ${row.met ? 'met' : '**missed**'} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
