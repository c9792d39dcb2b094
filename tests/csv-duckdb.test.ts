import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, run } from '../src/core/pipeline.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { csv } from '../sinks/csv.js';
import { jsonl } from '../sinks/jsonl.js';
import { scenario } from '../sources/scenario.js';
import { formatDate, formatTime } from '../src/core/temporal.js';
import { rowsSource, tempDir } from './helpers.js';

/** What our writers produce, read back by a reader that did not write it: DuckDB. */
let con: DuckDBConnection;
beforeAll(async () => {
  con = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => con.closeSync());

const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson();

describe('attendance CSV read by DuckDB', () => {
  const dir = tempDir();
  const path = join(dir, 'attendance.csv');
  let rows: Row[];
  beforeAll(async () => {
    await run(scenario('attendance', { rows: 50_000, seed: 11 }), csv({ path }));
    rows = await collect(scenario('attendance', { rows: 50_000, seed: 11 }));
  });

  it('detects the declared types', async () => {
    const cols = await query(`describe select * from read_csv('${path}')`);
    expect(cols.map((c) => [c.column_name, c.column_type])).toEqual([
      ['employee_id', 'BIGINT'],
      ['department', 'VARCHAR'],
      ['date', 'DATE'],
      ['status', 'VARCHAR'],
      ['check_in', 'TIME'],
      ['check_out', 'TIME'],
    ]);
  });

  it('has the same rows, nulls and values', async () => {
    const [stats] = await query(
      `select count(*) n, count(check_in) ci, count(check_out) co, count(*) filter (where status = 'ABSENT') absent, sum(employee_id) ids from read_csv('${path}')`,
    );
    const absent = rows.filter((r) => r.status === 'ABSENT').length;
    expect(Number(stats!.n)).toBe(50_000);
    expect(Number(stats!.ci)).toBe(50_000 - absent);
    expect(Number(stats!.co)).toBe(50_000 - absent);
    expect(Number(stats!.absent)).toBe(absent);
    expect(Number(stats!.ids)).toBe(rows.reduce((s, r) => s + (r.employee_id as number), 0));
    const sample = await query(`select * from read_csv('${path}') limit 5 offset 31000`);
    sample.forEach((s, i) => {
      const r = rows[31_000 + i]!;
      expect(s).toEqual({
        employee_id: String(r.employee_id),
        department: r.department,
        date: formatDate(r.date as number),
        status: r.status,
        check_in: r.check_in === null ? null : formatTime(r.check_in as number),
        check_out: r.check_out === null ? null : formatTime(r.check_out as number),
      });
    });
  });

  it('NDJSON output reads back the same', async () => {
    const ndjson = join(dir, 'attendance.ndjson');
    await run(scenario('attendance', { rows: 50_000, seed: 11 }), jsonl({ path: ndjson }));
    const diff = await query(
      `select count(*) n from (select * from read_csv('${path}') except select employee_id, department, date::DATE, status, check_in::TIME, check_out::TIME from read_json('${ndjson}'))`,
    );
    expect(Number(diff[0]!.n)).toBe(0);
    const [n] = await query(`select count(*) n from read_json('${ndjson}')`);
    expect(Number(n!.n)).toBe(50_000);
  });
});

describe('CSV quoting (RFC 4180) read by DuckDB', () => {
  const schema = defineTable('tricky', 'strings that need quoting', {
    id: { type: types.int32(), description: 'row number', key: true },
    text: { type: types.string(), description: 'anything', nullable: true },
    amount: { type: types.float64(), description: 'a number', nullable: true },
  });
  const texts = ['plain', 'comma, inside', 'quote " inside', '"quoted"', 'line\nbreak', 'crlf\r\nbreak', '', null, ' padded ', 'ünïcødé ✓', '=1+2', 'semi;colon'];
  const rows: Row[] = texts.map((text, id) => ({ id, text, amount: id % 3 === 0 ? null : id * 1.25 }));

  for (const eol of ['lf', 'crlf'] as const) {
    it(`round-trips every value, null vs empty string kept apart (${eol})`, async () => {
      const path = join(tempDir(), `tricky-${eol}.csv`);
      await run(rowsSource(schema, rows, 5), csv({ path, eol }));
      const text = readFileSync(path, 'utf8');
      expect(text.startsWith(`id,text,amount${eol === 'crlf' ? '\r\n' : '\n'}`)).toBe(true);
      const back = await query(`select id, text, amount from read_csv('${path}', header = true, quote = '"', escape = '"', allow_quoted_nulls = false, columns = {'id': 'INTEGER', 'text': 'VARCHAR', 'amount': 'DOUBLE'}) order by id`);
      expect(back.map((b) => b.text)).toEqual(texts);
      expect(back.map((b) => (b.amount === null ? null : Number(b.amount)))).toEqual(rows.map((r) => r.amount));
    });
  }

  it('honours another delimiter and no header', async () => {
    const path = join(tempDir(), 'semi.csv');
    await run(rowsSource(schema, rows), csv({ path, delimiter: ';', header: false }));
    const back = await query(`select * from read_csv('${path}', delim = ';', header = false, allow_quoted_nulls = false, columns = {'id': 'INTEGER', 'text': 'VARCHAR', 'amount': 'DOUBLE'}) order by id`);
    expect(back.map((b) => b.text)).toEqual(texts);
    expect(() => csv({ delimiter: '"' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
  });
});

describe('JSON Lines string escaping', () => {
  it('every string, timestamp and malformed value reads back exactly, by JSON.parse and DuckDB', async () => {
    const schema = defineTable('texts', 'strings that need escaping', {
      id: { type: types.int32(), description: 'row' },
      s: { type: types.string(), nullable: true, description: 'text' },
      ts: { type: types.timestamp(), nullable: true, description: 'instant' },
    });
    const texts = ['plain', 'quote " inside', 'back\\slash', 'line\nbreak', 'tab\there', 'nul\u0000byte', 'bell\u0007', 'emoji 🎉', 'é', '', null];
    const rows: Row[] = texts.map((s, id) => ({ id, s, ts: id % 2 ? 1_700_000_000_123_456 + id : 'not a time' }));
    const path = join(tempDir(), 'texts.jsonl');
    await run(rowsSource(schema, rows), jsonl({ path }));
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(texts.length);
    lines.forEach((line, i) => expect(JSON.parse(line)).toEqual({ id: i, s: texts[i], ts: i % 2 ? new Date((1_700_000_000_123_456 + i) / 1000).toISOString().replace('Z', '') + String((1_700_000_000_123_456 + i) % 1000).padStart(3, '0') + 'Z' : 'not a time' }));
    const got = await query(`select id, s from read_json('${path}', columns = {id: 'INTEGER', s: 'VARCHAR', ts: 'VARCHAR'}) order by id`);
    expect(got.map((g) => g.s)).toEqual(texts);
  });

  it('a lone surrogate is escaped as JSON.stringify does (valid JSON text, not invalid UTF-8)', async () => {
    const schema = defineTable('texts', 'strings', { s: { type: types.string(), description: 'text' } });
    const path = join(tempDir(), 'surrogate.jsonl');
    await run(rowsSource(schema, [{ s: 'lone \ud800 surrogate' }]), jsonl({ path }));
    expect(readFileSync(path, 'utf8')).toBe('{"s":"lone \\ud800 surrogate"}\n');
  });
});
