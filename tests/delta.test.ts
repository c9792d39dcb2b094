import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deltaTable } from '../src/delta/table.js';
import { writeCommit } from '../src/delta/log.js';
import { run } from '../src/core/pipeline.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { delta } from '../sinks/delta.js';
import { rowsSource, tempDir, BIN, sh, SUMMARIES_ONLY } from './helpers.js';

/**
 * Delta tables checked without the writer's own log code: the test parses every commit per
 * PROTOCOL.md, replays each version's active files itself, and reads data and statistics with
 * DuckDB (read_parquet). No Delta reader is installable here (DuckDB's delta extension is
 * downloaded at INSTALL time and there is no network; no npm package reads Delta), so this
 * replay is the reader.
 */
let con: DuckDBConnection;
beforeAll(async () => {
  con = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => con.closeSync());
const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;

// ----------------------------------------------------------- an independent log reader

interface Field {
  name: string;
  type: string;
  nullable: boolean;
  metadata: Record<string, unknown>;
}
type Json = Record<string, unknown>;
interface Commit {
  version: number;
  actions: Json[];
  info: Json;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATA_FILE = /^part-\d{5}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-c000\.snappy\.parquet$/;
const isLong = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
const isStringMap = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** Every commit file of a table, each action checked against the action schemas of PROTOCOL.md. */
function readLog(dir: string): Commit[] {
  const names = readdirSync(join(dir, '_delta_log')).filter((n) => !n.startsWith('.'));
  expect(names.every((n) => /^\d{20}\.json$/.test(n)), names.join(',')).toBe(true);
  return names.sort().map((name, i) => {
    expect(Number(name.slice(0, 20))).toBe(i); // contiguous from 0
    const text = readFileSync(join(dir, '_delta_log', name), 'utf8');
    const actions = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json);
    for (const a of actions) checkAction(a, i);
    const infos = actions.filter((a) => 'commitInfo' in a);
    expect(infos.length).toBe(1);
    expect(actions.filter((a) => 'metaData' in a).length).toBeLessThanOrEqual(1);
    expect(actions.filter((a) => 'protocol' in a).length).toBe(i === 0 ? 1 : 0);
    if (i === 0) expect(actions.filter((a) => 'metaData' in a).length).toBe(1);
    const paths = (kind: string) => actions.filter((a) => kind in a).map((a) => (a[kind] as Json).path);
    expect(new Set(paths('add')).size).toBe(paths('add').length); // one add per path per commit
    expect(new Set(paths('remove')).size).toBe(paths('remove').length);
    return { version: i, actions, info: infos[0]!.commitInfo as Json };
  });
}

function checkAction(a: Json, version: number): void {
  const keys = Object.keys(a);
  expect(keys.length, JSON.stringify(a)).toBe(1);
  const body = a[keys[0]!] as Json;
  switch (keys[0]) {
    case 'protocol':
      expect(body).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
      break;
    case 'metaData': {
      expect(body.id).toMatch(GUID);
      expect(body.format).toEqual({ provider: 'parquet', options: {} });
      expect(typeof body.schemaString).toBe('string');
      const schema = JSON.parse(body.schemaString as string) as { type: string; fields: Field[] };
      expect(schema.type).toBe('struct');
      for (const f of schema.fields) {
        expect(typeof f.name).toBe('string');
        expect(f.type).toMatch(/^(integer|long|double|boolean|string|date|timestamp|decimal\(\d+,\d+\))$/);
        expect(typeof f.nullable).toBe('boolean');
        expect(typeof f.metadata).toBe('object');
      }
      expect(new Set(schema.fields.map((f) => f.name.toLowerCase())).size).toBe(schema.fields.length);
      expect(body.partitionColumns).toEqual([]);
      expect(isStringMap(body.configuration)).toBe(true);
      expect(isLong(body.createdTime)).toBe(true);
      break;
    }
    case 'add':
      expect(body.path).toMatch(DATA_FILE);
      expect(body.partitionValues).toEqual({});
      expect(isLong(body.size)).toBe(true);
      expect(isLong(body.modificationTime)).toBe(true);
      expect(body.dataChange).toBe(true);
      expect(typeof body.stats).toBe('string');
      expect(body.deletionVector).toBeUndefined();
      break;
    case 'remove':
      expect(body.path).toMatch(DATA_FILE);
      expect(body.dataChange).toBe(true);
      expect(isLong(body.deletionTimestamp)).toBe(true);
      expect(body.extendedFileMetadata).toBe(true);
      expect(body.partitionValues).toEqual({});
      expect(isLong(body.size)).toBe(true);
      break;
    case 'commitInfo':
      expect(isLong(body.timestamp)).toBe(true);
      expect(['WRITE', 'MERGE', 'DELETE']).toContain(body.operation);
      expect(isStringMap(body.operationParameters)).toBe(true);
      expect(isStringMap(body.operationMetrics)).toBe(true);
      if (version > 0) expect(body.readVersion).toBe(version - 1);
      break;
    default:
      throw new Error(`unexpected action ${keys[0]} in version ${version}`);
  }
}

/** Replay: the active files (path -> add) and the schema as of each version. */
function replay(log: Commit[]): Array<{ files: Map<string, Json>; fields: Field[]; timestamp: number }> {
  const files = new Map<string, Json>();
  let fields: Field[] = [];
  return log.map((c) => {
    for (const a of c.actions) if ('remove' in a) expect(files.delete((a.remove as Json).path as string), 'removes an active file').toBe(true);
    for (const a of c.actions) {
      if ('add' in a) files.set((a.add as Json).path as string, a.add as Json);
      if ('metaData' in a) fields = (JSON.parse((a.metaData as Json).schemaString as string) as { fields: Field[] }).fields;
    }
    return { files: new Map(files), fields, timestamp: c.info.timestamp as number };
  });
}

/** SQL giving each Delta type's value in the engine's in-memory form (see src/core/schema.ts). */
function asMemory(f: Field, col = `"${f.name}"`): string {
  if (f.type === 'integer' || f.type === 'long' || f.type.startsWith('decimal')) return `${col}::DOUBLE`;
  if (f.type === 'date') return `datediff('day', DATE '1970-01-01', ${col})::INTEGER`;
  if (f.type === 'timestamp') return `epoch_us(${col})::DOUBLE`;
  return col;
}

/** A version's rows as DuckDB reads its active files, sorted by `key`. */
async function duckRows(dir: string, files: Iterable<string>, fields: Field[], key: string): Promise<Row[]> {
  const list = [...files].map((p) => `'${join(dir, decodeURIComponent(p))}'`);
  if (list.length === 0) return [];
  const cols = fields.map((f) => `${asMemory(f)} as "${f.name}"`).join(', ');
  return (await query(`select ${cols} from read_parquet([${list.join(', ')}], union_by_name = true) order by "${key}"`)) as Row[];
}

/** The stats of an add equal what DuckDB computes from its file. */
async function expectStats(dir: string, add: Json, fields: Field[]): Promise<void> {
  const file = join(dir, decodeURIComponent(add.path as string));
  expect(add.size).toBe(statSync(file).size);
  const stats = JSON.parse(add.stats as string) as { numRecords: number; minValues: Json; maxValues: Json; nullCount: Json };
  const [{ n }] = (await query(`select count(*)::INTEGER n from read_parquet('${file}')`)) as [{ n: number }];
  expect(stats.numRecords).toBe(n);
  const inFile = new Set((await query(`describe select * from read_parquet('${file}')`)).map((c) => c.column_name));
  for (const f of fields.filter((x) => inFile.has(x.name))) {
    const c = `"${f.name}"`;
    const [r] = await query(`select ${asMemory(f, `min(${c})`)} mn, ${asMemory(f, `max(${c})`)} mx, (count(*) - count(${c}))::INTEGER nc from read_parquet('${file}')`);
    expect(stats.nullCount[f.name], `${f.name} nullCount`).toBe(r!.nc);
    if (f.type === 'boolean' || r!.mn === null) {
      expect(stats.minValues[f.name]).toBeUndefined();
      continue;
    }
    const expected = (v: unknown) =>
      f.type === 'timestamp'
        ? new Date(Math.floor((v as number) / 1000)).toISOString() // truncated down to milliseconds
        : f.type === 'date'
          ? new Date((v as number) * 86_400_000).toISOString().slice(0, 10)
          : v;
    expect(stats.minValues[f.name], `${f.name} min`).toEqual(expected(r!.mn));
    expect(stats.maxValues[f.name], `${f.name} max`).toEqual(expected(r!.mx));
  }
}

/** Every version: stats of its adds match DuckDB, and its rows are `expected[v]`. */
async function expectTable(dir: string, expected: Row[][], key: string): Promise<Array<{ files: Map<string, Json>; fields: Field[]; timestamp: number }>> {
  const log = readLog(dir);
  expect(log.length).toBe(expected.length);
  const states = replay(log);
  for (const c of log) {
    for (const a of c.actions) if ('add' in a) await expectStats(dir, a.add as Json, states[c.version]!.fields);
    for (const a of c.actions) {
      if (!('remove' in a)) continue;
      const removed = a.remove as Json;
      const added = states[c.version - 1]!.files.get(removed.path as string)!;
      expect(removed.size).toBe(added.size);
      expect(removed.deletionTimestamp).toBe(c.info.timestamp);
    }
    for (const a of c.actions) if ('add' in a) expect((a.add as Json).modificationTime).toBe(c.info.timestamp);
  }
  for (let v = 0; v < expected.length; v++) {
    const { files, fields } = states[v]!;
    const want = [...expected[v]!].sort((a, b) => (a[key] as number) - (b[key] as number)).map((r) => Object.fromEntries(fields.map((f) => [f.name, r[f.name] ?? null])));
    expect(await duckRows(dir, files.keys(), fields, key), `version ${v}`).toEqual(want);
  }
  return states;
}

// ----------------------------------------------------------- the retail returns history

const REASONS = ['damaged', 'wrong size', 'changed mind', 'late delivery', 'ﬀ ligature', '😀 gift'];
const returnsFields = {
  return_id: { type: types.int64(), description: 'return id', key: true },
  order_id: { type: types.int64(), description: 'order (FK orders_header)' },
  product_id: { type: types.int64(), description: 'product (FK products)' },
  return_ts: { type: types.timestamp(), description: 'when the return was booked' },
  qty: { type: types.int32(), description: 'units returned' },
  reason: { type: types.string(), description: 'why', nullable: true },
};
const baseSchema = defineTable('returns', 'retail returns', returnsFields);
const evolvedSchema = defineTable('returns', 'retail returns', {
  ...returnsFields,
  return_reason_code: { type: types.string(), description: 'added by schema evolution', nullable: true },
});
const T0 = Date.UTC(2024, 0, 1) * 1000;
const returnRow = (i: number): Row => ({
  return_id: i,
  order_id: 100_000 + ((i * 7919) % 50_000),
  product_id: 1 + ((i * 104_729) % 25_000),
  return_ts: T0 + i * 3_600_000_123, // microseconds that are not whole milliseconds
  qty: i % 97 === 0 ? -((i % 5) + 1) : 1 + (i % 4),
  reason: i % 50 === 0 ? null : REASONS[i % REASONS.length]!,
});
const copy = (rows: Row[]) => rows.map((r) => ({ ...r }));

describe('retail returns: create, evolve, upsert, delete (shared/specs/retail.md §11)', () => {
  const dir = join(tempDir(), 'returns');
  const commitTime = '2024-06-01T00:00:00Z';
  const base = Date.UTC(2024, 5, 1);
  const v0 = Array.from({ length: 3000 }, (_, i) => returnRow(i + 1));
  const batch1 = Array.from({ length: 1000 }, (_, i) => ({ ...returnRow(3001 + i), return_reason_code: i % 10 === 0 ? null : `RC0${i % 9}` }));
  const updates = [...Array.from({ length: 50 }, (_, i) => 10 * (i + 1)), ...Array.from({ length: 10 }, (_, i) => 3010 + 10 * i), 97].map((id) => ({
    ...returnRow(id),
    qty: id === 20 ? -3 : id === 97 ? 5 : 9,
    reason: 'updated',
    return_reason_code: 'RC99',
  }));
  const inserts = Array.from({ length: 100 }, (_, i) => ({ ...returnRow(5001 + i), qty: i === 49 ? -1 : 2, return_reason_code: 'RC10' }));
  const table = () => deltaTable(dir, { commitTime, rowsPerFile: 1000 });
  const expected: Row[][] = [];
  let states: Awaited<ReturnType<typeof expectTable>>;

  beforeAll(async () => {
    const t = table();
    expected.push(copy(v0));
    expect((await t.append(rowsSource(baseSchema, copy(v0), 700))).version).toBe(0);
    // Without --evolve the new column is refused, and nothing is committed.
    await expect(t.append(rowsSource(evolvedSchema, copy(batch1)))).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringMatching(/return_reason_code.*--evolve/) });
    expect(t.version()).toBe(0);
    expect((await t.append(rowsSource(evolvedSchema, copy(batch1)), { evolve: true })).version).toBe(1);
    expected.push([...v0.map((r) => ({ ...r, return_reason_code: null })), ...batch1]);
    const merged = await t.merge(rowsSource(evolvedSchema, copy([...updates, ...inserts]), 25), { key: 'return_id' });
    expect(merged).toMatchObject({ version: 2, operation: 'MERGE', rowsUpdated: updates.length, rowsInserted: inserts.length, filesRemoved: 2 });
    const byId = new Map(updates.map((r) => [r.return_id, r]));
    expected.push([...expected[1]!.map((r) => byId.get(r.return_id as number) ?? r), ...inserts]);
    const deleted = await t.delete('qty<0');
    expected.push(expected[2]!.filter((r) => !((r.qty as number) < 0)));
    expect(deleted).toMatchObject({ version: 3, operation: 'DELETE', rowsDeleted: expected[2]!.length - expected[3]!.length });
    states = await expectTable(dir, expected, 'return_id');
  });

  it('has the four versions, each readable as it was (time travel), stats matching DuckDB', () => {
    expect(states.map((s) => s.files.size)).toEqual([3, 4, 5, 5]); // merge: 2 files rewritten + 100 inserts = 2,100 rows in 3 files
    expect(states[0]!.fields.map((f) => f.name)).not.toContain('return_reason_code');
    expect(states[1]!.fields.at(-1)).toMatchObject({ name: 'return_reason_code', type: 'string', nullable: true });
  });

  it('maps the schema to Delta types with descriptions as comments', () => {
    expect(states[0]!.fields.map((f) => [f.name, f.type, f.nullable])).toEqual([
      ['return_id', 'long', false],
      ['order_id', 'long', false],
      ['product_id', 'long', false],
      ['return_ts', 'timestamp', false],
      ['qty', 'integer', false],
      ['reason', 'string', true],
    ]);
    expect(states[0]!.fields[0]!.metadata).toEqual({ comment: 'return id', 'datagen.key': true });
  });

  it('upsert replaced matched rows, inserted new keys exactly once, and rewrote only files that could match', () => {
    const log = readLog(dir);
    const v2 = log[2]!;
    const removed = v2.actions.filter((a) => 'remove' in a).map((a) => (a.remove as Json).path);
    // Updates hit ids 10..500 and 97 (file 1 of version 0) and 3010..3100 (the file of version 1).
    const firstFile = log[0]!.actions.filter((a) => 'add' in a).map((a) => (a.add as Json).path)[0];
    const v1File = log[1]!.actions.filter((a) => 'add' in a).map((a) => (a.add as Json).path)[0];
    expect(new Set(removed)).toEqual(new Set([firstFile, v1File]));
    expect(v2.info.operationParameters).toMatchObject({ predicate: JSON.stringify(['(target.return_id = source.return_id)']) });
    expect(v2.info.operationMetrics).toMatchObject({ numTargetRowsUpdated: String(updates.length), numTargetRowsInserted: '100', numTargetFilesRemoved: '2' });
    const ids = expected[2]!.map((r) => r.return_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('delete removed exactly the rows matching the predicate', async () => {
    const files = [...states[3]!.files.keys()].map((p) => `'${join(dir, p)}'`).join(', ');
    const [r] = await query(`select count(*) filter (where qty < 0)::INTEGER neg, count(*)::INTEGER n from read_parquet([${files}], union_by_name = true)`);
    expect(r).toEqual({ neg: 0, n: expected[2]!.filter((x) => (x.qty as number) >= 0).length });
    expect(readLog(dir)[3]!.info.operationParameters).toEqual({ predicate: '["qty<0"]' });
  });

  it('records history with Spark operation names and fixed, increasing commit times', () => {
    const h = table().history();
    expect(h.map((e) => [e.version, e.operation, e.timestamp])).toEqual([
      [0, 'WRITE', base],
      [1, 'WRITE', base + 1000],
      [2, 'MERGE', base + 2000],
      [3, 'DELETE', base + 3000],
    ]);
    expect(h[1]!.operationParameters).toEqual({ mode: 'Append', partitionBy: '[]' });
    expect(statSync(join(dir, '_delta_log', '00000000000000000002.json')).mtimeMs).toBe(base + 2000);
    const meta = readLog(dir)[0]!.actions.find((a) => 'metaData' in a)!.metaData as Json;
    expect(meta.createdTime).toBe(base);
  });

  it('reads any version back through the API (snapshot, source)', async () => {
    const t = table();
    expect(t.snapshot(0).files.length).toBe(3);
    expect(t.snapshot().version).toBe(3);
    const rows: Row[] = [];
    for await (const b of t.source(1).batches()) rows.push(...b.rows);
    expect(rows.sort((a, b) => (a.return_id as number) - (b.return_id as number))).toEqual(expected[1]);
  });
});

// ----------------------------------------------------------- types, stats, errors

describe('types and statistics', () => {
  const schema = defineTable('types', 'every kind', {
    id: { type: types.int64(), description: 'id', key: true },
    i32: { type: types.int32(), description: 'int32', nullable: true },
    f64: { type: types.float64(), description: 'float64', nullable: true },
    flag: { type: types.bool(), description: 'bool', nullable: true },
    text: { type: types.string(), description: 'text', nullable: true },
    day: { type: types.date(), description: 'date', nullable: true },
    at: { type: types.timestamp(), description: 'timestamp', nullable: true },
    amount: { type: types.decimal(12, 2), description: 'decimal', nullable: true },
    clock: { type: types.time(), description: 'time of day', nullable: true },
  });
  const rows: Row[] = Array.from({ length: 2500 }, (_, i) => ({
    id: i,
    i32: i % 7 === 0 ? null : i * 3 - 4000,
    f64: i % 11 === 0 ? null : (i - 1250) / 7,
    flag: i % 13 === 0 ? null : i % 2 === 0,
    text: i % 17 === 0 ? null : ['ﬀ', '😀', 'zebra', 'Ápple', 'apple'][i % 5]! + i,
    day: i % 19 === 0 ? null : 18_000 + i,
    at: i % 23 === 0 ? null : T0 + i * 987_654_321,
    amount: i % 29 === 0 ? null : Math.round((i - 1000) * 13.37) / 100,
    clock: i % 31 === 0 ? null : (i * 37) % 86_400,
  }));
  const dir = join(tempDir(), 'types');

  it('writes every type with the Delta type, stats DuckDB agrees with, and time as text', async () => {
    await run(rowsSource(schema, copy(rows)), delta({ path: dir, rowsPerFile: 1000, commitTime: '2024-01-01T00:00:00Z' }));
    const expected = rows.map((r) => ({ ...r, clock: r.clock === null ? null : new Date((r.clock as number) * 1000).toISOString().slice(11, 19) }));
    const [state] = await expectTable(dir, [expected], 'id');
    expect(state!.fields.map((f) => f.type)).toEqual(['long', 'integer', 'double', 'boolean', 'string', 'date', 'timestamp', 'decimal(12,2)', 'string']);
    expect(state!.fields.at(-1)!.metadata).toEqual({ comment: 'time of day', 'datagen.type': 'time' });
    expect(state!.files.size).toBe(3);
    const file = join(dir, [...state!.files.keys()][0]!);
    const described = await query(`describe select * from read_parquet('${file}')`);
    expect(described.map((c) => c.column_type)).toEqual(['BIGINT', 'INTEGER', 'DOUBLE', 'BOOLEAN', 'VARCHAR', 'DATE', 'TIMESTAMP WITH TIME ZONE', 'DECIMAL(12,2)', 'VARCHAR']);
  });

  it('refuses a type change, a null in a non-nullable column, and a duplicate merge key, committing nothing', async () => {
    const t = deltaTable(dir);
    const wider = defineTable('types', '', { id: { type: types.string(), description: '' } });
    await expect(t.append([{ schema: wider, rows: [{ id: 'x' }], offset: 0 }])).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('column id is long in the table') });
    const longs = defineTable('types', '', { id: { type: types.int64(), description: '' }, i32: { type: types.int64(), description: '' }, amount: { type: types.float64(), description: '' } });
    await expect(t.append([{ schema: longs, rows: [{ id: 1, i32: 2 ** 40, amount: 1 }], offset: 0 }])).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('row 0 column i32 is integer but holds 1099511627776') });
    await expect(t.append([{ schema: longs, rows: [{ id: 1, i32: 2, amount: 1.234 }], offset: 0 }])).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('column amount is decimal(12,2) but holds 1.234') });
    await expect(t.append([{ schema, rows: [{ ...rows[1]!, id: null }], offset: 0 }])).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('column id') });
    await expect(t.merge([{ schema, rows: [rows[1]!, rows[1]!], offset: 0 }], { key: 'id' })).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('id=1 more than once') });
    await expect(t.merge([{ schema, rows: [rows[1]!], offset: 0 }], { key: 'nope' })).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
    await expect(t.delete('nope<0')).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
    expect(t.version()).toBe(0);
  });

  it('a failed write leaves no commit, no temporary files and no data files of its own (the finished ones are removed again)', async () => {
    const dir2 = join(tempDir(), 'fail');
    const t = deltaTable(dir2, { rowsPerFile: 1000 });
    await t.append(rowsSource(schema, copy(rows.slice(0, 10))));
    const bad = copy(rows);
    bad[2400]!.i32 = 'not a number';
    // Batches of 100: the bad row arrives in the middle of the third file, not at its start.
    await expect(t.append(rowsSource(schema, bad, 100))).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('row 2400') });
    expect(t.version()).toBe(0);
    const names = readdirSync(dir2);
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
    expect(readdirSync(join(dir2, '_delta_log'))).toEqual(['00000000000000000000.json']);
    const referenced = replay(readLog(dir2)).at(-1)!.files;
    expect(names.filter((n) => n.endsWith('.parquet') && !referenced.has(n))).toEqual([]); // rows 0-1999 were in two finished files
  });
});

