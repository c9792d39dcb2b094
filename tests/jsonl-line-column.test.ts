import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { jsonl, run } from '../src/index.js';
import { defineTable, types } from '../src/core/schema.js';
import { rowsSource, tempDir } from './helpers.js';

describe('jsonl --line-column', () => {
  const schema = defineTable('docs', 'JSON documents', { json: { type: types.string(), description: 'a document', nullable: true }, id: { type: types.int32(), description: 'id' } });
  const docs = ['{"type":"a","x":1}', '{"type":"b","y":[1,2]}', null];

  it('writes the column text as the lines, which DuckDB reads as the documents', async () => {
    const dir = tempDir();
    const path = join(dir, 'docs.jsonl');
    await run(rowsSource(schema, docs.map((json, i) => ({ json, id: i }))), jsonl({ path, lineColumn: 'json' }));
    expect(readFileSync(path, 'utf8')).toBe('{"type":"a","x":1}\n{"type":"b","y":[1,2]}\nnull\n');
    const db = await (await DuckDBInstance.create()).connect();
    const rows = (await db.runAndReadAll(`SELECT type, x FROM read_json('${path}', format='newline_delimited') WHERE type IS NOT NULL ORDER BY type`)).getRowObjects();
    expect(rows.map((r) => r.type)).toEqual(['a', 'b']);
  });

  it('refuses a column the rows do not have', async () => {
    const dir = tempDir();
    await expect(run(rowsSource(schema, [{ json: '{}', id: 1 }]), jsonl({ path: join(dir, 'x.jsonl'), lineColumn: 'nope' }))).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
  });
});
