import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckInput } from '../src/check/sources.js';
import type { CheckInput, CheckTable } from '../src/check/types.js';
import { memoryLedger, type LedgerEntry } from '../src/anomaly/ledger.js';
import { run } from '../src/core/pipeline.js';
import { columnNames } from '../src/core/schema.js';
import { runDataset } from '../src/datasets/run.js';
import { findDataset, findScenario } from '../src/registry.js';
import { parseYamlDataset } from '../src/yaml/yaml-dataset.js';
import { scenario } from '../sources/scenario.js';
import { arrow } from '../sinks/arrow.js';
import { csv } from '../sinks/csv.js';
import { jsonl } from '../sinks/jsonl.js';
import { parquet } from '../sinks/parquet.js';
import { xlsx } from '../sinks/xlsx.js';
import { malform } from '../transforms/malform.js';
import { truncateLines } from '../transforms/truncate-lines.js';
import { tempDir } from './helpers.js';

/**
 * openCheckInput (src/check/sources.ts): what `datagen check` finds under a path, read back by
 * DuckDB through the relations it hands out. Row counts are compared with the manifest, the
 * generator's own count or an independent count (the Delta log's add/remove stats); columns
 * with the declared schema; malformed cells with the ledger's `after` text.
 */

type Rec = Record<string, unknown>;
let con: DuckDBConnection;
let dir: string;
const q = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson() as Rec[];
const count = async (t: CheckTable) => Number((await q(`SELECT count(*) AS n FROM ${t.relation}`))[0]!.n);
const columnsOf = async (t: CheckTable) => (await q(`DESCRIBE SELECT * FROM ${t.relation}`)).map((r) => String(r.column_name));
const typesOf = async (t: CheckTable) => (await q(`DESCRIBE SELECT * FROM ${t.relation}`)).map((r) => String(r.column_type));
const open = (path: string, opts: { schema?: string; ledger?: string } = {}) => openCheckInput(con, path, opts);
const failure = async (path: string, opts: { schema?: string; ledger?: string } = {}) => {
  try {
    await open(path, opts);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error(`openCheckInput(${path}) did not fail`);
};

const LOANS = findScenario('loans');
const ROWS = 500;
let entries: LedgerEntry[];

/** loans with 5% malformed cells, written once per format (same rows: same seed). */
async function writeLoans(path: string, sink: (o: { path: string }) => Parameters<typeof run>[1]) {
  const ledger = memoryLedger();
  await run(scenario(LOANS, { rows: ROWS, seed: 3 }), malform({ rate: 0.05, seed: 7 }), sink({ path }), { ledger });
  return ledger.entries;
}

beforeAll(async () => {
  con = await (await DuckDBInstance.create(':memory:')).connect();
  dir = tempDir('datagen-check-sources-');
  entries = await writeLoans(join(dir, 'loans.csv'), csv as never);
  await writeLoans(join(dir, 'loans.jsonl'), jsonl as never);
  await writeLoans(join(dir, 'loans.parquet'), parquet as never);
  await writeLoans(join(dir, 'loans.arrow'), arrow as never);
  await writeLoans(join(dir, 'loans.xlsx'), xlsx as never);
  await runDataset(findDataset('retail'), { out: join(dir, 'retail'), seed: 1, scale: 0.001, options: { end: '2022-03-31' } });
});

afterAll(() => con?.closeSync());

describe('a dataset folder (its _manifest.json)', () => {
  let input: CheckInput;
  let manifest: { tables: Record<string, { rows: number; schema: Array<{ name: string }>; references: Record<string, string> }>; files: Array<{ table: string; path: string; rows?: number }> };
  beforeAll(async () => {
    input = await open(join(dir, 'retail'));
    manifest = JSON.parse(readFileSync(join(dir, 'retail', '_manifest.json'), 'utf8'));
  });

  it('finds every table of the manifest, with the dataset, seed, scale and ledger', () => {
    expect(input.tables.map((t) => t.name).sort()).toEqual(Object.keys(manifest.tables).sort());
    expect(input).toMatchObject({ dataset: 'retail', seed: 1, scale: 0.001, ledger: join(dir, 'retail', '_ledger.jsonl') });
    const formats = Object.fromEntries(input.tables.map((t) => [t.name, t.format]));
    expect(formats).toMatchObject({ customers: 'csv', orders_header: 'csv', events: 'jsonl', exchange_rates: 'xlsx', shipments: 'parquet', returns: 'delta' });
  });

  it("each relation has the manifest's rows and the declared columns; references and schema are the registered dataset's", async () => {
    const retail = findDataset('retail');
    for (const t of input.tables) {
      const declared = retail.tables.find((d) => d.name === t.name)!;
      expect(input.manifestRows![t.name], t.name).toBe(manifest.tables[t.name]!.rows);
      expect(await count(t), t.name).toBe(manifest.tables[t.name]!.rows);
      expect(await columnsOf(t), t.name).toEqual(manifest.tables[t.name]!.schema.map((f) => f.name));
      expect(t.schema, t.name).toBe(declared.schema);
      expect(t.schemaSource).toBe('dataset retail');
      expect(t.references ?? {}, t.name).toEqual(declared.references ?? {});
      // Files as the manifest lists them (a Delta table: its live data files).
      if (t.format !== 'delta') expect(t.files.sort()).toEqual(manifest.files.filter((f) => f.table === t.name).map((f) => f.path).sort());
    }
  });

  it('text formats are read as text; Parquet keeps its types', async () => {
    const by = (name: string) => input.tables.find((t) => t.name === name)!;
    for (const name of ['customers', 'orders_lines', 'sensors', 'exchange_rates']) expect(new Set(await typesOf(by(name))), name).toEqual(new Set(['VARCHAR']));
    expect(await typesOf(by('shipments'))).toContain('BIGINT');
    // Partition folders that are no column (order_dt=...) are not in the relation; sensors' store_id= is a column of the files.
    expect(await columnsOf(by('orders_header'))).not.toContain('order_dt');
    // An XLSX date cell reads as the ISO text the CSV writer would write; decimals with their scale.
    const rates = await q(`SELECT count(*) FILTER (WHERE NOT regexp_full_match("date", '\\d{4}-\\d{2}-\\d{2}')) AS bad_dates, count(*) FILTER (WHERE NOT regexp_full_match(rate_to_aud, '\\d+\\.\\d{8}')) AS bad_rates FROM ${by('exchange_rates').relation}`);
    expect(rates[0]).toEqual({ bad_dates: '0', bad_rates: '0' });
    // events: one line per row, the line itself (the JSON event).
    const events = await q(`SELECT count(*) FILTER (WHERE json_valid(json)) AS valid, count(*) AS n FROM ${by('events').relation}`);
    expect(Number(events[0]!.valid)).toBeGreaterThan(Number(events[0]!.n) * 0.99);
  });

  it("Delta (returns): the last version's rows, by the log's own add/remove stats; rows written before the schema change have the new column null", async () => {
    const logDir = join(dir, 'retail', 'returns', '_delta_log');
    const live = new Map<string, number>();
    for (const f of readdirSync(logDir).sort()) {
      for (const line of readFileSync(join(logDir, f), 'utf8').split('\n').filter((l) => l !== '')) {
        const a = JSON.parse(line) as { add?: { path: string; stats: string }; remove?: { path: string } };
        if (a.remove) live.delete(a.remove.path);
        if (a.add) live.set(a.add.path, (JSON.parse(a.add.stats) as { numRecords: number }).numRecords);
      }
    }
    const returns = input.tables.find((t) => t.name === 'returns')!;
    expect(returns.files.sort()).toEqual([...live.keys()].map((p) => `returns/${p}`).sort());
    expect(await count(returns)).toBe([...live.values()].reduce((a, b) => a + b, 0));
    const [codes] = await q(`SELECT count(*) FILTER (WHERE return_reason_code IS NULL) AS none, count(*) AS n FROM ${returns.relation}`);
    expect(Number(codes!.none)).toBeGreaterThan(0);
    expect(Number(codes!.none)).toBeLessThan(Number(codes!.n));
    const standalone = (await open(join(dir, 'retail', 'returns'))).tables[0]!;
    expect(standalone).toMatchObject({ name: 'returns', format: 'delta' });
    expect(standalone.schemaSource).toMatch(/^Delta log of returns, version 3$/);
    expect(columnNames(standalone.schema!)).toEqual(columnNames(returns.schema!));
    expect(await count(standalone)).toBe(await count(returns));
  });

  it('--ledger overrides the folder\'s ledger; a missing one is E_INPUT', async () => {
    const other = join(dir, 'other-ledger.jsonl');
    writeFileSync(other, '');
    expect((await open(join(dir, 'retail'), { ledger: other })).ledger).toBe(other);
    expect(await failure(join(dir, 'retail'), { ledger: join(dir, 'nope.jsonl') })).toMatchObject({ code: 'E_INPUT', message: `check: no such ledger file: ${join(dir, 'nope.jsonl')}` });
  });

  it('a table folder of the dataset alone: Hive partitions read with --schema dataset.table', async () => {
    const t = (await open(join(dir, 'retail', 'orders_header'), { schema: 'retail.orders_header' })).tables[0]!;
    expect(t.files.every((f) => /^order_dt=\d{4}-\d{2}-\d{2}\/part-\d{4}\.csv$/.test(f))).toBe(true);
    expect(await count(t)).toBe(manifest.tables.orders_header!.rows);
    expect(t.references).toEqual({ customer_id: 'customers.customer_id', store_id: 'stores.store_id' });
  });
});

describe('a dataset made from a YAML file', () => {
  const yaml = `name: shop
tables:
  - name: customers
    rows: 20
    fields:
      customer_id: { type: int64, key: true, generator: { sequence: { start: 1 } } }
      city: { type: string, generator: { choice: { values: [a, b] } } }
  - name: orders
    rows: 50
    format: jsonl
    fields:
      order_id: { type: int64, key: true, generator: { sequence: { start: 1 } } }
      customer_id: { type: int64, ref: customers.customer_id }
`;
  let out: string;
  beforeAll(async () => {
    writeFileSync(join(dir, 'shop.yml'), yaml);
    out = join(dir, 'shop');
    await runDataset(parseYamlDataset(yaml, 'shop.yml'), { out, seed: 2, scale: 1 });
  });

  it('is not registered: E_SCHEMA asks for --schema', async () => {
    expect(await failure(out)).toMatchObject({ code: 'E_SCHEMA', message: `check: ${out} holds dataset 'shop', which is not registered: pass --schema <the .yml or .ts file it was generated from>` });
  });

  it('--schema shop.yml: every table, rows as the manifest says, references from the file', async () => {
    const input = await open(out, { schema: join(dir, 'shop.yml') });
    expect(input.tables.map((t) => [t.name, t.format, t.schemaSource])).toEqual([
      ['customers', 'csv', 'shop.yml'],
      ['orders', 'jsonl', 'shop.yml'],
    ]);
    for (const t of input.tables) expect(await count(t)).toBe(input.manifestRows![t.name]);
    expect(input.manifestRows).toEqual({ customers: 20, orders: 50 });
    expect(input.tables[1]!.references).toEqual({ customer_id: 'customers.customer_id' });
    // One table of it for one file: file.yml#table.
    const one = await open(join(out, 'orders.jsonl'), { schema: `${join(dir, 'shop.yml')}#orders` });
    expect(one.tables[0]).toMatchObject({ name: 'orders', schemaSource: 'shop.yml' });
    expect(await failure(join(out, 'orders.jsonl'), { schema: join(dir, 'shop.yml') })).toMatchObject({ code: 'E_SCHEMA', message: expect.stringContaining(`pass --schema ${join(dir, 'shop.yml')}#<table>`) });
  });
});

describe('single files', () => {
  const FORMATS = ['csv', 'jsonl', 'parquet', 'arrow', 'xlsx'] as const;

  it('every format: all rows, the declared columns in order, and each malformed cell as the ledger wrote it', async () => {
    const malformed = entries.filter((e) => typeof e.after === 'string');
    expect(malformed.length).toBeGreaterThan(50);
    for (const format of FORMATS) {
      const t = (await open(join(dir, `loans.${format}`), { schema: 'loans' })).tables[0]!;
      expect(t).toMatchObject({ name: 'loans', format, files: [join(dir, `loans.${format}`)], schemaSource: 'scenario loans' });
      expect(await count(t), format).toBe(ROWS);
      expect(await columnsOf(t), format).toEqual(columnNames(LOANS.schema));
      // Malformed cells by key and column: the text the ledger says was written ("12,000" in an int column).
      const cells = await q(`SELECT loan_id, ${malformed.map((e, i) => `max(CASE WHEN loan_id = '${String(e.key!.loan_id)}' THEN CAST("${e.column}" AS VARCHAR) END) AS c${i}`).join(', ')} FROM ${t.relation} GROUP BY ALL`);
      const got = malformed.map((_, i) => cells.map((r) => r[`c${i}`]).find((v) => v !== null));
      expect(got, format).toEqual(malformed.map((e) => e.after));
    }
  });

  it('CSV, JSONL, Arrow and Parquet read the same text for every cell; XLSX the same values', async () => {
    const digest = async (format: string, cast: boolean) => {
      const t = (await open(join(dir, `loans.${format}`), { schema: 'loans' })).tables[0]!;
      const cols = columnNames(LOANS.schema).map((c) =>
        !cast ? `coalesce(CAST("${c}" AS VARCHAR), '<null>')`
        : c === 'interest_rate' ? `coalesce(CAST(TRY_CAST("${c}" AS DECIMAL(4,1)) AS VARCHAR), "${c}", '<null>')`
        : c === 'created_at' ? `coalesce(CAST(epoch_ms(TRY_CAST("${c}" AS TIMESTAMPTZ)) AS VARCHAR), "${c}", '<null>')`
        : `coalesce(CAST("${c}" AS VARCHAR), '<null>')`,
      );
      return (await q(`SELECT md5(string_agg(concat_ws('|', ${cols.join(', ')}), chr(10) ORDER BY loan_id)) AS h FROM ${t.relation}`))[0]!.h;
    };
    const csvDigest = await digest('csv', false);
    for (const format of ['jsonl', 'arrow', 'parquet']) expect(await digest(format, false), format).toBe(csvDigest);
    // Excel holds numbers, not their text, and times to the millisecond: decimals compare as
    // decimals, timestamps to the millisecond.
    expect(await digest('xlsx', true)).toBe(await digest('csv', true));
  });

  it('JSON Lines cut short (truncate-lines): every line is still a row, a cut one a row of nulls', async () => {
    const path = join(dir, 'cut.jsonl');
    const ledger = memoryLedger();
    await run(scenario(LOANS, { rows: 400, seed: 5 }), truncateLines({ rate: 0.03, seed: 2 }), jsonl({ path }), { ledger });
    const cut = ledger.entries.filter((e) => e.kind === 'truncated_line');
    expect(cut.length).toBeGreaterThan(3);
    const t = (await open(path, { schema: 'loans' })).tables[0]!;
    expect(await count(t)).toBe(400);
    const [nulls] = await q(`SELECT count(*) AS n FROM ${t.relation} WHERE loan_id IS NULL`);
    expect(Number(nulls!.n)).toBe(cut.length);
  });

  it("Parquet and Arrow carry their schema: no --schema needed (logical types of text-capable columns restored)", async () => {
    for (const format of ['parquet', 'arrow']) {
      const t = (await open(join(dir, `loans.${format}`))).tables[0]!;
      expect(t).toMatchObject({ name: 'loans', schemaSource: 'file metadata' });
      expect(columnNames(t.schema!)).toEqual(columnNames(LOANS.schema));
      expect(t.schema!.fields.map((f) => String(f.type)), format).toEqual(LOANS.schema.fields.map((f) => String(f.type)));
      expect(await count(t)).toBe(ROWS);
    }
  });

  it('CSV, JSONL and XLSX carry none: E_SCHEMA asks for --schema', async () => {
    for (const format of ['csv', 'jsonl', 'xlsx']) {
      expect(await failure(join(dir, `loans.${format}`))).toEqual(expect.objectContaining({ code: 'E_SCHEMA', message: `check: cannot tell which schema loans.${format} follows: pass --schema <scenario|dataset.table|file.yml>` }));
    }
  });

  it("a path with a quote in it is quoted in the SQL", async () => {
    const odd = join(dir, "it's here");
    mkdirSync(odd);
    copyFileSync(join(dir, 'loans.csv'), join(odd, "l'oans.csv"));
    const t = (await open(join(odd, "l'oans.csv"), { schema: 'loans' })).tables[0]!;
    expect(await count(t)).toBe(ROWS);
    expect(t.name).toBe('loans');
  });
});

describe('folders of partitions', () => {
  it("datagen's partitioned Parquet (the partition column kept in the files): every row, schema from the files' metadata", async () => {
    const out = join(dir, 'by-status/');
    await run(scenario(LOANS, { rows: 300, seed: 1 }), parquet({ path: out, partitionBy: ['status'] }));
    const t = (await open(out)).tables[0]!;
    expect(t.files.length).toBeGreaterThan(2);
    expect(t.files.every((f) => /^status=[^/]+\/part-0000\.parquet$/.test(f))).toBe(true);
    expect(t).toMatchObject({ name: 'loans', format: 'parquet', schemaSource: 'file metadata (first file)' });
    expect(await count(t)).toBe(300);
    expect(await columnsOf(t)).toEqual(columnNames(LOANS.schema));
  });

  it('a partition column kept out of the files is read from the folder names; other folder keys are dropped', async () => {
    const root = join(dir, 'hive');
    const rows = { a: ['1,x', '2,y'], b: ['3,z'] };
    for (const [k, lines] of Object.entries(rows)) {
      mkdirSync(join(root, `kind=${k}`, 'day=2024-01-01'), { recursive: true });
      writeFileSync(join(root, `kind=${k}`, 'day=2024-01-01', 'part.csv'), `id,name\n${lines.join('\n')}\n`);
    }
    writeFileSync(join(root, '_SUCCESS'), '');
    writeFileSync(join(dir, 'kinds.yml'), 'name: kinds\nrows: 3\nfields:\n  id: { type: int32, generator: { sequence: { start: 1 } } }\n  name: { type: string, generator: { choice: { values: [x, y, z] } } }\n  kind: { type: string, generator: { choice: { values: [a, b] } } }\n');
    const t = (await open(root, { schema: join(dir, 'kinds.yml') })).tables[0]!;
    expect(t).toMatchObject({ name: 'kinds', format: 'csv', schemaSource: 'kinds.yml' });
    expect(await columnsOf(t)).toEqual(['id', 'name', 'kind']);
    expect(await q(`SELECT * FROM ${t.relation} ORDER BY id`)).toEqual([
      { id: '1', name: 'x', kind: 'a' },
      { id: '2', name: 'y', kind: 'a' },
      { id: '3', name: 'z', kind: 'b' },
    ]);
  });

  it('a folder of several formats is refused; a folder without data files too', async () => {
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed);
    copyFileSync(join(dir, 'loans.csv'), join(mixed, 'a.csv'));
    copyFileSync(join(dir, 'loans.parquet'), join(mixed, 'b.parquet'));
    expect(await failure(mixed)).toMatchObject({ code: 'E_INPUT', message: `check: ${mixed} holds files of several formats (csv, parquet): check one table's folder at a time` });
    const empty = join(dir, 'empty');
    mkdirSync(join(empty, 'sub'), { recursive: true });
    writeFileSync(join(empty, 'notes.txt'), 'hello');
    expect(await failure(empty)).toMatchObject({ code: 'E_INPUT', message: `check: ${empty} holds no data files (csv, jsonl, parquet, arrow, xlsx) and no _manifest.json` });
  });
});

