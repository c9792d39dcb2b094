/**
 * `generate --workers N` (issue 12): the output is byte-identical for 1, 2 and 3 workers, for
 * every way a scenario is written (encoded in workers: CSV, NDJSON, Parquet, stdout; in one
 * thread, with a note saying why: XLSX, Arrow, partitioned folders), for a shard of a
 * scenario, a YAML scenario, row counts around the 8192-row chunk, and a whole dataset (retail).
 * DuckDB reads the files independently. Bad --workers values and a worker that dies mid-run
 * end with one line and leave nothing complete-looking behind.
 *
 * Every case runs the built CLI (bin/run.js) as a user would; cases run side by side.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { BIN, cliEnv, sha256, tempDir, tree } from './helpers.js';

interface Ran {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** At most this many CLI processes at once (the cases run side by side on a 2-core machine). */
const MAX_PROCESSES = 4;
let running = 0;
const waiting: Array<() => void> = [];
async function slot<R>(f: () => Promise<R>): Promise<R> {
  while (running >= MAX_PROCESSES) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** The CLI in a real process; stdout kept as bytes (it may carry data). */
function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = cliEnv): Promise<Ran> {
  return slot(() => spawnCli(args, cwd, env));
}

function spawnCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Runs and insists on success (the stderr is the message when it fails). */
async function ok(args: string[], cwd: string): Promise<Ran> {
  const r = await cli(args, cwd);
  expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}


