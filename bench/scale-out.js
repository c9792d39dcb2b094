// Scale-out benchmark: `node bench/scale-out.js [--quick]` (part of `npm run bench`).
//
// Each case is the real command line (`datagen generate ...`) run in a fresh process
// (bench/case.js, kind "cli"), so the peak RSS covers the command and all its worker threads.
//   1. speed-up from --workers 1 to 2: attendance and customer_360 to CSV, loans to Parquet
//      (target >= 1.7x on this 2-core machine), and every format at 1 and 2 workers (rows/s, MB/s);
//   2. retail --scale 1 --workers 2 (target <= 45 s wall, peak RSS <= 1 GB);
//   3. attendance to CSV at 10M and 100M rows with 2 workers: peak RSS at 100M within 10% of 10M.
// --quick runs smaller sizes (no retail scale 1, 1M/10M attendance). Prints tables and writes
// bench/results/scale-out.json. Figures depend on the machine and its load (recorded).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const tmp = mkdtempSync(join(tmpdir(), 'datagen-scale-'));
const MB = 1e6;
const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);

function measure(name, rows, argv, out) {
  rmSync(out, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [join(here, 'case.js'), JSON.stringify({ kind: 'cli', rows, argv: [...argv, '--out', out, '--quiet'], out })], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split('\n').pop());
  rmSync(out, { recursive: true, force: true });
  const row = { name, rows, seconds: round(m.seconds, 2), rowsPerS: Math.round(rows / m.seconds), mbPerS: round(m.bytes / MB / m.seconds, 1), mb: round(m.bytes / MB, 1), peakMB: round(m.maxRssKB / 1024, 1) };
  console.error(`  ${name}: ${row.seconds}s, ${row.rowsPerS.toLocaleString('en-US')} rows/s, ${row.mbPerS} MB/s, peak ${row.peakMB} MB`);
  return row;
}

/**
 * The machine's own ceiling: two independent processes at once, each making half the table
 * (--shard 0/2 and 1/2, one thread each). What --workers 2 could reach if threads cost nothing
 * to coordinate: on a VM, two vCPUs rarely give twice the throughput of one.
 */
async function twoProcesses(rows, argv, ext) {
  const start = performance.now();
  await Promise.all(
    [0, 1].map(
      (i) =>
        new Promise((resolve, reject) => {
          const out = join(tmp, `half${i}.${ext}`);
          const child = spawn(process.execPath, [join(here, '..', 'bin', 'run.js'), ...argv, '--shard', `${i}/2`, '--out', out, '--quiet', '--overwrite'], { stdio: 'ignore' });
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`half ${i} failed (${code})`))));
        }),
    ),
  );
  for (const i of [0, 1]) rmSync(join(tmp, `half${i}.${ext}`), { force: true });
  return (performance.now() - start) / 1000;
}

const results = { machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, loadBefore, speedups: [], formats: [], retail: undefined, flat: [] };

// 1. Speed-up, 1 -> 2 workers (median of 3 runs each).
const speedCases = [
  ['attendance -> CSV', 'attendance', quick ? 2_000_000 : 10_000_000, 'csv'],
  ['customer_360 -> CSV', 'customer_360', quick ? 500_000 : 5_000_000, 'csv'],
  ['loans -> Parquet', 'loans', quick ? 500_000 : 5_000_000, 'parquet'],
];
console.error('speed-up from --workers 1 to 2 (median of 3 runs):');
for (const [name, scenario, rows, ext] of speedCases) {
  const at = (w) => {
    const runs = [0, 1, 2].map(() => measure(`${name}, ${w} worker${w > 1 ? 's' : ''}`, rows, ['generate', scenario, '--rows', String(rows), '--workers', String(w)], join(tmp, `out.${ext}`)));
    return runs.sort((a, b) => a.seconds - b.seconds)[1];
  };
  const one = at(1);
  const two = at(2);
  // Process start-up is in both sides: the CLI case times execute(), the pair its processes.
  const pairs = [];
  for (let k = 0; k < 3; k++) pairs.push(await twoProcesses(rows, ['generate', scenario, '--rows', String(rows)], ext));
  const pair = pairs.sort((a, b) => a - b)[1];
  console.error(`  ${name}, two processes at once (half each): ${round(pair, 2)}s`);
  results.speedups.push({ name, rows, one, two, speedup: round(one.seconds / two.seconds, 2), target: 1.7, twoProcessesSeconds: round(pair, 2), ceiling: round(one.seconds / pair, 2) });
}

