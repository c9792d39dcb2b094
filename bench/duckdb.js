// DuckDB sink benchmark: `node bench/duckdb.js [--quick]`.
//
// loans (1M rows; --quick 200k, default stages off) into a DuckDB file, in a fresh process
// each, median of 3, with the peak RSS of that process (GNU time):
//   generate: `datagen generate loans --clean --out loans.duckdb` (generation + sink)
//   sink:     `datagen duckdb --out loans.duckdb < loans.arrows` (the sink command reading Arrow IPC made beforehand)
//   csv:      `datagen generate loans --clean --out loans.csv`, the same rows as CSV, for scale
// Target (issue 15): >= 500k rows/s into DuckDB on a 2-core machine.
// MB/s is the DuckDB file's size over the time (the CSV case: the CSV file's).
// Prints a table and writes bench/results/duckdb.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'run.js');
const quick = process.argv.includes('--quick');
const rows = quick ? 200_000 : 1_000_000;
const tmp = mkdtempSync(join(tmpdir(), 'datagen-duckdb-bench-'));
const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);

function timed(args, stdin) {
  const fd = stdin ? openSync(stdin, 'r') : 'ignore';
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, cwd: tmp, stdio: [fd, 'pipe', 'pipe'] });
  if (stdin) closeSync(fd);
  if (r.status !== 0) throw new Error(`datagen ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [seconds, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, peakMB: Math.round(kb / 102.4) / 10 };
}

function median3(make) {
  const runs = [0, 1, 2].map(() => make()).sort((a, b) => a.seconds - b.seconds);
  return { ...runs[1], runs: runs.map((r) => r.seconds) };
}

const db = join(tmp, 'loans.duckdb');
const arrows = join(tmp, 'loans.arrows');
const fresh = () => rmSync(db, { force: true });
const n = String(rows);
const cases = [];
cases.push({ name: 'generate loans --clean --out loans.duckdb', ...median3(() => (fresh(), timed(['generate', 'loans', '--rows', n, '--seed', '1', '--clean', '--out', db, '--quiet']))) });
const dbMB = Math.round(statSync(db).size / 1e5) / 10;
cases[0].mb = dbMB;
timed(['generate', 'loans', '--rows', n, '--seed', '1', '--clean', '--out', arrows, '--quiet']);
cases.push({ name: 'duckdb --out loans.duckdb < loans.arrows', mb: dbMB, ...median3(() => (fresh(), timed(['duckdb', '--out', db, '--quiet'], arrows))) });
cases.push({ name: 'generate loans --clean --out loans.csv (for scale)', ...median3(() => timed(['generate', 'loans', '--rows', n, '--seed', '1', '--clean', '--out', join(tmp, 'loans.csv'), '--overwrite', '--quiet'])) });
cases[2].mb = Math.round(statSync(join(tmp, 'loans.csv')).size / 1e5) / 10;
rmSync(tmp, { recursive: true, force: true });

const results = { machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, rows, dbMB, loadBefore, loadAfter: loadavg().map((x) => Math.round(x * 100) / 100), cases };
for (const c of cases) {
  c.rowsPerS = Math.round(rows / c.seconds);
  c.mbPerS = Math.round((c.mb / c.seconds) * 10) / 10;
}
console.log(`\nmachine: ${results.machine.cpus} x ${results.machine.model}, Node ${results.machine.node}; load before ${loadBefore.join(' ')}, after ${results.loadAfter.join(' ')}`);
console.log(`loans ${rows.toLocaleString('en-US')} rows; the DuckDB file: ${dbMB} MB\n`);
console.log('| command | s (median of 3) | runs | rows/s | MB/s | peak RSS MB |');
console.log('|---|---:|---|---:|---:|---:|');
for (const c of cases) console.log(`| \`${c.name}\` | ${c.seconds} | ${c.runs.join(', ')} | ${c.rowsPerS.toLocaleString('en-US')} | ${c.mbPerS} | ${c.peakMB} |`);
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'duckdb.json'), JSON.stringify(results, null, 2) + '\n');
