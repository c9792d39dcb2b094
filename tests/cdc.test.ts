import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataType, Schema } from 'apache-arrow';
import { datasetContext, type TableDefinition } from '../src/core/dataset.js';
import { collect } from '../src/core/pipeline.js';
import { isJsonField, kindOf, type Row } from '../src/core/schema.js';
import { customers } from '../pipelines/retail/customers.js';
import { retail } from '../pipelines/retail/index.js';
import { products } from '../pipelines/retail/products.js';
import { deletedParents, type RetailOptions } from '../pipelines/retail/shared.js';
import { customersCdc } from '../scenarios/customers_cdc.js';
import { ndjsonFormatter } from '../sinks/jsonl.js';
import { decimalBytes } from '../sources/change-stream.js';
import { ndjsonSource } from '../sources/ndjson.js';
import { scenarioSource } from '../sources/scenario.js';
import { BIN, sh, tempDir } from './helpers.js';

/**
 * customers_cdc (docs/cdc.md): the envelope per op, exact row counts, the same bytes in and
 * out of process, and the story the increments tell: replayed in DuckDB, the events give the
 * customers and products of `generate retail --clean` plus its increments' files (a 30-day
 * increment has an erasure at scale 0.01, a 7-day one not before batch 5).
 */
const OPTS = { scale: 0.01, incrementDays: 30 };
const events = (options: Record<string, unknown>) => collect(scenarioSource(customersCdc, { ...OPTS, ...options }));
const parse = (v: unknown) => (v === null ? null : (JSON.parse(v as string) as Record<string, unknown>));

const ctx = datasetContext(retail, 42, 0.01, { incrementDays: 30 });
const SNAPSHOT = ctx.rows('customers') - deletedParents(ctx, 'ordersCustomer').size;
const COLUMNS = customers.schema.fields.map((f) => f.name);

describe('customers_cdc: the envelope', () => {
  it('r, c, u and d events have the Debezium shape: before null for r/c, after null for d; lsn counts events; snapshot true..last, then false', async () => {
    const rows = await events({ rows: 1000 });
    const seen = new Set<string>();
    let lastBatch = 0;
    let lastChange = 0;
    for (const [i, row] of rows.entries()) {
      expect(Object.keys(row)).toEqual(['before', 'after', 'source', 'op', 'ts_ms', 'transaction']);
      const op = row.op as string;
      seen.add(op);
      const before = parse(row.before);
      const after = parse(row.after);
      const source = parse(row.source)!;
      expect(Object.keys(source)).toEqual(['version', 'connector', 'name', 'ts_ms', 'snapshot', 'db', 'schema', 'table', 'lsn', 'batch']);
      expect(source).toMatchObject({ connector: 'datagen', name: 'retail', db: 'retail', schema: 'public', table: 'customers', lsn: i + 1 });
      expect(row.transaction).toBeNull();
      expect(row.ts_ms as number).toBeGreaterThanOrEqual(source.ts_ms as number);
      if (op === 'r' || op === 'c') expect(before).toBeNull();
      else expect(Object.keys(before!)).toEqual(COLUMNS);
      if (op === 'd') expect(after).toBeNull();
      else expect(Object.keys(after!)).toEqual(COLUMNS);
      if (op === 'u' || op === 'd') expect(before!.customer_id).toBe((after ?? before)!.customer_id);
      if (i < SNAPSHOT) {
        expect(op).toBe('r');
        expect(source).toMatchObject({ snapshot: i === SNAPSHOT - 1 ? 'last' : 'true', batch: 0 });
        if (i > 0) expect(after!.customer_id as number).toBeGreaterThan(parse(rows[i - 1]!.after)!.customer_id as number);
      } else {
        expect(op).not.toBe('r');
        expect(source.snapshot).toBe('false');
        // Batches in order; inside one, changes in time order (source.ts_ms is changed_at in ms).
        expect(source.batch as number).toBeGreaterThanOrEqual(lastBatch);
        if (source.batch === lastBatch) expect(source.ts_ms as number).toBeGreaterThanOrEqual(lastChange);
        lastBatch = source.batch as number;
        lastChange = source.ts_ms as number;
      }
    }
    expect([...seen].sort()).toEqual(['c', 'd', 'r', 'u']);
    // Debezium's default encodings: a date as days since the epoch, a timestamp as µs, booleans.
    const first = parse(rows[0]!.after)!;
    expect(Number.isInteger(first.birth_date) && Number.isInteger(first.join_ts)).toBe(true);
    expect(first.join_ts as number).toBeGreaterThan(1e15);
    expect(typeof first.is_vip).toBe('boolean');
    // Kafka Connect's Decimal (products would use it): base64 of the unscaled two's complement.
    expect([decimalBytes(12.95, 2), decimalBytes(-1, 0), decimalBytes(1.28, 2), decimalBytes(0, 4)]).toEqual(['BQ8=', '/w==', 'AIA=', 'AA==']);
  });

  it('--rows N gives exactly the first N events, whichever chunk or shard makes them', async () => {
    for (const n of [0, 1, SNAPSHOT, SNAPSHOT + 1, 8193]) expect((await events({ rows: n })).length).toBe(n);
    const all = await events({ rows: 9000 });
    const shards = (await Promise.all(['0/3', '1/3', '2/3'].map((shard) => events({ rows: 9000, shard })))).flat();
    expect(shards).toEqual(all);
    // A longer run starts with the shorter one.
    expect(all.slice(0, 1000)).toEqual(await events({ rows: 1000 }));
  });

  it('refuses a scale retail refuses and a horizon that ends before it starts', () => {
    expect(() => scenarioSource(customersCdc, { scale: 0 })).toThrow(/customers_cdc: scale must be above 0 and at most 1000, got 0/);
    expect(() => scenarioSource(customersCdc, { start: '2024-01-01', end: '2023-01-01' })).toThrow(/end 2023-01-01 is before start 2024-01-01/);
  });

  it('another seed tells another story', async () => {
    const a = await events({ rows: 900, seed: 1 });
    const b = await events({ rows: 900, seed: 2 });
    expect(a.map((r) => r.after)).not.toEqual(b.map((r) => r.after));
  });
});

