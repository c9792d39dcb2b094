import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, relative, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, run } from '../src/core/pipeline.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import type { Source } from '../src/core/stage.js';
import { formatDate, parseTimestamp } from '../src/core/temporal.js';
import { fileOptions } from '../src/codecs/text-sink.js';
import { defineSink } from '../src/core/units.js';
import { arrow } from '../sinks/arrow.js';
import { csv } from '../sinks/csv.js';
import { jsonl } from '../sinks/jsonl.js';
import { parquet } from '../sinks/parquet.js';
import { scenario } from '../sources/scenario.js';
import { rowsSource, tempDir, BIN, sh, SUMMARIES_ONLY } from './helpers.js';

/**
 * Partitioned and rolled output. Files are read back by DuckDB (hive_partitioning) or by
 * plain parsing, and the partition values in the paths are compared with the rows' own values.
 */
let con: DuckDBConnection;
beforeAll(async () => {
  con = await (await DuckDBInstance.create(':memory:')).connect();
  await con.run(`SET TimeZone = 'UTC'`);
});
afterAll(() => con.closeSync());

const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson();
/** Every file under a folder, relative, sorted, with '/' separators. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}
const tree = (dir: string) => Object.fromEntries(files(dir).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1);
/** A CSV file's rows without its header. */
const body = (path: string) => lines(path).slice(1);
const countBy = <T>(xs: readonly T[], key: (x: T) => string) => {
  const m: Record<string, number> = {};
  for (const x of xs) m[key(x)] = (m[key(x)] ?? 0) + 1;
  return m;
};
const attendance = (rows: number, extra: Record<string, unknown> = {}) => scenario('attendance', { rows, seed: 7, ...extra });
const DUCK = 'hive_partitioning = true, hive_types_autocast = false';