// Every format, 1 and 2 workers, loans (XLSX on a fifth of the rows).
console.error('formats (loans), 1 and 2 workers:');
for (const [format, share] of [['csv', 1], ['jsonl', 1], ['parquet', 1], ['arrow', 1], ['xlsx', 0.2]]) {
  const rows = Math.round((quick ? 500_000 : 2_000_000) * share);
  for (const w of [1, 2]) results.formats.push({ format, workers: w, ...measure(`loans -> ${format}, ${w} worker${w > 1 ? 's' : ''}`, rows, ['generate', 'loans', '--rows', String(rows), '--workers', String(w)], join(tmp, `out.${format}`)) });
}

// 2. Retail, two workers.
if (!quick) {
  console.error('retail --scale 1 --workers 2:');
  results.retail = measure('retail scale 1, 2 workers', 13_192_114, ['generate', 'retail', '--scale', '1', '--workers', '2'], join(tmp, 'retail'));
  results.retail.targets = { seconds: 45, peakMB: 1024 };
}

// 3. Flat memory: 10x the rows, (almost) the same peak.
console.error('attendance -> CSV, 2 workers, 10x the rows:');
for (const rows of quick ? [1_000_000, 10_000_000] : [10_000_000, 100_000_000]) {
  results.flat.push(measure(`attendance ${rows.toLocaleString('en-US')} rows`, rows, ['generate', 'attendance', '--rows', String(rows), '--workers', '2'], join(tmp, 'flat.csv')));
}

rmSync(tmp, { recursive: true, force: true });
results.loadAfter = loadavg().map((x) => Math.round(x * 100) / 100);

console.log(`\nmachine: ${results.machine.cpus} x ${results.machine.model}, Node ${results.machine.node}; load before ${loadBefore.join(' ')}, after ${results.loadAfter.join(' ')}\n`);
console.log('| case | rows | 1 worker (s) | 2 workers (s) | speed-up | target | 2 processes, half each (s) | machine ceiling |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const s of results.speedups) console.log(`| ${s.name} | ${s.rows.toLocaleString('en-US')} | ${s.one.seconds} | ${s.two.seconds} | ${s.speedup}x | >= ${s.target}x | ${s.twoProcessesSeconds} | ${s.ceiling}x |`);
console.log('\n| format (loans) | workers | rows | rows/s | MB/s | MB | peak RSS MB |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const f of results.formats) console.log(`| ${f.format} | ${f.workers} | ${f.rows.toLocaleString('en-US')} | ${f.rowsPerS.toLocaleString('en-US')} | ${f.mbPerS} | ${f.mb} | ${f.peakMB} |`);
if (results.retail) console.log(`\nretail --scale 1 --workers 2: ${results.retail.seconds} s (target <= 45), ${results.retail.mb} MB written, peak RSS ${results.retail.peakMB} MB (target <= 1024)`);
const [small, large] = results.flat;
console.log(`\nflat memory: ${small.rows.toLocaleString('en-US')} rows peak ${small.peakMB} MB, ${large.rows.toLocaleString('en-US')} rows peak ${large.peakMB} MB (${round((large.peakMB / small.peakMB - 1) * 100, 1)}%; target within 10%), ${large.rowsPerS.toLocaleString('en-US')} rows/s, ${large.mbPerS} MB/s`);
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'scale-out.json'), JSON.stringify(results, null, 2) + '\n');

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
