// Increments benchmark: `node bench/increments.js [--quick]` (part of `npm run bench`).
//
// Generates the retail base at --scale 1 (--quick: 0.1), then times `--increment 1` and
// `--increment 10` (which also writes the Delta versions of batches 2..9 it finds missing),
// each in a fresh process with its peak RSS (GNU time). A batch's memory does not grow with
// its number. Prints a table and writes bench/results/increments.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'run.js');
const scale = process.argv.includes('--quick') ? '0.1' : '1';
const tmp = mkdtempSync(join(tmpdir(), 'datagen-increments-bench-'));
const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);

function timed(args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, bin, ...args, '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 28, cwd: tmp });
  if (r.status !== 0) throw new Error(`datagen ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [seconds, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, peakMB: Math.round(kb / 102.4) / 10 };
}

const results = { machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, scale, loadBefore, cases: [] };
const base = timed(['generate', 'retail', '--scale', scale, '--out', 'raw']);
const manifest = JSON.parse(readFileSync(join(tmp, 'raw', '_manifest.json'), 'utf8'));
const baseRows = Object.values(manifest.tables).reduce((n, t) => n + t.rows, 0);
results.cases.push({ run: 'base', rows: baseRows, ...base });
for (const k of [1, 10]) {
  const t = timed(['generate', 'retail', '--scale', scale, '--out', 'raw', '--increment', String(k)]);
  const record = JSON.parse(readFileSync(join(tmp, 'raw', '_batches', `${String(k).padStart(5, '0')}.json`), 'utf8'));
  const rows = [...Object.values(record.tables), ...Object.values(record.changes)].reduce((n, x) => n + x.rows, 0);
  const files = [...Object.values(record.tables), ...Object.values(record.changes)].reduce((n, x) => n + x.files.length, 0);
  results.cases.push({ run: `--increment ${k}`, rows, files, ...t });
}
rmSync(tmp, { recursive: true, force: true });
results.loadAfter = loadavg().map((x) => Math.round(x * 100) / 100);

console.log(`\nmachine: ${results.machine.cpus} x ${results.machine.model}, Node ${results.machine.node}; load before ${loadBefore.join(' ')}, after ${results.loadAfter.join(' ')}\n`);
console.log(`| retail --scale ${scale} | rows | new files | seconds | rows/s | peak RSS MB |`);
console.log('|---|---:|---:|---:|---:|---:|');
for (const c of results.cases) {
  console.log(`| ${c.run} | ${c.rows.toLocaleString('en-US')} | ${c.files ?? '-'} | ${c.seconds} | ${Math.round(c.rows / c.seconds).toLocaleString('en-US')} | ${c.peakMB} |`);
}
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'increments.json'), JSON.stringify(results, null, 2) + '\n');
