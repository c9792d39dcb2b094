import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { RecordBatchFileReader, tableFromIPC } from 'apache-arrow';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRecordBatch, IpcEncoder, toRecordBatch } from '../src/codecs/arrow-batch.js';
import { decimalText } from '../src/codecs/codec.js';
import { DatagenError } from '../src/core/errors.js';
import { collect, run } from '../src/core/pipeline.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { arrow } from '../sinks/arrow.js';
import { parquet } from '../sinks/parquet.js';
import { scenario } from '../sources/scenario.js';
import { detectFormat } from '../src/cli/input.js';
import { rowsSource, tempDir, BIN, cliEnv, sh, SUMMARIES_ONLY } from './helpers.js';

/**
 * Arrow IPC and Parquet, every type, read back by readers that did not write them: DuckDB for
 * Parquet; for IPC, apache-arrow's reader (our code builds the buffers, not its builders) and
 * the Rust arrow reader inside parquet-wasm.
 */
let con: DuckDBConnection;
beforeAll(async () => {
  con = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => con.closeSync());
const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson();

const ALL = defineTable('all_types', 'one column per type', {
  id: { type: types.int32(), description: 'row number', key: true },
  big: { type: types.int64(), nullable: true, description: 'int64' },
  x: { type: types.float64(), nullable: true, description: 'float64' },
  price: { type: types.decimal(12, 4), nullable: true, description: 'decimal(12,4)' },
  rate: { type: types.decimal(4, 1), nullable: true, description: 'decimal(4,1)' },
  flag: { type: types.bool(), nullable: true, description: 'bool' },
  day: { type: types.date(), nullable: true, description: 'date' },
  at: { type: types.time(), nullable: true, description: 'time' },
  ts: { type: types.timestamp(), nullable: true, description: 'timestamp' },
  name: { type: types.string(), nullable: true, description: 'text', values: ['a', 'b'] },
});

const EDGE_BIG = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER - 2, Number.MIN_SAFE_INTEGER + 2];
const EDGE_PRICE = [0, 0.0001, -0.0001, 12.5, -12.5, 99_999_999.9999, -99_999_999.9999, 1234.5678];
const EDGE_TS = [0, -1, 1, 1_700_000_000_123_456, -86_400_000_001, 7_258_118_400_000_001];
const EDGE_TEXT = ['', 'plain', 'naïve café', '日本語', 'emoji 🎉', 'quote "x", comma', 'line\nbreak'];

/** Deterministic rows with every edge value and a null in every nullable column now and then. */
function allTypeRows(n: number): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const nul = (k: number) => (i + k) % 7 === 0;
    rows.push({
      id: i,
      big: nul(1) ? null : EDGE_BIG[i % EDGE_BIG.length]! - (i % 3),
      x: nul(2) ? null : (i % 5 === 0 ? -0.5 : 1 / (i + 1)),
      price: nul(3) ? null : EDGE_PRICE[i % EDGE_PRICE.length]!,
      rate: nul(4) ? null : ((i % 200) - 95) / 10,
      flag: nul(5) ? null : i % 3 === 0,
      day: nul(6) ? null : -800 + i * 7,
      at: nul(0) ? null : (i * 37) % 86_400,
      ts: nul(1) ? null : EDGE_TS[i % EDGE_TS.length]! + i,
      name: i % 11 === 0 ? null : EDGE_TEXT[i % EDGE_TEXT.length]!,
    });
  }
  return rows;
}