describe('Hive layout on scenarios, checked by DuckDB', () => {
  it('date:month puts every attendance row in the month of its date, in input order', async () => {
    const dir = tempDir();
    const rows = await collect(attendance(20_000));
    await run(attendance(20_000), csv({ path: dir, partitionBy: 'date:month' }));
    const months = countBy(rows, (r) => formatDate(r.date as number).slice(0, 7));
    expect(files(dir)).toEqual(Object.keys(months).sort().map((m) => `month=${m}/part-0000.csv`));
    const [check] = await query(
      `select count(*) n, count(*) filter (where strftime(date, '%Y-%m') <> month) wrong from read_csv('${dir}/**/*.csv', ${DUCK})`,
    );
    expect(check).toEqual({ n: '20000', wrong: '0' });
    const perMonth = await query(`select month, count(*) n from read_csv('${dir}/**/*.csv', ${DUCK}) group by month`);
    expect(Object.fromEntries(perMonth.map((r) => [r.month, Number(r.n)]))).toEqual(months);
    // Rows come in date order, so the month files, in order, are the single file cut in pieces.
    const single = join(tempDir(), 'all.csv');
    await run(attendance(20_000), csv({ path: single }));
    expect(files(dir).flatMap((f) => body(join(dir, f)))).toEqual(body(single));
    expect(lines(join(dir, files(dir)[0]!))[0]).toBe('employee_id,department,date,status,check_in,check_out'); // partition column kept
  });

  it('date:day as JSON Lines and date:year as CSV', async () => {
    const rows = await collect(attendance(6_000, { start: '2023-12-20', end: '2024-01-10' }));
    const days = countBy(rows, (r) => formatDate(r.date as number));
    const dayDir = tempDir();
    await run(attendance(6_000, { start: '2023-12-20', end: '2024-01-10' }), jsonl({ path: dayDir, partitionBy: ['date:day'] }));
    expect(files(dayDir)).toEqual(Object.keys(days).sort().map((d) => `day=${d}/part-0000.jsonl`));
    const [d] = await query(`select count(*) n, count(*) filter (where strftime(date::date, '%Y-%m-%d') <> day) wrong from read_json('${dayDir}/**/*.jsonl', ${DUCK})`);
    expect(d).toEqual({ n: '6000', wrong: '0' });

    const yearDir = tempDir();
    await run(attendance(6_000, { start: '2023-12-20', end: '2024-01-10' }), csv({ path: yearDir, partitionBy: 'date:year' }));
    expect(files(yearDir)).toEqual(['year=2023/part-0000.csv', 'year=2024/part-0000.csv']);
    const perYear = await query(`select year, count(*) n, count(*) filter (where strftime(date, '%Y') <> year) wrong from read_csv('${yearDir}/**/*.csv', ${DUCK}) group by year order by year`);
    expect(perYear).toEqual([
      { year: '2023', n: String(rows.filter((r) => formatDate(r.date as number) < '2024').length), wrong: '0' },
      { year: '2024', n: String(rows.filter((r) => formatDate(r.date as number) >= '2024').length), wrong: '0' },
    ]);
  });

  it('several keys nest in order: device_id,timestamp:month (default names) and named keys', async () => {
    const opts = { rows: 6_000, seed: 2, devices: 3, cadence: 3600 };
    const rows = await collect(scenario('iot_sensors', opts));
    const expected = countBy(rows, (r) => `device_id=${r.device_id}/month=${formatDate(Math.floor((r.timestamp as number) / 86_400e6)).slice(0, 7)}/part-0000.csv`);
    const dir = tempDir();
    await run(scenario('iot_sensors', opts), csv({ path: dir, partitionBy: 'device_id,timestamp:month' }));
    expect(files(dir)).toEqual(Object.keys(expected).sort());
    for (const [f, n] of Object.entries(expected)) expect(body(join(dir, f)).length, f).toBe(n);

    // Named keys differ from the columns, so DuckDB shows both the path's values and the file's.
    const named = tempDir();
    await run(scenario('iot_sensors', opts), csv({ path: named, partitionBy: 'dev=device_id,ym=timestamp:month' }));
    expect(files(named)[0]).toBe('dev=DEV-0001/ym=2024-01/part-0000.csv');
    const [c] = await query(
      `select count(*) n, count(*) filter (where dev <> device_id or ym <> strftime(timestamp, '%Y-%m')) wrong from read_csv('${named}/**/*.csv', ${DUCK})`,
    );
    expect(c).toEqual({ n: '6000', wrong: '0' });
  });

  it('an explicit key name with a derived day of a timestamp, in UTC (bank_transactions follow India time)', async () => {
    const dir = tempDir();
    await run(scenario('bank_transactions', { rows: 3_000, seed: 4, start: '2024-01-01', end: '2024-01-04' }), csv({ path: dir, partitionBy: ['txn_day=timestamp:day'] }));
    expect(files(dir).every((f) => /^txn_day=2024-01-0\d\/part-0000\.csv$/.test(f) || f.startsWith('txn_day=2023-12-31/'))).toBe(true);
    const [c] = await query(`select count(*) n, count(*) filter (where strftime(timestamp, '%Y-%m-%d') <> txn_day) wrong from read_csv('${dir}/**/*.csv', ${DUCK})`);
    expect(c).toEqual({ n: '3000', wrong: '0' });
  });

  it('Parquet: --out dir with partitions, read back with read_parquet', async () => {
    const dir = join(tempDir(), 'attendance.parquet');
    const rows = await collect(attendance(10_000));
    await run(attendance(10_000), parquet({ path: dir, partitionBy: 'date:month', maxRows: 400 }));
    const months = countBy(rows, (r) => formatDate(r.date as number).slice(0, 7));
    const expected = Object.entries(months).flatMap(([m, n]) => Array.from({ length: Math.ceil(n / 400) }, (_, i) => `month=${m}/part-${String(i).padStart(4, '0')}.parquet`));
    expect(files(dir)).toEqual(expected.sort());
    const [c] = await query(
      `select count(*) n, count(*) filter (where strftime(date, '%Y-%m') <> month) wrong, sum(employee_id) ids from read_parquet('${dir}/**/*.parquet', ${DUCK})`,
    );
    expect(c).toEqual({ n: '10000', wrong: '0', ids: String(rows.reduce((s, r) => s + (r.employee_id as number), 0)) });
    const sizes = await query(`select count(*) n from read_parquet('${dir}/**/*.parquet', filename = true) group by filename order by n desc limit 1`);
    expect(Number(sizes[0]!.n)).toBe(400);
  });

  it('Arrow IPC files by status, each read back with apache-arrow', async () => {
    const dir = tempDir();
    const rows = await collect(attendance(5_000));
    await run(attendance(5_000), arrow({ path: dir, partitionBy: 'status' }));
    const byStatus = countBy(rows, (r) => String(r.status));
    expect(files(dir)).toEqual(Object.keys(byStatus).sort().map((s) => `status=${s}/part-0000.arrow`));
    for (const f of files(dir)) {
      const table = tableFromIPC(readFileSync(join(dir, f)));
      const status = f.split('/')[0]!.slice('status='.length);
      expect(table.numRows).toBe(byStatus[status]);
      expect(new Set(table.getChild('status')!.toArray())).toEqual(new Set([status]));
    }
  });
});

