import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDataset } from '../src/datasets/run.js';
import { datasetContext } from '../src/core/dataset.js';
import { retail } from '../pipelines/retail/index.js';
import { batchEnd } from '../pipelines/retail/shared.js';
import { customerChanges, erasedThrough, priceChanges, storeClosures } from '../pipelines/retail/changes.js';
import { sensorLayout } from '../pipelines/retail/sensors.js';
import { formatDate } from '../src/core/temporal.js';
import { BIN, sh, sha256, tempDir } from './helpers.js';

/**
 * Increments of the retail dataset (docs/increments.md) read back by DuckDB across the base and
 * three batches: keys continue without reuse, every foreign key points at a row that exists by
 * then, late rows land in old partitions as new files, batches do not depend on the order they
 * were made in, and a run with anomalies still checks clean against its ledger.
 */
const SCALE = 0.01;
const SEED = 7;
// A higher late rate and longer batches than the defaults: enough late rows and changes at this
// scale; a half-year horizon keeps the day partitions (files) few.
const OPTIONS = { lateRate: 0.2, incrementDays: 14, end: '2022-06-30' };
const BATCHES = [1, 2, 3];

type Rec = Record<string, unknown>;
let con: DuckDBConnection;
let clean: string;
let dirty: string;
const q = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson() as Rec[];
const one = async (sql: string) => Number(Object.values((await q(sql))[0]!)[0]);

/** Every file under a folder with its hash (the folder's state). */
function hashes(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(folder, p)] = sha256(readFileSync(p));
    }
  };
  walk(folder);
  return out;
}

const csv = (folder: string, glob: string) => `read_csv('${join(folder, glob)}', header = true, union_by_name = true, filename = true, hive_partitioning = false)`;

beforeAll(async () => {
  clean = tempDir();
  dirty = tempDir();
  for (const [out, isClean] of [[clean, true], [dirty, false]] as const) {
    await runDataset(retail, { out, scale: SCALE, seed: SEED, clean: isClean, options: OPTIONS });
    for (const k of BATCHES) await runDataset(retail, { out, scale: SCALE, seed: SEED, clean: isClean, options: OPTIONS, increment: k });
  }
  con = await (await DuckDBInstance.create(':memory:')).connect();
  await con.run(`CREATE TABLE orders AS SELECT * FROM ${csv(clean, 'orders_header/*/*.csv')}`);
  await con.run(`CREATE TABLE lines AS SELECT * FROM ${csv(clean, 'orders_lines/*/*.csv')}`);
  await con.run(`CREATE TABLE customers AS SELECT * FROM ${csv(clean, 'customers*.csv')}`);
  await con.run(`CREATE TABLE stores AS SELECT * FROM ${csv(clean, 'stores.csv')}`);
  await con.run(`CREATE TABLE shipments AS SELECT * FROM read_parquet('${join(clean, 'shipments*.parquet')}', filename = true)`);
  await con.run(`CREATE TABLE cchanges AS SELECT * FROM ${csv(clean, 'customers_changes/*/*.csv')}`);
  // The batch a file belongs to, from its name (…-b000k.…; none: the base).
  for (const t of ['orders', 'lines', 'customers', 'shipments']) {
    await con.run(`ALTER TABLE ${t} ADD COLUMN batch INTEGER`);
    await con.run(`UPDATE ${t} SET batch = coalesce(try_cast(regexp_extract(filename, '-b(\\d{4})\\.', 1) AS INTEGER), 0)`);
  }
}, 240_000);

afterAll(() => con?.closeSync());

