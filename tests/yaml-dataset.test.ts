import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYamlDataset, parseYamlUnit } from '../src/yaml/yaml-dataset.js';
import { runDataset } from '../src/datasets/run.js';
import { dataset } from '../src/datasets/api.js';
import { docSteps } from './doc-blocks.js';
import { BIN, sh, tempDir } from './helpers.js';

/**
 * Multi-table YAML (src/yaml/yaml-dataset.ts): the `new dataset` template, run through the CLI
 * as printed, read back by DuckDB across its files (foreign keys, lines per order, shipped_ts
 * after its order), the same bytes for the same seed, --scale as declared; and the
 * positioned errors for unknown tables, cycles, missing columns and bad per/count.
 */
type Rec = Record<string, string | number | boolean | null>;
const HOUR_US = 3_600_000_000;

let dir: string;
let made: ReturnType<typeof sh>;
let con: DuckDBConnection;
const q = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson() as Rec[];
const one = async (sql: string) => Number(Object.values((await q(sql))[0]!)[0]);
const manifest = (out: string) =>
  (JSON.parse(readFileSync(join(dir, out, '_manifest.json'), 'utf8')) as { files: Array<{ path: string; sha256: string }> }).files.map((f) => `${f.path} ${f.sha256}`).sort();

beforeAll(async () => {
  dir = tempDir('datagen-yaml-dataset-');
  const created = sh(`node ${BIN} new dataset shop`, dir);
  expect(created.status, created.stderr).toBe(0);
  // The command `new dataset` prints, run as printed (datagen -> this checkout's bin).
  const next = /next: (datagen generate .*)$/m.exec(created.stderr)![1]!;
  expect(next).toBe('datagen generate ./shop.yml --scale 0.01 --out shop/');
  const run = (args: string) => `node ${BIN} ${args} --quiet`;
  made = sh(
    [
      next.replace(/^datagen/, `node ${BIN}`),
      run('generate ./shop.yml --scale 0.2 --seed 5 --clean --out clean/'),
      run('generate ./shop.yml --scale 0.2 --seed 5 --clean --workers 2 --out again/'),
      run('generate ./shop.yml --scale 0.4 --seed 5 --clean --out bigger/'),
      run('generate ./shop.yml --scale 0.2 --seed 5 --out staged/'),
      run('generate ./shop.yml --scale 0.2 --seed 5 --clean --tables order_lines --out lines_only/'),
      run('generate ./shop.yml --scale 0.2 --seed 5 --clean --shards 2 --out sharded/'),
    ].join(' && '),
    dir,
  );
  con = await (await DuckDBInstance.create(':memory:')).connect();
  await q(`SET TimeZone='UTC'`);
  for (const out of ['clean', 'bigger', 'staged']) {
    await q(`CREATE VIEW ${out}_c AS SELECT * FROM read_csv('${dir}/${out}/customers.csv', header=true)`);
    await q(`CREATE VIEW ${out}_o AS SELECT * FROM read_json('${dir}/${out}/orders.jsonl', format='newline_delimited', columns={order_id:'BIGINT',customer_id:'BIGINT',order_ts:'TIMESTAMPTZ',channel:'VARCHAR'})`);
    await q(`CREATE VIEW ${out}_l AS SELECT * FROM read_csv('${dir}/${out}/order_lines.csv', header=true, types={'shipped_ts':'TIMESTAMPTZ'})`);
  }
}, 120_000);
afterAll(() => con?.closeSync());