describe('rolling', () => {
  it('--max-rows without partitions: part-0000.csv, part-0001.csv ... each with a header, together the single file', async () => {
    const dir = tempDir();
    await run(attendance(10_000), csv({ path: dir + '/', maxRows: 3000 }));
    expect(files(dir)).toEqual(['part-0000.csv', 'part-0001.csv', 'part-0002.csv', 'part-0003.csv']);
    expect(files(dir).map((f) => body(join(dir, f)).length)).toEqual([3000, 3000, 3000, 1000]);
    const single = join(tempDir(), 'all.csv');
    await run(attendance(10_000), csv({ path: single }));
    expect(files(dir).flatMap((f) => body(join(dir, f)))).toEqual(body(single));
    const [c] = await query(`select count(*) n from read_csv('${dir}/*.csv')`);
    expect(c!.n).toBe('10000');
  });

  it('--max-rows per partition folder', async () => {
    const dir = tempDir();
    const rows = await collect(attendance(8_000));
    await run(attendance(8_000), csv({ path: dir, partitionBy: 'date:month', maxRows: 250 }));
    for (const [m, n] of Object.entries(countBy(rows, (r) => formatDate(r.date as number).slice(0, 7)))) {
      const mine = files(dir).filter((f) => f.startsWith(`month=${m}/`));
      expect(mine.length, m).toBe(Math.ceil(n / 250));
      expect(mine.map((f) => body(join(dir, f)).length)).toEqual(mine.map((_, i) => (i < mine.length - 1 ? 250 : n - 250 * (mine.length - 1))));
    }
  });

  it('--max-bytes: a file takes rows until the next would pass the limit (attendance CSV: the estimate is the exact row text)', async () => {
    const dir = tempDir();
    const max = 40_000;
    await run(attendance(10_000), csv({ path: dir, maxBytes: max }));
    const names = files(dir);
    const header = 'employee_id,department,date,status,check_in,check_out\n'.length;
    const bytes = (rowsText: string[]) => rowsText.reduce((s, l) => s + Buffer.byteLength(l) + 1, 0);
    expect(names.length).toBeGreaterThan(5);
    names.forEach((f, i) => {
      const rowsText = body(join(dir, f));
      expect(statSync(join(dir, f)).size).toBe(header + bytes(rowsText));
      expect(bytes(rowsText)).toBeLessThanOrEqual(max);
      if (i < names.length - 1) expect(bytes(rowsText) + bytes(body(join(dir, names[i + 1]!)).slice(0, 1))).toBeGreaterThan(max);
    });
    expect(names.flatMap((f) => body(join(dir, f))).length).toBe(10_000);
  });

  it('a row larger than --max-bytes gets a file of its own', async () => {
    const schema = defineTable('t', 't', { id: { type: types.int32(), description: 'id' }, s: { type: types.string(), description: 's' } });
    const rows: Row[] = [{ id: 1, s: 'a' }, { id: 2, s: 'x'.repeat(500) }, { id: 3, s: 'b' }, { id: 4, s: 'c' }];
    const dir = tempDir();
    await run(rowsSource(schema, rows), jsonl({ path: dir, maxBytes: 100 }));
    expect(files(dir).map((f) => lines(join(dir, f)).map((l) => JSON.parse(l).id))).toEqual([[1], [2], [3, 4]]);
  });
});

