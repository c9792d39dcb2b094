// Benchmark driver: `npm run bench` (builds first), or `node bench/run.js [--quick] [--rows N]`.
//
//   --rows N   base size (default 1,000,000); the large cases use 10 x N rows
//   --quick    base-size cases only (skips the 10 x N ones), for a fast check
//   --only S   only the cases whose name contains S (e.g. --only stage, --only scenario, --only retail)
//
// The retail dataset runs whole at --scale 0.1 and, without --quick, at --scale 1 (~13M rows):
// rows/s and MB/s per table, total wall time and peak RSS (target: scale 1 in <= 90 s, <= 1 GB).
//
// Every case runs in a fresh child process (bench/case.js) so its peak RSS is its own. Prints a
// table and writes bench/results/latest.json. Not part of the test suite: figures depend on the
// machine; docs/BENCHMARKS.md records one run.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const rowsAt = argv.indexOf('--rows');
const base = rowsAt >= 0 ? Number(argv[rowsAt + 1]) : 1_000_000;
if (!Number.isInteger(base) || base < 1) throw new Error(`--rows needs a positive integer, got ${argv[rowsAt + 1]}`);
const large = 10 * base;
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;

const SCENARIOS = ['attendance', 'loans', 'loan_repayments', 'bank_transactions', 'credit_card_spend', 'customer_360', 'spark_logs', 'iot_sensors', 'experiments', 'sales', 'ecommerce_events'];
const STAGES = [
  ['none (customer_360 -> CSV)', []],
  ['noise 1%', [['noise', { rate: 0.01 }]]],
  ['missing 2%', [['missing', { rate: 0.02 }]]],
  ['corrupt-fk 1%', [['corrupt-fk', { columns: ['customer_id'], template: 'CUST-{n:05}', range: `1..${Math.max(1, base)}`, rate: 0.01 }]]],
  ['duplicate 1% (exact, key, near)', [['duplicate', { rate: 0.01, kinds: ['exact', 'key', 'near'] }]]],
  ['malform 1%', [['malform', { rate: 0.01 }]]],
  ['outliers 1%', [['outliers', { rate: 0.01 }]]],
];

// Output formats: [sink, extension, share of the base row count]. XLSX runs on a fifth of the
// rows (it is about 20x slower); the rest on the base count (1M).
const FORMATS = [
  ['csv', 'csv', 1],
  ['jsonl', 'jsonl', 1],
  ['arrow', 'arrow', 1],
  ['parquet', 'parquet', 1],
  ['xlsx', 'xlsx', 0.2],
];
// Per-format targets (rows/s) on this machine, and the peak RSS allowed for each.
const FORMAT_TARGETS = { csv: 400_000, jsonl: 300_000, arrow: 1_000_000, parquet: 350_000, xlsx: 25_000 };
const TARGET_RSS_MB_FORMAT = 400;

// Targets stated in docs/BENCHMARKS.md.
const TARGET_CSV_ROWS_PER_S = 400_000;
const TARGET_RSS_MB_LARGE = 250;
const RUNS = 3; // runs of each comparison, scenario and stage case (median reported)

// Other work on the machine skews every figure; the load averages are kept with the results.
const loadBefore = loadavg().map((x) => round(x, 2));
const tmp = mkdtempSync(join(tmpdir(), 'datagen-bench-'));
const file = (name) => join(tmp, name);
const MB = 1e6; // all MB figures are 10^6 bytes, RSS included

