/**
 * The duckdb sink (issue 15): rows into a DuckDB table with the schema's exact types and NOT
 * NULL, the same values as the CSV of the same seed (both read by DuckDB, compared with EXCEPT),
 * columns that may hold malformed text refused unless --text-columns, one transaction (a failure
 * leaves the file as it was, or no file), and a whole dataset into one file whose tables and
 * row counts are those of the manifest written as files. DuckDB itself reads everything back.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdb, writeDuckdb } from '../sinks/duckdb.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { collect } from '../src/core/pipeline.js';
import type { Batch } from '../src/core/stage.js';
import { scenario } from '../sources/scenario.js';
import { spawn } from 'node:child_process';
import { BIN, cliEnv, sh, tempDir } from './helpers.js';

const BIN_CMD = `"${process.execPath}" "${join(import.meta.dirname, '..', 'bin', 'run.js')}"`;
const dir = tempDir('datagen-duckdb-');
let conn: DuckDBConnection;
let instance: DuckDBInstance;

const run = (script: string) => sh(script.replaceAll('datagen ', `${BIN_CMD} `), dir);
async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}
/** Part files the sink writes beside the database while loading: none may stay behind. */
const parts = () => readdirSync(dir).filter((f) => f.includes('.part-'));
async function value(sql: string): Promise<unknown> {
  return Object.values((await rows(sql))[0]!)[0];
}
/** Attach a database file read-only under `name` (detached first if attached before). */
async function attach(file: string, name: string): Promise<void> {
  await conn.run(`DETACH DATABASE IF EXISTS ${name}`);
  await conn.run(`ATTACH '${join(dir, file)}' AS ${name} (READ_ONLY)`);
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  // One process per output; loans of one seed as DuckDB and as CSV.
  const r = run('datagen generate loans --rows 3000 --seed 7 --out loans.duckdb -q && datagen generate loans --rows 3000 --seed 7 --out loans.csv -q && datagen generate loans --rows 3000 --seed 7 --out again.duckdb -q');
  expect(r.status, r.stderr).toBe(0);
  expect(parts()).toEqual([]);
}, 120_000);

afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
});