describe('bad input and bad schemas', () => {
  it('a path that does not exist', async () => {
    expect(await failure(join(dir, 'nope'))).toMatchObject({ code: 'E_INPUT', message: `check: no such file or folder: ${join(dir, 'nope')}` });
  });

  it('an unknown --schema, with the close name', async () => {
    const err = await failure(join(dir, 'loans.csv'), { schema: 'lons' });
    expect(err.code).toBe('E_SCHEMA');
    expect(err.message).toMatch(/^check: unknown schema 'lons': .*Did you mean loans\?$/);
    expect(await failure(join(dir, 'loans.csv'), { schema: 'retail.custmers' })).toMatchObject({ code: 'E_SCHEMA', message: expect.stringMatching(/no table 'custmers' .*Did you mean customers\?$/) });
    expect(await failure(join(dir, 'loans.csv'), { schema: join(dir, 'none.yml') })).toMatchObject({ code: 'E_SCHEMA', message: `check: --schema ${join(dir, 'none.yml')}: no such file` });
  });

  it('columns that do not match the schema: one E_SCHEMA line naming the missing and extra columns', async () => {
    const err = await failure(join(dir, 'loans.csv'), { schema: 'attendance' });
    expect(err).toMatchObject({ code: 'E_SCHEMA' });
    expect(err.message).toMatch(/^check: table attendance does not match its schema \(scenario attendance\): missing employee_id, .*; extra loan_id, customer_id, /);
    expect(err.message).not.toContain('\n');
    expect(await failure(join(dir, 'retail', 'returns'), { schema: 'retail.shipments' })).toMatchObject({
      code: 'E_SCHEMA',
      message: "check: table shipments does not match its schema (dataset retail): the Delta log's version 3 has missing shipment_id, carrier, shipped_at, delivered_at, ship_cost; extra return_id, product_id, return_ts, qty, reason, return_reason_code",
    });
    // One column short, in a text and a typed format.
    for (const format of ['csv', 'parquet']) {
      const path = join(dir, `short.${format}`);
      await con.run(`COPY (SELECT * EXCLUDE (branch) FROM ${(await open(join(dir, 'loans.parquet'))).tables[0]!.relation}) TO '${path}'`);
      expect(await failure(path, { schema: 'loans' })).toMatchObject({ code: 'E_SCHEMA', message: 'check: table loans does not match its schema (scenario loans): missing branch' });
    }
  });

  it('a corrupt file: E_INPUT with DuckDB\'s message on one line', async () => {
    const bad = join(dir, 'cut.parquet');
    writeFileSync(bad, readFileSync(join(dir, 'loans.parquet')).subarray(0, 2000));
    const err = await failure(bad, { schema: 'loans' });
    expect(err.code).toBe('E_INPUT');
    expect(err.message).toMatch(new RegExp(`^check: cannot read ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+`));
    expect(err.message).not.toContain('\n');
    const cutArrow = join(dir, 'cut.arrow');
    writeFileSync(cutArrow, readFileSync(join(dir, 'loans.arrow')).subarray(0, 3000));
    expect(await failure(cutArrow)).toMatchObject({ code: 'E_INPUT' });
    const notXlsx = join(dir, 'not.xlsx');
    writeFileSync(notXlsx, 'hello');
    expect(await failure(notXlsx, { schema: 'loans' })).toMatchObject({ code: 'E_INPUT', message: expect.stringMatching(/^check: cannot read .*not\.xlsx: /) });
    writeFileSync(join(dir, 'notes.txt'), 'a,b\n');
    expect(await failure(join(dir, 'notes.txt'))).toMatchObject({ code: 'E_INPUT', message: expect.stringContaining(`check: cannot tell the format of ${join(dir, 'notes.txt')} from its extension`) });
  });
});