describe('rows <-> Arrow record batches', () => {
  const rows = allTypeRows(5000);

  it('every type and null survives an IPC stream read by apache-arrow', () => {
    const encoder = new IpcEncoder('stream');
    const bytes = Buffer.concat([encoder.encode({ schema: ALL, rows: rows.slice(0, 3000), offset: 0 }), encoder.encode({ schema: ALL, rows: rows.slice(3000), offset: 3000 }), encoder.finish()]);
    const table = tableFromIPC(bytes);
    expect(table.numRows).toBe(5000);
    const back = table.batches.flatMap((rb) => fromRecordBatch(rb).rows);
    expect(back).toEqual(rows);
    // Types, and the schema metadata that ledgers and stages rely on, travel with the stream.
    expect(table.schema.fields.map((f) => String(f.type))).toEqual(ALL.fields.map((f) => String(f.type)));
    expect(table.schema.metadata.get('table')).toBe('all_types');
    expect(table.schema.fields[0]!.metadata.get('key')).toBe('true');
  });

  it('the buffers hold the values apache-arrow itself reads (int64, decimal words, timestamps)', () => {
    const rb = toRecordBatch({ schema: ALL, rows, offset: 0 });
    for (const i of [0, 1, 2, 3, 5, 6, 7, 9, 100, 4999]) {
      const r = rows[i]!;
      const big = rb.getChild('big')!.get(i) as bigint | null;
      expect(big === null ? null : Number(big)).toBe(r.big);
      const ts = rb.getChild('ts')!.get(i) as number | bigint | null;
      if (r.ts !== null) expect(Number(rb.getChild('ts')!.data[0]!.values[i])).toBe(r.ts);
      else expect(ts).toBeNull();
      const price = rb.getChild('price')!.get(i);
      // apache-arrow gives a decimal as its unscaled 128-bit integer
      if (r.price !== null) expect(String(price)).toBe(String(Math.round((r.price as number) * 1e4)));
      else expect(price).toBeNull();
    }
  });

  it('an IPC file (.arrow) has a footer and reads back with the file reader', async () => {
    const dir = tempDir();
    const path = join(dir, 'all.arrow');
    await run(rowsSource(ALL, rows, 777), arrow({ path }));
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('ARROW1');
    expect(bytes.subarray(-6).toString('latin1')).toBe('ARROW1');
    const reader = RecordBatchFileReader.from(bytes).open();
    // Re-chunked to the sink's record batch size (8192), whatever the input's batches were.
    expect(reader.numRecordBatches).toBe(1);
    expect([...reader].flatMap((rb) => fromRecordBatch(rb).rows)).toEqual(rows);
  });

  it('the Rust arrow reader (in parquet-wasm) accepts the stream with the same types', () => {
    const pw = createRequire(import.meta.url)('parquet-wasm') as typeof import('parquet-wasm');
    const encoder = new IpcEncoder('stream');
    const bytes = Buffer.concat([encoder.encode({ schema: ALL, rows, offset: 0 }), encoder.finish()]);
    const table = pw.Table.fromIPCStream(bytes);
    try {
      const batch = table.recordBatch(0)!;
      expect(batch.numRows).toBe(5000);
      expect(batch.numColumns).toBe(ALL.fields.length);
      batch.free();
    } finally {
      table.free();
    }
  });

  it('a value the column type cannot hold is an error naming row, column and value', () => {
    const bad = rows.slice(0, 10).map((r) => ({ ...r }));
    bad[4]!.big = '12,000';
    expect(() => toRecordBatch({ schema: ALL, rows: bad, offset: 100 })).toThrow(/all_types: row 104 column big is int but holds "12,000"/);
    bad[4]!.big = 1;
    bad[6]!.rate = 1234.5; // decimal(4,1) holds at most 999.9
    expect(() => toRecordBatch({ schema: ALL, rows: bad, offset: 0 })).toThrow(/row 6 column rate is decimal/);
  });

  it('recognises IPC stream, IPC file and NDJSON from their first bytes', () => {
    expect(detectFormat(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0]))).toBe('arrow');
    expect(detectFormat(Buffer.from('ARROW1\0\0'))).toBe('arrow');
    expect(detectFormat(Buffer.from('{"a":1}\n'))).toBe('ndjson');
    expect(detectFormat(null)).toBe('ndjson');
  });
});

