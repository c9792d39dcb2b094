import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { run } from '../src/core/pipeline.js';
import { sinkForPath } from '../src/registry.js';
import { csv } from '../sinks/csv.js';
import { jsonl } from '../sinks/jsonl.js';
import { scenario } from '../sources/scenario.js';
import { tempDir } from './helpers.js';

describe('.gz outputs', () => {
  it('gzip the same bytes as the plain file, deterministically, and DuckDB reads them', async () => {
    const dir = tempDir();
    const src = () => scenario('loans', { rows: 30_000, seed: 4 });
    await run(src(), csv({ path: join(dir, 'a.csv') }));
    await run(src(), csv({ path: join(dir, 'a.csv.gz') }));
    await run(src(), csv({ path: join(dir, 'b.csv.gz') }));
    await run(src(), jsonl({ path: join(dir, 'a.jsonl.gz') }));
    const plain = readFileSync(join(dir, 'a.csv'));
    const gz = readFileSync(join(dir, 'a.csv.gz'));
    expect(gz[0]).toBe(0x1f);
    expect(gz[1]).toBe(0x8b);
    expect(gunzipSync(gz).equals(plain)).toBe(true);
    expect(readFileSync(join(dir, 'b.csv.gz')).equals(gz)).toBe(true);
    expect(gz.length).toBeLessThan(plain.length / 3);
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const [c] = (await con.runAndReadAll(`select count(*) n, count(distinct loan_id) ids from read_csv('${join(dir, 'a.csv.gz')}')`)).getRowObjectsJson();
    const [j] = (await con.runAndReadAll(`select count(*) n from read_json('${join(dir, 'a.jsonl.gz')}')`)).getRowObjectsJson();
    expect([Number(c!.n), Number(c!.ids), Number(j!.n)]).toEqual([30_000, 30_000, 30_000]);
    con.closeSync();
  });

  it('the format comes from the extension before .gz', () => {
    expect(sinkForPath('x/loans.csv.gz').name).toBe('csv');
    expect(sinkForPath('events.NDJSON.GZ').name).toBe('jsonl');
    expect(() => sinkForPath('data.gz')).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
  });
});