describe('JSON columns', () => {
  const read = (text: string, schema?: Schema) => collect(ndjsonSource({ input: Readable.from([text]), schema }));

  it('are inferred from objects and arrays, held as their JSON text, and written nested again', async () => {
    const text = '{"id":1,"doc":{"a":[1,"x"],"b":null},"list":[1,2],"s":"{}"}\n{"id":2,"doc":{"c":true},"list":[],"s":"t"}\n';
    const source = ndjsonSource({ input: Readable.from([text]) });
    const rows = await collect(source);
    expect(rows[0]).toEqual({ id: 1, doc: '{"a":[1,"x"],"b":null}', list: '[1,2]', s: '{}' });
    const batches = [];
    for await (const b of ndjsonSource({ input: Readable.from([text]) }).batches()) batches.push(b);
    const schema = batches[0]!.schema;
    expect(schema.fields.map((f) => isJsonField(f))).toEqual([false, true, true, false]);
    expect(ndjsonFormatter(schema)({ rows })).toBe(text);
  });

  it("with a declared JSON column, any JSON value there is its text (a string stays a JSON string); null stays null", async () => {
    const line = '{"before":"plain","after":{"x":1},"source":{"lsn":1},"op":"u","ts_ms":5,"transaction":null}\n';
    const rows = await read(line, customersCdc.schema);
    expect(rows[0]).toMatchObject({ before: '"plain"', after: '{"x":1}', transaction: null });
    expect(ndjsonFormatter(customersCdc.schema)({ rows })).toBe(line);
    // Text a stage made invalid (a typo from noise) is written as a JSON string: the line stays JSON.
    const broken = ndjsonFormatter(customersCdc.schema)({ rows: [{ ...rows[0]!, after: '{"x":1' }] });
    expect(JSON.parse(broken)).toMatchObject({ after: '{"x":1', before: 'plain' });
  });
});

