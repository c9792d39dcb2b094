import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tableFromIPC, type Schema } from 'apache-arrow';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRecordBatch, IpcEncoder, rechunk, textDecoder, toRecordBatch } from '../src/codecs/arrow-batch.js';
import { textEncoder } from '../src/codecs/codec.js';
import { deltaTable } from '../src/delta/table.js';
import { readParquet } from '../src/codecs/parquet-io.js';
import { collect, run } from '../src/core/pipeline.js';
import { findScenario } from '../src/registry.js';
import { defineTable, kindOf, mapFields, MAY_HOLD_TEXT, TEXT_OF, types, withNullable, withText, type Kind, type Row } from '../src/core/schema.js';
import type { Batch } from '../src/core/stage.js';
import { arrow } from '../sinks/arrow.js';
import { csv } from '../sinks/csv.js';
import { parquet } from '../sinks/parquet.js';
import { arrowIpcSource } from '../sources/arrow-ipc.js';
import { scenario } from '../sources/scenario.js';
import { malform } from '../transforms/malform.js';
import { outliers } from '../transforms/outliers.js';
import { BIN, rowsSource, sh, sha256, tempDir, SUMMARIES_ONLY } from './helpers.js';

/**
 * What typed writers do with the schema a stage declares: nullable columns, and text-capable
 * columns (written as text, logical type in field metadata, restored by the IPC reader); fixed
 * record batch and row group sizes whatever the input's batch size; cut IPC streams refused.
 */
let con: DuckDBConnection;
beforeAll(async () => {
  con = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => con.closeSync());
const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson();

const BASE = defineTable('typed', 'one column per kind', {
  id: { type: types.int32(), description: 'row', key: true },
  n: { type: types.int64(), description: 'int64' },
  x: { type: types.float64(), description: 'float' },
  price: { type: types.decimal(12, 2), description: 'decimal' },
  ok: { type: types.bool(), description: 'bool' },
  day: { type: types.date(), description: 'date' },
  at: { type: types.time(), description: 'time' },
  ts: { type: types.timestamp(), description: 'timestamp' },
  name: { type: types.string(), description: 'text' },
});
/** Every column but the key may hold text (as after `malform`), and nulls. */
const TEXT = mapFields(BASE, (f) => (f.name === 'id' ? f : withNullable(withText(f))));

/** Values of each kind, and malformed text in every column but the key, now and then. */
const MALFORMED: Record<string, string[]> = {
  n: ['12,000', '1e3', ' 42', '9007199254740993'],
  x: ['1,5', 'NaN ', '0.10'],
  price: ['12.3', '12.345', '$4.00'],
  ok: ['yes', 'TRUE'],
  day: ['2024-02-30', '2024-3-1', 'N/A'],
  at: ['25:00:00', '9:30'],
  ts: ['2023-02-29T06:07:25.660485Z', '2024-01-01 10:00:00', '2024-01-01T10:00:00Z'],
  name: ['=1+1', ''],
};
function typedRows(n: number): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const bad = (col: string, k: number): string | undefined => ((i + k) % 5 === 0 ? MALFORMED[col]![i % MALFORMED[col]!.length] : undefined);
    rows.push({
      id: i,
      n: bad('n', 1) ?? (i % 9 === 0 ? null : i * 1_000_003 - 2 ** 40),
      x: bad('x', 2) ?? (i % 4 === 0 ? NaN : i / 7),
      price: bad('price', 3) ?? (i * 137 - 5000) / 100,
      ok: bad('ok', 4) ?? i % 3 === 0,
      day: bad('day', 0) ?? -400 + i * 3,
      at: bad('at', 1) ?? (i * 91) % 86_400,
      ts: bad('ts', 2) ?? 1_700_000_000_000_000 + i * 1_234_567,
      name: bad('name', 3) ?? `name ${i} é`,
    });
  }
  return rows;
}
const csvText = (schema: Schema, rows: Row[]) =>
  rows.map((r) => schema.fields.map((f) => (r[f.name] === null ? '' : textEncoder(kindOf(f.type), (f.type as { scale?: number }).scale)(r[f.name]!))).join('|')).join('\n');

const rows3000 = () => typedRows(3000);

