import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytes, count } from '../src/cli/progress.js';
import { BIN, cliEnv, sh, tempDir } from './helpers.js';

/**
 * Progress and summary lines (src/cli/progress.ts), from real processes of the compiled bin.
 * Every command of the first shell script writes its stderr to a file of its own, so each
 * summary is read alone; counts are checked against the files and ledgers the run left.
 */
const D = `node ${BIN}`;
const dir = tempDir('datagen-progress-');
const read = (f: string) => readFileSync(join(dir, f), 'utf8');
const size = (f: string) => bytes(statSync(join(dir, f)).size);
/** Ledger entries (lines but the stage events) of a ledger file. */
const entries = (f: string) => read(f).split('\n').filter((l) => l.startsWith('{') && !l.startsWith('{"event"')).length;
const SECONDS = ', \\d+\\.\\ds$';
const line = (f: string) => {
  const lines = read(f).trimEnd().split('\n');
  expect(lines, f).toHaveLength(1);
  return lines[0]!;
};

beforeAll(() => {
  const rows = `${D} pipe loans --rows 3000 --seed 7`;
  const r = sh(
    [
      // A pipe of three processes: each writes its own summary (no progress: stderr is a file).
      `${rows} --ledger pipe.jsonl 2> pipe.err | ${D} noise --rate 0.02 --ledger noise.jsonl 2> noise.err | ${D} duplicate --rate 0.01 --ledger dup.jsonl 2> dup.err | ${D} csv 2> csv.err > out.csv`,
      // The same with --progress on the sink: the same bytes on stdout, progress drawn into the file.
      `${rows} -q | ${D} noise --rate 0.02 -q | ${D} duplicate --rate 0.01 -q | ${D} csv --progress 2> progress.err > progress.csv`,
      // --quiet everywhere: nothing on stderr.
      `${rows} -q 2> q1.err | ${D} noise -q 2> q2.err | ${D} parquet --out q.parquet -q 2> q3.err`,
      `${D} generate loans --rows 3000 --seed 7 -q --out q.csv 2> q4.err`,
      // Without a ledger file a stage only tallies its changes: the same count as with one.
      `${rows} -q | ${D} noise --rate 0.02 2> noledger.err > /dev/null`,
      // Sinks writing files, generate into a file (gzip: the bytes on disk) and to stdout.
      `${rows} --clean -q > clean.ndjson`,
      `${D} parquet --out s.parquet < clean.ndjson 2> parquet.err`,
      `${D} csv --out s.csv.gz < clean.ndjson 2> gz.err`,
      `${D} generate loans --rows 3000 --seed 7 --ledger gen.jsonl --out g.csv 2> gen.err`,
      `${D} generate loans --rows 3000 --seed 7 --clean --out - 2> genout.err > genout.csv`,
    ].join(' && '),
    dir,
  );
  if (r.status !== 0) throw new Error(r.stderr);
}, 120_000);

