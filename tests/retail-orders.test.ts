import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDataset } from '../src/datasets/run.js';
import { retail } from '../pipelines/retail/index.js';
import { tempDir, withinSamplingError } from './helpers.js';

/**
 * orders_header, orders_lines, shipments and returns against shared/specs/retail.md, read by
 * DuckDB with the spec's types (and the Delta log replayed here, version by version): keys,
 * foreign keys (valid except exactly what the ledger lists), partitions, time order, prices.
 */
const SCALE = 0.005;
const TABLES = ['customers', 'products', 'stores', 'orders_header', 'orders_lines', 'shipments', 'returns'];
const HEADER = `{order_id:'BIGINT',order_ts:'TIMESTAMPTZ',order_dt_local:'DATE',customer_id:'BIGINT',store_id:'BIGINT',channel:'VARCHAR',payment_method:'VARCHAR',coupon_code:'VARCHAR',shipping_fee:'DECIMAL(12,2)',currency:'VARCHAR'}`;
const LINES = `{order_id:'BIGINT',line_number:'INTEGER',product_id:'BIGINT',qty:'INTEGER',unit_price:'DECIMAL(12,4)',line_discount_pct:'DECIMAL(5,4)',tax_pct:'DECIMAL(5,4)'}`;

let dir: string;
let con: DuckDBConnection;
type Rec = Record<string, string | number | boolean | null>;
const q = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson() as Rec[];
const one = async (sql: string) => Object.values((await q(sql))[0]!)[0];
let ledger: Array<Record<string, unknown>>;

