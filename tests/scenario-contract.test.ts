import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckdbType } from '../src/codecs/sql.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, run } from '../src/core/pipeline.js';
import { listScenarios } from '../src/registry.js';
import { csv } from '../sinks/csv.js';
import { scenario } from '../sources/scenario.js';
import { tempDir } from './helpers.js';

/**
 * The contract every registered scenario keeps (the unstorage habit: one shared suite per
 * unit kind): exact row counts, determinism, batch-size independence, and CSV output whose
 * every value DuckDB (an independent reader) casts to the declared type.
 */
let con: DuckDBConnection;
beforeAll(async () => {
  con = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => con.closeSync());

for (const def of listScenarios()) {
  describe(`scenario contract: ${def.name}`, () => {
    it('--rows N is exact', async () => {
      for (const rows of [0, 1, 8193]) expect((await collect(scenario(def, { rows, seed: 3 }))).length).toBe(rows);
    });

    it('same seed, same rows; another seed, other rows; batch size does not matter', async () => {
      const a = await collect(scenario(def, { rows: 3000, seed: 11 }));
      expect(await collect(scenario(def, { rows: 3000, seed: 11, batchSize: 777 }))).toEqual(a);
      expect(await collect(scenario(def, { rows: 3000, seed: 12 }))).not.toEqual(a);
    });

    it('CSV casts to the declared types in DuckDB, with the same nulls', async () => {
      const path = join(tempDir(), `${def.name}.csv`);
      const rows = await collect(scenario(def, { rows: 20_000, seed: 5 }));
      await run(scenario(def, { rows: 20_000, seed: 5 }), csv({ path }));
      const columns = def.schema.fields.map((f) => `'${f.name}': '${duckdbType(f.type)}'`).join(', ');
      const counts = def.schema.fields.map((f) => `count("${f.name}") as "${f.name}"`).join(', ');
      const [got] = (await con.runAndReadAll(`select count(*) as n, ${counts} from read_csv('${path}', header = true, allow_quoted_nulls = false, columns = {${columns}})`)).getRowObjectsJson();
      expect(Number(got!.n)).toBe(20_000);
      for (const f of def.schema.fields) {
        expect(Number(got![f.name]), f.name).toBe(rows.filter((r) => r[f.name] !== null).length);
      }
    });
  });
}