describe('the new dataset template through the CLI', () => {
  it('runs as written, each table in its format', () => {
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toBe('');
    expect(readFileSync(join(dir, 'shop', 'customers.csv'), 'utf8').split('\n')[0]).toBe('customer_id,name,city,signed_up');
    expect(JSON.parse(readFileSync(join(dir, 'shop', 'orders.jsonl'), 'utf8').split('\n')[0]!)).toMatchObject({ order_id: 1 });
  });

  it('generate ./shop.yml --help shows the dataset\'s own flags, not the help of generate', () => {
    const r = sh(`node ${BIN} generate ./shop.yml --help`, dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Generate the shop dataset into a folder/);
    expect(r.stdout).toMatch(/\$ datagen generate \.\/shop\.yml \[--seed <value>\] \[--scale <value>\]/);
    for (const flag of ['--scale=<value>', '--shards=<value>', '--workers=<value>', '--tables=<value>']) expect(r.stdout).toContain(flag);
  });

  it('docs/yaml-scenarios.md shows the template as written', () => {
    const shown = docSteps(readFileSync(join(import.meta.dirname, '..', 'docs', 'yaml-scenarios.md'), 'utf8')).find((s) => s.kind === 'file' && s.name === 'shop.yml');
    const written = readFileSync(join(dir, 'shop.yml'), 'utf8').replace(/\$schema=.*/, '$schema=node_modules/datagen/schemas/scenario.schema.json');
    expect(shown && 'text' in shown ? shown.text : undefined).toBe(written);
  });

  it('every foreign key joins (100% without stages), with stages too (they touch channel only)', async () => {
    for (const out of ['clean', 'staged']) {
      expect(await one(`SELECT count(*) FROM ${out}_o o ANTI JOIN ${out}_c c ON o.customer_id = c.customer_id`)).toBe(0);
      expect(await one(`SELECT count(*) FROM ${out}_l l ANTI JOIN ${out}_o o ON l.order_id = o.order_id`)).toBe(0);
      expect(await one(`SELECT count(*) FROM ${out}_o WHERE customer_id IS NULL`)).toBe(0);
    }
    expect(await one(`SELECT count(*) FROM clean_o WHERE channel IS NULL`)).toBe(0);
    const ledger = readFileSync(join(dir, 'staged', '_ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => !('event' in e));
    expect(ledger.length).toBeGreaterThan(0);
    expect(await one(`SELECT count(*) FROM staged_o WHERE channel IS NULL`)).toBe(ledger.length);
  });

  it('every order has 1..6 lines numbered 1..n, and the popular customers are popular (zipf 1.1)', async () => {
    const [stats] = await q(`SELECT min(n)::INT lo, max(n)::INT hi, count(*)::INT orders, bool_and(top = n) numbered FROM (SELECT order_id, count(*) n, max(line_number) top FROM clean_l GROUP BY order_id)`);
    expect(stats).toEqual({ lo: 1, hi: 6, orders: 1000, numbered: true });
    // 1000 orders over 200 customers: uniform would give ~5 each; zipf 1.1 gives the first far more.
    expect(await one(`SELECT max(n) FROM (SELECT count(*) n FROM clean_o GROUP BY customer_id)`)).toBeGreaterThan(50);
  });

  it('after: shipped_ts lies in [order_ts + 1h, order_ts + 72h] on every line', async () => {
    const [r] = await q(`SELECT count(*) n, min(d) lo, max(d) hi FROM (SELECT epoch_us(l.shipped_ts) - epoch_us(o.order_ts) d FROM clean_l l JOIN clean_o o USING (order_id))`);
    expect(Number(r!.n)).toBe(await one(`SELECT count(*) FROM clean_l`));
    expect(Number(r!.lo)).toBeGreaterThanOrEqual(HOUR_US);
    expect(Number(r!.hi)).toBeLessThanOrEqual(72 * HOUR_US);
    expect(Number(r!.hi) - Number(r!.lo)).toBeGreaterThan(60 * HOUR_US); // the whole window is used
  });

  it('same seed, same bytes (also with --workers 2 and for one table alone)', () => {
    expect(manifest('again')).toEqual(manifest('clean'));
    const lines = (out: string) => readFileSync(join(dir, out, 'order_lines.csv'));
    expect(lines('lines_only').equals(lines('clean'))).toBe(true);
    // Two shards hold the whole table's rows, in order.
    const body = (file: string) => readFileSync(join(dir, file), 'utf8').split('\n').slice(1).join('\n');
    expect(body('sharded/order_lines-00000-of-00002.csv') + body('sharded/order_lines-00001-of-00002.csv')).toBe(body('clean/order_lines.csv'));
  });

  it('--scale multiplies rows: and keeps each order its lines', async () => {
    expect(await one(`SELECT count(*) FROM clean_c`)).toBe(200);
    expect(await one(`SELECT count(*) FROM clean_o`)).toBe(1000);
    expect(await one(`SELECT count(*) FROM bigger_c`)).toBe(400);
    expect(await one(`SELECT count(*) FROM bigger_o`)).toBe(2000);
    expect(await one(`SELECT count(*) FROM bigger_l`)).toBeGreaterThanOrEqual(2000);
    expect(await one(`SELECT count(*) FROM bigger_l`)).toBeLessThanOrEqual(12000);
    // Lines per order come from the order's own stream: order k has as many lines at either scale.
    const counts = (v: string) => `SELECT order_id, count(*) n FROM ${v} WHERE order_id <= 1000 GROUP BY order_id`;
    expect(await one(`SELECT count(*) FROM (${counts('clean_l')}) a JOIN (${counts('bigger_l')}) b USING (order_id) WHERE a.n <> b.n`)).toBe(0);
  });
});

describe('parent columns in expressions', () => {
  const yaml = `name: ex
tables:
  - name: products
    rows: 50
    fields:
      product_id: { type: int64, generator: { sequence: { start: 100 } } }
      price: { type: "decimal(10,2)", generator: { uniform: { min: 1, max: 100, decimals: 2 } } }
  - name: orders
    rows: 200
    fields:
      order_id: { type: int64, generator: { sequence: {} } }
      ts: { type: timestamp, generator: { timestamp: { start: 2024-01-01, end: 2024-01-31 } } }
  - name: lines
    per: orders
    count: 0..3
    fields:
      order_id: { type: int64, ref: orders.order_id }
      product_id: { type: int64, ref: products.product_id, popularity: zipf 1.3 }
      qty: { type: int32, generator: { uniform: { min: 1, max: 4 } } }
      amount: { type: "decimal(12,2)", generator: { expression: "qty * products.price" } }
      next_day: { type: timestamp, generator: { expression: "orders.ts + 86400000000" } }
    constraints:
      - "amount >= products.price"
`;
  it('read the parent row (per:) and the row a ref: above picked, on every row', async () => {
    const out = tempDir('datagen-yaml-dataset-ex-');
    await runDataset(parseYamlDataset(yaml, 'ex.yml'), { out, scale: 1, seed: 9 });
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJson() as Rec[];
    const [r] = await rows(`SELECT count(*)::INT n,
        count(*) FILTER (WHERE l.amount = l.qty * p.price)::INT amount_ok,
        count(*) FILTER (WHERE epoch_us(l.next_day::TIMESTAMPTZ) = epoch_us(o.ts::TIMESTAMPTZ) + 86400000000)::INT next_ok,
        count(DISTINCT l.order_id)::INT orders
      FROM read_csv('${out}/lines.csv', header=true, types={'amount':'DECIMAL(12,2)'}) l
      JOIN read_csv('${out}/products.csv', header=true, types={'price':'DECIMAL(10,2)'}) p USING (product_id)
      JOIN read_csv('${out}/orders.csv', header=true) o USING (order_id)`);
    c.closeSync();
    const lines = readFileSync(join(out, 'lines.csv'), 'utf8').trim().split('\n').length - 1;
    expect(r).toEqual({ n: lines, amount_ok: lines, next_ok: lines, orders: r!.orders });
    expect(lines).toBeGreaterThan(200);
    expect(Number(r!.orders)).toBeLessThan(200); // count 0..3: some orders have no lines
  });

  it.each([
    ['qty * product.price', "shop.yml:12:57: tables.1.fields.amount.generator.expression: product.price: unknown table 'product' (tables: products, lines)"],
    ['qty * products.cost', "shop.yml:12:57: tables.1.fields.amount.generator.expression: products.cost: table 'products' has no column 'cost' (columns: product_id, price)"],
    ['products.price', "shop.yml:12:57: tables.1.fields.amount.generator.expression: products.price: products is not this table's parent (per:) and no field above refers to it (ref: products.<column>)"],
  ])('%s is refused with its position', (expression, message) => {
    const text = `name: shop
tables:
  - name: products
    rows: 5
    fields:
      product_id: { type: int64, generator: { sequence: {} } }
      price: { type: float64, generator: { uniform: { min: 1, max: 9 } } }
  - name: lines
    rows: 5
    fields:
      qty: { type: int32, generator: { constant: 1 } }
      amount: { type: float64, generator: { expression: "${expression}" } }
`;
    expect(() => parseYamlUnit(text, 'shop.yml')).toThrowError(expect.objectContaining({ code: 'E_SCENARIO_FILE', message }));
  });
});

describe('errors name the file, line and column', () => {
  const file = (more: string) => `name: shop
tables:
  - name: customers
    rows: 10
    fields:
      customer_id: { type: int64, generator: { sequence: {} } }
${more}`;
  const cases: Array<[string, string, string]> = [
    [
      'unknown table in ref',
      `  - name: orders
    rows: 10
    fields:
      customer_id: { type: int64, ref: customer.customer_id }
`,
      "shop.yml:10:40: tables.1.fields.customer_id.ref: unknown table 'customer' (tables: customers, orders); did you mean 'customers'?",
    ],
    [
      'unknown table in per',
      `  - name: lines
    per: order
    count: 1..3
    fields:
      n: { type: int32, generator: { sequence: {} } }
`,
      "shop.yml:8:10: tables.1.per: unknown table 'order' (tables: customers, lines)",
    ],
    [
      'unknown table in after',
      `  - name: orders
    rows: 10
    fields:
      ts: { type: timestamp, after: payments.ts + 1..2h }
`,
      "shop.yml:10:37: tables.1.fields.ts.after: unknown table 'payments' (tables: customers, orders)",
    ],
    [
      'missing column',
      `  - name: orders
    rows: 10
    fields:
      customer_id: { type: int64, ref: customers.id }
`,
      "shop.yml:10:40: tables.1.fields.customer_id.ref: table 'customers' has no column 'id' (columns: customer_id)",
    ],
    [
      'cycle',
      `  - name: a
    rows: 10
    fields:
      b_id: { type: int64, ref: b.id }
      id: { type: int64, generator: { sequence: {} } }
  - name: b
    per: a
    count: 2
    fields:
      id: { type: int64, ref: a.id }
`,
      'shop.yml:13:10: tables.2.per: reference cycle: a -> b -> a (a table cannot depend on itself through per:, ref: or after:)',
    ],
    [
      'count low above high',
      `  - name: orders
    per: customers
    count: 6..1
    fields:
      n: { type: int32, generator: { sequence: {} } }
`,
      'shop.yml:9:12: tables.1.count: count 6..1: the low end 6 is above the high end 1',
    ],
    [
      'count not a range',
      `  - name: orders
    per: customers
    count: 1-3
    fields:
      n: { type: int32, generator: { sequence: {} } }
`,
      'shop.yml:9:12: tables.1.count: "1-3" must match pattern "^\\d+\\.\\.\\d+$" (rows per parent row (with per:): a number, or lo..hi drawn uniformly per parent row)',
    ],
    [
      'popularity on the parent of a per: table',
      `  - name: visits
    per: customers
    count: 2
    fields:
      customer_id: { type: int64, ref: customers.customer_id, popularity: zipf 1.2 }
`,
      "shop.yml:11:75: tables.1.fields.customer_id.popularity: customers is this table's parent (per:): each row takes its own parent's customer_id, no rows are picked",
    ],
    [
      'count without per',
      `  - name: orders
    rows: 10
    count: 1..3
    fields:
      n: { type: int32, generator: { sequence: {} } }
`,
      'shop.yml:9:12: tables.1.count: count: is rows per parent row: it needs per: (the parent table)',
    ],
    [
      'per without count',
      `  - name: orders
    per: customers
    fields:
      n: { type: int32, generator: { sequence: {} } }
`,
      'shop.yml:8:10: tables.1.per: per: customers needs count: (rows per customers row, e.g. count: 1..6)',
    ],
    [
      'after a table neither parent nor referenced',
      `  - name: orders
    rows: 5
    fields:
      ts: { type: timestamp, generator: { timestamp: { start: 2024-01-01, end: 2024-12-31 } } }
  - name: refunds
    rows: 5
    fields:
      ts: { type: timestamp, after: orders.ts + 1..2d }
`,
      'shop.yml:14:37: tables.2.fields.ts.after: orders is not this table\'s parent (per:) and no field above refers to it (ref: orders.<column>)',
    ],
    [
      'partition_by on a column the table does not have',
      `  - name: orders
    rows: 10
    partition_by: order_ts:day
    fields:
      ts: { type: timestamp, generator: { timestamp: { start: 2024-01-01, end: 2024-12-31 } } }
`,
      "shop.yml:9:19: tables.1.partition_by: table 'orders' has no column 'order_ts' (columns: ts)",
    ],
    [
      'partition_by :day on a column that is not a date',
      `  - name: orders
    rows: 10
    partition_by: [n:month]
    fields:
      n: { type: int32, generator: { sequence: {} } }
`,
      'shop.yml:9:20: tables.1.partition_by.0: partition_by n:month: :month needs a date or timestamp column, and n is int32',
    ],
  ];
  it.each(cases)('%s', (_name, more, message) => {
    expect(() => parseYamlUnit(file(more), 'shop.yml')).toThrowError(expect.objectContaining({ code: 'E_SCENARIO_FILE', message }));
  });

  it('a nested child of more parent rows than its running counts may hold is refused before any row', () => {
    const text = file(`  - name: orders
    rows: 300000000
    fields:
      order_id: { type: int64, generator: { sequence: {} } }
  - name: lines
    per: orders
    count: 1..2
    fields:
      order_id: { type: int64, ref: orders.order_id }
`);
    expect(() => dataset(parseYamlDataset(text, 'shop.yml'), { scale: 1 }).rows('lines')).toThrowError(
      expect.objectContaining({ code: 'E_OPTION', message: "lines: per: orders has 300,000,000 rows at this scale; a nested child keeps 8 bytes per parent row, so at most 268,435,456 (lower --scale or orders's rows:)" }),
    );
  });

  it('through the CLI: one line on stderr, exit 1, nothing written', () => {
    const d = tempDir('datagen-yaml-dataset-err-');
    const text = file(cases[4]![1]);
    const run = sh(`cat > bad.yml <<'EOF'\n${text}EOF\nnode ${BIN} generate ./bad.yml --out out/; echo "exit $?"; ls`, d);
    expect(run.stderr).toBe(`datagen: ./bad.yml:13:10: tables.2.per: reference cycle: a -> b -> a (a table cannot depend on itself through per:, ref: or after:) [E_SCENARIO_FILE]\n`);
    expect(run.stdout).toBe('exit 1\nbad.yml\n');
  });
});

describe('partition_by: a folder of key=value/ partitions per table', () => {
  it('rows in any order land in their partition; the same files with --workers 2; shards plus finish equal --shards 2; DuckDB reads them', async () => {
    const root = tempDir('datagen-yaml-parts-');
    const yml = `name: parts
tables:
  - name: customers
    rows: 200
    fields:
      customer_id: { type: int64, key: true, generator: { sequence: { start: 1 } } }
  - name: orders
    per: customers
    count: 1..4
    format: parquet
    partition_by: order_ts:month
    fields:
      customer_id: { type: int64, ref: customers.customer_id }
      order_ts: { type: timestamp, generator: { timestamp: { start: 2024-01-01, end: 2024-06-30 } } }
`;
    writeFileSync(join(root, 'parts.yml'), yml);
    const run = (args: string) => `node ${BIN} ${args} --quiet`;
    const r = sh(
      [
        run('generate ./parts.yml --scale 1 --out one/'),
        run('generate ./parts.yml --scale 1 --workers 2 --out two/'),
        run('generate ./parts.yml --scale 1 --shards 2 --out s/'),
        run('generate ./parts.yml --scale 1 --shard 0/2 --out m/'),
        run('generate ./parts.yml --scale 1 --shard 1/2 --out m/'),
        run('finish ./parts.yml --shards 2 --out m/'),
      ].join(' && '),
      root,
    );
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(root, 'one', '_manifest.json'), 'utf8')) as { tables: Record<string, { rows: number }>; files: Array<{ path: string; partition?: string; table: string }> };
    const parts = m.files.filter((f) => f.table === 'orders');
    expect(parts.length).toBeGreaterThanOrEqual(6);
    for (const f of parts) expect(f.path).toMatch(new RegExp(`^orders/${f.partition}/part-\\d{4}\\.parquet$`));
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    await db.run(`SET TimeZone='UTC'`);
    const rows = (await db.runAndReadAll(`SELECT count(*), count(*) FILTER (WHERE strftime(order_ts, '%Y-%m') <> month) FROM read_parquet('${root}/one/orders/*/*.parquet', hive_partitioning = true)`)).getRows()[0]!;
    expect(rows.map(Number)).toEqual([m.tables.orders!.rows, 0]);
    db.closeSync();
    const tree = (d: string) => (JSON.parse(readFileSync(join(root, d, '_manifest.json'), 'utf8')) as { files: Array<{ path: string; sha256: string }> }).files.map((f) => `${f.path} ${f.sha256}`).sort();
    expect(tree('two')).toEqual(tree('one'));
    expect(tree('m')).toEqual(tree('s'));
    expect(tree('s').some((l) => /^orders\/month=2024-0\d\/part-0000-00001-of-00002\.parquet /.test(l))).toBe(true);
  }, 120_000);
});
