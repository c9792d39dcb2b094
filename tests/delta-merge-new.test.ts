import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deltaTable } from '../src/delta/table.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import type { Batch } from '../src/core/stage.js';
import { tempDir } from './helpers.js';

/**
 * A merge into a table that does not exist yet creates it; its keys are checked as a merge into
 * an existing table checks them, before anything is written: a mistyped --key used to create
 * the table and exit 0.
 */
const root = tempDir('datagen-delta-merge-new-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const keyed = defineTable('items', '', { id: { type: types.int32(), description: '', key: true }, qty: { type: types.int32(), description: '' } });
const unkeyed = defineTable('items', '', { id: { type: types.int32(), description: '' }, qty: { type: types.int32(), description: '', nullable: true } });
const batches = (schema: Batch['schema'], ...parts: Row[][]): Batch[] => {
  let offset = 0;
  return parts.map((rows) => {
    const b = { schema, rows, offset };
    offset += rows.length;
    return b;
  });
};

describe('delta merge into a missing table', () => {
  it('refuses a key that is not a column, no key at all, a missing key and a repeated key, leaving no folder', async () => {
    const cases: Array<[string, Batch[], string | undefined, string, string]> = [
      ['nosuch', batches(keyed, [{ id: 1, qty: 1 }]), 'nosuch', 'E_UNKNOWN_COLUMN', "delta: merge key 'nosuch' is not a column of the input (columns: id, qty)"],
      ['nosuch2', batches(keyed, [{ id: 1, qty: 1 }]), 'id,nosuch', 'E_UNKNOWN_COLUMN', "delta: merge key 'nosuch' is not a column of the input (columns: id, qty)"],
      ['nokey', batches(unkeyed, [{ id: 1, qty: 1 }]), undefined, 'E_OPTION', 'delta: merge needs --key (there is no table at '],
      ['schemaonly', batches(keyed, []), 'nosuch', 'E_UNKNOWN_COLUMN', "delta: merge key 'nosuch'"],
      ['twice', batches(keyed, [{ id: 1, qty: 1 }, { id: 2, qty: 1 }], [{ id: 3, qty: 1 }, { id: 2, qty: 5 }]), undefined, 'E_INPUT', 'delta: merge input has key id=2 more than once (row 3)'],
      ['nullkey', batches(unkeyed, [{ id: 1, qty: null }], [{ id: null, qty: 1 }]), 'id', 'E_INPUT', 'delta: merge input row 1 has no value in key column id'],
    ];
    for (const [name, input, key, code, message] of cases) {
      const path = join(root, name);
      await expect(deltaTable(path).merge(input, { key }), name).rejects.toMatchObject({ code, message: expect.stringContaining(message) });
      expect(existsSync(path), name).toBe(false);
    }
  });

  it('creates the table with the input rows (key from --key or the schema), and a second merge updates by it', async () => {
    const path = join(root, 'ok');
    const t = deltaTable(path, { commitTime: '2024-01-01T00:00:00Z' });
    const first = await t.merge(batches(keyed, [{ id: 1, qty: 1 }, { id: 2, qty: 2 }], [{ id: 3, qty: 3 }]));
    expect(first).toMatchObject({ version: 0, operation: 'WRITE', rowsWritten: 3 });
    const second = await t.merge(batches(keyed, [{ id: 2, qty: 20 }, { id: 4, qty: 4 }]), { key: 'id' });
    expect(second).toMatchObject({ version: 1, operation: 'MERGE', rowsUpdated: 1, rowsInserted: 1 });
    const rows: Row[] = [];
    for await (const b of t.source().batches()) rows.push(...b.rows);
    expect(rows.sort((a, b) => (a.id as number) - (b.id as number))).toEqual([
      { id: 1, qty: 1 },
      { id: 2, qty: 20 },
      { id: 3, qty: 3 },
      { id: 4, qty: 4 },
    ]);
    const other = join(root, 'ok-key');
    expect(await deltaTable(other).merge(batches(unkeyed, [{ id: 1, qty: 1 }]), { key: 'id' })).toMatchObject({ version: 0, rowsWritten: 1 });
  });
});
