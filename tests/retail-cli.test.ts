/**
 * The retail dataset as a user reaches it (issue 11, "What a user can do"): `generate retail`
 * with --seed/--scale/--out/--tables/--overwrite, `describe retail`, `list`, the refusals (one
 * line, a stable code, nothing written), the manifest checked against the files themselves,
 * and the TypeScript API. Small scales only (0.001).
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataset, run } from '../src/index.js';
import { datasetContext, type TableDefinition } from '../src/core/dataset.js';
import { findDataset } from '../src/registry.js';
import { defineTable, types } from '../src/core/schema.js';
import { CURRENCIES } from '../pipelines/retail/shared.js';
import { BIN, cliEnv, tempDir } from './helpers.js';

const SCALE = '0.001';
const retail = findDataset('retail');
const TABLES = retail.tables.map((t) => t.name);
const SUBSET = ['customers', 'orders_header', 'orders_lines'];

const cli = (args: string[], cwd: string) => spawnSync(process.execPath, [BIN, ...args], { cwd, env: cliEnv, encoding: 'utf8', maxBuffer: 1 << 26 });
const cliAsync = (args: string[], cwd: string) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: cliEnv, encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

interface Manifest {
  dataset: string;
  seed: number;
  scale: number;
  tables: Record<string, { rows: number; path: string; format: string }>;
  files: Array<{ path: string; table: string; partition?: string; rows?: number; bytes: number; sha256: string }>;
}
const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, '_manifest.json'), 'utf8'));
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function filesUnder(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, base));
    else out.push(relative(base, p).split(sep).join('/'));
  }
  return out.sort();
}

/** sha256 of each file of these tables, by path. */
const hashesOf = (m: Manifest, tables: readonly string[]) => Object.fromEntries(m.files.filter((f) => tables.includes(f.table)).map((f) => [f.path, f.sha256]));

