import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deltaTable } from '../../src/delta/table.js';
import { DatagenError } from '../../src/core/errors.js';
import { defineTable, types } from '../../src/core/schema.js';
import type { Batch } from '../../src/core/stage.js';
import { BIN, rowsSource, sh, tempDir } from '../helpers.js';

/**
 * A Delta create that fails leaves nothing: the folders this run made (the table folder and
 * missing parents) are removed with the data files it wrote, since no version refers to them.
 */
const items = defineTable('items', '', {
  id: { type: types.int64(), description: 'id' },
  qty: { type: types.int32(), description: 'qty' },
});
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, qty: i % 7 }));

describe('a failed Delta create', () => {
  it('a schema Delta cannot hold (a column name with a space): no folder left, parents included', async () => {
    const dir = tempDir('datagen-delta-create-');
    const bad = defineTable('bad', '', { 'a b': { type: types.int32(), description: 'spaced' } });
    await expect(deltaTable(join(dir, 'lake', 'bad')).append(rowsSource(bad, [{ 'a b': 1 }]))).rejects.toMatchObject({ code: 'E_INPUT' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an upstream error after two finished data files: no data files, no folder', async () => {
    const dir = tempDir('datagen-delta-create-');
    async function* failing(): AsyncGenerator<Batch> {
      yield { schema: items, rows: rows(2500), offset: 0 };
      throw new DatagenError('E_INPUT', 'stdin line 2501: not valid JSON');
    }
    await expect(deltaTable(join(dir, 'lake', 'items'), { rowsPerFile: 1000 }).append(failing())).rejects.toMatchObject({ code: 'E_INPUT', message: 'stdin line 2501: not valid JSON' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a folder the user made stays (empty), and nothing is left in it', async () => {
    const dir = tempDir('datagen-delta-create-');
    const table = join(dir, 'mine');
    mkdirSync(table);
    const bad = rows(10).map((r, i) => (i === 5 ? { ...r, qty: 'x' } : r));
    await expect(deltaTable(table).append(rowsSource(items, bad))).rejects.toBeInstanceOf(DatagenError);
    expect(existsSync(table)).toBe(true);
    expect(readdirSync(table)).toEqual([]);
  });

  it('CLI: broken input into a new table is one E_INPUT line and leaves no folder', () => {
    const dir = tempDir('datagen-delta-create-');
    const r = sh(`printf '{"id":1}\\nnot json\\n' | node ${BIN} delta --out lake/x`, dir);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^datagen: stdin line 2: .*\[E_INPUT\]$/)]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
