// PostgreSQL sink benchmark: `node bench/postgres.js [--quick] [--url postgres://...]`.
//
// Loads loans (1M rows; --quick 200k) with `datagen generate loans --out postgres://...#table`
// into a fresh table, 3 times, each in a fresh process timed with GNU time (wall seconds, peak
// RSS), and checks the row count with SQL after each run. The server is a private one started
// from this machine's PostgreSQL (tests/pg-server.ts, fsync off: it measures datagen and COPY, not
// the disk), or the one --url names (its database must accept CREATE TABLE; the table is dropped).
// For reference, the same rows into a CSV file. Target: 1M rows in <= 15 s.
// Prints a table and writes bench/results/postgres.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'run.js');
const quick = process.argv.includes('--quick');
const urlArg = process.argv.indexOf('--url');
const rows = quick ? 200_000 : 1_000_000;
const tmp = mkdtempSync(join(tmpdir(), 'datagen-pg-bench-'));
const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);

let server;
let url;
if (urlArg > 0) url = process.argv[urlArg + 1];
else {
  const { startPgServer } = await createJiti(import.meta.url).import(join(here, '..', 'tests', 'pg-server.ts'));
  server = await startPgServer();
  if (typeof server === 'string') {
    console.error(`bench/postgres.js: ${server}; pass --url postgres://user:pass@host:port/db to use a running server`);
    process.exit(1);
  }
  url = server.url;
}

function timed(args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, cwd: tmp });
  if (r.status !== 0) throw new Error(`datagen ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [seconds, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, peakMB: Math.round(kb / 102.4) / 10 };
}

const db = new pg.Client({ connectionString: url });
await db.connect();
const table = 'datagen_bench_loans';
const results = { machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, server: (await db.query('SHOW server_version')).rows[0].server_version, private: Boolean(server), loadBefore, rows, runs: [] };
try {
  for (let i = 0; i < 3; i++) {
    await db.query(`DROP TABLE IF EXISTS ${table}`);
    const run = timed(['generate', 'loans', '--rows', String(rows), '--seed', '1', '--out', `${url}#${table}`, '--quiet']);
    const n = Number((await db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    if (n !== rows) throw new Error(`run ${i + 1}: ${n} rows in ${table}, expected ${rows}`);
    results.runs.push(run);
    console.error(`  run ${i + 1}: ${run.seconds}s, peak ${run.peakMB} MB`);
  }
  await db.query(`DROP TABLE IF EXISTS ${table}`);
  results.csv = timed(['generate', 'loans', '--rows', String(rows), '--seed', '1', '--out', join(tmp, 'loans.csv'), '--quiet']);
} finally {
  await db.end();
  server?.stop();
  rmSync(tmp, { recursive: true, force: true });
}
const median = [...results.runs].sort((a, b) => a.seconds - b.seconds)[1];
results.median = { ...median, rowsPerS: Math.round(rows / median.seconds) };
results.loadAfter = loadavg().map((x) => Math.round(x * 100) / 100);

console.log(`\nmachine: ${results.machine.cpus} x ${results.machine.model}, Node ${results.machine.node}, PostgreSQL ${results.server}${server ? ' (private, fsync off)' : ''}; load before ${loadBefore.join(' ')}, after ${results.loadAfter.join(' ')}\n`);
console.log('| generate loans --out postgres://...#table | runs (s) | median (s) | rows/s | peak RSS MB | same rows to CSV (s) | target |');
console.log('|---|---|---:|---:|---:|---:|---|');
console.log(`| ${rows.toLocaleString('en-US')} rows | ${results.runs.map((r) => r.seconds).join(', ')} | ${median.seconds} | ${results.median.rowsPerS.toLocaleString('en-US')} | ${median.peakMB} | ${results.csv.seconds} | <= 15 s at 1M |`);
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'postgres.json'), JSON.stringify(results, null, 2) + '\n');
