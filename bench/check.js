// `datagen check` benchmark: `node bench/check.js [--quick]` (part of `npm run bench`).
//
// Writes loans to Parquet with its default missingness and ledger (1M rows; --quick 200k), then
// times `datagen check FILE --ledger LEDGER` and `... --report` in a fresh process each, with
// the peak RSS of that process (GNU time). Target: 1M rows checked in <= 10 s on a 2-core
// machine, memory bounded (DuckDB runs with a 512 MB limit and spills beyond it).
// Prints a table and writes bench/results/check.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'run.js');
const quick = process.argv.includes('--quick');
const tmp = mkdtempSync(join(tmpdir(), 'datagen-check-bench-'));
const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);

function timed(args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, cwd: tmp });
  if (r.status !== 0 && r.status !== 1) throw new Error(`datagen ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [seconds, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, peakMB: Math.round(kb / 102.4) / 10, exit: r.status };
}

const results = { machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, loadBefore, cases: [] };
for (const rows of quick ? [200_000] : [1_000_000, 4_000_000]) {
  const file = join(tmp, `loans-${rows}.parquet`);
  const ledger = join(tmp, `loans-${rows}.jsonl`);
  timed(['generate', 'loans', '--rows', String(rows), '--seed', '1', '--out', file, '--ledger', ledger, '--quiet']);
  const sizes = { parquetMB: Math.round(statSync(file).size / 1e5) / 10, ledgerMB: Math.round(statSync(ledger).size / 1e5) / 10 };
  const runs = [0, 1, 2].map(() => timed(['check', file, '--ledger', ledger])).sort((a, b) => a.seconds - b.seconds);
  const report = timed(['check', file, '--ledger', ledger, '--report', join(tmp, 'report.html'), '--overwrite']);
  const row = { rows, ...sizes, check: runs[1], withReport: report, rowsPerS: Math.round(rows / runs[1].seconds), target: 10 };
  results.cases.push(row);
  console.error(`  loans ${rows.toLocaleString('en-US')} rows: check ${row.check.seconds}s (peak ${row.check.peakMB} MB, exit ${row.check.exit}), with --report ${report.seconds}s (peak ${report.peakMB} MB)`);
}
rmSync(tmp, { recursive: true, force: true });
results.loadAfter = loadavg().map((x) => Math.round(x * 100) / 100);

console.log(`\nmachine: ${results.machine.cpus} x ${results.machine.model}, Node ${results.machine.node}; load before ${loadBefore.join(' ')}, after ${results.loadAfter.join(' ')}\n`);
console.log('| datagen check, loans Parquet + ledger | Parquet MB | ledger MB | check (s, median of 3) | rows/s | peak RSS MB | with --report (s) | peak RSS MB | target |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
for (const c of results.cases) {
  console.log(`| ${c.rows.toLocaleString('en-US')} rows | ${c.parquetMB} | ${c.ledgerMB} | ${c.check.seconds} | ${c.rowsPerS.toLocaleString('en-US')} | ${c.check.peakMB} | ${c.withReport.seconds} | ${c.withReport.peakMB} | <= ${c.target} s at 1M |`);
}
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'check.json'), JSON.stringify(results, null, 2) + '\n');