const cases = [
  { name: 'attendance -> CSV', rows: base, args: { kind: 'pipeline', format: 'csv', out: file('a.csv') } },
  { name: 'attendance -> NDJSON', rows: base, args: { kind: 'pipeline', format: 'ndjson', out: file('a.ndjson') } },
  ...(quick
    ? []
    : [
        { name: 'attendance -> CSV', rows: large, args: { kind: 'pipeline', format: 'csv', out: file('a.csv') } },
        { name: 'attendance -> NDJSON', rows: large, args: { kind: 'pipeline', format: 'ndjson', out: file('a.ndjson') } },
      ]),
  { name: 'attendance + noise + missing -> CSV', rows: base, args: { kind: 'pipeline', format: 'csv', stages: true, out: file('a.csv') } },
  { name: 'CLI generate -> CSV (with startup)', rows: base, cli: true, out: file('cli.csv') },
  // Each output format on loans, single process, without its default stages (targets below).
  ...FORMATS.map(([format, ext, share]) => ({
    name: `loans -> ${format}`,
    rows: Math.max(1, Math.round(base * share)),
    args: { kind: 'pipeline', scenario: 'loans', format, out: file(`loans.${ext}`) },
    group: 'output',
  })),
  { name: 'CLI generate loans -> XLSX (with startup)', rows: Math.min(base, 200_000), cli: true, scenario: 'loans', out: file('cli.xlsx') },
  // Every scenario to CSV (issue target: >= 250,000 rows/s each), without its default stages.
  ...SCENARIOS.map((s) => ({ name: `scenario ${s} -> CSV`, rows: base, args: { kind: 'pipeline', scenario: s, format: 'csv', out: file(`${s}.csv`) }, group: 'scenario' })),
  // Each anomaly stage on customer_360 -> CSV, against the same pipeline without it (stage cost).
  ...STAGES.map(([label, stages]) => ({ name: `stage ${label}`, rows: base, addsRows: stages.some(([n]) => n === 'duplicate'), args: { kind: 'pipeline', scenario: 'customer_360', format: 'csv', stages, out: file('stage.csv') }, group: 'stage' })),
  // The retail dataset, whole (rows depend on the scale: not known before the run).
  ...(quick ? [0.1] : [0.1, 1]).map((scale) => ({ name: `dataset retail --scale ${scale}`, rows: null, args: { kind: 'dataset', dataset: 'retail', scale, out: file(`retail-${scale}`) }, group: 'dataset' })),
  // Comparisons: formatting only (rows generated before the clock starts), then parsing only.
  { name: 'format: csv sink', rows: base, args: { kind: 'format-sink', out: file('sink.csv') }, group: 'format' },
  { name: 'format: csv-stringify', rows: base, args: { kind: 'format-csv-stringify', out: file('stringify.csv') }, group: 'format' },
  { name: 'parse: ndjsonSource', rows: base, args: { kind: 'parse-ndjson-source', input: file('input.ndjson') }, group: 'parse' },
  { name: 'parse: ndjson package', rows: base, args: { kind: 'parse-ndjson-package', input: file('input.ndjson') }, group: 'parse' },
  // The cost of live progress (src/cli/progress.ts): the same command without and with
  // --progress, stderr a non-terminal (/dev/null), so with --progress cli-progress draws a line
  // a second. Both count rows, bytes and anomalies for their summary line. The two run in turn
  // (A B A B A B), so load that comes and goes on a shared machine hits both alike.
  { name: 'progress: CLI generate loans -> CSV', rows: base, cli: true, scenario: 'loans', out: file('progress.csv'), stderrNull: true, group: 'progress', variants: [[], ['--progress']], runs: 5 },
];