describe('retail increments, read back by DuckDB', () => {
  it('continue the keys without gaps or reuse: order ids, lines, shipments and customers', async () => {
    const ctx = datasetContext(retail, SEED, SCALE, OPTIONS, 3);
    const orders = await one('SELECT count(*) FROM orders');
    expect(await one('SELECT count(DISTINCT order_id) FROM orders')).toBe(orders);
    expect(await one('SELECT max(order_id) FROM orders')).toBe(orders);
    expect(orders).toBeGreaterThan(ctx.rows('orders_header'));
    // Each batch's keys follow the previous batch's.
    const ranges = await q('SELECT batch, min(order_id) AS lo, max(order_id) AS hi FROM orders GROUP BY batch ORDER BY batch');
    for (let i = 1; i < ranges.length; i++) expect(Number(ranges[i]!.lo)).toBe(Number(ranges[i - 1]!.hi) + 1);
    expect(await one('SELECT count(*) FROM (SELECT order_id, line_number FROM lines GROUP BY ALL HAVING count(*) > 1)')).toBe(0);
    expect(await one('SELECT count(*) FROM shipments s JOIN orders o USING (order_id) WHERE s.shipment_id <> o.order_id')).toBe(0);
    expect(await one('SELECT count(*) FROM shipments')).toBe(orders);
    expect(await one('SELECT count(DISTINCT customer_id) FROM customers')).toBe(await one('SELECT count(*) FROM customers'));
  });

  it('point every foreign key at a row that exists by the batch that references it', async () => {
    // Lines of orders, orders of customers and stores: none missing, none from a later batch.
    expect(await one('SELECT count(*) FROM lines l LEFT JOIN orders o USING (order_id) WHERE o.order_id IS NULL OR o.batch <> l.batch')).toBe(0);
    expect(await one('SELECT count(*) FROM orders o LEFT JOIN customers c USING (customer_id) WHERE c.customer_id IS NULL OR c.batch > o.batch')).toBe(0);
    expect(await one('SELECT count(*) FROM orders o LEFT JOIN stores s USING (store_id) WHERE s.store_id IS NULL')).toBe(0);
    // A new customer orders only after signing up; no order after an erasure names the erased customer.
    expect(await one('SELECT count(*) FROM orders o JOIN customers c USING (customer_id) WHERE c.batch > 0 AND o.order_ts < c.join_ts')).toBe(0);
    const ctx = datasetContext(retail, SEED, SCALE, OPTIONS, 3);
    expect(await one('SELECT count(*) FROM orders o JOIN customers c USING (customer_id) WHERE c.batch > 0')).toBeGreaterThan(0);
    for (const k of BATCHES) {
      const erased = [...erasedThrough(ctx, k)];
      if (erased.length > 0) expect(await one(`SELECT count(*) FROM orders WHERE batch > ${k} AND customer_id IN (${erased.join(',')})`)).toBe(0);
    }
  });

  it("date each batch's orders in its days, except late arrivals: new files in earlier days' partitions", async () => {
    const ctx = datasetContext(retail, SEED, SCALE, OPTIONS, 3);
    let late = 0;
    for (const k of BATCHES) {
      const first = formatDate(batchEnd(ctx, k - 1) + 1);
      const last = formatDate(batchEnd(ctx, k));
      expect(await one(`SELECT count(*) FROM orders WHERE batch = ${k} AND order_dt_local > DATE '${last}'`)).toBe(0);
      const early = await one(`SELECT count(*) FROM orders WHERE batch = ${k} AND order_dt_local < DATE '${first}'`);
      const all = await one(`SELECT count(*) FROM orders WHERE batch = ${k}`);
      // lateRate 0.2: within sampling error of a fifth.
      expect(Math.abs(early - 0.2 * all)).toBeLessThan(4.5 * Math.sqrt(all * 0.2 * 0.8) + 1);
      late += early;
      // Late rows sit in their day's folder, in a file of the batch (never a base file rewritten).
      expect(await one(`SELECT count(*) FROM orders WHERE batch = ${k} AND filename NOT LIKE '%order_dt=' || strftime(order_dt_local, '%Y-%m-%d') || '/part-%-b000${k}.csv'`)).toBe(0);
      const record = JSON.parse(readFileSync(join(clean, '_batches', `0000${k}.json`), 'utf8'));
      expect(record.tables.orders_header.lateRows).toBe(early);
      expect(record.first).toBe(first);
      expect(record.last).toBe(last);
    }
    expect(late).toBeGreaterThan(0);
  });

  it('continue every shelf sensor hour by hour across the batches, batteries draining', async () => {
    await con.run(`CREATE TABLE sensors AS SELECT * FROM ${csv(clean, 'sensors/*/*/*.csv')}`);
    const ctx = datasetContext(retail, SEED, SCALE, OPTIONS, 3);
    const steps = `SELECT sensor_ts - lag(sensor_ts) OVER w AS gap, battery_mv, lag(battery_mv) OVER w AS before FROM sensors WINDOW w AS (PARTITION BY store_id, shelf_id ORDER BY sensor_ts)`;
    expect(await one(`SELECT count(*) FROM (${steps}) WHERE gap IS NOT NULL AND gap <> INTERVAL 1 HOUR`)).toBe(0);
    expect(await one(`SELECT count(*) FROM (${steps}) WHERE battery_mv > before AND battery_mv < 3590`)).toBe(0);
    const shelves = await one('SELECT count(DISTINCT (store_id, shelf_id)) FROM sensors');
    const hours = (batchEnd(ctx, 3) - ctx.options.start + 1) * 24;
    expect(await one('SELECT count(*) FROM sensors')).toBe(shelves * hours);
    expect(String((await q('SELECT max(sensor_ts)::DATE::VARCHAR AS d FROM sensors'))[0]!.d)).toBe(formatDate(batchEnd(ctx, 3)));
  });

  it('close stores over the batches, never one with shelf sensors', () => {
    // Scale 1 over 100 batches: enough closures to see (about 1.75 a batch).
    const ctx = datasetContext(retail, SEED, 1, {}, 100);
    const closures = Array.from({ length: 100 }, (_, k) => storeClosures(ctx, k + 1)).flat();
    expect(closures.length).toBeGreaterThan(100);
    const sensored = new Set(sensorLayout(ctx).stores);
    expect(closures.filter((c) => sensored.has(c.storeId))).toEqual([]);
    expect(new Set(closures.map((c) => c.storeId)).size).toBe(closures.length);
  });

  it('price order lines after a price change at the new price', async () => {
    const ctx = datasetContext(retail, SEED, SCALE, OPTIONS, 3);
    const changes = BATCHES.flatMap((k) => priceChanges(ctx, k));
    expect(changes.length).toBeGreaterThan(0);
    let checked = 0;
    for (const c of changes) {
      const day = formatDate(Math.floor(c.ts / 86_400_000_000));
      const later = changes.filter((x) => x.productId === c.productId && x.ts > c.ts);
      const until = later.length > 0 ? `AND o.order_dt_local <= DATE '${formatDate(Math.floor(later[0]!.ts / 86_400_000_000))}'` : '';
      const rows = await q(`SELECT DISTINCT l.unit_price FROM lines l JOIN orders o USING (order_id) WHERE l.product_id = ${c.productId} AND o.order_dt_local > DATE '${day}' ${until}`);
      for (const r of rows) expect(Number(r.unit_price)).toBeCloseTo(c.price, 4);
      checked += rows.length;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('write change files that equal the change model, and whose replay keeps one row per customer', async () => {
    const ctx = datasetContext(retail, SEED, SCALE, OPTIONS, 3);
    const expected = BATCHES.flatMap((k) => customerChanges(ctx, k));
    expect(await one('SELECT count(*) FROM cchanges')).toBe(expected.length);
    const ops = await q('SELECT change_op, count(*) AS n FROM cchanges GROUP BY 1 ORDER BY 1');
    for (const r of ops) expect(Number(r.n)).toBe(expected.filter((c) => c.op === r.change_op).length);
    // Sign-ups are the batch files' customers, row for row.
    expect(await one(`SELECT count(*) FROM (SELECT * EXCLUDE (change_op, change_kind, changed_at, filename) FROM cchanges WHERE change_op = 'c' EXCEPT SELECT * EXCLUDE (filename, batch) FROM customers WHERE batch > 0)`)).toBe(0);
    expect(await one('SELECT count(*) FROM customers WHERE batch > 0')).toBe(expected.filter((c) => c.op === 'c').length);
  });

  it('records each batch in _batches/ and the manifest, and keeps the base files as they were', () => {
    const manifest = JSON.parse(readFileSync(join(clean, '_manifest.json'), 'utf8'));
    expect(manifest.batches.map((b: { batch: number }) => b.batch)).toEqual(BATCHES);
    const base = JSON.parse(readFileSync(join(clean, '_batches', '00000.json'), 'utf8'));
    for (const f of base.manifest.files.filter((f: { table: string }) => !f.table.startsWith('_') && f.table !== 'returns')) {
      expect(sha256(readFileSync(join(clean, f.path)))).toBe(f.sha256);
    }
    // Every file the manifest lists is there with its bytes; the rows of a table add up.
    for (const f of manifest.files) expect(statSync(join(clean, f.path)).size).toBe(f.bytes);
    const records = BATCHES.map((k) => JSON.parse(readFileSync(join(clean, '_batches', `0000${k}.json`), 'utf8')));
    expect(manifest.tables.orders_header.rows).toBe(base.manifest.tables.orders_header.rows + records.reduce((n, r) => n + r.tables.orders_header.rows, 0));
    // Delta: one version per batch after the base's four, the table's rows those of the last.
    expect(existsSync(join(clean, 'returns', '_delta_log', '00000000000000000006.json'))).toBe(true);
    expect(manifest.tables.returns.rows).toBe(records[2].tables.returns.tableRows);
  });

  it('record anomalies of a batch in the ledger with its batch, and check clean against it', () => {
    const lines = readFileSync(join(dirty, '_ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { batch?: number });
    for (const k of BATCHES) {
      const record = JSON.parse(readFileSync(join(dirty, '_batches', `0000${k}.json`), 'utf8'));
      expect(lines.filter((l) => l.batch === k).length).toBe(record.ledger.entries);
      expect(record.ledger.entries).toBeGreaterThan(0);
    }
    const r = sh(`node ${BIN} check ${dirty} --json`, dirty);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { findings: Array<{ status: string }> };
    expect(result.findings.filter((f) => f.status === 'extra' || f.status === 'missed')).toEqual([]);
  }, 120_000);

  it('makes the same folder whatever order the batches are made in, with any workers or batch size', async () => {
    const other = tempDir();
    await runDataset(retail, { out: other, scale: SCALE, seed: SEED, clean: true, options: OPTIONS });
    for (const k of [3, 1, 2]) {
      await runDataset(retail, { out: other, scale: SCALE, seed: SEED, clean: true, options: OPTIONS, increment: k, ...(k === 1 ? { workers: 2 } : {}), ...(k === 2 ? { batchSize: 100 } : {}) });
    }
    expect(hashes(other)).toEqual(hashes(clean));
  }, 120_000);
});

describe('describe retail', () => {
  it('lists the tables increments grow and the change tables with their files', () => {
    const r = sh(`node ${BIN} describe retail`, tempDir());
    expect(r.status).toBe(0);
    const part = r.stdout.slice(r.stdout.indexOf('increments (--increment k'));
    expect(part).toContain('new files (named ...-bNNNN) for: customers, orders_header, orders_lines, events, sensors, exchange_rates, shipments, returns\n');
    for (const t of ['customers', 'products', 'stores']) expect(part).toContain(`files     ${t}_changes/batch=NNNN/part-0000-bNNNN.csv`);
    expect(r.stdout).toMatch(/--increment\s+add batch k/);
  });
});

describe('increment errors: one line, a code, nothing written', () => {
  it('refuses another seed, scale or option, a missing base, a batch already there, a DuckDB file and a dataset without increments', () => {
    const folder = tempDir();
    // A short horizon (--end) keeps the base small; every command below gives the same one.
    const run = (args: string) => sh(`node ${BIN} generate ${args.replace(/^retail /, 'retail --end 2022-02-28 ')} -q`, folder);
    expect(run(`retail --scale 0.01 --out raw`).status).toBe(0);
    const before = hashes(join(folder, 'raw'));
    const cases: Array<[string, string, RegExp]> = [
      ['retail --scale 0.02 --out raw --increment 1', 'E_INCREMENT', /raw was generated with scale 0\.01, not 0\.02; give the base's: --seed 42 --scale 0\.01/],
      ['retail --scale 0.01 --seed 5 --out raw --increment 1', 'E_INCREMENT', /raw was generated with seed 42, not 5/],
      ['retail --scale 0.01 --increment-days 14 --out raw --increment 1', 'E_INCREMENT', /raw was generated with incrementDays 7, not 14/],
      ['retail --scale 0.01 --out nothing --increment 1', 'E_INCREMENT', /nothing holds no run of retail/],
      ['retail --scale 0.01 --out raw.duckdb --increment 1', 'E_OPTION', /--increment writes into a folder of files/],
      ['bank --scale 0.01 --out raw --increment 1', 'E_OPTION', /bank: this dataset has no increments/],
    ];
    for (const [args, code, message] of cases) {
      const r = run(args);
      expect(r.status, args).toBe(1);
      expect(r.stderr.trim().split('\n'), args).toHaveLength(1);
      expect(r.stderr, args).toMatch(message);
      expect(r.stderr, args).toContain(`[${code}]`);
      expect(hashes(join(folder, 'raw')), args).toEqual(before);
    }
    expect(existsSync(join(folder, 'nothing'))).toBe(false);
    // A batch that fails part way (a folder it needs is a file) removes what it wrote, Delta
    // versions included: once early (orders_lines), once after returns got its version.
    for (const blocker of ['orders_lines/order_dt=2022-03-03', 'customers_changes']) {
      writeFileSync(join(folder, 'raw', blocker), '');
      const state = hashes(join(folder, 'raw'));
      const r = run('retail --scale 0.01 --out raw --increment 1');
      expect(r.status, blocker).toBe(1);
      expect(r.stderr, blocker).toMatch(/a parent is not a folder \(ENOTDIR\) \[E_OUTPUT\]\n$/);
      expect(hashes(join(folder, 'raw')), blocker).toEqual(state);
      rmSync(join(folder, 'raw', blocker));
    }
    expect(hashes(join(folder, 'raw'))).toEqual(before);
    expect(run('retail --scale 0.01 --out raw --increment 2').status).toBe(0);
    const again = run('retail --scale 0.01 --out raw --increment 2');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/raw already holds batch 2 \(_batches\/00002\.json\); pass --overwrite to write it again \[E_OUTPUT\]/);
    const written = hashes(join(folder, 'raw'));
    expect(run('retail --scale 0.01 --out raw --increment 2 --overwrite').status).toBe(0);
    expect(hashes(join(folder, 'raw'))).toEqual(written);
  }, 120_000);
});