describe('file templates', () => {
  it('events_{num}.jsonl, {num:06}, a fixed name per folder, and .gz', async () => {
    const a = tempDir();
    await run(attendance(1_000), jsonl({ path: a, fileTemplate: 'events_{num}.jsonl', maxRows: 400 }));
    expect(files(a)).toEqual(['events_0.jsonl', 'events_1.jsonl', 'events_2.jsonl']);
    const b = tempDir();
    await run(attendance(1_000), csv({ path: b, fileTemplate: 'chunk-{num:06}.csv', maxRows: 600 }));
    expect(files(b)).toEqual(['chunk-000000.csv', 'chunk-000001.csv']);
    const c = tempDir();
    await run(attendance(1_000), csv({ path: c, fileTemplate: 'attendance.csv', partitionBy: 'date:year' }));
    expect(files(c)).toEqual(['year=2024/attendance.csv']);
    const d = tempDir();
    await run(attendance(1_000), csv({ path: d, fileTemplate: 'part-{num:04}.csv.gz', maxRows: 700 }));
    expect(files(d)).toEqual(['part-0000.csv.gz', 'part-0001.csv.gz']);
    expect(gunzipSync(readFileSync(join(d, 'part-0001.csv.gz'))).toString().split('\n').length).toBe(302);
    const [n] = await query(`select count(*) n from read_csv('${d}/*.csv.gz')`);
    expect(n!.n).toBe('1000');
  });

  it('bad templates are option errors', () => {
    for (const t of ['a/b{num}.csv', '..\\x{num}.csv', '.hidden{num}.csv', '{nm}.csv', 'x{num.csv', 'x}{num}.csv', '', '{num:0}.csv']) {
      expect(() => csv({ path: '/tmp/x/', fileTemplate: t }), t).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    }
    expect(() => csv({ path: '/tmp/x/', fileTemplate: 'sensors.csv', maxRows: 10 })).toThrowError(/file-template needs \{num\}.*got "sensors.csv"$/);
  });
});