describe('Parquet read by DuckDB', () => {
  const rows = allTypeRows(20_000);
  const dir = tempDir();
  const path = join(dir, 'all.parquet');
  beforeAll(async () => {
    await run(rowsSource(ALL, rows, 3000), parquet({ path, rowGroupRows: 8000 }));
  });

  it('has the exact logical types', async () => {
    const cols = await query(`describe select * from read_parquet('${path}')`);
    expect(cols.map((c) => c.column_type)).toEqual(['INTEGER', 'BIGINT', 'DOUBLE', 'DECIMAL(12,4)', 'DECIMAL(4,1)', 'BOOLEAN', 'DATE', 'TIME', 'TIMESTAMP WITH TIME ZONE', 'VARCHAR']);
    const schema = await query(`select name, logical_type from parquet_schema('${path}') where name = 'ts'`);
    expect(String(schema[0]!.logical_type)).toMatch(/isAdjustedToUTC=1.*MICROS=MicroSeconds/);
  });

  it('holds every value, null and edge case', async () => {
    const got = await query(
      `select id, big::varchar big, x, price::varchar price, rate::varchar rate, flag, date_diff('day', DATE '1970-01-01', "day")::int "day", ` +
        `(extract(epoch from "at"))::bigint "at", epoch_us(ts)::varchar ts, name from read_parquet('${path}') order by id`,
    );
    expect(got.length).toBe(rows.length);
    const p4 = decimalText(4);
    const p1 = decimalText(1);
    got.forEach((g, i) => {
      const r = rows[i]!;
      expect(g).toEqual({
        id: r.id,
        big: r.big === null ? null : String(r.big),
        x: r.x,
        price: r.price === null ? null : p4(r.price as number),
        rate: r.rate === null ? null : p1(r.rate as number),
        flag: r.flag,
        day: r.day,
        at: r.at === null ? null : String(r.at),
        ts: r.ts === null ? null : String(r.ts),
        name: r.name,
      });
    });
  });

  it('has row groups of the asked size, snappy by default', async () => {
    const meta = await query(`select row_group_id, row_group_num_rows, compression from parquet_metadata('${path}') where path_in_schema = 'id' order by row_group_id`);
    expect(meta.map((m) => Number(m.row_group_num_rows))).toEqual([8000, 8000, 4000]);
    expect(new Set(meta.map((m) => m.compression))).toEqual(new Set(['SNAPPY']));
  });

  it('writes zstd, gzip and uncompressed when asked', async () => {
    for (const [codec, name] of [['zstd', 'ZSTD'], ['gzip', 'GZIP'], ['none', 'UNCOMPRESSED']] as const) {
      const p = join(dir, `${codec}.parquet`);
      await run(rowsSource(ALL, rows.slice(0, 1000)), parquet({ path: p, compression: codec }));
      const meta = await query(`select distinct compression from parquet_metadata('${p}')`);
      expect(meta.map((m) => m.compression)).toEqual([name]);
      expect((await query(`select count(*)::int n from '${p}'`))[0]!.n).toBe(1000);
    }
  });

  it('loans: decimal sums and null counts equal the generated rows', async () => {
    const p = join(dir, 'loans.parquet');
    const source = () => scenario('loans', { rows: 100_000, seed: 3 });
    await run(source(), parquet({ path: p }));
    const expected = await collect(source());
    const [stats] = await query(`select count(*)::int n, sum(interest_rate)::varchar rate_sum, count(created_at)::int created, count(distinct loan_id)::int ids from '${p}'`);
    const tenths = expected.reduce((s, r) => s + Math.round((r.interest_rate as number) * 10), 0);
    expect(stats).toEqual({ n: 100_000, rate_sum: decimalText(1)(tenths / 10), created: expected.filter((r) => r.created_at !== null).length, ids: 100_000 });
  });

  it('an input that fails after some batches fails the write and leaves no file', async () => {
    const p = join(dir, 'broken.parquet');
    const good = allTypeRows(30_000);
    const failing = {
      kind: 'source' as const,
      name: 'failing',
      async *batches() {
        for (let i = 0; i < 3; i++) yield { schema: ALL, rows: good.slice(i * 8192, (i + 1) * 8192), offset: i * 8192 };
        throw new DatagenError('E_INPUT', 'stdin line 24577: not valid JSON');
      },
    };
    await expect(run(failing, parquet({ path: p }))).rejects.toThrow(/line 24577/);
    expect(readdirSync(dir).filter((f) => f.includes('broken'))).toEqual([]);
    const bad = good.slice(0, 9000).map((r) => ({ ...r }));
    bad[8500]!.day = '2024-13-45';
    await expect(run(rowsSource(ALL, bad, 1000), parquet({ path: p }))).rejects.toThrow(/row 8500 column day is date but holds "2024-13-45"/);
    expect(existsSync(p)).toBe(false);
  });

  it('an empty table still has its schema', async () => {
    const p = join(dir, 'empty.parquet');
    await run(scenario('loans', { rows: 0 }), parquet({ path: p }));
    expect((await query(`select count(*)::int n from '${p}'`))[0]!.n).toBe(0);
    expect((await query(`describe select * from '${p}'`)).length).toBe(10);
  });
});