describe('duckdb sink: types and values', () => {
  it('declares the exact types and NOT NULL of the loans schema', async () => {
    await attach('loans.duckdb', 'l');
    const cols = await rows("SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_catalog = 'l' AND table_name = 'loans' ORDER BY ordinal_position");
    expect(cols).toEqual([
      { column_name: 'loan_id', data_type: 'VARCHAR', is_nullable: 'NO' },
      { column_name: 'customer_id', data_type: 'VARCHAR', is_nullable: 'NO' },
      { column_name: 'created_at', data_type: 'TIMESTAMP WITH TIME ZONE', is_nullable: 'YES' },
      { column_name: 'amount', data_type: 'INTEGER', is_nullable: 'YES' },
      { column_name: 'interest_rate', data_type: 'DECIMAL(4,1)', is_nullable: 'YES' },
      { column_name: 'tenure_months', data_type: 'INTEGER', is_nullable: 'YES' },
      { column_name: 'status', data_type: 'VARCHAR', is_nullable: 'YES' },
      { column_name: 'product_type', data_type: 'VARCHAR', is_nullable: 'YES' },
      { column_name: 'branch', data_type: 'VARCHAR', is_nullable: 'YES' },
      { column_name: 'credit_score_band', data_type: 'VARCHAR', is_nullable: 'YES' },
    ]);
  });

  it('holds the same rows as the CSV of the same seed, cell for cell (EXCEPT ALL both ways)', async () => {
    await attach('loans.duckdb', 'l');
    const cols = await rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = 'l' AND table_name = 'loans' ORDER BY ordinal_position");
    const spec = cols.map((c) => `'${c.column_name as string}': '${c.data_type as string}'`).join(', ');
    await conn.run(`CREATE OR REPLACE TABLE csv AS SELECT * FROM read_csv('${join(dir, 'loans.csv')}', header = true, columns = {${spec}})`);
    expect(await value('SELECT count(*) FROM l.loans')).toBe('3000');
    expect(await value('SELECT count(*) FROM csv')).toBe('3000');
    expect(await value('SELECT count(*) FROM (SELECT * FROM l.loans EXCEPT ALL SELECT * FROM csv)')).toBe('0');
    expect(await value('SELECT count(*) FROM (SELECT * FROM csv EXCEPT ALL SELECT * FROM l.loans)')).toBe('0');
    // The documented missingness is there (nulls in nullable columns), so the comparison covered nulls too.
    expect(Number(await value('SELECT count(*) FROM l.loans WHERE amount IS NULL'))).toBeGreaterThan(0);
  });

  it('is deterministic: the same seed gives the same table', async () => {
    await attach('loans.duckdb', 'l');
    await attach('again.duckdb', 'a');
    const all = (db: string) => rows(`SELECT * FROM ${db}.loans ORDER BY loan_id, created_at NULLS FIRST, amount NULLS FIRST`);
    expect(await all('a')).toEqual(await all('l'));
  });

  it('maps every kind: int32 INTEGER, int64 BIGINT, float64 DOUBLE, decimal, string, bool, date, time, timestamp TIMESTAMPTZ', async () => {
    const schema = defineTable('kinds', 'every kind', {
      i32: { type: types.int32(), description: 'i32' },
      i64: { type: types.int64(), description: 'i64', nullable: true },
      f64: { type: types.float64(), description: 'f64' },
      dec: { type: types.decimal(12, 4), description: 'dec' },
      s: { type: types.string(), description: 's', nullable: true },
      b: { type: types.bool(), description: 'b' },
      d: { type: types.date(), description: 'd' },
      t: { type: types.time(), description: 't' },
      ts: { type: types.timestamp(), description: 'ts' },
    });
    const data: Row[] = [
      { i32: -2147483648, i64: 9007199254740991, f64: 0.1, dec: 12345678.1234, s: 'héllo "q", comma\nline', b: true, d: 0, t: 0, ts: 0 },
      { i32: 2147483647, i64: null, f64: -1e300, dec: -0.0001, s: null, b: false, d: 19723, t: 86399, ts: 1_704_067_200_123_456 },
      { i32: 0, i64: -42, f64: 3.5, dec: 0, s: '', b: true, d: -1, t: 3661, ts: -1 },
    ];
    const batch: Batch = { schema, rows: data, offset: 0 };
    await duckdb({ path: join(dir, 'kinds.duckdb') }).write((async function* () {
      yield batch;
    })());
    await attach('kinds.duckdb', 'k');
    const cols = await rows("SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_catalog = 'k' AND table_name = 'kinds' ORDER BY ordinal_position");
    expect(cols.map((c) => `${c.column_name as string} ${c.data_type as string}${c.is_nullable === 'NO' ? ' NOT NULL' : ''}`)).toEqual([
      'i32 INTEGER NOT NULL',
      'i64 BIGINT',
      'f64 DOUBLE NOT NULL',
      'dec DECIMAL(12,4) NOT NULL',
      's VARCHAR',
      'b BOOLEAN NOT NULL',
      'd DATE NOT NULL',
      't TIME NOT NULL',
      'ts TIMESTAMP WITH TIME ZONE NOT NULL',
    ]);
    const got = await rows('SELECT i32, i64::VARCHAR AS i64, f64, dec::VARCHAR AS dec, s, b, d::VARCHAR AS d, t::VARCHAR AS t, strftime(ts, \'%Y-%m-%dT%H:%M:%S.%fZ\') AS ts FROM k.kinds ORDER BY i32');
    expect(got).toEqual([
      { i32: -2147483648, i64: '9007199254740991', f64: 0.1, dec: '12345678.1234', s: 'héllo "q", comma\nline', b: true, d: '1970-01-01', t: '00:00:00', ts: '1970-01-01T00:00:00.000000Z' },
      { i32: 0, i64: '-42', f64: 3.5, dec: '0.0000', s: '', b: true, d: '1969-12-31', t: '01:01:01', ts: '1969-12-31T23:59:59.999999Z' },
      { i32: 2147483647, i64: null, f64: -1e300, dec: '-0.0001', s: null, b: false, d: '2024-01-01', t: '23:59:59', ts: '2024-01-01T00:00:00.123456Z' },
    ]);
  });
  it('keeps text and floats a CSV reader could misread: CR, blanks, quotes, NUL, NULL and \\N spelt out, empty vs null, a 3 MB string, NaN and infinities', async () => {
    const schema = defineTable('edge', 'edge', { f: { type: types.float64(), description: 'f' }, s: { type: types.string(), description: 's', nullable: true } });
    const data: Row[] = [
      { f: Number.NaN, s: 'a\rb' },
      { f: Infinity, s: '  lead' },
      { f: -Infinity, s: 'trail ' },
      { f: 5e-324, s: 'q"q,😀' },
      { f: Number.MAX_VALUE, s: '' },
      { f: 0.1 + 0.2, s: null },
      { f: 1, s: 'nul\u0000x' },
      { f: 2, s: 'x'.repeat(3_000_000) },
      { f: 3, s: 'NULL' },
      { f: 4, s: '\\N' },
    ];
    await writeDuckdb({ path: join(dir, 'edge.duckdb') }, (async function* () {
      yield { schema, rows: data, offset: 0 } as Batch;
    })());
    await attach('edge.duckdb', 'e');
    const got = (await conn.runAndReadAll('SELECT f, s FROM e.edge ORDER BY rowid')).getRowObjectsJS();
    expect(got).toEqual(data);
  });
});