describe('sanitising partition values', () => {
  const schema = defineTable('hostile', 'values that try to leave the folder', {
    id: { type: types.int32(), description: 'row number' },
    name: { type: types.string(), description: 'partition value', nullable: true },
  });
  const long = 'L'.repeat(600);
  const values: Array<string | null> = [
    '../../etc', '/abs', 'a/b', '..', '.', '', null, 'ünïcödé 🚀', 'C:\\x\\y', 'a\0b', 'x:y', '.hidden', 'a=b', '%2F', 'CON', ' sp ace ', '*?<>|"\'',
    long, long + 'x', 'é'.repeat(300), 'plain', 'lone \ud800 surrogate',
  ];
  const rows: Row[] = [...values, ...values].map((name, id) => ({ id, name }));

  it('no value escapes the output folder; every name is short; DuckDB decodes the values', async () => {
    const parent = tempDir();
    const dir = join(parent, 'out');
    await run(rowsSource(schema, rows, 5), jsonl({ path: dir, partitionBy: 'k=name' }));
    expect(readdirSync(parent)).toEqual(['out']);
    const found = files(dir);
    for (const f of found) {
      expect(resolve(dir, f).startsWith(dir + sep), f).toBe(true);
      expect(f.split('/').length, f).toBe(2); // k=value/part-0000.jsonl: no extra levels
      expect(f.split('/')[0], f).toMatch(/^k=[A-Za-z0-9_%~-][A-Za-z0-9._%~-]*$/);
      expect(Buffer.byteLength(f.split('/')[0]!), f).toBeLessThanOrEqual(255);
      expect(lstatSync(join(dir, f)).isFile()).toBe(true);
    }
    // null and '' share the default partition (Hive and Spark do the same); every other value has its own folder.
    expect(found.length).toBe(values.length - 1);
    const read = new Map<number, string>(); // row id -> folder
    for (const f of found) for (const l of lines(join(dir, f))) read.set(JSON.parse(l).id, f.split('/')[0]!.slice(2));
    expect(read.size).toBe(rows.length);
    expect(read.get(values.indexOf(null))).toBe('__HIVE_DEFAULT_PARTITION__');
    expect(read.get(values.indexOf(''))).toBe('__HIVE_DEFAULT_PARTITION__');
    for (const r of rows) {
      const folder = read.get(r.id as number)!;
      const v = r.name as string | null;
      if (v === null || v === '') continue;
      if (v.length > 40 || v.includes('\ud800')) continue; // checked below
      expect(decodeURIComponent(folder), JSON.stringify(v)).toBe(v);
    }
    // Long values are cut, keep a hash, and stay apart.
    const longFolders = [long, long + 'x', 'é'.repeat(300)].map((v) => read.get(values.indexOf(v))!);
    expect(new Set(longFolders).size).toBe(3);
    for (const f of longFolders) expect(f).toMatch(/~[0-9a-f]{16}$/);

    // An independent decoder: DuckDB's hive partitioning (on values it can read: no NUL, no lone surrogate).
    const readable = values.filter((v) => v === null || !/[\0\ud800]/.test(v));
    const duckDir = tempDir();
    await run(rowsSource(schema, readable.map((name, id) => ({ id, name })), 3), jsonl({ path: duckDir, partitionBy: 'k=name' }));
    const got = await query(`select id, k, name from read_json('${duckDir}/**/*.jsonl', ${DUCK}) order by id`);
    expect(got.length).toBe(readable.length);
    for (const r of got) {
      const v = readable[Number(r.id)]!;
      expect(r.name, String(r.id)).toBe(v);
      if (v === null || v === '') expect(r.k).toBeNull();
      else if (v.length <= 40) expect(r.k, JSON.stringify(v)).toBe(v);
      else expect(String(r.k)).toMatch(/^.{1,103}~[0-9a-f]{16}$/);
    }
  });

  it('hostile key names are escaped too', async () => {
    const dir = tempDir();
    await run(rowsSource(schema, rows.slice(0, 3)), jsonl({ path: dir, partitionBy: '../x=name' }));
    expect(files(dir).every((f) => f.startsWith('%2E.%2Fx=') && f.split('/').length === 2)).toBe(true);
  });

  it('dates and timestamps split in UTC at midnight; nulls and unreadable text go to the default partition', async () => {
    const s = defineTable('times', 'times', {
      id: { type: types.int32(), description: 'id' },
      ts: { type: types.timestamp(), description: 'ts', nullable: true },
    });
    const at = (t: string) => parseTimestamp(t)!;
    const input: Row[] = [
      { id: 0, ts: at('2024-01-31T23:59:59.999999Z') },
      { id: 1, ts: at('2024-02-01T00:00:00Z') },
      { id: 2, ts: at('2024-02-01T03:00:00+05:30') }, // 2024-01-31T21:30Z
      { id: 3, ts: at('1969-12-31T23:59:59Z') },
      { id: 4, ts: null },
      { id: 5, ts: 'not a time' }, // a malformed value a stage left
      { id: 6, ts: '2024-03-05T10:00:00Z' }, // readable text
    ];
    const dir = tempDir();
    await run(rowsSource(s, input, 2), jsonl({ path: dir, partitionBy: 'ts:day' }));
    const where = Object.fromEntries(files(dir).flatMap((f) => lines(join(dir, f)).map((l) => [JSON.parse(l).id, f.split('/')[0]])));
    expect(where).toEqual({
      0: 'day=2024-01-31',
      1: 'day=2024-02-01',
      2: 'day=2024-01-31',
      3: 'day=1969-12-31',
      4: 'day=__HIVE_DEFAULT_PARTITION__',
      5: 'day=__HIVE_DEFAULT_PARTITION__',
      6: 'day=2024-03-05',
    });
  });
});