/** The ledger's anomaly lines (not the stage open/close events, which carry a run id) for these tables. */
const changesOf = (dir: string, tables: readonly string[]) =>
  readFileSync(join(dir, '_ledger.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('{"event"'))
    .filter((l) => tables.includes(JSON.parse(l).table));

let root: string;
let full: string; // the whole dataset, through the CLI
let fullRun: ReturnType<typeof cli>;
let subset: string; // --tables customers,orders_header,orders_lines, another batch size
let subsetRun: ReturnType<typeof cli>;

beforeAll(async () => {
  root = tempDir('datagen-retail-cli-');
  full = join(root, 'data_raw');
  subset = join(root, 'raw');
  // The two runs at once: the machine has two cores.
  const [a, b] = await Promise.all([
    cliAsync(['generate', 'retail', '--seed', '42', '--scale', SCALE, '--out', 'data_raw'], root),
    cliAsync(['generate', 'retail', '--seed', '42', '--scale', SCALE, '--tables', SUBSET.join(','), '--batch-size', '777', '--out', 'raw'], root),
  ]);
  fullRun = a as ReturnType<typeof cli>;
  subsetRun = b as ReturnType<typeof cli>;
}, 180_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('datagen generate retail --seed 42 --scale 0.001 --out data_raw', () => {
  it('succeeds, prints nothing on stdout, a line per table and a summary on stderr', () => {
    expect(fullRun.status, fullRun.stderr).toBe(0);
    expect(fullRun.stdout).toBe('');
    const lines = fullRun.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(TABLES.length + 1);
    TABLES.forEach((t, i) => expect(lines[i]).toMatch(new RegExp(`^datagen: retail: ${t}: [\\d,]+ rows, [\\d,]+ files? \\(\\d+\\.\\ds\\)$`)));
    const rows = Object.values(manifestOf(full).tables).reduce((s, t) => s + t.rows, 0);
    expect(lines.at(-1)).toMatch(new RegExp(`^datagen: wrote retail to data_raw in \\d+\\.\\ds: ${TABLES.length} tables, ${rows.toLocaleString('en-US')} rows, [\\d,]+ files; `));
  });

  it('writes every table, non-empty, and a manifest that names every file with its true bytes, sha256 and rows', async () => {
    const m = manifestOf(full);
    expect(m).toMatchObject({ dataset: 'retail', seed: 42, scale: 0.001 });
    expect(Object.keys(m.tables)).toEqual(TABLES);
    for (const t of TABLES) expect(m.tables[t]!.rows, t).toBeGreaterThan(0);
    // Every file on disk is listed (the manifest itself aside), and nothing listed is missing.
    expect(m.files.map((f) => f.path).sort()).toEqual(filesUnder(full).filter((p) => p !== '_manifest.json'));
    const rowsPerTable = new Map<string, number>();
    for (const f of m.files) {
      const path = join(full, f.path);
      expect(statSync(path).size, f.path).toBe(f.bytes);
      expect(sha(path), f.path).toBe(f.sha256);
      if (f.rows !== undefined) rowsPerTable.set(f.table, (rowsPerTable.get(f.table) ?? 0) + f.rows);
      // JSONL rows are lines (a malformed line is an injected anomaly, still a line).
      if (f.rows !== undefined && f.path.endsWith('.jsonl')) expect(readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').length, f.path).toBe(f.rows);
    }
    // CSV and Parquet rows recounted by DuckDB, one query per table over all its files.
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    for (const [ext, reader] of [['.csv', "read_csv(?, header = true, all_varchar = true, filename = true)"], ['.parquet', 'read_parquet(?, filename = true)']] as const) {
      for (const t of TABLES) {
        const files = m.files.filter((f) => f.table === t && f.rows !== undefined && f.path.endsWith(ext));
        if (files.length === 0) continue;
        const list = `[${files.map((f) => `'${join(full, f.path)}'`).join(', ')}]`;
        const counts = new Map((await db.runAndReadAll(`SELECT filename, count(*) FROM ${reader.replace('?', list)} GROUP BY filename`)).getRows().map(([f, n]) => [String(f), Number(n)]));
        for (const f of files) expect(counts.get(join(full, f.path)) ?? 0, f.path).toBe(f.rows);
      }
    }
    // Files with row counts add up to their table's rows (Delta's files are versions, not counted).
    for (const [t, n] of rowsPerTable) if (m.tables[t]!.format !== 'delta') expect(n, t).toBe(m.tables[t]!.rows);
  }, 60_000);

  it('--tables keeps the bytes (and ledger lines) of the tables it keeps, whatever the batch size', () => {
    expect(subsetRun.status, subsetRun.stderr).toBe(0);
    const m = manifestOf(subset);
    expect(Object.keys(m.tables)).toEqual(SUBSET);
    const kept = hashesOf(m, SUBSET);
    expect(Object.keys(kept).length).toBeGreaterThan(SUBSET.length);
    expect(kept).toEqual(hashesOf(manifestOf(full), SUBSET));
    expect(changesOf(subset, SUBSET)).toEqual(changesOf(full, SUBSET));
    expect(existsSync(join(subset, 'sensors'))).toBe(false);
  });

  it('re-running into the same --out is refused with one line and changes nothing; --overwrite (and -q) replaces it with the same bytes', () => {
    const before = readFileSync(join(subset, '_manifest.json'), 'utf8');
    const again = cli(['generate', 'retail', '--scale', SCALE, '--tables', SUBSET.join(','), '--out', 'raw'], root);
    expect(again.status).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/^datagen: retail: raw already holds a run \(.*\); pass --overwrite to replace it \[E_OUTPUT\]\n$/);
    expect(readFileSync(join(subset, '_manifest.json'), 'utf8')).toBe(before);

    const over = cli(['generate', 'retail', '--scale', SCALE, '--tables', SUBSET.join(','), '--out', 'raw', '--overwrite', '-q'], root);
    expect(over.status, over.stderr).toBe(0);
    expect(over.stderr).toBe('');
    expect(hashesOf(manifestOf(subset), SUBSET)).toEqual(hashesOf(JSON.parse(before), SUBSET));
  }, 60_000);
});

describe('bad input: one line, a stable code, no files', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown table', ['--tables', 'customers,nosuch'], /^datagen: retail: unknown table 'nosuch' in --tables \(tables: customers, .*returns\) \[E_OPTION\]$/],
    ['scale 0', ['--scale', '0'], /^datagen: retail: scale must be above 0 and at most 1000, got 0 \[E_OPTION\]$/],
    ['negative scale', ['--scale=-1'], /^datagen: retail: scale must be above 0 and at most 1000, got -1 \[E_OPTION\]$/],
    ['absurd scale', ['--scale', '1e6'], /^datagen: retail: scale must be above 0 and at most 1000, got 1000000 \[E_OPTION\]$/],
    ['scale not a number', ['--scale', 'lots'], /^datagen: retail: --scale must be a number, got "lots" \[E_OPTION\]$/],
    ['bad horizon date', ['--start', '2024-13-01'], /^datagen: retail: --start must be a date as YYYY-MM-DD, got "2024-13-01" \[E_OPTION\]$/],
    ['--out is a file', ['--out', 'a_file'], /^datagen: retail: --out a_file is a file; name a folder \[E_OUTPUT\]$/],
    ['--out under a file', ['--out', 'a_file/data'], /^datagen: retail: cannot make --out a_file\/data: .*a_file is a file \[E_OUTPUT\]$/],
  ];

  it(cases.map(([name]) => name).join('; '), async () => {
    const dir = tempDir('datagen-retail-bad-');
    writeFileSync(join(dir, 'a_file'), 'not a folder\n');
    // All at once (each is a process start); a case's own --scale or --out replaces the default.
    const argsOf = (args: string[]) => [
      'generate',
      'retail',
      ...(args.some((a) => a.startsWith('--scale')) ? [] : ['--scale', SCALE]),
      ...(args.includes('--out') ? [] : ['--out', 'out']),
      ...args,
    ];
    const results = await Promise.all(cases.map(([, args]) => cliAsync(argsOf(args), dir)));
    results.forEach((r, k) => {
      const [name, , pattern] = cases[k]!;
      expect(r.status, name).toBe(1);
      expect(r.stdout, name).toBe('');
      expect(r.stderr.trimEnd().split('\n'), name).toHaveLength(1);
      expect(r.stderr.trimEnd(), name).toMatch(pattern);
    });
    // Nothing was written by any of them: the folder holds what it held.
    expect(readdirSync(dir)).toEqual(['a_file']);
    expect(readFileSync(join(dir, 'a_file'), 'utf8')).toBe('not a folder\n');
  }, 60_000);

  it('pipe retail refuses: a dataset writes a folder', () => {
    const r = cli(['pipe', 'retail'], root);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('datagen: pipe: retail is a dataset: it writes a folder of tables, not one stream; use datagen generate retail --out <folder> [E_OPTION]\n');
  });

  it('a mistyped dataset name gets the dataset as a suggestion', () => {
    const r = cli(['generate', 'retial', '--scale', SCALE], root);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("datagen: unknown scenario or dataset 'retial'. Did you mean retail? [E_UNKNOWN_UNIT]\n");
  });
});

describe('describe retail and list', () => {
  it('describe prints every table with its rows at scale 1, files, key, references and default stages with rates', () => {
    const r = cli(['describe', 'retail'], root);
    expect(r.status, r.stderr).toBe(0);
    const ctx = datasetContext(retail, 42, 1, {});
    for (const t of retail.tables as unknown as TableDefinition[]) {
      expect(r.stdout).toContain(`\n  ${t.name}: `);
      expect(r.stdout).toContain(`    rows      ${ctx.rows(t.name).toLocaleString('en-US')}`);
      for (const [col, to] of Object.entries(t.references ?? {})) expect(r.stdout).toContain(`${col} -> ${to}`);
    }
    expect(r.stdout).toContain('orders_header/order_dt=YYYY-MM-DD/part-NNNN.csv (csv)');
    expect(r.stdout).toContain('sensors/store_id=<store_id>/month=YYYY-MM/sensors.csv (csv)');
    expect(r.stdout).toContain('    key       order_id, line_number');

    const json = cli(['describe', 'retail', '--json'], root);
    const d = JSON.parse(json.stdout) as { kind: string; tables: Array<{ name: string; rows: number; stages: Array<{ name: string; rate?: number; rates?: Record<string, number> }> }> };
    expect(d.kind).toBe('dataset');
    expect(d.tables.map((t) => t.name)).toEqual(TABLES);
    for (const t of retail.tables as unknown as TableDefinition[]) {
      const declared = t.stages?.(ctx) ?? [];
      const shown = d.tables.find((x) => x.name === t.name)!.stages;
      expect(shown.map((s) => s.name), t.name).toEqual(declared.map((s) => s.name));
      declared.forEach((s, i) => {
        const o = s.options as { rate?: number };
        if (typeof o.rate === 'number' && !shown[i]!.rates) expect(shown[i]!.rate, `${t.name} ${s.name}`).toBe(o.rate);
      });
    }
  });

  it('list shows the dataset and its tables', () => {
    const r = cli(['list'], root);
    expect(r.stdout).toMatch(/^datasets:\n {2}retail +Retail landing zone/m);
    expect(r.stdout).toContain(`tables: ${TABLES.join(', ')}`);
    const json = JSON.parse(cli(['list', '--json'], root).stdout) as { datasets: Array<{ name: string; tables: string[] }> };
    expect(json.datasets).toContainEqual(expect.objectContaining({ name: 'retail', tables: TABLES }));
  });

  it("--start/--end set the horizon (exchange_rates: one row per day and currency)", () => {
    const out = join(root, 'rates');
    const r = cli(['generate', 'retail', '--tables', 'exchange_rates', '--start', '2024-01-01', '--end', '2024-01-31', '--out', 'rates', '-q'], root);
    expect(r.status, r.stderr).toBe(0);
    expect(manifestOf(out).tables.exchange_rates!.rows).toBe(31 * CURRENCIES.length);
  });
});

describe('TypeScript API', () => {
  it('run(dataset(...), { out }) writes the same bytes as the CLI; the value can be inspected, subset and re-targeted', async () => {
    const value = dataset('retail', { scale: 0.001, seed: 42 });
    expect(value.tables.map((t) => t.name)).toEqual(TABLES);
    expect(value.schema('orders_header').fields.map((f) => f.name)).toContain('customer_id');
    expect(value.rows('orders_header')).toBe(manifestOf(full).tables.orders_header!.rows);
    const small = value.select('customers', 'orders_header').with({ out: join(root, 'api') });
    expect(small.tables.map((t) => t.name)).toEqual(['customers', 'orders_header']);
    const result = await run(small);
    expect(result.tables.map((t) => t.name)).toEqual(['customers', 'orders_header']);
    expect(hashesOf(manifestOf(join(root, 'api')), ['customers', 'orders_header'])).toEqual(hashesOf(manifestOf(full), ['customers', 'orders_header']));
    expect(() => dataset('retail', { tables: ['nosuch'] })).toThrow(/unknown table 'nosuch'/);
    expect(() => dataset('retail', { scale: -1 })).toThrow(/scale must be above 0/);
    expect(() => dataset('retail', { colour: 'red' })).toThrow(/unknown option 'colour'/);
  }, 60_000);

  it('extend adds a table; a run that fails part-way leaves no manifest and removes what it wrote', async () => {
    // A table of the user's own whose rows fail after the first chunk.
    const broken: TableDefinition = {
      name: 'broken',
      schema: defineTable('broken', 'fails part-way', { id: { type: types.int64(), description: 'key', key: true } }),
      rules: [],
      rows: () => 20_000, // more than one chunk (8192 rows) at any scale
      plan: () => ({
        rows(start, count) {
          if (start > 0) throw new Error('disk on fire');
          return Array.from({ length: count }, (_, i) => ({ id: start + i + 1 }));
        },
      }),
      output: { kind: 'file', format: 'csv', path: 'broken.csv' },
    };
    const value = dataset('retail', { scale: 0.001 }).select('customers').extend(broken);
    expect(value.tables.map((t) => t.name)).toEqual(['customers', 'broken']);
    expect(value.rows('broken')).toBe(20_000);

    const fresh = join(root, 'fails-new');
    await expect(run(value, { out: fresh })).rejects.toThrow('disk on fire');
    expect(existsSync(fresh)).toBe(false); // the folder this run made is gone

    const kept = join(root, 'fails-existing');
    mkdirSync(kept);
    writeFileSync(join(kept, 'notes.txt'), 'mine\n');
    await expect(run(value.select('broken'), { out: kept })).rejects.toThrow('disk on fire');
    expect(readdirSync(kept)).toEqual(['notes.txt']);
  }, 60_000);
});