describe('operations', () => {
  const schema = defineTable('items', '', {
    id: { type: types.int64(), description: 'id', key: true },
    qty: { type: types.int32(), description: 'qty' },
  });
  const items = (from: number, n: number, qty = 1) => Array.from({ length: n }, (_, i) => ({ id: from + i, qty: qty + (i % 3) }));

  it('merge skips files whose key range cannot match (it does not even read them)', async () => {
    const dir = join(tempDir(), 'prune');
    const t = deltaTable(dir, { rowsPerFile: 100 });
    await t.append(rowsSource(schema, items(0, 1000)));
    const files = t.snapshot().files.map((f) => f.path);
    expect(files.length).toBe(10);
    // Break every file but the one holding ids 100-199: reading any of them would fail.
    for (const f of files.slice(0).filter((_, i) => i !== 1)) writeFileSync(join(dir, f), 'not parquet');
    const r = await t.merge([{ schema, rows: [{ id: 150, qty: 99 }, { id: 5000, qty: 1 }], offset: 0 }], { key: 'id' });
    expect(r).toMatchObject({ rowsUpdated: 1, rowsInserted: 1, filesRemoved: 1 });
    expect(readLog(dir)[1]!.actions.filter((a) => 'remove' in a).map((a) => (a.remove as Json).path)).toEqual([files[1]]);
  });

  it('overwrite replaces the rows and keeps the old version readable; merge uses the recorded key by default', async () => {
    const dir = join(tempDir(), 'over');
    const t = deltaTable(dir);
    await t.append(rowsSource(schema, items(0, 500)));
    await t.overwrite(rowsSource(schema, items(1000, 200, 5)));
    await t.merge(rowsSource(schema, items(1100, 200, 7))); // key from the schema's datagen.key
    const v2 = [...items(1000, 100, 5), ...items(1100, 200, 7)];
    await expectTable(dir, [items(0, 500), items(1000, 200, 5), v2], 'id');
    expect(readLog(dir)[1]!.info.operationParameters).toEqual({ mode: 'Overwrite', partitionBy: '[]' });
  });

  it('two writers racing for one version: one commits, the other gets E_OUTPUT naming the version', async () => {
    for (const same of [false, true]) {
      const dir = join(tempDir(), 'race');
      await deltaTable(dir).append(rowsSource(schema, items(0, 10)));
      const a = deltaTable(dir).append(rowsSource(schema, items(100, 10)));
      const b = deltaTable(dir).append(rowsSource(schema, same ? items(100, 10) : items(200, 10)));
      const results = await Promise.allSettled([a, b]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: 'E_OUTPUT', message: expect.stringContaining('version 1 of') });
      const wonB = results[1]!.status === 'fulfilled';
      await expectTable(dir, [items(0, 10), [...items(0, 10), ...(wonB && !same ? items(200, 10) : items(100, 10))]], 'id');
    }
    // The commit itself is exclusive, whatever the writer.
    const dir = join(tempDir(), 'race2');
    writeCommit(dir, 0, [{ commitInfo: { timestamp: 1, operation: 'WRITE', operationParameters: {} } }], 1);
    expect(() => writeCommit(dir, 0, [], 2)).toThrowError(expect.objectContaining({ code: 'E_OUTPUT', message: expect.stringContaining('version 0') }));
  });

  it('fixed commit times make tables byte-for-byte reproducible; clock times still increase', async () => {
    const trees: string[][] = [];
    for (const root of [tempDir(), tempDir()]) {
      const t = deltaTable(join(root, 'items'), { commitTime: '2024-01-01T00:00:00Z', rowsPerFile: 300 });
      await t.append(rowsSource(schema, items(0, 1000)));
      await t.merge(rowsSource(schema, items(500, 100, 9)));
      await t.delete('qty>=10');
      const files = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]));
      trees.push(files(join(root, 'items')).map((f) => `${f.slice(root.length)} ${readFileSync(f).toString('base64')}`).sort());
    }
    expect(trees[0]).toEqual(trees[1]);
    const t = deltaTable(join(tempDir(), 'clock'));
    for (let i = 0; i < 3; i++) await t.append(rowsSource(schema, items(i * 10, 10)));
    const times = t.history().map((h) => h.timestamp);
    expect(times[1]! > times[0]! && times[2]! > times[1]!).toBe(true);
  });

  it('checks options: commit time, delete without a condition, a folder that is not a table', async () => {
    expect(() => deltaTable('x', { commitTime: 'yesterday' })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: expect.stringContaining('"yesterday"') }));
    expect(() => delta({ path: 'x', mode: 'delete' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => delta({ path: 'x', key: 'id' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    await expect(deltaTable(dir).append(rowsSource(schema, items(0, 1)))).rejects.toMatchObject({ code: 'E_OUTPUT' });
    await expect(deltaTable(join(dir, 'none')).delete('qty<0')).rejects.toMatchObject({ code: 'E_INPUT' });
  });
});

// ----------------------------------------------------------- the CLI

describe('CLI (compiled bin: npm run build first)', () => {
  const datagen = `node ${BIN}`;

  it('pipe loans | delta twice makes versions 0 and 1; delta-delete makes version 2', async () => {
    const dir = tempDir();
    const r = sh(`${datagen} pipe loans --rows 2000 | ${datagen} delta --out lake/loans && ${datagen} pipe loans --rows 2000 --seed 9 | ${datagen} delta --out lake/loans`, dir);
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(r.status).toBe(0);
    const table = join(dir, 'lake', 'loans');
    const log = readLog(table);
    expect(log.map((c) => c.info.operation)).toEqual(['WRITE', 'WRITE']);
    const states = replay(log);
    for (const c of log) for (const a of c.actions) if ('add' in a) await expectStats(table, a.add as Json, states[c.version]!.fields);
    const count = async (v: number) => {
      const files = [...states[v]!.files.keys()].map((p) => `'${join(table, p)}'`).join(', ');
      return (await query(`select count(*)::INTEGER n, count(distinct loan_id)::INTEGER ids from read_parquet([${files}])`))[0];
    };
    expect(await count(0)).toEqual({ n: 2000, ids: 2000 });
    expect((await count(1))!.n).toBe(4000);

    const d = sh(`${datagen} delta-delete --out lake/loans --where "status=REJECTED"`, dir);
    expect(d.status).toBe(0);
    expect(d.stderr).toMatch(/^datagen: deleted [\d,]+ rows from lake\/loans \(version 2\)\n$/);
    const after = replay(readLog(table))[2]!;
    const files = [...after.files.keys()].map((p) => `'${join(table, p)}'`).join(', ');
    expect((await query(`select count(*) filter (where status = 'REJECTED')::INTEGER n from read_parquet([${files}])`))[0]).toEqual({ n: 0 });
  });

  it('generate --format delta writes a table; mistakes are one line with a code', () => {
    const dir = tempDir();
    const g = sh(`${datagen} generate loans --rows 500 --format delta --out lake/g`, dir);
    expect(g.status).toBe(0);
    expect(existsSync(join(dir, 'lake', 'g', '_delta_log', '00000000000000000000.json'))).toBe(true);
    const bad = sh(`${datagen} pipe loans --rows 5 -q | ${datagen} delta --out lake/g --mode delete`, dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('datagen: delta: --mode delete needs --where, e.g. --where "qty<0" [E_OPTION]\n');
    const extra = sh(`${datagen} pipe attendance --rows 5 -q | ${datagen} delta --out lake/g`, dir);
    expect(extra.status).toBe(1);
    expect(extra.stderr).toMatch(/^datagen: delta: the input has columns the table at lake\/g does not: .*\(pass --evolve to add them\) \[E_INPUT\]\n$/);
    // NDJSON with inferred types (amount long, interest_rate double) fills the declared columns (integer, decimal(4,1)).
    const inferred = sh(`${datagen} pipe loans --rows 3000 --seed 5 | ${datagen} delta --out lake/g`, dir);
    expect(inferred.stderr).toMatch(SUMMARIES_ONLY);
    expect(inferred.status).toBe(0);
    // A broken line deep in the input (in a later batch of the data file) fails the run; nothing is committed.
    const broken = sh(`${datagen} pipe loans --rows 12000 -q > a.ndjson && (head -10000 a.ndjson; echo '{broken'; tail -1000 a.ndjson) | ${datagen} delta --schema loans --out lake/g`, dir);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/^datagen: stdin line 10001: not valid JSON.*\[E_INPUT\]\n$/);
    expect(readdirSync(join(dir, 'lake', 'g', '_delta_log'))).toEqual(['00000000000000000000.json', '00000000000000000001.json']);
    const commit = sh(`${datagen} pipe loans --rows 5 | ${datagen} delta --out lake/h --commit-time soon`, dir);
    expect(commit.stderr).toMatch(/commit-time must be an ISO timestamp.*"soon".*\[E_OPTION\]/);
  });
});