describe('open writers, order and determinism', () => {
  /** Files an LRU of `cap` writers opens per status, simulated independently. */
  function expectedFiles(statuses: string[], cap: number): Record<string, number> {
    const lru: string[] = [];
    const opened: Record<string, number> = {};
    for (const s of statuses) {
      const at = lru.indexOf(s);
      if (at >= 0) lru.splice(at, 1);
      else {
        if (lru.length === cap) lru.shift();
        opened[s] = (opened[s] ?? 0) + 1;
      }
      lru.push(s);
    }
    return opened;
  }

  it('--max-open 2 closes the least recently used writer; later rows start the next file; rows keep their order', async () => {
    const rows = await collect(attendance(12_000));
    const dir = tempDir();
    await run(attendance(12_000), csv({ path: dir, partitionBy: 's=status', maxOpen: 2 }));
    const opened = expectedFiles(rows.map((r) => String(r.status)), 2);
    expect(Object.values(opened).reduce((a, b) => a + b, 0)).toBeGreaterThan(10); // the cap really bites
    const names = files(dir);
    for (const [status, n] of Object.entries(opened)) {
      const mine = names.filter((f) => f.startsWith(`s=${status}/`));
      expect(mine).toEqual(Array.from({ length: n }, (_, i) => `s=${status}/part-${String(i).padStart(4, '0')}.csv`));
      // Every file is complete (a header, whole lines), and in number order they hold this status's rows in input order.
      const got = mine.flatMap((f) => body(join(dir, f)));
      const want = rows.filter((r) => r.status === status);
      expect(got.length).toBe(want.length);
      expect(got.map((l) => l.split(',').slice(0, 3).join(','))).toEqual(want.map((r) => `${r.employee_id},${r.department},${formatDate(r.date as number)}`));
    }
    const [c] = await query(`select count(*) n, count(*) filter (where s <> status) wrong from read_csv('${dir}/**/*.csv', ${DUCK})`);
    expect(c!.n).toBe('12000');
    expect(c!.wrong).toBe('0');
  });

  it('any sink declared with the file options is partitioned, and a slow sink holds the reader back', async () => {
    // A sink defined here, not in sinks/: slow, writing one line per batch it received.
    let produced = 0;
    let consumed = 0;
    let ahead = 0;
    const slow = defineSink({
      name: 'slow',
      summary: 'test sink',
      examples: [],
      extensions: ['.txt'],
      options: { ...fileOptions },
      create: (o) => async (batches) => {
        const seen: number[] = [];
        for await (const b of batches) {
          await new Promise((r) => setTimeout(r, 1));
          consumed += b.rows.length;
          seen.push(b.rows.length);
        }
        writeFileSync(o.path!, seen.join('\n'));
      },
    });
    const schema = defineTable('t', 't', { id: { type: types.int32(), description: 'id' }, g: { type: types.string(), description: 'g' } });
    const source: Source = {
      kind: 'source',
      name: 'counting',
      schema,
      async *batches() {
        for (let b = 0; b < 100; b++) {
          ahead = Math.max(ahead, produced - consumed);
          produced += 1000;
          yield { schema, rows: Array.from({ length: 1000 }, (_, i) => ({ id: b * 1000 + i, g: `g${i % 4}` })), offset: b * 1000 };
        }
      },
    };
    const dir = tempDir();
    await run(source, slow({ path: dir, partitionBy: 'g' }));
    expect(files(dir)).toEqual(['g=g0/part-0000.txt', 'g=g1/part-0000.txt', 'g=g2/part-0000.txt', 'g=g3/part-0000.txt']);
    // Batches of 2,048 rows whatever came in; 25,000 rows per folder.
    const sizes = readFileSync(join(dir, 'g=g0/part-0000.txt'), 'utf8').split('\n').map(Number);
    expect(sizes).toEqual([...Array(12).fill(2048), 25_000 - 12 * 2048]);
    // Never more than about 4 folders x 8,192 rows read ahead of what the sinks took.
    expect(ahead).toBeLessThanOrEqual(4 * 8192 + 1000);
    expect(ahead).toBeGreaterThan(0);
  });

  it('same rows, same files and bytes, whatever the batch size (CSV and Arrow)', async () => {
    const write = async (batchSize: number) => {
      const a = tempDir();
      const b = tempDir();
      await run(attendance(9_000, { batchSize }), csv({ path: a, partitionBy: 'status,date:month', maxRows: 300, maxOpen: 3 }));
      await run(attendance(9_000, { batchSize }), arrow({ path: b, partitionBy: 'date:month', maxBytes: 20_000 }));
      return [tree(a), tree(b)];
    };
    const base = await write(8192);
    expect(Object.keys(base[0]!).length).toBeGreaterThan(30);
    for (const size of [1, 7, 1000, 50_000]) expect(await write(size), `batch size ${size}`).toEqual(base);
  });
});