describe('text-capable and nullable columns in typed formats', () => {
  const rows = typedRows(3000);

  it('are stored as text columns carrying the logical type, and read back as the same rows', () => {
    const rb = toRecordBatch({ schema: TEXT, rows, offset: 0 });
    for (const f of rb.schema.fields) {
      if (f.name === 'id') continue;
      expect([f.name, String(f.type), f.nullable]).toEqual([f.name, 'Utf8', true]);
      expect(f.metadata.get(MAY_HOLD_TEXT)).toBe('true');
    }
    expect(rb.schema.fields.map((f) => f.metadata.get(TEXT_OF))).toEqual([undefined, 'int64', 'float64', 'decimal(12,2)', 'bool', 'date', 'time', 'timestamp[us, UTC]', undefined]);
    // Each cell holds exactly the CSV text of the value.
    for (const i of [0, 1, 2, 5, 13, 2999]) {
      for (const f of TEXT.fields.slice(1)) {
        const v = rows[i]![f.name]!;
        const got = rb.getChild(f.name)!.get(i);
        expect(got).toBe(v === null ? null : textEncoder(kindOf(f.type), (f.type as { scale?: number }).scale)(v));
      }
    }
    const encoder = new IpcEncoder('stream');
    const back = tableFromIPC(Buffer.concat([encoder.encode({ schema: TEXT, rows, offset: 0 }), encoder.finish()])).batches.map((b) => fromRecordBatch(b));
    const backRows = back.flatMap((b) => b.rows);
    // Logical types, metadata and every value (malformed text stays text, NaN stays NaN) come back.
    expect(back[0]!.schema.fields.map((f) => String(f.type))).toEqual(TEXT.fields.map((f) => String(f.type)));
    expect(back[0]!.schema.fields.map((f) => f.metadata.get(MAY_HOLD_TEXT))).toEqual(TEXT.fields.map((f) => f.metadata.get(MAY_HOLD_TEXT)));
    expect(backRows).toEqual(rows);
  });

  it('text decodes only when it is the exact text of a value', () => {
    const cases: Array<[Kind, number, string, unknown]> = [
      ['int', 0, '42', 42],
      ['int', 0, '-7', -7],
      ['int', 0, '042', '042'],
      ['int', 0, '1e3', '1e3'],
      ['int', 0, '', ''],
      ['float', 0, '0.1', 0.1],
      ['float', 0, '0.10', '0.10'],
      ['float', 0, 'Infinity', Infinity],
      ['decimal', 2, '12.30', 12.3],
      ['decimal', 2, '12.3', '12.3'],
      ['bool', 0, 'true', true],
      ['bool', 0, 'True', 'True'],
      ['date', 0, '2024-02-29', 19782],
      ['date', 0, '2023-02-29', '2023-02-29'],
      ['time', 0, '09:30:00', 34200],
      ['time', 0, '9:30:00', '9:30:00'],
      ['timestamp', 0, '1970-01-01T00:00:01.000002Z', 1_000_002],
      ['timestamp', 0, '1970-01-01T00:00:01Z', '1970-01-01T00:00:01Z'],
    ];
    for (const [kind, scale, text, value] of cases) expect([kind, text, textDecoder(kind, scale)(text)]).toEqual([kind, text, value]);
  });

  it('Parquet holds them as VARCHAR with the CSV text; DuckDB reads the nulls', async () => {
    const dir = tempDir();
    const path = join(dir, 'text.parquet');
    await run(rowsSource(TEXT, rows, 700), parquet({ path }));
    const cols = await query(`describe select * from '${path}'`);
    expect(cols.map((c) => c.column_type)).toEqual(['INTEGER', ...Array(8).fill('VARCHAR')]);
    const got = await query(`select * from '${path}' order by id`);
    const want = csvText(TEXT, rows);
    expect(got.map((r) => TEXT.fields.map((f) => r[f.name] ?? '').join('|')).join('\n')).toBe(want);
    expect((await query(`select count(*)::int c from '${path}' where n is null`))[0]!.c).toBe(rows.filter((r) => r.n === null).length);
    // The logical types travel in the file's Arrow schema: read back, the rows are the same.
    const back = readParquet(readFileSync(path));
    expect(back.schema.fields.map((f) => String(f.type))).toEqual(TEXT.fields.map((f) => String(f.type)));
    expect(back.batches.flatMap((b) => b.rows)).toEqual(rows);
  });

  it('a declared nullable column is written nullable; a null in a non-nullable one is a one-line E_INPUT, never a wasm error', async () => {
    const NULLS = mapFields(BASE, (f) => (f.name === 'n' ? withNullable(f) : f));
    const clean = typedRows(50).map((r, i) => ({ ...r, n: i % 3 === 0 ? null : i, x: 1, price: 1, ok: true, day: 1, at: 1, ts: 1, name: 'a' }));
    const dir = tempDir();
    await run(rowsSource(NULLS, clean, 10), parquet({ path: join(dir, 'ok.parquet') }));
    expect((await query(`select count(*)::int c from '${join(dir, 'ok.parquet')}' where n is null`))[0]!.c).toBe(17);
    expect(toRecordBatch({ schema: NULLS, rows: clean, offset: 0 }).schema.fields[1]!.nullable).toBe(true);
    for (const sink of [parquet({ path: join(dir, 'bad.parquet') }), arrow({ path: join(dir, 'bad.arrow') })]) {
      const err = await run(rowsSource(BASE, clean, 10), sink).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_INPUT', message: expect.stringMatching(/^typed: row 0 column n is null but the column is declared not nullable/) });
    }
    expect(readdirSync(dir).sort()).toEqual(['ok.parquet']);
  });

  it('a malformed value in an undeclared column is the same E_INPUT in the first batch as in later ones', async () => {
    const clean = typedRows(40).map((r) => ({ ...r, n: 1, x: 1, price: 1, ok: true, day: 1, at: 1, ts: 1, name: 'a' }));
    const dir = tempDir();
    for (const at of [3, 33]) {
      const bad = clean.map((r) => ({ ...r }));
      bad[at]!.day = '2024-13-45';
      const err = await run(rowsSource(BASE, bad, 10), parquet({ path: join(dir, 'x.parquet') })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_INPUT', message: `typed: row ${at} column day is date but holds "2024-13-45"; a malformed value fits only a text format (csv, jsonl)` });
    }
    expect(existsSync(join(dir, 'x.parquet'))).toBe(false);
  });
});

describe('text-capable columns in Delta', () => {
  it('are string columns holding the CSV text, logical type in the metadata; read back, merged into and deleted from as values', async () => {
    const dir = tempDir();
    const path = join(dir, 'lake');
    const t = deltaTable(path, { commitTime: '2024-01-01T00:00:00Z' });
    await t.append(rowsSource(TEXT, rows3000(), 700));
    const fields = JSON.parse(t.snapshot().metaData.schemaString).fields as Array<{ name: string; type: string; metadata: Record<string, unknown> }>;
    expect(fields.map((f) => [f.name, f.type, f.metadata['datagen.type'] ?? null])).toEqual([
      ['id', 'integer', null],
      ['n', 'string', 'int64'],
      ['x', 'string', 'float64'],
      ['price', 'string', 'decimal(12,2)'],
      ['ok', 'string', 'bool'],
      ['day', 'string', 'date'],
      ['at', 'string', 'time'],
      ['ts', 'string', 'timestamp[us, UTC]'],
      ['name', 'string', null],
    ]);
    // The data file, read by DuckDB: text columns with exactly the CSV text.
    const file = join(path, t.snapshot().files[0]!.path);
    const got = await query(`select * from '${file}' order by id limit 700`);
    const want = rows3000().slice(0, 700).map((r) => ({ ...r, at: typeof r.at === 'number' ? textEncoder('time')(r.at) : r.at }));
    expect(got.map((r) => TEXT.fields.map((f) => r[f.name] ?? '').join('|')).join('\n')).toBe(csvText(TEXT, want));
    // Read back through the API: the values (time as its text, as Delta holds it).
    const back: Row[] = [];
    for await (const b of t.source().batches()) back.push(...b.rows);
    expect(back.sort((a, b) => (a.id as number) - (b.id as number))).toEqual(rows3000().map((r) => ({ ...r, at: typeof r.at === 'number' ? textEncoder('time')(r.at) : r.at })));
    // Clean values of the logical type merge into the text column; a copy-on-write keeps the rest.
    const CLEAN = mapFields(BASE, (f) => (f.name === 'id' ? f : withNullable(f)));
    const update = [{ id: 5, n: 1, x: 0.5, price: 2.5, ok: true, day: 3, at: 4, ts: 5, name: 'new' }];
    await t.merge(rowsSource(CLEAN, update), { key: 'id' });
    await t.delete('id = 7');
    const after: Row[] = [];
    for await (const b of t.source().batches()) after.push(...b.rows);
    expect(after.length).toBe(2999);
    expect(after.find((r) => r.id === 5)).toEqual({ ...update[0], at: '00:00:04' });
    expect(after.find((r) => r.id === 6)).toEqual(back[6]);
  });
});

describe('same bytes whatever the batch size', () => {
  it('rechunk cuts batches to one size, offsets continuing, schema of the first batch', async () => {
    async function* input(): AsyncGenerator<Batch> {
      let offset = 5;
      for (const n of [0, 3, 1, 7, 0, 2]) {
        yield { schema: BASE, rows: Array.from({ length: n }, (_, i) => ({ id: offset + i })), offset };
        offset += n;
      }
    }
    const out: Batch[] = [];
    for await (const b of rechunk(input(), 4)) out.push(b);
    expect(out.map((b) => [b.offset, b.rows.map((r) => r.id)])).toEqual([
      [5, [5, 6, 7, 8]],
      [9, [9, 10, 11, 12]],
      [13, [13, 14, 15, 16]],
      [17, [17]],
    ]);
    const empty: Batch[] = [];
    for await (const b of rechunk(rowsSource(BASE, [], 10).batches(), 4)) empty.push(b);
    expect(empty.map((b) => b.rows.length)).toEqual([]);
    async function* none(): AsyncGenerator<Batch> {
      yield { schema: BASE, rows: [], offset: 0 };
    }
    for await (const b of rechunk(none(), 4)) empty.push(b);
    expect(empty.map((b) => [b.schema, b.rows.length])).toEqual([[BASE, 0]]);
  });

  it('Parquet, Arrow file and Arrow stream: identical bytes for batch sizes 1, 777, 8192 and 50000', async () => {
    const dir = tempDir();
    const hashes: Record<string, Set<string>> = { parquet: new Set(), arrow: new Set(), arrows: new Set(), small: new Set() };
    for (const batchSize of [1, 777, 8192, 50_000]) {
      const src = () => scenario('loans', { rows: 20_000, seed: 7, batchSize });
      for (const ext of ['parquet', 'arrow', 'arrows']) {
        const path = join(dir, `${batchSize}.${ext}`);
        await run(src(), ext === 'parquet' ? parquet({ path }) : arrow({ path }));
        hashes[ext]!.add(sha256(readFileSync(path)));
      }
      const small = join(dir, `${batchSize}-small.parquet`);
      await run(src(), parquet({ path: small, rowGroupRows: 3000 }));
      hashes.small!.add(sha256(readFileSync(small)));
    }
    expect(Object.values(hashes).map((h) => h.size)).toEqual([1, 1, 1, 1]);
    // The sizes are the sinks' own: 8192-row record batches, row groups of --row-group-rows.
    const rgs = await query(`select row_group_id, max(row_group_num_rows)::int n from parquet_metadata('${join(dir, '1-small.parquet')}') group by 1 order by 1`);
    expect(rgs.map((r) => r.n)).toEqual([3000, 3000, 3000, 3000, 3000, 3000, 2000]);
    const table = tableFromIPC(readFileSync(join(dir, '777.arrows')));
    expect(table.batches.map((b) => b.numRows)).toEqual([8192, 8192, 3616]);
  });

  it('from the CLI: generate --batch-size 1 and 777 write the same Parquet as the default', () => {
    const dir = tempDir();
    const r = sh(
      [1, 777, 8192].map((b) => `node ${BIN} generate loans --rows 20000 --batch-size ${b} --out ${b}.parquet`).join(' && '),
      dir,
    );
    expect(r.status).toBe(0);
    expect(new Set([1, 777, 8192].map((b) => sha256(readFileSync(join(dir, `${b}.parquet`)))))).toHaveProperty('size', 1);
  });
});

describe('IPC input', () => {
  it('Date32 and other units from an IPC stream are normalised: attendance goes into Delta', () => {
    const dir = tempDir();
    const r = sh(`node ${BIN} pipe attendance --rows 500 --ipc | node ${BIN} delta --out lake/att`, dir);
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(r.status).toBe(0);
    const log = readFileSync(join(dir, 'lake/att/_delta_log/00000000000000000000.json'), 'utf8');
    const meta = log.split('\n').map((l) => (l ? JSON.parse(l) : {})).find((a) => a.metaData)!.metaData;
    expect(JSON.parse(meta.schemaString).fields.find((f: { name: string }) => f.name === 'date').type).toBe('date');
  });

  it('a cut stream or file is one line of E_INPUT and no output file', async () => {
    const dir = tempDir();
    const rows = await collect(scenario('loans', { rows: 3000, seed: 1, batchSize: 1000 }));
    const schema = scenario('loans', { rows: 1 }).schema!;
    const enc = new IpcEncoder('stream');
    const parts = [0, 1000, 2000].map((i) => enc.encode({ schema, rows: rows.slice(i, i + 1000), offset: i }));
    const whole = Buffer.concat([...parts, enc.finish()]);
    const fileEnc = new IpcEncoder('file');
    const file = Buffer.concat([fileEnc.encode({ schema, rows, offset: 0 }), fileEnc.finish()]);
    const cases: Record<string, Buffer> = {
      four: whole.subarray(0, 4),
      first1000: parts[0]!,
      body: whole.subarray(0, parts[0]!.length + 5000),
      noeos: whole.subarray(0, whole.length - 8),
      file: file.subarray(0, file.length - 10),
    };
    for (const [name, bytes] of Object.entries(cases)) writeFileSync(join(dir, `${name}.bin`), bytes);
    writeFileSync(join(dir, 'whole.bin'), whole);
    // One shell: each case's exit code and stderr, then the whole stream as a control.
    const script = [...Object.keys(cases), 'whole']
      .map((name) => `node ${BIN} csv --out ${name}.csv < ${name}.bin 2> ${name}.err; echo "${name} $?"`)
      .join('; ');
    const r = sh(script, dir);
    const codes = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ')));
    for (const name of Object.keys(cases)) {
      const err = readFileSync(join(dir, `${name}.err`), 'utf8');
      expect([name, codes[name], err.split('\n').filter(Boolean).length]).toEqual([name, '1', 1]);
      expect(err).toMatch(name === 'file' ? /^datagen: stdin: the Arrow IPC file ended before its footer \(cut stream\?\) \[E_INPUT\]\n$/ : /^datagen: stdin: the Arrow IPC stream ended before its end-of-stream marker \(cut stream\?\) \[E_INPUT\]\n$/);
      expect(existsSync(join(dir, `${name}.csv`))).toBe(false);
    }
    expect(codes.whole).toBe('0');
    expect(readFileSync(join(dir, 'whole.csv'), 'utf8').split('\n')).toHaveLength(3002);
  });

  it('the IPC source refuses a cut stream in the library too, before the last batch is handed on', async () => {
    const rows = await collect(scenario('loans', { rows: 100, seed: 1 }));
    const enc = new IpcEncoder('stream');
    const bytes = Buffer.concat([enc.encode({ schema: scenario('loans', { rows: 1 }).schema!, rows, offset: 0 }), enc.finish()]);
    const seen: number[] = [];
    const read = async (b: Buffer) => {
      for await (const batch of arrowIpcSource({ input: Readable.from([b]) }).batches()) seen.push(batch.rows.length);
    };
    await read(bytes);
    expect(seen).toEqual([100]);
    await expect(read(bytes.subarray(0, bytes.length - 8))).rejects.toMatchObject({ code: 'E_INPUT' });
    expect(seen).toEqual([100]);
  });
});

describe('malformed values through a typed pipe', () => {
  it('pipe --ipc | malform | outliers | csv equals the same pipeline in one process', async () => {
    const dir = tempDir();
    const r = sh(`node ${BIN} pipe loans --rows 5000 --seed 4 --ipc | node ${BIN} malform --rate 0.05 | node ${BIN} outliers | node ${BIN} csv --out piped.csv`, dir);
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(r.status).toBe(0);
    const path = join(dir, 'direct.csv');
    const loans = findScenario('loans');
    await run(scenario(loans, { rows: 5000, seed: 4 }), ...loans.defaultStages!(), malform({ rate: 0.05 }), outliers({}), csv({ path }));
    const piped = readFileSync(join(dir, 'piped.csv'), 'utf8');
    expect(piped.split('\n')).toHaveLength(5002);
    expect(piped).toBe(readFileSync(path, 'utf8'));
  });
});