describe('customers_cdc: against the increments, in DuckDB', () => {
  let con: DuckDBConnection;
  let dir: string;
  let inProcess: Row[];
  const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson();

  beforeAll(async () => {
    dir = tempDir('datagen-cdc-');
    const D = `node ${BIN}`;
    const o = '--scale 0.01 --increment-days 30';
    const r = sh(
      [
        `(${D} generate retail ${o} --clean --out raw -q && for k in 1 2 3; do ${D} generate retail ${o} --clean --out raw --increment $k -q || exit 1; done) &`,
        `(${D} pipe customers_cdc ${o} --rows 1000 -q > piped.jsonl && ${D} pipe customers_cdc ${o} --rows 1000 -q | ${D} jsonl -q > twice.jsonl && ${D} jsonl -q < piped.jsonl > inferred.jsonl) &`,
        `(${D} pipe customers_cdc ${o} --rows 1000 --ipc -q | ${D} jsonl -q > ipc.jsonl) &`,
        `(${D} generate customers_cdc ${o} --rows 1000 --out cdc.csv -q && ${D} generate customers_cdc ${o} --rows 1000 --out cdc.parquet -q && ${D} generate products_cdc ${o} --rows 400 --out products.jsonl -q) &`,
        'for j in 1 2 3 4; do wait -n || exit 1; done',
      ].join('\n'),
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    inProcess = await events({ rows: 1000 });
    con = await (await DuckDBInstance.create(':memory:')).connect();
    await con.run("SET TimeZone = 'UTC'");
  }, 120_000);

  afterAll(() => con?.closeSync());

  it('the same bytes in one process, from the CLI and through a pipe, NDJSON or Arrow IPC (JSON columns stay nested objects)', () => {
    const piped = readFileSync(join(dir, 'piped.jsonl'), 'utf8');
    // Through a pipe with the producer's schema, as Arrow IPC, and from a file (objects: JSON columns inferred).
    for (const file of ['twice.jsonl', 'ipc.jsonl', 'inferred.jsonl']) expect(readFileSync(join(dir, file), 'utf8'), file).toBe(piped);
    expect(ndjsonFormatter(customersCdc.schema)({ rows: inProcess })).toBe(piped);
    expect(piped.split('\n', 1)[0]).toMatch(/^\{"before":null,"after":\{"customer_id":1,/);
  });

  it('CSV and Parquet hold the JSON as text DuckDB reads back, equal to the events', async () => {
    const text = (v: unknown) => (v === null ? null : String(v));
    const expected = inProcess.map((r) => [text(r.before), text(r.after), text(r.source), r.op, String(r.ts_ms)]);
    for (const file of ['cdc.csv', 'cdc.parquet']) {
      const from = file.endsWith('.csv') ? `read_csv('${join(dir, file)}', all_varchar = true)` : `'${join(dir, file)}'`;
      const rows = await query(`SELECT "before", "after", "source", op, ts_ms::VARCHAR AS ts_ms, "transaction" FROM ${from}`);
      expect(rows.map((r) => [r.before, r.after, r.source, r.op, r.ts_ms])).toEqual(expected);
      expect(rows.every((r) => r.transaction === null)).toBe(true);
      expect(await query(`SELECT count(*)::INT AS n FROM ${from} WHERE json_valid("after") AND json_valid("source")`)).toEqual([{ n: inProcess.filter((r) => r.after !== null).length }]);
    }
  });

  /**
   * Three checks of one table's stream (events of batches 1..3) against the increments' files:
   * 1. batch k's events are the rows of <table>_changes/batch=000k/, in order: op, time (ms), the
   *    row after (before for d);
   * 2. the events chain: each u/d starts from the row the key's previous event left, r/c come
   *    first, nothing follows a d;
   * 3. replayed (each key's last event, unless a d), they are the base file without the
   *    deleted parents, plus sign-up files, with each key's last change applied.
   * Returns the rows the replay gives.
   */
  async function againstFiles(table: TableDefinition<RetailOptions>, jsonl: string, extraFiles: string[], gone: Set<number>): Promise<number> {
    const raw = join(dir, 'raw');
    const t = table.name;
    const key = table.schema.fields[0]!.name;
    const columns = table.schema.fields.map((f) => f.name);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, duckType(f.type)]));
    const typeList = (extra: Record<string, string>) => `{${Object.entries({ ...extra, ...types }).map(([k, v]) => `'${k}': '${v}'`).join(', ')}}`;
    // before/after typed as the table's columns: Debezium's dates, timestamps and decimals decoded.
    const typedRow = (side: string) =>
      table.schema.fields
        .map((f) => {
          const kind = kindOf(f.type);
          const v = `(${side}->>'${f.name}')`;
          if (kind === 'date') return `DATE '1970-01-01' + ${v}::INTEGER AS ${f.name}`;
          if (kind === 'timestamp') return `make_timestamp(${v}::BIGINT) AS ${f.name}`;
          if (kind === 'decimal') return `(('0x' || hex(from_base64(${v})))::BIGINT / ${10 ** (f.type as { scale: number }).scale})::${duckType(f.type)} AS ${f.name}`;
          return `${v}::${duckType(f.type)} AS ${f.name}`;
        })
        .join(', ');
    await con.run(
      `CREATE TABLE ${t}_ev AS SELECT "before", "after", (source->>'lsn')::BIGINT AS lsn, (source->>'batch')::INT AS batch, (source->>'ts_ms')::BIGINT AS ts_ms, op
       FROM read_json('${join(dir, jsonl)}', columns = {before: 'JSON', after: 'JSON', source: 'JSON', op: 'VARCHAR', ts_ms: 'BIGINT', transaction: 'JSON'})
       WHERE (source->>'batch')::INT <= 3`,
    );
    const files = `read_csv('${raw}/${t}_changes/*/*.csv', types = ${typeList({ changed_at: 'TIMESTAMP' })}, filename = true, hive_partitioning = false)`;
    await con.run(
      `CREATE TABLE ${t}_ch AS SELECT *, regexp_extract(filename, 'batch=(\\d+)', 1)::INT AS batch,
         row_number() OVER (PARTITION BY filename ORDER BY changed_at, ${key}, change_op) AS pos FROM ${files}`,
    );
    expect((await query(`SELECT count(DISTINCT batch)::INT AS n FROM ${t}_ch`))[0]!.n).toBe(3);

    const eventSide = `SELECT batch, row_number() OVER (PARTITION BY batch ORDER BY lsn) AS pos, op, ts_ms, ${typedRow('coalesce("after", "before")')} FROM ${t}_ev WHERE op <> 'r'`;
    const fileSide = `SELECT batch, pos, change_op, epoch_ms(changed_at), ${columns.join(', ')} FROM ${t}_ch`;
    expect(await query(`(${eventSide}) EXCEPT ALL (${fileSide})`)).toEqual([]);
    expect(await query(`(${fileSide}) EXCEPT ALL (${eventSide})`)).toEqual([]);

    const id = `coalesce("after", "before")->>'${key}'`;
    const broken = await query(`SELECT lsn, op FROM (
        SELECT lsn, op, "before", lag("after") OVER w AS prev, lag(op) OVER w AS prev_op FROM ${t}_ev WINDOW w AS (PARTITION BY ${id} ORDER BY lsn))
      WHERE (op IN ('r', 'c') AND prev_op IS NOT NULL) OR (op IN ('u', 'd') AND (prev IS NULL OR "before"::VARCHAR <> prev::VARCHAR)) OR prev_op = 'd'`);
    expect(broken).toEqual([]);

    const replayed = `SELECT ${typedRow('"after"')} FROM (SELECT *, row_number() OVER (PARTITION BY ${id} ORDER BY lsn DESC) AS last FROM ${t}_ev) WHERE last = 1 AND op <> 'd'`;
    const loaded = `SELECT ${columns.join(', ')} FROM read_csv([${[`${t}.csv`, ...extraFiles].map((f) => `'${raw}/${f}'`).join(', ')}], types = ${typeList({})})
      WHERE ${key} NOT IN (${[0, ...gone].join(', ')})`;
    const lastChange = `SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY batch DESC, pos DESC) AS last FROM ${t}_ch) WHERE last = 1`;
    const fromFiles = `SELECT * FROM (${loaded}) WHERE ${key} NOT IN (SELECT ${key} FROM ${t}_ch)
      UNION ALL SELECT ${columns.join(', ')} FROM (${lastChange}) WHERE change_op <> 'd'`;
    expect(await query(`(${replayed}) EXCEPT ALL (${fromFiles})`)).toEqual([]);
    expect(await query(`(${fromFiles}) EXCEPT ALL (${replayed})`)).toEqual([]);
    return (await query(`SELECT count(*)::INT AS n FROM (${replayed})`))[0]!.n as number;
  }

  it("customers: each batch is its change file row for row, and the replayed events are the files' final customers (EXCEPT both ways empty)", async () => {
    const files = ['customers-b0001.csv', 'customers-b0002.csv', 'customers-b0003.csv'];
    const n = await againstFiles(customers, 'piped.jsonl', files, deletedParents(ctx, 'ordersCustomer'));
    const batch = (r: Row) => parse(r.source)!.batch as number;
    const signups = inProcess.filter((r) => r.op === 'c' && batch(r) <= 3).length;
    const erased = inProcess.filter((r) => r.op === 'd' && batch(r) <= 3).length;
    expect(erased).toBeGreaterThan(0);
    expect(n).toBe(SNAPSHOT + signups - erased);
  });

  it("products_cdc: price changes match products_changes, and the replay is the files' final products", async () => {
    const gone = deletedParents(ctx, 'linesProduct');
    const n = await againstFiles(products, 'products.jsonl', [], gone);
    expect(n).toBe(ctx.rows('products') - gone.size);
  });
});

function duckType(type: DataType): string {
  const kind = kindOf(type);
  if (kind === 'decimal') return `DECIMAL(${(type as { precision: number }).precision}, ${(type as { scale: number }).scale})`;
  return { int: 'BIGINT', float: 'DOUBLE', string: 'VARCHAR', bool: 'BOOLEAN', date: 'DATE', time: 'TIME', timestamp: 'TIMESTAMP' }[kind];
}