function runCase(c) {
  if (c.cli) return runCli(c);
  const child = spawnSync(process.execPath, [join(here, 'case.js'), JSON.stringify({ rows: c.rows, seed: 42, ...c.args })], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`${c.name}: case exited with ${child.status ?? child.signal}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

// The CLI's own process is what we measure, so time it from outside (node startup and oclif
// loading included) and take its peak RSS from GNU time, when installed.
function runCli(c) {
  const cmd = [process.execPath, join(root, 'bin/run.js'), 'generate', c.scenario ?? 'attendance', '--rows', String(c.rows), '--seed', '42', '--out', c.out, ...(c.flags ?? [])];
  const haveTime = existsSync('/usr/bin/time');
  const timeOut = file('time.txt');
  const [exe, ...rest] = haveTime ? ['/usr/bin/time', '-f', '%M', '-o', timeOut, ...cmd] : cmd;
  const start = performance.now();
  // stderr is kept for failures only: on success the CLI prints a one-line summary there.
  // The progress cases write it to /dev/null (where cli-progress draws, not a terminal).
  const devNull = c.stderrNull ? openSync('/dev/null', 'w') : undefined;
  const child = spawnSync(exe, rest, { stdio: ['ignore', 'ignore', devNull ?? 'pipe'], encoding: 'utf8' });
  if (devNull !== undefined) closeSync(devNull);
  const seconds = (performance.now() - start) / 1000;
  if (child.status !== 0) throw new Error(`${c.name}: exited with ${child.status ?? child.signal}\n${child.stderr}`);
  const maxRssKB = haveTime ? Number(readFileSync(timeOut, 'utf8').trim().split('\n').pop()) : null;
  return { rows: c.rows, seconds, bytes: statSync(c.out).size, maxRssKB };
}

// The parse cases read an NDJSON file written by the library beforehand (not timed).
function prepareNdjsonInput(rows) {
  runCase({ name: 'prepare NDJSON input', rows, args: { kind: 'pipeline', format: 'ndjson', out: file('input.ndjson') } });
}

const results = [];
try {
  for (const c of only ? cases.filter((x) => x.name.includes(only)) : cases) {
    if (c.group === 'parse' && !existsSync(file('input.ndjson'))) prepareNdjsonInput(c.rows);
    if (c.variants) {
      // Variants of one command, run in turn; a row each, named by its extra flags.
      process.stderr.write(`running ${c.name} with and without ${c.variants.flat().join(' ')} (${c.rows.toLocaleString('en-US')} rows)... `);
      const runs = c.variants.map(() => []);
      for (let i = 0; i < (c.runs ?? RUNS); i++) {
        c.variants.forEach((flags, v) => {
          runs[v].push(runCase({ ...c, flags }));
          rmSync(c.out, { force: true });
        });
      }
      c.variants.forEach((flags, v) => results.push(rowOf({ ...c, name: [c.name, ...flags].join(' ') }, runs[v])));
      process.stderr.write(`${runs.map((r) => r.map((x) => x.seconds.toFixed(2)).join(' / ')).join(' | ')} s\n`);
      continue;
    }
    process.stderr.write(`running ${c.name}${c.rows === null ? '' : ` (${c.rows.toLocaleString('en-US')} rows)`}... `);
    // Comparison cases are short and their ratio is the point, so they run RUNS times and report
    // the median: one run on a busy machine can be off by 30%. A dataset run is long: once.
    const runs = [];
    for (let i = 0; i < (c.group && c.group !== 'dataset' ? RUNS : 1); i++) {
      runs.push(runCase(c));
      // Delete outputs as we go: the 10 x N files take gigabytes.
      if (c.args?.out) rmSync(c.args.out, { force: true, recursive: true });
      if (c.out) rmSync(c.out, { force: true });
    }
    results.push(rowOf(c, runs));
    process.stderr.write(`${runs.map((x) => x.seconds.toFixed(2)).join(' / ')} s\n`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// One result row from a case's runs (the median of their times).
function rowOf(c, runs) {
  const r = { ...runs[0], seconds: median(runs.map((x) => x.seconds)), maxRssKB: Math.max(...runs.map((x) => x.maxRssKB)) };
  const row = {
    case: c.name,
    group: c.group ?? 'pipeline',
    rows: r.rows,
    seconds: round(r.seconds, 3),
    rowsPerSecond: Math.round(r.rows / r.seconds),
    mbPerSecond: round(r.bytes / MB / r.seconds, 1),
    bytes: r.bytes,
    peakRssMB: r.maxRssKB == null ? null : round((r.maxRssKB * 1024) / MB, 1),
    ...(runs.length > 1 ? { runSeconds: runs.map((x) => round(x.seconds, 3)) } : {}),
    ...(r.sha256 ? { sha256: r.sha256 } : {}),
    ...(r.tables
      ? { tables: r.tables.map((t) => ({ ...t, seconds: round(t.seconds, 3), rowsPerSecond: Math.round(t.rows / t.seconds), mbPerSecond: round(t.bytes / MB / t.seconds, 1) })) }
      : {}),
  };
  // duplicate inserts rows: its output is larger than the rows generated.
  if (c.rows !== null && (c.addsRows ? row.rows < c.rows : row.rows !== c.rows)) throw new Error(`${c.name}: expected ${c.rows} rows, got ${row.rows}`);
  return row;
}

// ---------------------------------------------------------------- report

const fmt = (n) => (n == null ? '-' : n.toLocaleString('en-US'));
const header = ['case', 'rows', 'seconds', 'rows/s', 'MB/s', 'peak RSS MB'];
const lines = results.map((r) => [r.case, fmt(r.rows), r.seconds.toFixed(2), fmt(r.rowsPerSecond), r.mbPerSecond.toFixed(1), r.peakRssMB == null ? '-' : r.peakRssMB.toFixed(0)]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const show = (cells) => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ');
console.log(show(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const l of lines) console.log(show(l));
console.log('MB/s is output bytes written per second (input bytes read for the parse cases); MB = 10^6 bytes.');
// Per table of each dataset run: its rows, files and bytes over the seconds from its start to its end.
for (const r of results.filter((x) => x.tables)) {
  console.log(`\n${r.case}: ${fmt(r.rows)} rows in ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMB ?? '-'} MB`);
  const head = ['table', 'rows', 'files', 'MB', 'seconds', 'rows/s', 'MB/s'];
  const body = r.tables.map((t) => [t.name, fmt(t.rows), fmt(t.files), (t.bytes / MB).toFixed(1), t.seconds.toFixed(2), fmt(t.rowsPerSecond), t.mbPerSecond.toFixed(1)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((l) => l[i].length)));
  const line = (cells) => cells.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
  console.log(line(head));
  for (const l of body) console.log(line(l));
}
console.log(`format:/parse: rows are the median of ${RUNS} runs; their peak RSS is the largest of them.`);

const ratio = (group, ours) => {
  const rs = results.filter((r) => r.group === group);
  const mine = rs.find((r) => r.case === ours);
  const other = rs.find((r) => r !== mine);
  return mine && other ? round(mine.rowsPerSecond / other.rowsPerSecond, 2) : null;
};
const [sinkOut, stringifyOut] = results.filter((r) => r.group === 'format');
const [plain, drawn] = results.filter((r) => r.group === 'progress');
const comparison = {
  csvSinkVsCsvStringify: ratio('format', 'format: csv sink'),
  sameBytes: sinkOut && stringifyOut ? sinkOut.sha256 === stringifyOut.sha256 : null,
  ndjsonSourceVsNdjsonPackage: ratio('parse', 'parse: ndjsonSource'),
  progress: plain && drawn ? { withoutRowsPerSecond: plain.rowsPerSecond, withRowsPerSecond: drawn.rowsPerSecond, ratio: round(drawn.rowsPerSecond / plain.rowsPerSecond, 3) } : null,
};
console.log(`\ncsv sink vs csv-stringify: ${comparison.csvSinkVsCsvStringify}x the rows/s (identical output: ${comparison.sameBytes})`);
console.log(`ndjsonSource vs ndjson package: ${comparison.ndjsonSourceVsNdjsonPackage}x the rows/s`);
if (comparison.progress) {
  const p = comparison.progress;
  console.log(`progress: ${fmt(p.withoutRowsPerSecond)} rows/s without --progress, ${fmt(p.withRowsPerSecond)} with (${p.ratio}x; medians of ${plain.runSeconds.length} runs in turn)`);
}

const csvRuns = results.filter((r) => r.case === 'attendance -> CSV');
const largeRuns = results.filter((r) => r.rows === large && r.group === 'pipeline');
const targets = {
  csvRowsPerSecond: { target: `>= ${TARGET_CSV_ROWS_PER_S}`, measured: csvRuns.map((r) => `${r.rowsPerSecond} (${fmt(r.rows)} rows)`), met: csvRuns.length ? csvRuns.every((r) => r.rowsPerSecond >= TARGET_CSV_ROWS_PER_S) : null },
  peakRssMBAtLarge: quick || largeRuns.length === 0
    ? { target: `<= ${TARGET_RSS_MB_LARGE}`, measured: [], met: null }
    : { target: `<= ${TARGET_RSS_MB_LARGE}`, measured: largeRuns.map((r) => `${r.peakRssMB} (${r.case})`), met: largeRuns.every((r) => r.peakRssMB !== null && r.peakRssMB <= TARGET_RSS_MB_LARGE) },
};
// Every scenario >= 250,000 rows/s to CSV; every stage costs < 20% of the pipeline it joins.
const scenarioRuns = results.filter((r) => r.group === 'scenario');
targets.scenarioRowsPerSecond = {
  target: '>= 250000 each',
  measured: scenarioRuns.map((r) => `${r.case.replace(/^scenario | -> CSV$/g, '')} ${r.rowsPerSecond}`),
  met: scenarioRuns.length ? scenarioRuns.every((r) => r.rowsPerSecond >= 250_000) : null,
};
const outputRuns = results.filter((r) => r.group === 'output');
const formatOf = (r) => r.case.replace(/^loans -> /, '');
targets.formatRowsPerSecond = {
  target: Object.entries(FORMAT_TARGETS).map(([f, t]) => `${f} >= ${t}`).join(', '),
  measured: outputRuns.map((r) => `${formatOf(r)} ${r.rowsPerSecond}`),
  met: outputRuns.length ? outputRuns.every((r) => r.rowsPerSecond >= FORMAT_TARGETS[formatOf(r)]) : null,
};
targets.formatPeakRssMB = {
  target: `<= ${TARGET_RSS_MB_FORMAT} each`,
  measured: outputRuns.map((r) => `${formatOf(r)} ${r.peakRssMB}`),
  met: outputRuns.length ? outputRuns.every((r) => r.peakRssMB !== null && r.peakRssMB <= TARGET_RSS_MB_FORMAT) : null,
};
const stageRuns = results.filter((r) => r.group === 'stage');
const without = stageRuns[0];
targets.stageCost = {
  target: '< 20% of the pipeline throughput',
  measured: without ? stageRuns.slice(1).map((r) => `${r.case.replace(/^stage /, '')} ${round((1 - r.rowsPerSecond / without.rowsPerSecond) * 100, 1)}%`) : [],
  met: without && stageRuns.length > 1 ? stageRuns.slice(1).every((r) => 1 - r.rowsPerSecond / without.rowsPerSecond < 0.2) : null,
};
// The retail dataset at scale 1: <= 90 s and <= 1 GB peak RSS in one process (issue 11).
const retailFull = results.find((r) => r.case === 'dataset retail --scale 1');
targets.retailScale1 = {
  target: '<= 90 s and <= 1000 MB peak RSS',
  measured: retailFull ? [`${retailFull.seconds.toFixed(1)} s, ${retailFull.peakRssMB} MB`] : [],
  met: retailFull ? retailFull.seconds <= 90 && retailFull.peakRssMB !== null && retailFull.peakRssMB <= 1000 : null,
};
for (const [name, t] of Object.entries(targets)) {
  console.log(`target ${name} ${t.target}: measured ${t.measured.join(', ') || '(not run)'} -> ${t.met === null ? 'not checked' : t.met ? 'met' : 'MISSED'}`);
}

const report = {
  date: new Date().toISOString(),
  command: ['node', 'bench/run.js', ...argv].join(' '),
  // The commit measured (the work tree may hold uncommitted changes on top; dist/ is built from it).
  commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout?.trim() || null,
  machine: { cpu: cpus()[0]?.model, cpus: cpus().length, memoryGB: round(totalmem() / 1e9, 1), node: process.version, platform: `${process.platform} ${process.arch}` },
  loadAverage: { before: loadBefore, after: loadavg().map((x) => round(x, 2)) },
  baseRows: base,
  quick,
  results,
  comparison,
  targets,
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'latest.json'), JSON.stringify(report, null, 2) + '\n');
console.log(`\nwrote bench/results/latest.json`);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
