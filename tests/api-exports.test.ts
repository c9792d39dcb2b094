/**
 * The TypeScript API (src/index.ts) exports every unit: a scenario made with its exports runs
 * through every transform into every sink, each file read back by another reader (DuckDB,
 * apache-arrow's reader, ExcelJS); a dataset made with defineDataset runs whole and in shards;
 * toJsRows turns collect()'s numbers into Dates. Small row counts throughout.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import ExcelJS from 'exceljs';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import {
  arrow, collect, corruptFk, csv, dataset, defineDataset, defineScenario, defineTable, delta, duplicate, finishShards, formatDate, formatTimestamp, jsonl, log,
  malform, memoryLedger, missing, noise, outliers, parquet, run, runDataset, scenario, toJsRows, truncateLines, types, xlsx, type Row, type TableDefinition,
} from '../src/index.js';
import { sinks } from '../sinks/index.js';
import { transforms } from '../transforms/index.js';
import { tempDir } from './helpers.js';

const CUSTOMERS = 50;
const DAY_US = 86_400_000_000;

/** One column of every kind, and a foreign key for corrupt-fk. */
const purchases = defineScenario({
  name: 'purchases',
  summary: 'Purchases (a test scenario)',
  defaultRows: 100,
  examples: [],
  rules: [],
  options: { customers: { type: 'integer', description: 'customers', default: CUSTOMERS, min: 1 } },
  schema: defineTable('purchases', 'Purchases', {
    purchase_id: { type: types.int64(), description: 'key', key: true },
    customer_id: { type: types.int64(), description: 'customer 1..customers' },
    email: { type: types.string(), description: 'email' },
    quantity: { type: types.int32(), description: 'units' },
    amount: { type: types.decimal(10, 2), description: 'amount' },
    score: { type: types.float64(), description: 'score' },
    paid: { type: types.bool(), description: 'paid' },
    day: { type: types.date(), description: 'day' },
    at: { type: types.time(), description: 'time of day' },
    ts: { type: types.timestamp(), description: 'instant' },
  }),
  plan: (o) => ({
    rows(first, count, rng) {
      const out: Row[] = [];
      for (let i = 0; i < count; i++) {
        const day = 19_800 + rng.int(0, 300);
        out.push({
          purchase_id: first + i + 1,
          customer_id: rng.int(1, o.customers),
          email: `p${first + i}@example.com`,
          quantity: rng.int(1, 40),
          amount: rng.int(100, 99_999) / 100,
          score: rng.float(),
          paid: rng.chance(0.8),
          day,
          at: rng.int(0, 86_399),
          ts: day * DAY_US + rng.int(0, DAY_US - 1),
        });
      }
      return out;
    },
  }),
});

const ROWS = 400;
/** Every transform, at rates high enough that each records something in 400 rows. */
const stages = () => [
  noise({ rate: 0.05, columns: ['score'] }),
  missing({ rate: 0.05, columns: ['email'] }),
  duplicate({ rate: 0.02, window: 10 }),
  malform({ rate: 0.05, columns: ['email'], kinds: ['email'] }),
  outliers({ rate: 0.05, columns: ['quantity'] }),
  corruptFk({ columns: ['customer_id'], range: `1..${CUSTOMERS}`, rate: 0.05, kinds: ['absent'] }),
  truncateLines({ rate: 0.02 }),
];

