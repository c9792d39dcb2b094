/**
 * Datasets cut into shards (issue 12): `--shard i/n` runs (here three, side by side under GNU
 * parallel, as on many machines) plus `datagen finish` write the same files, byte for byte, as
 * one process with `--shards n`; the shard index may come from a scheduler's environment
 * (Kubernetes JOB_COMPLETION_INDEX, Slurm SLURM_ARRAY_TASK_ID); file names carry the shard;
 * a shard re-run is idempotent; finish refuses shards that are missing or disagree, and a
 * failed shard leaves nothing of itself behind. DuckDB reads the files independently.
 *
 * retail at scale 0.003 throughout (about 56,000 rows, 3,000 files), through the built CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, sha256, tempDir, tree } from './helpers.js';

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = cliEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function ok(args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Ran> {
  const r = await cli(args, cwd, env);
  expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

/** A user mistake: non-zero exit, one line `datagen...: ... [CODE]` naming the parts, no stack trace. */
function expectOneLine(r: Ran, code: string, ...parts: string[]): void {
  expect(r.status, r.stderr).not.toBe(0);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^datagen[ :].* \\[${code}\\]$`));
  for (const p of parts) expect(lines[0]).toContain(p);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}


/** Every file path under `dir` (names only, sorted). */
function listing(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listing(p, base));
    else out.push(relative(base, p).split(sep).join('/'));
  }
  return out.sort();
}

const FINISHED = ['_manifest.json', '_ledger.jsonl', '_ledger_summary.md'];
const without = (t: Record<string, string>, drop: (path: string) => boolean) => Object.fromEntries(Object.entries(t).filter(([p]) => !drop(p)));

interface Manifest {
  shards?: number;
  tables: Record<string, { rows: number; format: string; path: string }>;
  files: Array<{ path: string; table: string; rows?: number; bytes: number; sha256: string }>;
}
interface ShardRecord {
  shard: number;
  seed: number;
  scale: number;
  results: Array<{ table: string; rows: number; files: Array<{ path: string }> }>;
}

/** GNU parallel, when installed (.ci/run installs it). */
const PARALLEL = spawnSync('bash', ['-c', 'command -v parallel'], { encoding: 'utf8' }).stdout.trim();
/** unshare(1) can start a process in a PID namespace of its own (as PID 1, as in a container): needs root. */
const UNSHARE = spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;

// Two months of the horizon: every table and layout, without a thousand one-row day partitions per table.
const RETAIL = ['retail', '--scale', '0.003', '--end', '2022-02-28'];
let root: string;
let one: string; // --shards 3 in one process
let many: string; // three --shard i/3 runs, then finish
let shardsOnly: string; // the three shards without finish's files
let manyRuns: { status: number | null; stderr: string };
let db: DuckDBConnection;

beforeAll(async () => {
  root = tempDir('datagen-shards-');
  one = join(root, 'one');
  many = join(root, 'many');
  shardsOnly = join(root, 'shards-only');
  db = await (await DuckDBInstance.create(':memory:')).connect();
  const bin = JSON.stringify(BIN);
  const node = JSON.stringify(process.execPath);
  // Three shard processes at once, as a scheduler would start them; a plain loop only when parallel is missing.
  const script = PARALLEL
    ? `seq 0 2 | parallel -j 3 --halt now,fail=1 ${node} ${bin} generate ${RETAIL.join(' ')} --shard {}/3 --out many -q`
    : `for i in 0 1 2; do ${node} ${bin} generate ${RETAIL.join(' ')} --shard $i/3 --out many -q || exit 1; done`;
  const shards = new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], { cwd: root, env: cliEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (status) => resolve({ status, stderr }));
  });
  const [oneRun, shardRun] = await Promise.all([cli(['generate', ...RETAIL, '--shards', '3', '--out', 'one', '-q'], root), shards]);
  expect(oneRun.status, oneRun.stderr).toBe(0);
  expect(shardRun.status, shardRun.stderr).toBe(0);
  cpSync(many, shardsOnly, { recursive: true });
  manyRuns = await cli(['finish', 'retail', '--shards', '3', '--out', 'many', '-q'], root);
}, 240_000);

afterAll(() => {
  db?.closeSync();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A copy of the shards (without finish's files) to spoil. */
function copyOfShards(name: string): string {
  const dir = join(root, name);
  cpSync(shardsOnly, dir, { recursive: true });
  return dir;
}

const T = 120_000;

describe('shards + finish = one process with --shards n', () => {
  it.skipIf(!PARALLEL)(`three shards run by GNU parallel, then finish, hold the same files, byte for byte, as --shards 3${PARALLEL ? '' : ' (skipped: GNU parallel is not installed; apt-get install parallel)'}`, () => {
    expect(manyRuns.status, manyRuns.stderr).toBe(0);
    const a = tree(one);
    expect(Object.keys(a)).toEqual(expect.arrayContaining([...FINISHED, '_shards/00000-of-00003.json', '_shards/00002-of-00003.ledger.jsonl']));
    expect(tree(many)).toEqual(a);
  });

  it('the shards alone are the same files as --shards 3 without finish\'s three', () => {
    expect(tree(shardsOnly)).toEqual(without(tree(one), (p) => FINISHED.includes(p)));
  });

  // Pods of a Kubernetes Indexed Job (examples/scale-out: ENTRYPOINT datagen) all run as PID 1
  // and write to one shared folder: whatever a shard names after its PID must not collide.
  it.skipIf(!UNSHARE)(`three shards at once, each as PID 1 (as in containers), then finish: the same files as --shards 3${UNSHARE ? '' : ' (skipped: unshare --pid needs root)'}`, async () => {
    const bin = JSON.stringify(BIN);
    const node = JSON.stringify(process.execPath);
    // Waited for by PID: \`wait -n\` can miss a job that ended before it was called (exit 127, no message).
    const script = `rc=0; pids=(); for i in 0 1 2; do unshare --pid --fork ${node} ${bin} generate ${RETAIL.join(' ')} --shard $i/3 --out samepid -q & pids+=($!); done; for p in "\${pids[@]}"; do wait $p || { echo "shard pid $p: exit $?" >&2; rc=1; }; done; exit $rc`;
    const r = spawnSync('bash', ['-c', script], { cwd: root, env: cliEnv, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    await ok(['finish', 'retail', '--shards', '3', '--out', 'samepid', '-q'], root);
    const ledgerLines = (dir: string) => [0, 1, 2].map((s) => readFileSync(join(dir, '_shards', `0000${s}-of-00003.ledger.jsonl`), 'utf8').split('\n').length - 1);
    expect(ledgerLines(join(root, 'samepid')), 'ledger lines per shard').toEqual(ledgerLines(one));
    expect(tree(join(root, 'samepid'))).toEqual(tree(one));
  }, T);
});

describe('file names with --shards 3', () => {
  it('every table but the Delta one is cut into -0000N-of-00003 files; their rows add up to the manifest; DuckDB agrees', async () => {
    const m = JSON.parse(readFileSync(join(one, '_manifest.json'), 'utf8')) as Manifest;
    expect(m.shards).toBe(3);
    const files = listing(one);
    for (const s of [0, 1, 2]) expect(files).toContain(`customers-0000${s}-of-00003.csv`);
    expect(files).not.toContain('customers.csv');
    for (const f of m.files) {
      if (f.table === 'returns' || f.table.startsWith('_')) continue;
      expect(f.path, f.table).toMatch(/-0000[012]-of-00003\.[a-z]+$/);
    }
    // Partition files: part-0000.csv becomes part-0000-0000N-of-00003.csv.
    const headers = m.files.filter((f) => f.table === 'orders_header');
    expect(headers.length).toBeGreaterThan(3);
    for (const f of headers) expect(f.path).toMatch(/^orders_header\/order_dt=\d{4}-\d{2}-\d{2}\/part-\d{4}-0000[012]-of-00003\.csv$/);
    expect(new Set(headers.map((f) => f.path.slice(-18, -4)))).toEqual(new Set(['00000-of-00003', '00001-of-00003', '00002-of-00003']));

    // Rows per table: the shards' records add up to the manifest, and so do the files.
    const records = [0, 1, 2].map((s) => JSON.parse(readFileSync(join(one, '_shards', `0000${s}-of-00003.json`), 'utf8')) as ShardRecord);
    expect(records.map((r) => r.shard)).toEqual([0, 1, 2]);
    for (const [table, t] of Object.entries(m.tables)) {
      const fromShards = records.flatMap((r) => r.results.filter((x) => x.table === table)).reduce((n, x) => n + x.rows, 0);
      expect(fromShards, table).toBe(t.rows);
      if (t.format !== 'delta') expect(m.files.filter((f) => f.table === table).reduce((n, f) => n + (f.rows ?? 0), 0), table).toBe(t.rows);
    }
    // Every shard has a share of every table but returns, which only shard 0 writes.
    for (const r of records) expect(r.results.some((x) => x.table === 'returns'), `shard ${r.shard}`).toBe(r.shard === 0);

    const count = async (sql: string) => Number((await db.runAndReadAll(sql)).getRows()[0]![0]);
    expect(await count(`SELECT count(*) FROM read_csv('${join(one, 'customers-*.csv')}', header = true)`)).toBe(m.tables.customers!.rows);
    expect(await count(`SELECT count(DISTINCT customer_id) FROM read_csv('${join(one, 'customers-*.csv')}', header = true)`)).toBe(m.tables.customers!.rows);
    expect(await count(`SELECT count(*) FROM read_csv('${join(one, 'orders_header', '*', '*.csv')}', header = true, all_varchar = true)`)).toBe(m.tables.orders_header!.rows);
    expect(await count(`SELECT count(*) FROM read_parquet('${join(one, 'shipments-*.parquet')}')`)).toBe(m.tables.shipments!.rows);
  }, T);

  it('returns (Delta) is written whole by shard 0 with its log, and its last version reads back to the manifest rows', async () => {
    const m = JSON.parse(readFileSync(join(one, '_manifest.json'), 'utf8')) as Manifest;
    const files = listing(join(one, 'returns'));
    expect(files.filter((f) => f.includes('-of-'))).toEqual([]);
    const log = files.filter((f) => f.startsWith('_delta_log/')).sort();
    expect(log).toEqual([0, 1, 2, 3].map((v) => `_delta_log/${String(v).padStart(20, '0')}.json`));
    // Replay the log: the files added and not removed are the table's last version.
    const active = new Set<string>();
    for (const name of log) {
      for (const line of readFileSync(join(one, 'returns', name), 'utf8').split('\n').filter(Boolean)) {
        const a = JSON.parse(line) as { add?: { path: string }; remove?: { path: string } };
        if (a.add) active.add(a.add.path);
        if (a.remove) active.delete(a.remove.path);
      }
    }
    expect(active.size).toBeGreaterThan(0);
    const list = [...active].map((p) => `'${join(one, 'returns', p)}'`).join(', ');
    expect(Number((await db.runAndReadAll(`SELECT count(*) FROM read_parquet([${list}])`)).getRows()[0]![0])).toBe(m.tables.returns!.rows);
  }, T);

  it('every ledger line says its shard; customers ledger rows are lines of that shard\'s file (its first stage drops rows)', async () => {
    const lines = readFileSync(join(one, '_ledger.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { shard?: number; table: string; row?: number; stage: string; key?: { customer_id?: number }; column?: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => ![0, 1, 2].includes(l.shard as number))).toEqual([]);
    // A customers malform entry points at the row of its shard's file whose key it names.
    const csvRows = (s: number) => readFileSync(join(one, `customers-0000${s}-of-00003.csv`), 'utf8').split('\n').slice(1);
    const entries = lines.filter((l) => l.table === 'customers' && l.stage === 'malform' && l.key?.customer_id !== undefined);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(csvRows(e.shard!)[e.row!]!.split(',')[0]).toBe(String(e.key!.customer_id));
  }, T);

  it('--shards 1 and no flag: the names are unchanged, the files the same', async () => {
    const tables = ['--tables', 'customers,orders_header'];
    await Promise.all([ok(['generate', ...RETAIL, ...tables, '--shards', '1', '--out', 's1', '-q'], root), ok(['generate', ...RETAIL, ...tables, '--out', 's0', '-q'], root)]);
    const a = tree(join(root, 's1'));
    expect(tree(join(root, 's0'))).toEqual(a);
    expect(Object.keys(a)).toContain('customers.csv');
    expect(Object.keys(a).filter((p) => p.includes('-of-') || p.startsWith('_shards'))).toEqual([]);
    expect(Object.keys(a).some((p) => /^orders_header\/order_dt=[\d-]+\/part-0000\.csv$/.test(p))).toBe(true);
  }, T);
});

describe('--shard env/n: the index from the scheduler', () => {
  it('JOB_COMPLETION_INDEX=1 writes shard 1/3, SLURM_ARRAY_TASK_ID=2 shard 2/3; neither set or out of range is refused', async () => {
    const env = { ...cliEnv, JOB_COMPLETION_INDEX: undefined, SLURM_ARRAY_TASK_ID: undefined };
    const [, , neither, five] = await Promise.all([
      ok(['generate', ...RETAIL, '--shard', 'env/3', '--out', 'k8s', '-q'], root, { ...env, JOB_COMPLETION_INDEX: '1' }),
      ok(['generate', ...RETAIL, '--shard', 'env/3', '--out', 'slurm', '-q'], root, { ...env, SLURM_ARRAY_TASK_ID: '2' }),
      cli(['generate', ...RETAIL, '--shard', 'env/3', '--out', 'neither', '-q'], root, env),
      cli(['generate', ...RETAIL, '--shard', 'env/3', '--out', 'five', '-q'], root, { ...env, JOB_COMPLETION_INDEX: '5' }),
    ]);
    const all = tree(many);
    for (const [dir, s] of [['k8s', 1], ['slurm', 2]] as const) {
      const mine = without(all, (p) => !p.includes(`0000${s}-of-00003`));
      expect(Object.keys(mine).length).toBeGreaterThan(20);
      expect(tree(join(root, dir)), dir).toEqual(mine);
    }
    expectOneLine(neither, 'E_OPTION', 'JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'env/3');
    expectOneLine(five, 'E_OPTION', 'JOB_COMPLETION_INDEX=5', '3');
    expect(existsSync(join(root, 'neither'))).toBe(false);
    expect(existsSync(join(root, 'five'))).toBe(false);
  }, T);

  it('a scenario takes env/n too: JOB_COMPLETION_INDEX=1 with env/3 is --shard 1/3', async () => {
    const env = { ...cliEnv, JOB_COMPLETION_INDEX: '1', SLURM_ARRAY_TASK_ID: undefined };
    await Promise.all([
      ok(['generate', 'attendance', '--rows', '3000', '--shard', 'env/3', '--out', 'att-env.csv', '-q'], root, env),
      ok(['generate', 'attendance', '--rows', '3000', '--shard', '1/3', '--out', 'att-1.csv', '-q'], root),
    ]);
    const text = readFileSync(join(root, 'att-env.csv'), 'utf8');
    expect(text.split('\n').length).toBe(1 + 1000 + 1);
    expect(sha256(text)).toBe(sha256(readFileSync(join(root, 'att-1.csv'))));
  }, T);
});

describe('re-running a shard', () => {
  it('gives the same bytes, removes the finished files (now stale), and finish writes them again identical', async () => {
    const dir = join(root, 'idem');
    cpSync(many, dir, { recursive: true });
    const before = tree(dir);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(FINISHED));
    // With --workers 2 this time: a shard's files do not depend on its worker count.
    await ok(['generate', ...RETAIL, '--shard', '1/3', '--workers', '2', '--out', 'idem', '-q'], root);
    expect(tree(dir)).toEqual(without(before, (p) => FINISHED.includes(p)));
    await ok(['finish', 'retail', '--shards', '3', '--out', 'idem', '-q'], root);
    expect(tree(dir)).toEqual(before);
  }, T);
});

describe('finish refuses, writing nothing', () => {
  /** finish in `dir` fails with one line and leaves the folder's files as they were. */
  async function refused(dir: string, args: string[], code: string, ...parts: string[]): Promise<void> {
    const was = listing(dir);
    const r = await cli(['finish', 'retail', '--out', dir, ...args], root);
    expectOneLine(r, code, ...parts);
    expect(listing(dir)).toEqual(was);
    for (const f of FINISHED) expect(existsSync(join(dir, f)), f).toBe(false);
  }

  it('a shard missing: names its index', async () => {
    const dir = copyOfShards('missing');
    unlinkSync(join(dir, '_shards', '00001-of-00003.json'));
    await refused(dir, ['--shards', '3'], 'E_SHARDS', '1 of 3 shards missing', ': 1;', '--shard 1/3');
  }, T);

  it('a shard of another seed: the shard run itself is refused (E_OUTPUT); a record saying so stops finish', async () => {
    const dir = copyOfShards('seed');
    const was = tree(dir);
    const r = await cli(['generate', ...RETAIL, '--seed', '7', '--shard', '2/3', '--out', dir, '-q'], root);
    expectOneLine(r, 'E_OUTPUT', 'another run', 'seed=42', '7');
    expect(tree(dir)).toEqual(was);
    // As if shard 2 had been made elsewhere with seed 7.
    const path = join(dir, '_shards', '00002-of-00003.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"seed": 42,', '"seed": 7,'));
    await refused(dir, ['--shards', '3'], 'E_SHARDS', 'shard 2', 'seed=7', 'seed=42');
  }, T);

  it('--seed and --scale other than the shards used; --shards 4 for shards of 3; a data file gone; a damaged record', async () => {
    const dir = copyOfShards('checks');
    const gone = copyOfShards('gone');
    unlinkSync(join(gone, 'customers-00001-of-00003.csv'));
    const damaged = copyOfShards('damaged');
    writeFileSync(join(damaged, '_shards', '00002-of-00003.json'), '{"dataset": "ret');
    // finish only reads here: the three checks can share one folder.
    await Promise.all([
      refused(dir, ['--shards', '3', '--seed', '7'], 'E_SHARDS', 'seed=42', '7'),
      refused(dir, ['--shards', '3', '--scale', '0.5'], 'E_SHARDS', 'scale=0.003', '0.5'),
      refused(dir, ['--shards', '4'], 'E_SHARDS', 'holds shards of 3, not 4'),
      refused(gone, ['--shards', '3'], 'E_SHARDS', 'customers-00001-of-00003.csv', 'missing', 'shard 1'),
      refused(damaged, ['--shards', '3'], 'E_SHARDS', '00002-of-00003.json', '--shard 2/3'),
    ]);
  }, T);

  it('a folder that does not exist, and an unknown dataset', async () => {
    const [nowhere, unknown] = await Promise.all([
      cli(['finish', 'retail', '--shards', '3', '--out', 'nowhere'], root),
      cli(['finish', 'retial', '--shards', '3', '--out', shardsOnly], root),
    ]);
    expectOneLine(nowhere, 'E_SHARDS', 'nowhere');
    expect(existsSync(join(root, 'nowhere'))).toBe(false);
    expectOneLine(unknown, 'E_UNKNOWN_UNIT', "'retial'", 'retail');
    for (const f of FINISHED) expect(existsSync(join(shardsOnly, f)), f).toBe(false);
  }, T);
});

describe('bad --shard values', () => {
  it('5/4, 4/4, a/b, 1/0 and --shard 1/3 with --shards 4: one line each, nothing written', async () => {
    const cases: Array<[string[], string[]]> = [
      [['--shard', '5/4'], ['5/4', 'index 5']],
      [['--shard', '4/4'], ['4/4', 'index 4']],
      [['--shard', 'a/b'], ['--shard', '"a/b"']],
      [['--shard', '1/0'], ['--shard', '"1/0"']],
      [['--shard', '1/3', '--shards', '4'], ['--shard 1/3', '--shards 4']],
    ];
    const dir = join(root, 'bad');
    mkdirSync(dir);
    const runs = await Promise.all(cases.map(([args], k) => cli(['generate', ...RETAIL, ...args, '--out', `out${k}`, '-q'], dir)));
    runs.forEach((r, k) => expectOneLine(r, 'E_OPTION', ...cases[k]![1]));
    expect(readdirSync(dir)).toEqual([]);
  }, T);
});

describe('a failed shard', () => {
  it('a worker dying inside shard 1 leaves no record and none of its files (nor finish\'s, now stale); the other shards stay as they were', async () => {
    const dir = join(root, 'killed');
    cpSync(many, dir, { recursive: true });
    const before = tree(dir);
    const r = await cli(['generate', ...RETAIL, '--shard', '1/3', '--workers', '2', '--out', dir, '-q'], root, { ...cliEnv, DATAGEN_FAILPOINT: 'worker-exit:3' });
    expectOneLine(r, 'E_WORKER', 'shard 1 of 3', 'exit code 70');
    const after = tree(dir);
    expect(Object.keys(after).filter((p) => p.includes('00001-of-00003'))).toEqual([]);
    expect(existsSync(join(dir, '_shards', '00001-of-00003.json'))).toBe(false);
    // Shards 0 and 2 untouched, nothing else left behind (no temporary files, no work folder).
    expect(after).toEqual(without(before, (p) => p.includes('00001-of-00003') || FINISHED.includes(p)));
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
    // finish then names the shard to run again.
    const f = await cli(['finish', 'retail', '--shards', '3', '--out', dir], root);
    expectOneLine(f, 'E_SHARDS', 'shards missing', ': 1;');
  }, T);

  // In containers every shard runs as PID 1: a failing shard must clean up only its own
  // temporary files, not the ones shard 2 (on another machine, also PID 1) is writing.
  it.skipIf(!UNSHARE)(`a shard failing as PID 1 leaves the temporary files of another shard (also PID 1) alone${UNSHARE ? '' : ' (skipped: unshare --pid needs root)'}`, () => {
    const dir = copyOfShards('pid1-failing');
    const day = readdirSync(join(dir, 'orders_header')).sort()[0]!;
    const theirs = ['.customers-00002-of-00003.csv.tmp-1', `orders_header/${day}/.part-0000-00002-of-00003.csv.tmp-1`, '.shipments-00002-of-00003.parquet.tmp-1'];
    for (const p of theirs) writeFileSync(join(dir, p), 'shard 2 is still writing this');
    const r = spawnSync('unshare', ['--pid', '--fork', process.execPath, BIN, 'generate', ...RETAIL, '--shard', '1/3', '--workers', '2', '--out', dir, '-q'], {
      cwd: root,
      env: { ...cliEnv, DATAGEN_FAILPOINT: 'worker-exit:3' },
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('[E_WORKER]');
    expect(theirs.filter((p) => !existsSync(join(dir, p))), 'temporary files of shard 2 removed by shard 1').toEqual([]);
  }, T);
});
