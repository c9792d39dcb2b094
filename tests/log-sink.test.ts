import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, run } from '../src/core/pipeline.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import type { Batch, Source } from '../src/core/stage.js';
import { parseDate, parseTimestamp } from '../src/core/temporal.js';
import { sparkLogs } from '../scenarios/spark_logs.js';
import { log } from '../sinks/log.js';
import { scenario } from '../sources/scenario.js';
import { rowsSource, tempDir } from './helpers.js';

const logSchema = defineTable('applog', 'log lines', {
  ts: { type: types.timestamp(), description: 'time', key: true },
  level: { type: types.string(), description: 'level', nullable: true },
  message: { type: types.string(), description: 'text', nullable: true },
  executor: { type: types.int32(), description: 'executor', nullable: true },
});
const at = (iso: string) => parseTimestamp(iso)!;
const row = (ts: string, level: string | null, message: string | null, executor: number | null = 4): Row => ({ ts: at(ts), level, message, executor });

async function write(rows: Row[], options: Record<string, unknown> = {}, schema = logSchema): Promise<string> {
  const path = join(tempDir(), 'out.log');
  await run(rowsSource(schema, rows, 3), log({ path, ...options }));
  return readFileSync(path, 'utf8');
}

describe('log sink', () => {
  it('writes the log4j line of a hand-made row exactly', async () => {
    const text = await write([row('2024-03-01T09:15:02.123456Z', 'INFO', 'TaskSetManager: Finished task 3.0 in stage 2.0 (TID 17) in 532 ms on executor 4 (3/8)')]);
    expect(text).toBe('24/03/01 09:15:02 INFO TaskSetManager: Finished task 3.0 in stage 2.0 (TID 17) in 532 ms on executor 4 (3/8)\n');
  });

  it('writes one line per row: line breaks inside values are escaped, nulls are "-"', async () => {
    const rows: Row[] = [];
    for (let i = 0; i < 1000; i++) rows.push(row(`2024-03-01T09:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`, i % 7 === 0 ? null : 'WARN', i % 5 === 0 ? `line ${i}\nsecond\r\nthird` : `line ${i}`));
    const text = await write(rows);
    const lines = text.split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline
    expect(lines.length).toBe(1000);
    expect(lines[0]).toBe('24/03/01 09:00:00 - line 0\\nsecond\\r\\nthird');
    expect(lines[1]).toBe('24/03/01 09:00:01 WARN line 1');
    expect(lines[999]).toBe('24/03/01 09:16:39 WARN line 999');
    expect(await write([row('2024-12-31T23:59:59.999999Z', 'ERROR', null)])).toBe('24/12/31 23:59:59 ERROR -\n');
  });

  it('falls back to every column, space-separated, for schemas that are not log-like', async () => {
    const schema = defineTable('other', 'not a log', {
      id: { type: types.int32(), description: 'id', key: true },
      day: { type: types.date(), description: 'day' },
      amount: { type: types.decimal(12, 2), description: 'money', nullable: true },
      at: { type: types.timestamp(), description: 'when' },
      ok: { type: types.bool(), description: 'flag' },
    });
    const text = await write([{ id: 7, day: parseDate('2024-03-01')!, amount: 12.5, at: at('2024-03-01T09:15:02Z'), ok: true }, { id: 8, day: parseDate('2024-03-02')!, amount: null, at: at('2024-03-02T00:00:00Z'), ok: false }], {}, schema);
    expect(text).toBe('7 2024-03-01 12.50 24/03/01 09:15:02 true\n8 2024-03-02 - 24/03/02 00:00:00 false\n');
  });

  it('takes a template: time patterns, padding, literal braces', async () => {
    const rows = [row('2024-03-01T09:15:02.123456Z', 'INFO', 'hello'), row('2024-03-01T09:15:02.987654Z', 'WARN', 'again', null)];
    expect(await write(rows, { template: '{ts:yyyy-MM-dd HH:mm:ss,SSS} [{level:-5}] {{exec {executor}}} {message}' })).toBe(
      '2024-03-01 09:15:02,123 [INFO ] {exec 4} hello\n2024-03-01 09:15:02,987 [WARN ] {exec -} again\n',
    );
    expect(await write(rows.slice(0, 1), { template: '{ts:iso}|{level:6}|{ts:SSSSSS}|{ts}' })).toBe('2024-03-01T09:15:02.123456Z|  INFO|123456|24/03/01 09:15:02\n');
  });

  it('reports template mistakes: bad syntax up front, unknown columns against the schema', async () => {
    expect(() => log({ template: '{ts' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => log({ template: 'a } b' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    await expect(write([row('2024-03-01T00:00:00Z', 'INFO', 'x')], { template: '{ts} {nope}' })).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
    await expect(write([row('2024-03-01T00:00:00Z', 'INFO', 'x')], { template: '{message:yyyy}' })).rejects.toMatchObject({ code: 'E_OPTION' });
  });

  it('prints a deliberately malformed value as it is', async () => {
    const bad = { ...row('2024-03-01T00:00:00Z', 'INFO', 'x'), ts: '2024-13-45 25:61' };
    expect(await write([bad])).toBe('2024-13-45 25:61 INFO x\n');
  });

  it('writes the file atomically: nothing at the path until complete; a failed run leaves no file', async () => {
    const dir = tempDir();
    const path = join(dir, 'logs', 'app.log');
    const seen: boolean[] = [];
    const slow: Source = {
      kind: 'source',
      name: 'slow',
      schema: logSchema,
      async *batches(): AsyncGenerator<Batch> {
        for (let b = 0; b < 3; b++) {
          seen.push(existsSync(path));
          yield { schema: logSchema, rows: [row('2024-03-01T00:00:00Z', 'INFO', `batch ${b}`)], offset: b };
          await new Promise((r) => setTimeout(r, 5));
        }
        seen.push(existsSync(path));
      },
    };
    await run(slow, log({ path }));
    expect(seen).toEqual([false, false, false, false]);
    expect(readFileSync(path, 'utf8').split('\n').length).toBe(4);
    expect(readdirSync(join(dir, 'logs'))).toEqual(['app.log']); // no temporary file left

    const failing: Source = {
      kind: 'source',
      name: 'failing',
      schema: logSchema,
      async *batches(): AsyncGenerator<Batch> {
        yield { schema: logSchema, rows: [row('2024-03-01T00:00:00Z', 'INFO', 'one')], offset: 0 };
        throw new Error('boom');
      },
    };
    const path2 = join(dir, 'failed.log');
    await expect(run(failing, log({ path: path2 }))).rejects.toThrow('boom');
    expect(existsSync(path2)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['logs']);
  });

  it('spark_logs through the log sink: one log4j line per row, same text as the rows', async () => {
    const path = join(tempDir(), 'app.log');
    await run(scenario(sparkLogs, { rows: 50_000, seed: 3 }), log({ path }));
    const rows = await collect(scenario(sparkLogs, { rows: 50_000, seed: 3 }));
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(50_000);
    const re = /^(\d{2})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) (INFO|WARN|ERROR) ([A-Za-z$]+): (.+)$/;
    let bad = 0;
    lines.forEach((line, i) => {
      const m = re.exec(line);
      const r = rows[i]!;
      const second = Math.floor((r.ts as number) / 1e6) * 1000;
      const iso = new Date(second).toISOString(); // test-side reference formatting
      const expected = `${iso.slice(2, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)} ${iso.slice(11, 19)} ${r.level} ${r.message}`;
      if (!m || line !== expected) bad++;
    });
    expect(bad).toBe(0);
  });
});