describe('duckdb sink: existing tables, malformed text, failures', () => {
  it('appends to a table with the same columns; refuses one with other columns; --overwrite replaces it', async () => {
    // The CLI both ways (a pipe into the sink command, generate --out), then the sink in this process.
    const r = run('datagen pipe loans --rows 500 --seed 1 -q | datagen duckdb --out t.duckdb -q && datagen generate loans --rows 200 --seed 2 --out t.duckdb -q');
    expect(r.status, r.stderr).toBe(0);
    const path = join(dir, 't.duckdb');
    await expect(duckdb({ path, table: 'loans' }).write(scenario('attendance', { rows: 10 }).batches())).rejects.toMatchObject({
      code: 'E_DATABASE',
      message: expect.stringMatching(/^duckdb: table loans in .*t\.duckdb exists with other columns \(column 1 is loan_id VARCHAR NOT NULL, not .*\); pass --overwrite to replace it, or --table to name another$/),
    });
    await attach('t.duckdb', 't');
    expect(await value('SELECT count(*) FROM t.loans')).toBe('700');
    await conn.run('DETACH t');
    await duckdb({ path, table: 'att' }).write(scenario('attendance', { rows: 10 }).batches());
    await duckdb({ path, overwrite: true }).write(scenario('loans', { rows: 30 }).batches());
    await attach('t.duckdb', 't');
    expect(await value('SELECT count(*) FROM t.loans')).toBe('30');
    expect(await value('SELECT count(*) FROM t.att')).toBe('10');
  });

  it('refuses columns that may hold malformed text unless --text-columns (then VARCHAR), and leaves no new file', async () => {
    const refused = run('datagen pipe loans --rows 300 -q | datagen malform --rate 0.2 --columns amount,created_at -q | datagen duckdb --out m.duckdb');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^datagen: duckdb: column loans\.(created_at|amount) \((timestamp|int)\) may hold malformed text .*; pass --text-columns to store such columns as VARCHAR \[E_DATABASE\]\n$/);
    expect(existsSync(join(dir, 'm.duckdb'))).toBe(false);
    const loaded = run('datagen pipe loans --rows 300 -q | datagen malform --rate 0.2 --columns amount,created_at -q | datagen duckdb --out m.duckdb --text-columns -q');
    expect(loaded.status, loaded.stderr).toBe(0);
    await attach('m.duckdb', 'm');
    const typesOf = await rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = 'm' AND table_name = 'loans' AND column_name IN ('amount', 'created_at', 'interest_rate') ORDER BY 1");
    expect(typesOf).toEqual([
      { column_name: 'amount', data_type: 'VARCHAR' },
      { column_name: 'created_at', data_type: 'VARCHAR' },
      { column_name: 'interest_rate', data_type: 'DECIMAL(4,1)' },
    ]);
    // Malformed cells are there as text, the others as the CSV prints them.
    expect(Number(await value("SELECT count(*) FROM m.loans WHERE TRY_CAST(amount AS INTEGER) IS NULL AND amount IS NOT NULL"))).toBeGreaterThan(0);
    expect(await value('SELECT count(*) FROM m.loans')).toBe('300');
  });

  it('a failure part-way leaves an existing table as it was (even with --overwrite) and removes a new file', async () => {
    const schema = defineTable('loans', 'stand-in', { loan_id: { type: types.string(), description: 'id' } });
    async function* failing(): AsyncGenerator<Batch> {
      yield { schema, rows: Array.from({ length: 5000 }, (_, i) => ({ loan_id: `X${i}` })), offset: 0 };
      throw new Error('upstream broke');
    }
    // t.duckdb holds loans (30 rows, other columns): --overwrite drops it inside the transaction that fails.
    await expect(duckdb({ path: join(dir, 't.duckdb'), overwrite: true }).write(failing())).rejects.toThrow('upstream broke');
    await attach('t.duckdb', 't');
    expect(await value('SELECT count(*) FROM t.loans')).toBe('30');
    expect(await value("SELECT count(*) FROM information_schema.columns WHERE table_catalog = 't' AND table_name = 'loans'")).toBe('10');
    await conn.run('DETACH t');
    await expect(duckdb({ path: join(dir, 'new.duckdb') }).write(failing())).rejects.toThrow('upstream broke');
    expect(existsSync(join(dir, 'new.duckdb'))).toBe(false);
    expect(existsSync(join(dir, 'new.duckdb.wal'))).toBe(false);
    expect(parts()).toEqual([]);
  });

  it('a value the column cannot hold is one E_DATABASE line naming the column', async () => {
    const schema = defineTable('x', 'x', { n: { type: types.int32(), description: 'n' } });
    const bad = (async function* () {
      yield { schema, rows: [{ n: 1 }, { n: 'twelve' }], offset: 0 } as Batch;
    })();
    await expect(duckdb({ path: join(dir, 'bad.duckdb') }).write(bad)).rejects.toMatchObject({ code: 'E_DATABASE', message: 'duckdb: x.n is INTEGER, got "twelve"' });
    expect(existsSync(join(dir, 'bad.duckdb'))).toBe(false);
  });
});