describe('errors and the output folder', () => {
  it('options are checked before any input: no --out, bad transform, duplicate keys, bad numbers', () => {
    expect(() => csv({ partitionBy: 'date:month' })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: expect.stringMatching(/--out FOLDER/) }));
    expect(() => csv({ path: '-', maxRows: 10 })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => csv({ path: 'x/', partitionBy: 'date:week' })).toThrowError(/transform must be one of day, month, year, got "week"/);
    expect(() => csv({ path: 'x/', partitionBy: 'date:month,check_in:month' })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: expect.stringMatching(/'month' twice/) }));
    expect(() => csv({ path: 'x/', partitionBy: '=date' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => csv({ path: 'x/', maxRows: 0 })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => csv({ path: 'x/', maxOpen: 0 })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => csv({ path: 'x/', delimiter: '""' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' })); // the sink's own checks still run
  });

  it('a bad column is E_UNKNOWN_COLUMN, a transform on a non-date column E_OPTION; nothing is written', async () => {
    const dir = join(tempDir(), 'out');
    await expect(run(attendance(100), csv({ path: dir, partitionBy: 'nope' }))).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN', message: expect.stringMatching(/unknown column 'nope'/) });
    await expect(run(attendance(100), csv({ path: dir, partitionBy: 'status:month' }))).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringMatching(/status is string/) });
    expect(existsSync(dir)).toBe(false);
  });

  it('a non-empty folder is refused without --overwrite; --out naming a file is refused', async () => {
    const dir = tempDir();
    await run(attendance(500), csv({ path: dir, partitionBy: 'date:month' }));
    await expect(run(attendance(500), csv({ path: dir, partitionBy: 'date:month' }))).rejects.toMatchObject({ code: 'E_OUTPUT', message: expect.stringMatching(/not empty/) });
    const file = join(tempDir(), 'f.csv');
    writeFileSync(file, 'x');
    await expect(run(attendance(10), csv({ path: file, maxRows: 5 }))).rejects.toMatchObject({ code: 'E_OUTPUT' });
    const blocked = join(file, 'sub'); // a file where a folder should be
    await expect(run(attendance(10), csv({ path: blocked, partitionBy: 'date:month' }))).rejects.toMatchObject({
      code: 'E_OUTPUT',
      message: expect.stringMatching(/cannot write .*a parent is not a folder \(ENOTDIR\)$/),
    });
    // An empty folder that exists is fine.
    const empty = tempDir();
    await run(attendance(10), csv({ path: empty, maxRows: 5 }));
    expect(files(empty)).toEqual(['part-0000.csv', 'part-0001.csv']);
  });

  it('--overwrite replaces the whole earlier output (no stale partitions), but refuses a folder holding other files', async () => {
    const dir = tempDir();
    await run(attendance(3_000), csv({ path: dir, partitionBy: 'date:month' }));
    await run(attendance(300), csv({ path: dir, partitionBy: 'status', fileTemplate: 'p{num}.csv', overwrite: true }));
    expect(files(dir).every((f) => f.startsWith('status='))).toBe(true);
    const [c] = await query(`select count(*) n from read_csv('${dir}/**/*.csv')`);
    expect(c!.n).toBe('300');

    mkdirSync(join(dir, 'notes'));
    writeFileSync(join(dir, 'notes', 'keep.txt'), 'mine');
    const before = files(dir);
    await expect(run(attendance(300), csv({ path: dir, partitionBy: 'status', overwrite: true }))).rejects.toMatchObject({
      code: 'E_OUTPUT',
      message: expect.stringMatching(/it holds notes, which partitioned output does not write/),
    });
    expect(files(dir)).toEqual(before);
  });

  it('a failure mid-stream leaves nothing behind: finished files are removed, open ones abandoned', async () => {
    const schema = defineTable('t', 't', { id: { type: types.int32(), description: 'id' }, g: { type: types.string(), description: 'g' } });
    const failing: Source = {
      kind: 'source',
      name: 'failing',
      schema,
      async *batches() {
        for (let b = 0; b < 5; b++) yield { schema, rows: Array.from({ length: 1000 }, (_, i) => ({ id: b * 1000 + i, g: `g${Math.floor((b * 1000 + i) / 50) % 7}` })), offset: b * 1000 };
        throw new Error('input broke');
      },
    };
    const parent = tempDir();
    await expect(run(failing, csv({ path: join(parent, 'out'), partitionBy: 'g', maxRows: 100, maxOpen: 3 }))).rejects.toThrow('input broke');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a template without {num} cannot reopen a partition closed by --max-open', async () => {
    const parent = tempDir();
    await expect(run(attendance(5_000), csv({ path: join(parent, 'o'), partitionBy: 'status', fileTemplate: 'data.csv', maxOpen: 1 }))).rejects.toMatchObject({
      code: 'E_OPTION',
      message: expect.stringMatching(/has no \{num\}/),
    });
    expect(readdirSync(parent)).toEqual([]);
  });

  it('no rows: one file with the header without keys, nothing with keys', async () => {
    const a = tempDir();
    await run(attendance(0), csv({ path: a, maxRows: 10 }));
    expect(files(a)).toEqual(['part-0000.csv']);
    const b = tempDir();
    await run(attendance(0), csv({ path: b, partitionBy: 'date:month' }));
    expect(files(b)).toEqual([]);
  });
});