beforeAll(async () => {
  dir = tempDir();
  await runDataset(retail, { out: dir, scale: SCALE, seed: 5, tables: TABLES });
  con = await (await DuckDBInstance.create(':memory:')).connect();
  await q(`SET TimeZone='UTC'`);
  await q(`CREATE VIEW h AS SELECT * FROM read_csv('${dir}/orders_header/*/*.csv', header=true, auto_detect=false, hive_partitioning=true, filename=true, columns=${HEADER})`);
  await q(`CREATE VIEW l AS SELECT * FROM read_csv('${dir}/orders_lines/*/*.csv', header=true, auto_detect=false, hive_partitioning=true, columns=${LINES})`);
  await q(`CREATE VIEW s AS SELECT * FROM read_parquet('${dir}/shipments.parquet')`);
  await q(`CREATE VIEW c AS SELECT * FROM read_csv('${dir}/customers.csv', header=true)`);
  await q(`CREATE VIEW p AS SELECT * FROM read_csv('${dir}/products.csv', header=true, types={'current_price':'DECIMAL(12,4)'})`);
  await q(`CREATE VIEW st AS SELECT * FROM read_csv('${dir}/stores.csv', header=true)`);
  ledger = readFileSync(join(dir, '_ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => !('event' in e));
}, 120_000);
afterAll(() => con?.closeSync());

const injected = (table: string, column: string, kinds?: string[]) => ledger.filter((e) => e.table === table && e.column === column && (!kinds || kinds.includes(e.kind as string)));

describe('retail orders_header', () => {
  it('keys: order_id 1..N, unique but for the ledgered exact duplicates; every row in its order_dt partition', async () => {
    const n = Number(await one(`SELECT count(DISTINCT order_id) FROM h`));
    const dups = injected('orders_header', '*', ['duplicate_exact']).length;
    expect(Number(await one(`SELECT count(*) FROM h`))).toBe(n + dups);
    expect(Number(await one(`SELECT max(order_id) FROM h`))).toBe(n);
    expect(Number(await one(`SELECT count(*) FROM h WHERE order_dt::DATE <> order_dt_local`))).toBe(0);
    // duplicates sit in other files than their originals
    if (dups > 0) expect(Number(await one(`SELECT count(*) FROM (SELECT order_id FROM h GROUP BY order_id HAVING count(DISTINCT filename) > 1)`))).toBe(dups);
  });

  it('foreign keys: orphans are exactly the ledgered corruptions, about 0.5% each', async () => {
    const n = Number(await one(`SELECT count(*) FROM h`));
    // distinct orders: an exact duplicate of a corrupted order repeats its orphan
    const badCustomers = Number(await one(`SELECT count(DISTINCT order_id) FROM h WHERE customer_id NOT IN (SELECT customer_id FROM c)`));
    const badStores = Number(await one(`SELECT count(DISTINCT order_id) FROM h WHERE store_id NOT IN (SELECT store_id FROM st)`));
    const ledgerCustomers = injected('orders_header', 'customer_id').length;
    const ledgerStores = injected('orders_header', 'store_id').length;
    expect(badCustomers).toBe(ledgerCustomers);
    expect(badStores).toBe(ledgerStores);
    expect(withinSamplingError(ledgerCustomers, n, 0.005)).toBe(true);
    expect(withinSamplingError(ledgerStores, n, 0.005)).toBe(true);
    // fk_deleted keys point at customers dropped from customers.csv
    const deleted = injected('orders_header', 'customer_id', ['fk_deleted']).map((e) => e.after as number);
    expect(deleted.length).toBeGreaterThan(0);
  });

  it("order_dt_local is the order's date in its store's time zone; pos orders ship free; weekends are busier", async () => {
    const wrong = await one(`SELECT count(*) FROM h JOIN st USING (store_id)
      WHERE order_dt_local <> (order_ts + to_minutes(CASE st.state WHEN 'WA' THEN 480 WHEN 'SA' THEN 570 WHEN 'NT' THEN 570 ELSE 600 END))::DATE`);
    expect(Number(wrong)).toBe(0);
    expect(Number(await one(`SELECT count(*) FROM h WHERE channel = 'pos' AND shipping_fee <> 0`))).toBe(0);
    const [weekend, weekday] = (await q(`SELECT avg(n) AS a FROM (SELECT order_dt_local, count(*) AS n, isodow(order_dt_local) >= 6 AS we FROM h GROUP BY ALL) GROUP BY we ORDER BY we DESC`)).map((r) => Number(r.a));
    expect(weekend!).toBeGreaterThan(weekday! * 1.15);
  });
});

describe('retail orders_lines', () => {
  it("each line is in its order's partition, lines are numbered 1..n per order, every order has lines", async () => {
    expect(Number(await one(`SELECT count(*) FROM l JOIN (SELECT DISTINCT order_id, order_dt_local FROM h) USING (order_id) WHERE l.order_dt::DATE <> order_dt_local`))).toBe(0);
    expect(Number(await one(`SELECT count(*) FROM (SELECT order_id, max(line_number) AS m, count(*) AS n FROM l GROUP BY order_id) WHERE m <> n`))).toBe(0);
    expect(Number(await one(`SELECT count(*) FROM (SELECT DISTINCT order_id FROM h) WHERE order_id NOT IN (SELECT order_id FROM l)`))).toBe(0);
  });

  it('unit_price is the product price; product orphans are exactly the ledgered ones; negative qty only where ledgered', async () => {
    expect(Number(await one(`SELECT count(*) FROM l JOIN p USING (product_id) WHERE unit_price <> current_price AND unit_price <> 0 AND current_price IS NOT NULL AND current_price > 0`))).toBeLessThanOrEqual(
      injected('products', 'current_price').length * 50,
    );
    expect(Number(await one(`SELECT count(*) FROM l WHERE product_id NOT IN (SELECT product_id FROM p)`))).toBe(injected('orders_lines', 'product_id').length);
    expect(Number(await one(`SELECT count(*) FROM l WHERE qty < 1`))).toBe(injected('orders_lines', 'qty', ['sign_flip']).length);
    expect(Number(await one(`SELECT count(*) FROM l WHERE unit_price = 0`))).toBe(injected('orders_lines', 'unit_price', ['zero']).length);
    expect(Number(await one(`SELECT count(*) FROM l WHERE unit_price < 0 OR line_discount_pct NOT BETWEEN 0 AND 1 OR tax_pct NOT IN (0, 0.1)`))).toBe(0);
  });
});

describe('retail shipments', () => {
  it('one per order, order < shipped < delivered, in-transit only near the end, ~6% late', async () => {
    const orders = Number(await one(`SELECT count(DISTINCT order_id) FROM h`));
    expect(Number(await one(`SELECT count(*) FROM s`))).toBe(orders);
    expect(Number(await one(`SELECT count(*) FROM s JOIN (SELECT DISTINCT order_id, order_ts FROM h) USING (order_id) WHERE NOT (order_ts < shipped_at)`))).toBe(0);
    expect(Number(await one(`SELECT count(*) FROM s WHERE delivered_at <= shipped_at`))).toBe(0);
    const sla = `CASE carrier WHEN 'StarTrack' THEN 48 WHEN 'Toll' THEN 72 WHEN 'CouriersPlease' THEN 72 ELSE 96 END`;
    const late = Number(await one(`SELECT count(*) FROM s WHERE delivered_at > shipped_at + to_hours(${sla})`));
    const delivered = Number(await one(`SELECT count(*) FROM s WHERE delivered_at IS NOT NULL`));
    expect(withinSamplingError(late, delivered, 0.06)).toBe(true);
    const types = Object.fromEntries((await q(`DESCRIBE s`)).map((r) => [r.column_name, r.column_type]));
    expect(types).toMatchObject({ shipment_id: 'BIGINT', order_id: 'BIGINT', shipped_at: 'TIMESTAMP WITH TIME ZONE', delivered_at: 'TIMESTAMP WITH TIME ZONE', ship_cost: 'DECIMAL(12,2)' });
  });
});

describe('retail returns (Delta)', () => {
  /** The active files of each version, from a replay of the log written here (not datagen's reader). */
  const versions = () => {
    const log = join(dir, 'returns', '_delta_log');
    const active = new Set<string>();
    const out: Array<{ ops: string; files: string[]; schema: string[] }> = [];
    let schema: string[] = [];
    for (const f of readdirSync(log).filter((x) => x.endsWith('.json')).sort()) {
      let ops = '';
      for (const line of readFileSync(join(log, f), 'utf8').trim().split('\n')) {
        const a = JSON.parse(line) as Record<string, Record<string, unknown>>;
        if (a.add) active.add(a.add.path as string);
        if (a.remove) active.delete(a.remove.path as string);
        if (a.metaData) schema = (JSON.parse(a.metaData.schemaString as string) as { fields: Array<{ name: string }> }).fields.map((x) => x.name);
        if (a.commitInfo) ops = a.commitInfo.operation as string;
      }
      out.push({ ops, files: [...active].map((p) => join(dir, 'returns', p)), schema: [...schema] });
    }
    return out;
  };

  it('history: create, schema evolution + append, merge, delete — each version readable', async () => {
    const v = versions();
    expect(v.map((x) => x.ops)).toEqual(['WRITE', 'WRITE', 'MERGE', 'DELETE']);
    expect(v[0]!.schema).not.toContain('return_reason_code');
    expect(v[1]!.schema).toContain('return_reason_code');
    const count = async (k: number) => Number(await one(`SELECT count(*) FROM read_parquet([${v[k]!.files.map((f) => `'${f}'`).join(',')}], union_by_name=true)`));
    const n = Math.max(40, Math.round(100_000 * SCALE));
    expect(await count(0)).toBe(Math.floor(n * 0.6));
    expect(await count(1)).toBe(Math.floor(n * 0.85));
    expect(await count(2)).toBe(n);
    const files = v[3]!.files.map((f) => `'${f}'`).join(',');
    await q(`CREATE VIEW r AS SELECT * FROM read_parquet([${files}], union_by_name=true)`);
    expect(await count(3)).toBe(n - Number(await one(`SELECT count(*) FROM read_parquet([${v[2]!.files.map((f) => `'${f}'`).join(',')}], union_by_name=true) WHERE qty = 0`)));
    expect(Number(await one(`SELECT count(*) FROM r WHERE qty = 0`))).toBe(0);
    expect(Number(await one(`SELECT count(DISTINCT return_id) = count(*) FROM r`) ? 1 : 0)).toBe(1);
  });

  it("each return is of a product on one of its order's lines, after delivery", async () => {
    expect(Number(await one(`SELECT count(*) FROM r WHERE NOT EXISTS (SELECT 1 FROM l WHERE l.order_id = r.order_id AND (l.product_id = r.product_id))`))).toBeLessThanOrEqual(
      injected('orders_lines', 'product_id').length,
    );
    expect(Number(await one(`SELECT count(*) FROM r JOIN s USING (order_id) WHERE NOT (return_ts > delivered_at)`))).toBe(0);
  });
});