let dir: string;
let db: DuckDBConnection;
beforeAll(async () => {
  dir = tempDir('datagen-api-');
  db = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => db?.closeSync());

const count = async (sql: string) => Number((await (await db.runAndReadAll(sql)).getRowObjects())[0]!.n);

describe('the API exports every unit', () => {
  it('every registered transform and sink is exported under its own name', () => {
    const exported = new Set(Object.values(api));
    for (const unit of [...transforms, ...sinks]) expect(exported.has(unit), unit.name).toBe(true);
    for (const name of ['scenario', 'dataset', 'defineScenario', 'defineDataset', 'defineTable', 'types', 'run', 'collect', 'finishShards', 'runDataset', 'toJsRows']) {
      expect(typeof (api as Record<string, unknown>)[name], name).not.toBe('undefined');
    }
  });

  it('one pipeline with every transform runs into every sink; each file is read back by another reader', { timeout: 60_000 }, async () => {
    const ledger = memoryLedger();
    const rows = await collect(scenario(purchases, { rows: ROWS, seed: 3 }), ...stages(), { ledger });
    const stagesSeen = new Set(ledger.entries.map((e) => e.stage));
    expect([...stagesSeen].sort()).toEqual(transforms.map((t) => t.name).sort());
    const n = rows.length;
    expect(n).toBe(ROWS + ledger.entries.filter((e) => e.stage === 'duplicate').length);

    const path = (name: string) => join(dir, name);
    const written = async (sink: ReturnType<typeof csv>) => (await run(scenario(purchases, { rows: ROWS, seed: 3 }), ...stages(), sink)).rows;
    expect(await written(csv({ path: path('p.csv') }))).toBe(n);
    expect(await written(jsonl({ path: path('p.jsonl') }))).toBe(n);
    expect(await written(log({ path: path('p.log'), template: '{ts} {purchase_id} {email}' }))).toBe(n);
    expect(await written(parquet({ path: path('p.parquet') }))).toBe(n);
    expect(await written(arrow({ path: path('p.arrow') }))).toBe(n);
    expect(await written(xlsx({ path: path('p.xlsx') }))).toBe(n);
    expect(await written(delta({ path: path('p_delta') }))).toBe(n);

    expect(await count(`SELECT count(*) AS n FROM read_csv('${path('p.csv')}', all_varchar = true)`)).toBe(n);
    expect(await count(`SELECT count(*) AS n FROM read_parquet('${path('p.parquet')}')`)).toBe(n);
    const deltaFiles = readdirSync(path('p_delta')).filter((f) => f.endsWith('.parquet'));
    expect(await count(`SELECT count(*) AS n FROM read_parquet([${deltaFiles.map((f) => `'${join(path('p_delta'), f)}'`).join(', ')}])`)).toBe(n);
    // JSON Lines: one line a row; exactly the truncated ones are not JSON.
    const lines = readFileSync(path('p.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(n);
    const broken = lines.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    expect(broken.length).toBe(ledger.entries.filter((e) => e.stage === 'truncate-lines').length);
    expect(readFileSync(path('p.log'), 'utf8').trimEnd().split('\n').length).toBe(n);
    expect(tableFromIPC(readFileSync(path('p.arrow'))).numRows).toBe(n);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(path('p.xlsx'));
    expect(book.worksheets[0]!.actualRowCount).toBe(n + 1); // a header row
  });

  it('toJsRows: dates and timestamps as Date, times as HH:MM:SS; the rest (and malformed text) unchanged', async () => {
    const source = scenario(purchases, { rows: 50, seed: 9 });
    const rows = await collect(source);
    const js = toJsRows(rows, source.schema);
    for (let i = 0; i < rows.length; i++) {
      const [r, j] = [rows[i]!, js[i]!];
      expect(j.day).toBeInstanceOf(Date);
      expect((j.day as Date).toISOString().slice(0, 10)).toBe(formatDate(r.day as number));
      expect((j.ts as Date).toISOString()).toBe(formatTimestamp(r.ts as number).slice(0, 23) + 'Z');
      expect(j.at).toMatch(/^\d{2}:\d{2}:\d{2}$/);
      expect((j.at as string).split(':').reduce((s, x) => s * 60 + Number(x), 0)).toBe(r.at);
      for (const k of ['purchase_id', 'customer_id', 'email', 'quantity', 'amount', 'score', 'paid'] as const) expect(j[k]).toBe(r[k]);
    }
    const odd = toJsRows([{ ...rows[0]!, day: '2024-13-45', ts: null }], source.schema)[0]!;
    expect(odd.day).toBe('2024-13-45');
    expect(odd.ts).toBeNull();
  });

  it('defineDataset, dataset, run, runDataset and finishShards: a parent and a child whose keys join', { timeout: 60_000 }, async () => {
    const parents: TableDefinition = {
      name: 'parents',
      schema: defineTable('parents', 'Parents', { parent_id: { type: types.int64(), description: 'key', key: true } }),
      rules: [],
      rows: 1000,
      plan: () => ({ rows: (first, n) => Array.from({ length: n }, (_, i) => ({ parent_id: first + i + 1 })) }),
      output: { kind: 'file', format: 'csv', path: 'parents.csv' },
    };
    const children: TableDefinition = {
      name: 'children',
      schema: defineTable('children', 'Children', {
        child_id: { type: types.int64(), description: 'key', key: true },
        parent_id: { type: types.int64(), description: 'parents.parent_id' },
      }),
      rules: [],
      rows: (ctx) => ctx.rows('parents') * 2,
      references: { parent_id: 'parents.parent_id' },
      plan: (ctx) => ({ rows: (first, n, rng) => Array.from({ length: n }, (_, i) => ({ child_id: first + i + 1, parent_id: rng.int(1, ctx.rows('parents')) })) }),
      output: { kind: 'file', format: 'parquet', path: 'children.parquet' },
    };
    const family = defineDataset({ name: 'family', summary: 'test', examples: [], options: {}, tables: [parents, children] });
    const whole = await run(dataset(family, { scale: 0.1, seed: 5 }), { out: join(dir, 'family') });
    expect(whole.tables).toEqual([
      { name: 'parents', rows: 100, files: 1 },
      { name: 'children', rows: 200, files: 1 },
    ]);
    const orphans = await count(
      `SELECT count(*) AS n FROM read_parquet('${join(dir, 'family', 'children.parquet')}') c LEFT JOIN read_csv('${join(dir, 'family', 'parents.csv')}') p USING (parent_id) WHERE p.parent_id IS NULL`,
    );
    expect(orphans).toBe(0);
    const out = join(dir, 'family_sharded');
    for (const shard of [0, 1]) await runDataset(family, { out, seed: 5, scale: 0.1, shards: 2, shard });
    const finished = await finishShards(family, out, 2);
    expect(finished.tables.map((t) => t.rows)).toEqual([100, 200]);
  });
});

describe('typed options', () => {
  it('a misspelled option or a wrong type is a compile error (// @ts-expect-error is itself checked)', { timeout: 120_000 }, () => {
    const file = join(tempDir('datagen-api-types-'), 'fixture.mts');
    // Each @ts-expect-error must meet an error (else TS2578 "unused"), and the correct calls must compile.
    writeFileSync(
      file,
      `import { noise, missing, duplicate, malform, outliers, corruptFk, truncateLines, csv, jsonl, log, parquet, arrow, xlsx, delta, dataset, scenario, defineScenario, defineTable, types, toJsRows, type JsRow } from 'datagen';
noise({ rate: 0.1, columns: ['a'] });
missing({ rates: 'a=0.1' });
duplicate({ kinds: ['exact'], window: 5 });
malform({ kinds: 'email' });
outliers({ min: 0, max: 10 });
corruptFk({ columns: ['a'], range: '1..10' });
truncateLines({ rate: 0.01 });
csv({ path: 'a.csv', delimiter: ';' });
jsonl({ path: 'a.jsonl' });
log({ path: 'a.log', template: '{a}' });
parquet({ path: 'a.parquet' });
arrow({ path: 'a.arrow' });
xlsx({ path: 'a.xlsx' });
delta({ path: 'lake/a' });
const s = scenario('attendance', { rows: 10 });
const mine = defineScenario({
  name: 'mine',
  summary: 'a scenario with one option',
  examples: [],
  options: { depth: { type: 'integer', description: 'how deep', default: 1 } },
  schema: defineTable('mine', 'one column', { a: { type: types.int32(), description: 'a number' } }),
  rules: [],
  defaultRows: 10,
  plan: () => ({ rows: () => [] }),
});
scenario(mine, { rows: 5, seed: 1, depth: 3 });
// @ts-expect-error misspelled scenario option (a definition types its options)
scenario(mine, { rows: 5, dept: 3 });
// @ts-expect-error wrong type for an engine option
scenario(mine, { rows: 'many' });
const js: JsRow[] = toJsRows([], s);
dataset('retail', { scale: 0.01 });
// @ts-expect-error misspelled option name
noise({ rat: 0.1 });
// @ts-expect-error wrong type: a rate is a number
missing({ rate: true });
// @ts-expect-error wrong type: a window is a number
duplicate({ window: false });
// @ts-expect-error unknown option
csv({ path: 'a.csv', delimeter: ';' });
// @ts-expect-error wrong type: columns is a list of names
corruptFk({ columns: 3 });
// @ts-expect-error unknown option
parquet({ path: 'a.parquet', compresion: 'zstd' });
// @ts-expect-error wrong type for a boolean option (a string is taken, as from the CLI; a number is not)
xlsx({ path: 'a.xlsx', overwrite: 3 });
export { js };
`,
    );
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(import.meta.dirname, '..', 'node_modules', '@types')],
      paths: { datagen: [join(import.meta.dirname, '..', 'src', 'index.ts')] },
      allowImportingTsExtensions: true,
    });
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === file)
      .map((d) => `${d.file!.getLineAndCharacterOfPosition(d.start!).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    expect(errors).toEqual([]);
  });
});