/** A user mistake: non-zero exit, one line `datagen: ... [CODE]` naming the parts, no stack trace, nothing on stdout. */
function expectOneLine(r: Ran, code: string, ...parts: string[]): void {
  expect(r.status, r.stderr).not.toBe(0);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^datagen: .* \\[${code}\\]$`));
  for (const p of parts) expect(lines[0]).toContain(p);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout.length).toBe(0);
}

/** The ledger's lines without the run id (a random id per CLI run). */
const ledgerLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      delete o.run;
      return JSON.stringify(o);
    });

/**
 * Runs `args` with --workers 1, 2, 3 (each into a folder w1, w2, w3 of its own) and returns
 * the folders; `args` name their outputs relative to that folder.
 */
async function byWorkers(root: string, args: string[], workers = [1, 2, 3]): Promise<{ dirs: string[]; runs: Ran[] }> {
  const dirs = workers.map((w) => join(root, `w${w}`));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const runs = await Promise.all(workers.map((w, k) => ok([...args, '--workers', String(w), '-q'], dirs[k]!)));
  return { dirs, runs };
}

/** Every folder holds the same files, byte for byte, as the first; returns the first's listing. */
function expectSameTrees(dirs: string[]): Record<string, string> {
  const first = tree(dirs[0]!);
  expect(Object.keys(first).length).toBeGreaterThan(0);
  for (const d of dirs.slice(1)) expect(tree(d), d).toEqual(first);
  return first;
}

async function duck() {
  return (await DuckDBInstance.create(':memory:')).connect();
}

const T = 120_000;

describe('--workers 1, 2, 3: the same bytes for scenarios', () => {
  it.concurrent('attendance to CSV (40,000 rows: five chunks, the last one short), checked by DuckDB', async () => {
    const root = tempDir('datagen-workers-');
    const { dirs } = await byWorkers(root, ['generate', 'attendance', '--rows', '40000', '--out', 'out.csv']);
    expectSameTrees(dirs);
    const text = readFileSync(join(dirs[0]!, 'out.csv'), 'utf8');
    expect(text.split('\n').length).toBe(40_002); // header, 40,000 rows, the final newline
    // DuckDB reads the 1- and 2-worker files to the same count and sums.
    const db = await duck();
    const q = async (dir: string) =>
      (await db.runAndReadAll(`SELECT count(*), sum(employee_id), count(check_in), min(date)::VARCHAR, max(date)::VARCHAR FROM read_csv('${join(dir, 'out.csv')}', header = true)`)).getRows()[0]!.map(String);
    const one = await q(dirs[0]!);
    expect(one[0]).toBe('40000');
    expect(await q(dirs[1]!)).toEqual(one);
  }, T);

  it.concurrent('customer_360 to NDJSON', async () => {
    const root = tempDir('datagen-workers-');
    const { dirs } = await byWorkers(root, ['generate', 'customer_360', '--rows', '20000', '--out', 'out.jsonl']);
    expectSameTrees(dirs);
    expect(readFileSync(join(dirs[0]!, 'out.jsonl'), 'utf8').split('\n').filter((l) => l !== '')).toHaveLength(20_000);
  }, T);

  it.concurrent('loans to Parquet with its default missing stage and --ledger: same file, same ledger lines; DuckDB agrees', async () => {
    const root = tempDir('datagen-workers-');
    const { dirs } = await byWorkers(root, ['generate', 'loans', '--rows', '20000', '--out', 'out.parquet', '--ledger', 'ledger.jsonl']);
    const hashes = dirs.map((d) => sha256(readFileSync(join(d, 'out.parquet'))));
    expect(new Set(hashes).size).toBe(1);
    const ledger = ledgerLines(join(dirs[0]!, 'ledger.jsonl'));
    expect(ledger.filter((l) => l.includes('"kind":"null"')).length).toBeGreaterThan(1000);
    for (const d of dirs.slice(1)) expect(ledgerLines(join(d, 'ledger.jsonl'))).toEqual(ledger);
    const db = await duck();
    const q = async (dir: string) =>
      (await db.runAndReadAll(`SELECT count(*), sum(amount), count(amount), count(status), sum(interest_rate)::VARCHAR FROM read_parquet('${join(dir, 'out.parquet')}')`)).getRows()[0]!.map(String);
    const one = await q(dirs[0]!);
    expect(one[0]).toBe('20000');
    // The nulls the missing stage made are in the file the workers wrote too.
    expect(Number(one[2])).toBeLessThan(20_000);
    expect(await q(dirs[1]!)).toEqual(one);
  }, T);

  it.concurrent('loans to XLSX and attendance to Arrow (one thread, a note on stderr says why)', async () => {
    const root = tempDir('datagen-workers-');
    const [x, a] = await Promise.all([
      byWorkers(join(root, 'xlsx'), ['generate', 'loans', '--rows', '10000', '--out', 'out.xlsx'], [1, 2]),
      byWorkers(join(root, 'arrow'), ['generate', 'attendance', '--rows', '20000', '--out', 'out.arrow'], [1, 3]),
    ]);
    expectSameTrees(x.dirs);
    expectSameTrees(a.dirs);
    const noted = await cli(['generate', 'loans', '--rows', '20000', '--out', 'noted.xlsx', '--workers', '2'], root);
    expect(noted.status, noted.stderr).toBe(0);
    expect(noted.stderr.split('\n')[0]).toBe('datagen: --workers 2 not used (xlsx output is not written in pieces): one thread, the same bytes');
  }, T);

  it.concurrent('a partitioned folder (--out dir/ --partition-by status)', async () => {
    const root = tempDir('datagen-workers-');
    const { dirs } = await byWorkers(root, ['generate', 'attendance', '--rows', '30000', '--out', 'parts/', '--partition-by', 'status'], [1, 2]);
    const files = expectSameTrees(dirs);
    expect(Object.keys(files).sort()).toEqual(['parts/status=ABSENT/part-0000.csv', 'parts/status=LATE/part-0000.csv', 'parts/status=PRESENT/part-0000.csv', 'parts/status=WFH/part-0000.csv']);
  }, T);

  it.concurrent('--out - : the same bytes on stdout', async () => {
    const root = tempDir('datagen-workers-');
    const { runs } = await byWorkers(root, ['generate', 'customer_360', '--rows', '20000', '--out', '-', '--format', 'csv'], [1, 2]);
    expect(runs[0]!.stdout.toString('utf8').split('\n').length).toBe(20_002);
    for (const r of runs.slice(1)) expect(sha256(r.stdout)).toBe(sha256(runs[0]!.stdout));
  }, T);

  it.concurrent('--shard 1/3 with --workers 2 is the shard without workers: rows [13333, 26666) of the whole', async () => {
    const root = tempDir('datagen-workers-');
    const [{ dirs }] = await Promise.all([
      byWorkers(root, ['generate', 'attendance', '--rows', '40000', '--shard', '1/3', '--out', 'out.csv'], [1, 2]),
      ok(['generate', 'attendance', '--rows', '40000', '--out', 'whole.csv', '-q'], root),
    ]);
    expectSameTrees(dirs);
    const whole = readFileSync(join(root, 'whole.csv'), 'utf8').split('\n');
    const shard = readFileSync(join(dirs[1]!, 'out.csv'), 'utf8').split('\n');
    expect(shard[0]).toBe(whole[0]);
    expect(shard.slice(1, -1)).toEqual(whole.slice(1 + 13_333, 1 + 26_666));
  }, T);

  it.concurrent('a YAML scenario (datagen new scenario) to CSV and NDJSON with its anomalies and --ledger', async () => {
    const root = tempDir('datagen-workers-');
    await ok(['new', 'scenario', 'moves'], root);
    const yml = join(root, 'moves.yml');
    const { dirs } = await byWorkers(root, ['generate', yml, '--rows', '20000', '--out', 'out.csv', '--ledger', 'ledger.jsonl']);
    expect(sha256(readFileSync(join(dirs[1]!, 'out.csv'))), 'CSV of 2 workers').toBe(sha256(readFileSync(join(dirs[0]!, 'out.csv'))));
    expect(sha256(readFileSync(join(dirs[2]!, 'out.csv'))), 'CSV of 3 workers').toBe(sha256(readFileSync(join(dirs[0]!, 'out.csv'))));
    // move_id is a sequence from 1: the rows come in order, each once.
    const ids = readFileSync(join(dirs[1]!, 'out.csv'), 'utf8').split('\n').slice(1, -1).map((l) => Number(l.split(',')[0]));
    expect(ids.length).toBe(20_000);
    expect(ids.every((id, i) => id === i + 1)).toBe(true);
    const ledger = ledgerLines(join(dirs[0]!, 'ledger.jsonl'));
    expect(ledger.length).toBeGreaterThan(100);
    for (const d of dirs.slice(1)) expect(ledgerLines(join(d, 'ledger.jsonl'))).toEqual(ledger);
    expectSameTrees((await byWorkers(join(root, 'jsonl'), ['generate', yml, '--rows', '20000', '--out', 'out.jsonl'], [1, 2])).dirs);
  }, T);

  it.concurrent('row counts around the chunk: 5,000 (under one chunk), 8,193 (one row past it) and 0, to CSV and Parquet', async () => {
    const root = tempDir('datagen-workers-');
    const cases = [
      { rows: '5000', ext: 'csv' },
      { rows: '8193', ext: 'parquet' },
      { rows: '0', ext: 'csv' },
      { rows: '0', ext: 'parquet' },
    ];
    const results = await Promise.all(cases.map(({ rows, ext }) => byWorkers(join(root, `${rows}-${ext}`), ['generate', 'loans', '--rows', rows, '--out', `out.${ext}`], [1, 3])));
    results.forEach((r) => expectSameTrees(r.dirs));
    const db = await duck();
    for (const { rows, ext } of cases) {
      const file = join(root, `${rows}-${ext}`, 'w3', `out.${ext}`);
      const reader = ext === 'csv' ? `read_csv('${file}', header = true)` : `read_parquet('${file}')`;
      // An empty CSV is a header only: DuckDB cannot sniff its types, so count its lines here.
      const count = ext === 'csv' && rows === '0' ? readFileSync(file, 'utf8').split('\n').length - 2 : Number((await db.runAndReadAll(`SELECT count(*) FROM ${reader}`)).getRows()[0]![0]);
      expect(count, `${rows} rows to ${ext}`).toBe(Number(rows));
    }
  }, T);
});

describe('--workers for a dataset', () => {
  it('retail at scale 0.003: the folders of 1, 2 and 3 workers hold the same files, byte for byte (manifest and ledger too)', async () => {
    const root = tempDir('datagen-workers-retail-');
    const { dirs } = await byWorkers(root, ['generate', 'retail', '--scale', '0.003', '--end', '2022-03-31', '--out', 'raw']);
    const files = expectSameTrees(dirs);
    expect(files['raw/_manifest.json']).toBeDefined();
    expect(files['raw/_ledger.jsonl']).toBeDefined();
    expect(Object.keys(files).some((f) => f.startsWith('raw/returns/_delta_log/'))).toBe(true);
  }, 240_000);
});

describe('--workers: refusals and failures', () => {
  it('0, -1, abc, 1.5 are refused with one line naming --workers and the value, nothing written; auto works', async () => {
    const root = tempDir('datagen-workers-bad-');
    const bad = ['0', '-1', 'abc', '1.5'];
    const runs = await Promise.all([
      ...bad.map((w) => cli(['generate', 'attendance', '--rows', '100', '--out', `bad${w}.csv`, `--workers=${w}`], root)),
      cli(['generate', 'retail', '--scale', '0.003', '--out', 'raw', '--workers', '0'], root),
      cli(['generate', 'attendance', '--rows', '20000', '--out', 'auto.csv', '--workers', 'auto', '-q'], root),
    ]);
    bad.forEach((w, k) => expectOneLine(runs[k]!, 'E_OPTION', '--workers', JSON.stringify(w)));
    expectOneLine(runs[4]!, 'E_OPTION', '--workers', '"0"');
    expect(runs[5]!.status, runs[5]!.stderr).toBe(0);
    expect(readFileSync(join(root, 'auto.csv'), 'utf8').split('\n').length).toBe(20_002);
    // Nothing written by the refused runs (no file, no temporary file, no folder).
    expect(readdirSync(root)).toEqual(['auto.csv']);
  }, T);

  it('a worker that dies (exit 70 at chunk 5) fails the run with E_WORKER naming the chunk; no file, no temporary file', async () => {
    const root = tempDir('datagen-workers-kill-');
    const env = { ...cliEnv, DATAGEN_FAILPOINT: 'worker-exit:5' };
    const r = await cli(['generate', 'attendance', '--rows', '100000', '--workers', '2', '--out', 'x.csv'], root, env);
    expectOneLine(r, 'E_WORKER', 'chunk 5', 'exit code 70');
    expect(readdirSync(root)).toEqual([]);
  }, T);

  it('a worker that dies in a dataset run (retail, task 3) leaves no manifest and no table files', async () => {
    const root = tempDir('datagen-workers-kill-');
    const env = { ...cliEnv, DATAGEN_FAILPOINT: 'worker-exit:3' };
    const r = await cli(['generate', 'retail', '--scale', '0.003', '--workers', '2', '--out', 'raw', '-q'], root, env);
    expectOneLine(r, 'E_WORKER', 'table ', 'exit code 70');
    const left = existsSync(join(root, 'raw')) ? Object.keys(tree(join(root, 'raw'))) : [];
    expect(left).not.toContain('_manifest.json');
    expect(left, 'files left in raw/').toEqual([]);
  }, T);
});