describe('duckdb sink: rows loaded in parts', () => {
  it('loads several parts in the order the rows were made, and removes every part file', async () => {
    // 3,000 rows in batches of 500, parts of 1,000 rows: three parts, one loading while the next is written.
    const source = () => scenario('loans', { rows: 3000, seed: 3, batchSize: 500 });
    const made = await collect(source());
    expect(await writeDuckdb({ path: join(dir, 'parts.duckdb'), partRows: 1000 }, source().batches())).toBe(3000);
    expect(parts()).toEqual([]);
    await attach('parts.duckdb', 'p');
    const ids = (await rows('SELECT loan_id FROM p.loans ORDER BY rowid')).map((r) => r.loan_id);
    expect(ids).toEqual(made.map((r) => r.loan_id));
    // The same table as one part.
    await writeDuckdb({ path: join(dir, 'one-part.duckdb') }, source().batches());
    await attach('one-part.duckdb', 'o');
    expect(await value('SELECT count(*) FROM (SELECT * FROM p.loans EXCEPT ALL SELECT * FROM o.loans)')).toBe('0');
    expect(await value('SELECT count(*) FROM o.loans')).toBe('3000');
  });

  it('a failure while parts are loading (upstream, or a value DuckDB refuses) rolls back and leaves no part file', async () => {
    const schema = defineTable('x', 'x', { n: { type: types.int32(), description: 'n' } });
    const batch = (from: number): Batch => ({ schema, rows: Array.from({ length: 500 }, (_, i) => ({ n: from + i })), offset: from });
    async function* failing(): AsyncGenerator<Batch> {
      for (let b = 0; b < 5; b++) yield batch(b * 500);
      throw new Error('upstream broke');
    }
    await expect(writeDuckdb({ path: join(dir, 'gone.duckdb'), partRows: 1000 }, failing())).rejects.toThrow('upstream broke');
    expect(existsSync(join(dir, 'gone.duckdb'))).toBe(false);
    expect(parts()).toEqual([]);
    // 2^31 is an integer (the check here passes it) that INTEGER cannot hold: DuckDB refuses the second part.
    async function* tooBig(): AsyncGenerator<Batch> {
      for (let b = 0; b < 4; b++) yield batch(b * 500);
      yield { schema, rows: [{ n: 2 ** 31 }], offset: 2000 };
      for (let b = 5; b < 8; b++) yield batch(b * 500);
    }
    await expect(writeDuckdb({ path: join(dir, 'gone.duckdb'), partRows: 1000 }, tooBig())).rejects.toMatchObject({
      code: 'E_DATABASE',
      message: expect.stringMatching(/^duckdb: cannot write table x in .*gone\.duckdb: column n: Could not convert string "2147483648" to 'INTEGER'$/),
    });
    expect(existsSync(join(dir, 'gone.duckdb'))).toBe(false);
    expect(parts()).toEqual([]);
  });
  it('Ctrl-C while loading removes the part files and the new database', async () => {
    // Far more rows than it gets through: it is stopped as soon as a part file shows.
    const child = spawn(process.execPath, [BIN, 'generate', 'loans', '--clean', '--rows', '50000000', '--out', 'stopped.duckdb', '-q'], { cwd: dir, env: cliEnv, stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    for (let i = 0; i < 600 && parts().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(parts().length).toBeGreaterThan(0);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(parts()).toEqual([]);
    expect(existsSync(join(dir, 'stopped.duckdb'))).toBe(false);
  }, 120_000);
});

describe('a dataset into one DuckDB file', () => {
  it('has every table with the row counts of the manifest written as files, plus _ledger and _manifest', async () => {
    const r = run('datagen generate retail --scale 0.001 --seed 5 --out retail.duckdb && datagen generate retail --scale 0.001 --seed 5 --out raw -q');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/datagen: wrote retail to retail\.duckdb in [\d.]+s: 11 tables, [\d,]+ rows; .*, [\d,]+ anomalies in table _ledger, the run in table _manifest\n$/);
    const manifest = JSON.parse(readFileSync(join(dir, 'raw', '_manifest.json'), 'utf8')) as { tables: Record<string, { rows: number; schema: Array<{ name: string; nullable: boolean }> }> };
    await attach('retail.duckdb', 'r');
    const tables = (await rows("SELECT table_name FROM duckdb_tables() WHERE database_name = 'r' ORDER BY 1")).map((t) => t.table_name);
    expect(tables).toEqual(['_ledger', '_manifest', ...Object.keys(manifest.tables)].sort());
    for (const [name, t] of Object.entries(manifest.tables)) {
      expect(Number(await value(`SELECT count(*) FROM r."${name}"`)), name).toBe(t.rows);
      // Columns in order; NOT NULL where the data is (a declared non-null column the anomaly stages put nulls into, e.g. customers.phone, is nullable here).
      const cols = await rows(`SELECT column_name, is_nullable FROM information_schema.columns WHERE table_catalog = 'r' AND table_name = '${name}' ORDER BY ordinal_position`);
      expect(cols.map((c) => c.column_name), name).toEqual(t.schema.map((f) => f.name));
      cols.forEach((c, i) => {
        if (c.is_nullable === 'NO') expect(t.schema[i]!.nullable, `${name}.${c.column_name as string}`).toBe(false);
        else expect(Number.isFinite(t.rows)).toBe(true);
      });
    }
    // The ledger: the same lines as the folder's _ledger.jsonl, in order.
    const lines = readFileSync(join(dir, 'raw', '_ledger.jsonl'), 'utf8').split('\n').filter(Boolean);
    const entries = (await rows('SELECT entry FROM r._ledger ORDER BY line')).map((e) => e.entry);
    expect(entries).toEqual(lines);
    const inDb = JSON.parse((await value('SELECT manifest FROM r._manifest')) as string) as { seed: number; tables: Record<string, { rows: number }> };
    expect(inDb.seed).toBe(5);
    expect(Object.fromEntries(Object.entries(inDb.tables).map(([k, v]) => [k, v.rows]))).toEqual(Object.fromEntries(Object.entries(manifest.tables).map(([k, v]) => [k, v.rows])));
  });

  it('refuses --workers and an existing file without --overwrite, writing nothing', () => {
    writeFileSync(join(dir, 'keep.duckdb'), 'not touched');
    const w = run('datagen generate retail --scale 0.001 --out w.duckdb --workers 2');
    expect(w.status).not.toBe(0);
    expect(w.stderr).toBe('datagen: retail: --workers 2 cannot write into w.duckdb: a DuckDB file has one writer; drop --workers [E_OPTION]\n');
    expect(existsSync(join(dir, 'w.duckdb'))).toBe(false);
    const e = run('datagen generate retail --scale 0.001 --out keep.duckdb');
    expect(e.status).not.toBe(0);
    expect(e.stderr).toBe('datagen: retail: keep.duckdb already exists (pass --overwrite to replace it) [E_OUTPUT]\n');
    expect(readFileSync(join(dir, 'keep.duckdb'), 'utf8')).toBe('not touched');
  });
});