describe('CLI', () => {

  it('pipe attendance | csv --partition-by date:month --out DIR/', async () => {
    const cwd = tempDir();
    const r = sh(`node ${BIN} pipe attendance --rows 5000 | node ${BIN} csv --partition-by date:month --out DIR/`, cwd);
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(r.status).toBe(0);
    const dir = join(cwd, 'DIR');
    expect(files(dir).length).toBeGreaterThan(1);
    expect(files(dir).every((f) => /^month=2024-\d\d\/part-0000\.csv$/.test(f))).toBe(true);
    const [c] = await query(`select count(*) n, count(*) filter (where strftime(date, '%Y-%m') <> month) wrong from read_csv('${dir}/**/*.csv', ${DUCK})`);
    expect(c).toEqual({ n: '5000', wrong: '0' });
  });

  it('generate --out folder/ --partition-by with --format, and the one-line errors', async () => {
    const cwd = tempDir();
    const r = sh(`node ${BIN} generate iot_sensors --rows 2000 --devices 2 --out sensors/ --partition-by device_id,timestamp:month --format parquet --max-rows 500`, cwd);
    expect(r.status, r.stderr).toBe(0);
    expect(files(join(cwd, 'sensors'))[0]).toBe('device_id=DEV-0001/month=2024-01/part-0000.parquet');
    const [c] = await query(`select count(*) n from read_parquet('${cwd}/sensors/**/*.parquet', hive_partitioning = true)`);
    expect(c!.n).toBe('2000');
    // A folder without an extension defaults to CSV; one named like a format takes that format.
    expect(sh(`node ${BIN} generate attendance --rows 100 -q --out plain --max-rows 60`, cwd).status).toBe(0);
    expect(files(join(cwd, 'plain'))).toEqual(['part-0000.csv', 'part-0001.csv']);
    expect(sh(`node ${BIN} generate attendance --rows 100 -q --out att.jsonl/ --partition-by date:year`, cwd).status).toBe(0);
    expect(files(join(cwd, 'att.jsonl'))).toEqual(['year=2024/part-0000.jsonl']);

    const noOut = sh(`node ${BIN} pipe attendance --rows 10 -q | node ${BIN} csv --partition-by date:month`, cwd);
    expect(noOut.status).toBe(1);
    expect(noOut.stderr).toMatch(/^datagen: csv: --partition-by date:month writes a folder of files: give the folder with --out FOLDER \[E_OPTION\]\n$/);
    const badCol = sh(`node ${BIN} generate attendance --rows 10 --out x/ --partition-by nope`, cwd);
    expect(badCol.stderr).toMatch(/^datagen: csv: unknown column 'nope' .*\[E_UNKNOWN_COLUMN\]\n$/);
    const genNoOut = sh(`node ${BIN} generate attendance --rows 10 --partition-by date`, cwd);
    expect(genNoOut.stderr).toMatch(/needs --out FOLDER.*\[E_OPTION\]\n$/);
  });
});