describe('typed pipes between processes', () => {
  const datagen = `node ${BIN}`;

  it('pipe --ipc | noise | parquet keeps decimals and timestamps, and noise answers in IPC', async () => {
    const dir = tempDir();
    const r = sh(
      `${datagen} pipe loans --rows 20000 --clean --ipc | ${datagen} noise --rate 0.01 --seed 5 > noisy.arrows && ` +
        `${datagen} parquet --out loans.parquet < noisy.arrows && ${datagen} pipe loans --rows 20000 --clean --ipc | ${datagen} parquet --out clean.parquet`,
      dir,
    );
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(r.status).toBe(0);
    expect(detectFormat(readFileSync(join(dir, 'noisy.arrows')).subarray(0, 8))).toBe('arrow');
    const cols = await query(`describe select * from '${join(dir, 'loans.parquet')}'`);
    expect(cols.map((c) => c.column_type)).toEqual(['VARCHAR', 'VARCHAR', 'TIMESTAMP WITH TIME ZONE', 'INTEGER', 'DECIMAL(4,1)', 'INTEGER', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR']);
    // The clean pipe lost nothing on the way: same rows as the library makes.
    const expected = await collect(scenario('loans', { rows: 20_000 }));
    const got = await query(`select loan_id, epoch_us(created_at)::varchar ts, interest_rate::varchar rate from '${join(dir, 'clean.parquet')}' order by loan_id`);
    const byId = new Map(got.map((g) => [g.loan_id, g]));
    for (const r of expected.slice(0, 2000)) {
      expect(byId.get(r.loan_id)).toEqual({ loan_id: r.loan_id, ts: r.created_at === null ? null : String(r.created_at), rate: r.interest_rate === null ? null : decimalText(1)(r.interest_rate as number) });
    }
  });

  it('a sink reads IPC or NDJSON without being told, and --schema types NDJSON for Parquet', async () => {
    const dir = tempDir();
    const r = sh(
      `${datagen} pipe loans --rows 3000 --clean --ipc | ${datagen} csv > from-ipc.csv && ${datagen} pipe loans --rows 3000 --clean | ${datagen} csv --schema loans > from-ndjson.csv && ` +
        `${datagen} pipe loans --rows 3000 --clean | ${datagen} parquet --schema loans --out typed.parquet`,
      dir,
    );
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(readFileSync(join(dir, 'from-ipc.csv'), 'utf8')).toBe(readFileSync(join(dir, 'from-ndjson.csv'), 'utf8'));
    const cols = await query(`describe select * from '${join(dir, 'typed.parquet')}'`);
    expect(cols[4]!.column_type).toBe('DECIMAL(4,1)');
  });

  it('dates, times and int64 ids cross an IPC pipe unchanged (attendance)', () => {
    const dir = tempDir();
    const r = sh(`${datagen} pipe attendance --rows 30000 --ipc | ${datagen} jsonl > ipc.jsonl && ${datagen} pipe attendance --rows 30000 > direct.jsonl`, dir);
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    const direct = readFileSync(join(dir, 'direct.jsonl'), 'utf8');
    expect(direct.split('\n')).toHaveLength(30_001);
    expect(readFileSync(join(dir, 'ipc.jsonl'), 'utf8')).toBe(direct);
  });

  it('malformed values cross a typed pipe as a text column that keeps its logical type', async () => {
    const dir = tempDir();
    const r = sh(`${datagen} pipe loans --rows 2000 --clean --ipc | ${datagen} malform --columns amount --rate 0.5 --ipc | ${datagen} parquet --out m.parquet`, dir);
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(r.status).toBe(0);
    const cols = await query(`describe select amount from '${join(dir, 'm.parquet')}'`);
    expect(cols[0]!.column_type).toBe('VARCHAR');
    const [{ n, malformed }] = (await query(`select count(*)::int n, count(*) filter (where try_cast(amount as integer) is null)::int malformed from '${join(dir, 'm.parquet')}'`)) as { n: number; malformed: number }[];
    expect(n).toBe(2000);
    expect(malformed).toBeGreaterThan(800);
    expect(malformed).toBeLessThan(1200);
  });

  it('an interrupted Parquet write leaves no complete-looking file', async () => {
    const dir = tempDir();
    const child = spawn('node', [BIN, 'generate', 'loans', '--rows', '20000000', '--out', 'big.parquet'], { cwd: dir, env: cliEnv });
    const temp = /^\.big\.parquet\.tmp-\d+$/;
    for (let waited = 0; waited < 20_000 && !readdirSync(dir).some((f) => temp.test(f)); waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(dir)).toEqual([expect.stringMatching(temp)]);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    expect(existsSync(join(dir, 'big.parquet'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