describe('summary lines', () => {
  it('pipe, each transform and the sink of one shell pipe: rows in and out, anomalies = ledger entries, bytes', () => {
    expect(line('pipe.err')).toMatch(new RegExp(`^datagen: pipe loans: 3,000 rows to stdout, [\\d.]+ [kM]B, ${count(entries('pipe.jsonl'))} anomalies${SECONDS}`));
    expect(entries('pipe.jsonl')).toBeGreaterThan(0);
    expect(line('noise.err')).toMatch(new RegExp(`^datagen: noise: 3,000 rows in, 3,000 out, ${count(entries('noise.jsonl'))} anomalies, [\\d.]+ [kM]B to stdout${SECONDS}`));
    expect(entries('noise.jsonl')).toBeGreaterThan(0);
    // duplicate adds rows: out = in + its anomalies (one ledger entry per copy).
    const dup = /^datagen: duplicate: 3,000 rows in, ([\d,]+) out, ([\d,]+) anomalies, [\d.]+ [kM]B to stdout, \d+\.\ds$/.exec(line('dup.err'));
    expect(dup, read('dup.err')).not.toBeNull();
    const [out, added] = [dup![1]!, dup![2]!].map((s) => Number(s.replaceAll(',', '')));
    expect(added).toBeGreaterThan(0);
    expect(out).toBe(3000 + added!);
    expect(added).toBe(entries('dup.jsonl'));
    expect(line('noledger.err')).toMatch(new RegExp(`^datagen: noise: 3,000 rows in, 3,000 out, ${count(entries('noise.jsonl'))} anomalies, [\\d.]+ [kM]B to stdout${SECONDS}`));
    // The sink's row count and bytes are those of the file it wrote (stdout redirected).
    expect(read('out.csv').trimEnd().split('\n')).toHaveLength(out! + 1);
    expect(line('csv.err')).toMatch(new RegExp(`^datagen: csv: ${count(out!)} rows to stdout, ${size('out.csv')}${SECONDS}`));
  });

  it('sinks and generate into files report the bytes of the file (after gzip), generate its ledger entries', () => {
    expect(line('parquet.err')).toMatch(new RegExp(`^datagen: parquet: 3,000 rows to s.parquet, ${size('s.parquet')}${SECONDS}`));
    expect(line('gz.err')).toMatch(new RegExp(`^datagen: csv: 3,000 rows to s.csv.gz, ${size('s.csv.gz')}${SECONDS}`));
    expect(line('gen.err')).toMatch(new RegExp(`^datagen: wrote 3,000 loans rows to g.csv, ${size('g.csv')}, ${count(entries('gen.jsonl'))} anomalies${SECONDS}`));
    // --clean: no stage ran, so no anomaly count.
    expect(line('genout.err')).toMatch(new RegExp(`^datagen: wrote 3,000 loans rows to stdout, ${size('genout.csv')}${SECONDS}`));
  });

  it('--quiet prints nothing on stderr (pipe, transform, sink, generate)', () => {
    for (const f of ['q1.err', 'q2.err', 'q3.err', 'q4.err']) expect(read(f), f).toBe('');
  });
});

describe('progress', () => {
  it('--progress leaves stdout byte-identical and draws progress into a non-terminal stderr', () => {
    expect(readFileSync(join(dir, 'progress.csv')).equals(readFileSync(join(dir, 'out.csv')))).toBe(true);
    const lines = read('progress.err').trimEnd().split('\n').filter((l) => l !== '');
    // At least the last counts (a line per second before), then the summary, last.
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-2)).toMatch(/^csv {2}[\d,]+ rows {2}[\d,]+ rows\/s {2}[\d.]+ [kM]B {2}\d+\.\ds$/);
    expect(lines.at(-1)).toMatch(/^datagen: csv: [\d,]+ rows to stdout, /);
    expect(read('progress.err')).not.toContain('\x1b['); // no cursor movement where there is no terminal
  });

  it('a dataset draws a line per table with its rows and rows/s while it runs', () => {
    const work = tempDir('datagen-progress-dataset-');
    const r = sh(`${D} generate retail --scale 0.03 --tables orders_lines --progress --out raw 2> dataset.err`, work);
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(join(work, 'dataset.err'), 'utf8').split('\n').filter((l) => l !== '');
    const drawn = lines.filter((l) => l.startsWith('retail: orders_lines'));
    expect(drawn.length).toBeGreaterThanOrEqual(1);
    expect(drawn.at(-1)).toMatch(/^retail: orders_lines {2}[\d,]+ rows {2}[\d,]+ rows\/s {2}\d+\.\ds$/);
    const total = /^datagen: retail: orders_lines: ([\d,]+) rows/.exec(lines.find((l) => l.startsWith('datagen: retail: orders_lines'))!)![1]!;
    // The counts drawn never exceed the table's rows.
    for (const l of drawn) expect(Number(/ ([\d,]+) rows /.exec(l)![1]!.replaceAll(',', ''))).toBeLessThanOrEqual(Number(total.replaceAll(',', '')));
  }, 60_000);

  it('is drawn on a terminal without --progress once a run lasts a second (script(1) gives it a pty)', () => {
    const work = tempDir('datagen-progress-tty-');
    // The sink waits on its input for 1.5 s: long enough for the first drawing, however fast the machine.
    const cmd = `{ ${D} pipe loans --rows 100 -q; sleep 1.5; } | ${D} csv --out t.csv`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: work, env: cliEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\x1b\[\d*G\x1b\[\d*Gcsv {2}[\d,]+ rows {2}[\d,]+ rows\/s {2}/); // drawn at the line start, redrawn in place
    expect(r.stdout).toMatch(/\x1b\[0J/); // cleared at the end
    expect(r.stdout).toMatch(/datagen: csv: 100 rows to t\.csv, [\d.]+ kB, \d+\.\ds\r\n$/);
  }, 60_000);
});
