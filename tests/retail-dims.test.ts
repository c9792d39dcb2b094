import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetContext } from '../src/core/dataset.js';
import { runDataset, type DatasetResult } from '../src/datasets/run.js';
import { typeLabel } from '../src/core/schema.js';
import { daysFromCivil, formatDate, parseDate } from '../src/core/temporal.js';
import { deletedParentKeys } from '../transforms/corrupt-fk.js';
import { AU_PHONE, auNames, postcodeInState, TOWNS } from '../pipelines/retail/au.js';
import { retail } from '../pipelines/retail/index.js';
import { CATEGORIES, FK, productAt, STATES, storeAt, type Ctx } from '../pipelines/retail/shared.js';
import { tempDir, withinSamplingError } from './helpers.js';

/**
 * The four retail dimension tables against shared/specs/retail.md: every rule on every row of
 * a clean run; the default run's anomalies equal the ledger cell for cell (a diff against the
 * clean run) at the configured rates; DuckDB reads every file with the spec's types.
 */
const TABLES = ['customers', 'products', 'stores', 'suppliers'];
const SEED = 7;
const SCALE = 0.1; // 8,000 customers: enough rows for rate checks, under a second to make

/** The spec's columns and types, as DuckDB names them (written here, not read from the schemas). */
const SPEC: Record<string, Record<string, string>> = {
  customers: {
    customer_id: 'BIGINT', natural_key: 'VARCHAR', first_name: 'VARCHAR', last_name: 'VARCHAR', email: 'VARCHAR', phone: 'VARCHAR',
    address_line1: 'VARCHAR', address_line2: 'VARCHAR', city: 'VARCHAR', state_region: 'VARCHAR', postcode: 'VARCHAR', country_code: 'VARCHAR',
    latitude: 'DOUBLE', longitude: 'DOUBLE', birth_date: 'DATE', join_ts: 'TIMESTAMPTZ', is_vip: 'BOOLEAN', gdpr_consent: 'BOOLEAN',
  },
  products: {
    product_id: 'BIGINT', sku: 'VARCHAR', name: 'VARCHAR', category: 'VARCHAR', subcategory: 'VARCHAR', current_price: 'DECIMAL(12,4)',
    currency: 'VARCHAR', is_discontinued: 'BOOLEAN', introduced_dt: 'DATE', discontinued_dt: 'DATE',
  },
  stores: {
    store_id: 'BIGINT', store_code: 'VARCHAR', name: 'VARCHAR', channel: 'VARCHAR', region: 'VARCHAR', state: 'VARCHAR',
    latitude: 'DOUBLE', longitude: 'DOUBLE', open_dt: 'DATE', close_dt: 'DATE',
  },
  suppliers: { supplier_id: 'BIGINT', supplier_code: 'VARCHAR', name: 'VARCHAR', country_code: 'VARCHAR', lead_time_days: 'INTEGER', preferred: 'BOOLEAN' },
};
const ARROW: Record<string, string> = { BIGINT: 'int64', VARCHAR: 'string', DOUBLE: 'float64', DATE: 'date', TIMESTAMPTZ: 'timestamp[us, UTC]', BOOLEAN: 'bool', INTEGER: 'int32', 'DECIMAL(12,4)': 'decimal(12,4)' };

type Rec = Record<string, string | number | boolean | null>;
interface LedgerLine {
  stage?: string;
  table?: string;
  row?: number;
  key?: Record<string, number>;
  column?: string;
  kind?: string;
  before?: unknown;
  after?: unknown;
}

let con: DuckDBConnection;
const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson() as Rec[];
/** A table's CSV read with the spec's types (a cast failure fails the read), rows in file order. */
const read = (dir: string, table: string, extra = '') =>
  query(
    `select *${extra} from read_csv('${join(dir, `${table}.csv`)}', header=true, auto_detect=false, columns={${Object.entries(SPEC[table]!)
      .map(([c, t]) => `'${c}': '${t}'`)
      .join(', ')}})`,
  );
const ledgerOf = (dir: string) =>
  readFileSync(join(dir, '_ledger.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LedgerLine)
    .filter((e) => e.kind !== undefined);

const dir = tempDir('retail-dims-');
const cleanDir = join(dir, 'clean');
const dirtyDir = join(dir, 'dirty');
const ctx = datasetContext(retail, SEED, SCALE) as unknown as Ctx;
const N = (t: string) => ctx.rows(t);
const { start, end } = ctx.options;
const EMAIL = /^[a-z]+([._]?[a-z]+)?[0-9]{0,2}@[a-z]+(\.[a-z]+)+$/;
const inBox = (s: (typeof STATES)[number], lat: number, lon: number) => lat >= s.lat[0] && lat <= s.lat[1] && lon >= s.lon[0] && lon <= s.lon[1];
const stateOf = Object.fromEntries(STATES.map((s) => [s.code, s])) as Record<string, (typeof STATES)[number]>;

let clean: Record<string, Rec[]>;
let dirty: Record<string, Rec[]>;
let ledger: LedgerLine[];

beforeAll(async () => {
  con = await (await DuckDBInstance.create(':memory:')).connect();
  await con.run("SET TimeZone = 'UTC'");
  await runDataset(retail, { out: cleanDir, seed: SEED, scale: SCALE, tables: TABLES, clean: true });
  await runDataset(retail, { out: dirtyDir, seed: SEED, scale: SCALE, tables: TABLES });
  clean = {};
  dirty = {};
  for (const t of TABLES) {
    clean[t] = await read(cleanDir, t, t === 'customers' ? ', epoch_us(join_ts) as join_us' : '');
    dirty[t] = await read(dirtyDir, t);
  }
  ledger = ledgerOf(dirtyDir);
}, 60_000);
afterAll(() => con?.closeSync());

describe('retail dimensions: schemas are the spec', () => {
  it('declares exactly the spec columns and types, and the CSV headers follow', () => {
    for (const t of TABLES) {
      const def = retail.tables.find((x) => x.name === t)!;
      expect(def.schema.fields.map((f) => [f.name, typeLabel(f.type)])).toEqual(Object.entries(SPEC[t]!).map(([c, d]) => [c, ARROW[d]]));
      expect(readFileSync(join(dirtyDir, `${t}.csv`), 'utf8').split('\n', 1)[0]).toBe(Object.keys(SPEC[t]!).join(','));
    }
    expect(retail.tables.slice(0, 4).map((t) => t.name)).toEqual(TABLES);
  });

  it('floors keep scale 0.001 usable', () => {
    const tiny = datasetContext(retail, SEED, 0.001);
    expect(TABLES.map((t) => tiny.rows(t))).toEqual([100, 50, 10, 10]);
    expect(TABLES.map((t) => ctx.rows(t))).toEqual([8000, 2500, 500, 800]);
  });
});

describe('retail dimensions: every rule on every row of a clean run', () => {
  it('customers', () => {
    const rows = clean.customers!;
    const names = auNames();
    const first = new Set([...names.female, ...names.male]);
    const last = new Set(names.last);
    expect(rows.map((r) => Number(r.customer_id))).toEqual(Array.from({ length: N('customers') }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.natural_key)).size).toBe(rows.length);
    const horizon = BigInt(start) * 86_400_000_000n;
    for (const r of rows) {
      const where = `customer ${r.customer_id}`;
      expect(r.natural_key, where).toMatch(/^CUST-[A-Z0-9]{8}$/);
      expect(first.has(r.first_name as string) && last.has(r.last_name as string), where).toBe(true);
      expect(r.email, where).toMatch(EMAIL);
      expect((r.email as string).split('@')[0], where).toContain((r.last_name as string).toLowerCase().replace(/[^a-z]/g, ''));
      expect(r.phone, where).toMatch(AU_PHONE);
      expect(r.address_line1, where).toMatch(/^\d{1,3} [A-Z][A-Za-z']+ (Street|Road|Avenue|Drive|Parade|Crescent|Place|Court|Lane|Way|Close|Terrace|Circuit|Grove|Highway|Esplanade)$/);
      if (r.address_line2 !== null) expect(r.address_line2, where).toMatch(/^(Unit|Apt|Level|Suite|Flat) \d{1,2}$/);
      const state = stateOf[r.state_region as string]!;
      expect(state, where).toBeDefined();
      expect(postcodeInState(r.postcode as string, state.code), `${where}: ${r.postcode} in ${state.code}`).toBe(true);
      expect(TOWNS[state.code].some((t) => t.name === r.city && t.postcode === r.postcode), where).toBe(true);
      expect(r.country_code).toBe('AU');
      expect(inBox(state, r.latitude as number, r.longitude as number), `${where}: ${r.latitude},${r.longitude} in ${state.code}`).toBe(true);
      // 18 or older on joining (the UTC day of join_ts may be the local day before: still later than birth + 18 years).
      const birth = parseDate(r.birth_date as string)!;
      const join = Number(BigInt(r.join_us as string) / 86_400_000_000n);
      const b = formatDate(birth).split('-').map(Number) as [number, number, number];
      expect(daysFromCivil(b[0] + 18, b[1], b[2]) <= join, where).toBe(true);
      expect(BigInt(r.join_us as string) < horizon, where).toBe(true);
      expect(typeof r.is_vip === 'boolean' && typeof r.gdpr_consent === 'boolean').toBe(true);
    }
    // Plausible shares: a capital-heavy spread, a few VIPs, most with consent, a fifth in units.
    const share = (f: (r: Rec) => boolean) => rows.filter(f).length / rows.length;
    expect(share((r) => r.state_region === 'NSW')).toBeGreaterThan(0.25);
    expect(share((r) => r.is_vip === true)).toBeGreaterThan(0.02);
    expect(share((r) => r.is_vip === true)).toBeLessThan(0.07);
    expect(share((r) => r.address_line2 !== null)).toBeGreaterThan(0.15);
  });

  it('towns of the reference table lie in their state box and postcode ranges', () => {
    for (const s of STATES) {
      for (const t of TOWNS[s.code]) {
        expect(inBox(s, t.lat, t.lon), `${t.name} ${s.code}`).toBe(true);
        expect(postcodeInState(t.postcode, s.code), `${t.name} ${t.postcode}`).toBe(true);
      }
    }
  });

  it('products', () => {
    const rows = clean.products!;
    expect(rows.map((r) => Number(r.product_id))).toEqual(Array.from({ length: N('products') }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.sku)).size).toBe(rows.length);
    const text = readFileSync(join(cleanDir, 'products.csv'), 'utf8').trim().split('\n').slice(1);
    for (const [i, r] of rows.entries()) {
      const where = `product ${r.product_id}`;
      const facts = productAt(ctx, Number(r.product_id));
      expect(r.sku, where).toMatch(/^SKU-[A-Z0-9]{6}$/);
      expect([r.category, r.subcategory, Number(r.current_price)], where).toEqual([facts.category, facts.subcategory, facts.price]);
      expect((CATEGORIES[facts.category] as readonly string[]).includes(r.subcategory as string)).toBe(true);
      expect(Number(r.current_price), where).toBeGreaterThan(0);
      expect(text[i]!.split(',')[5], where).toMatch(/^\d+\.\d{4}$/);
      expect(r.name, where).toMatch(/^[A-Z][\w&' -]+$/);
      expect(r.currency).toBe('AUD');
      const introduced = parseDate(r.introduced_dt as string)!;
      expect(introduced < start, where).toBe(true);
      expect(r.discontinued_dt !== null, where).toBe(r.is_discontinued);
      if (r.discontinued_dt !== null) {
        const d = parseDate(r.discontinued_dt as string)!;
        expect(d > introduced && d >= start && d <= end, where).toBe(true);
      }
    }
  });

  it('stores: the facts orders use, codes unique, coordinates in the state', () => {
    const rows = clean.stores!;
    expect(rows.map((r) => Number(r.store_id))).toEqual(Array.from({ length: N('stores') }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.store_code)).size).toBe(rows.length);
    for (const r of rows) {
      const id = Number(r.store_id);
      const s = storeAt(ctx, id);
      const where = `store ${id}`;
      expect([r.state, r.channel, r.open_dt, r.close_dt], where).toEqual([s.state.code, s.channel, formatDate(s.openDay), s.closeDay === undefined ? null : formatDate(s.closeDay)]);
      expect(r.store_code, where).toBe(`${s.channel === 'web' ? 'WEB' : s.state.code}-${String(id).padStart(4, '0')}`);
      expect(inBox(s.state, r.latitude as number, r.longitude as number), where).toBe(true);
      expect(r.region, where).toMatch(s.channel === 'web' ? /^Online$/ : /^([A-Z][a-z]+ Metro|Regional [A-Z]{2,3})$/);
      if (r.close_dt !== null) expect((r.close_dt as string) > (r.open_dt as string), where).toBe(true);
    }
    expect(rows.some((r) => r.channel === 'web') && rows.some((r) => r.channel === 'pos')).toBe(true);
  });

  it('suppliers', () => {
    const rows = clean.suppliers!;
    const lead: Record<string, [number, number]> = { AU: [2, 10], NZ: [5, 15] };
    expect(rows.map((r) => Number(r.supplier_id))).toEqual(Array.from({ length: N('suppliers') }, (_, i) => i + 1));
    for (const r of rows) {
      expect(r.supplier_code).toBe(`SUP-${String(r.supplier_id).padStart(5, '0')}`);
      const [lo, hi] = lead[r.country_code as string] ?? [14, 60];
      expect(r.lead_time_days as number, `supplier ${r.supplier_id}`).toBeGreaterThanOrEqual(lo);
      expect(r.lead_time_days as number, `supplier ${r.supplier_id}`).toBeLessThanOrEqual(hi);
      expect(r.name).toMatch(/^\S.* \S+/);
    }
    // No anomalies in the spec: the default run is the clean run.
    expect(readFileSync(join(dirtyDir, 'suppliers.csv'), 'utf8')).toBe(readFileSync(join(cleanDir, 'suppliers.csv'), 'utf8'));
  });
});

/**
 * Default run against the clean run of the same seed: every cell that differs is a ledger
 * entry of its key and column, every ledger cell entry differs, and each entry's row is the
 * line of its key in the file (deleted parents are dropped before any stage records).
 */
function expectLedgerIsDiff(table: string, key: string, dupColumns: string[]) {
  const entries = ledger.filter((e) => e.table === table);
  const rows = dirty[table]!;
  const base = new Map(clean[table]!.map((r) => [Number(r[key]), r]));
  const n = N(table);
  for (const e of entries) expect(Number(rows[e.row!]![key]), JSON.stringify(e)).toBe(e.key![key]);
  const cells = new Map(entries.filter((e) => e.column !== '*').map((e) => [`${e.key![key]}|${e.column}`, e]));
  const dups = entries.filter((e) => e.kind === 'near_duplicate');
  const diff = new Set<string>();
  for (const r of rows) {
    const id = Number(r[key]);
    let ref = base.get(id);
    if (id > n) {
      // A near duplicate: compared with its original, beside the columns its note names.
      const d = dups.find((x) => x.key![key] === id)!;
      expect(d, `${table} ${id} is a recorded duplicate`).toBeDefined();
      ref = rows[d.before as number]!;
      // Its note: "customer_id: new key; first_name: typo" or "first_name, last_name: swapped".
      const changed = String(d.after).split('; ').flatMap((part) => part.split(':')[0]!.split(', '));
      expect(changed.every((c) => c === key || dupColumns.includes(c)), String(d.after)).toBe(true);
      for (const c of changed) ref = { ...ref, [c]: r[c]! };
      ref = { ...ref, [key]: r[key]! };
    }
    for (const c of Object.keys(SPEC[table]!)) if (r[c] !== ref![c]) diff.add(`${id}|${c}`);
  }
  expect([...diff].sort()).toEqual([...cells.keys()].sort());
  for (const [cell, e] of cells) {
    const [id, column] = cell.split('|');
    const r = rows.find((x) => String(x[key]) === id)!;
    if (e.after === null) expect(r[column!]).toBeNull();
  }
  return entries;
}

describe('retail dimensions: the default run, its anomalies and the ledger', () => {
  it('customers: deleted parents absent, duplicates, nulls and malformed emails as recorded', () => {
    const rows = dirty.customers!;
    const entries = expectLedgerIsDiff('customers', 'customer_id', ['first_name', 'last_name', 'address_line1']);
    const deleted = deletedParentKeys(FK.ordersCustomer(ctx)) as number[];
    expect(deleted.length).toBeGreaterThan(0);
    const ids = new Set(rows.map((r) => Number(r.customer_id)));
    for (const k of deleted) expect(ids.has(k), `deleted customer ${k}`).toBe(false);
    const kept = N('customers') - deleted.length;
    const dups = entries.filter((e) => e.kind === 'near_duplicate');
    expect(rows.length).toBe(kept + dups.length);
    expect(ids.size).toBe(rows.length); // customer_id stays unique: duplicates get new ids
    // Duplicate natural keys: exactly the recorded ones, each a customer entered twice.
    const seen = new Map<unknown, number>();
    for (const r of rows) seen.set(r.natural_key, (seen.get(r.natural_key) ?? 0) + 1);
    expect([...seen.values()].filter((c) => c === 2).length).toBe(dups.length);
    expect([...seen.values()].every((c) => c <= 2)).toBe(true);
    expect(withinSamplingError(dups.length, kept, 0.002)).toBe(true);
    // Malformed emails: the rows failing the email rule are the ledger's.
    const bad = rows.filter((r) => !EMAIL.test(r.email as string)).map((r) => Number(r.customer_id));
    const malformed = entries.filter((e) => e.kind === 'malformed_email').map((e) => e.key!.customer_id);
    expect(bad.sort()).toEqual(malformed.sort());
    expect(withinSamplingError(malformed.length, rows.length, 0.0075)).toBe(true);
    expect(malformed.length / rows.length).toBeGreaterThan(0.004);
    for (const [column, rate] of [['phone', 0.01], ['address_line1', 0.003]] as const) {
      const nulls = rows.filter((r) => r[column] === null).length;
      expect(nulls).toBe(entries.filter((e) => e.column === column && e.kind === 'null').length);
      expect(withinSamplingError(nulls, rows.length, rate), column).toBe(true);
    }
  });

  it('products: deleted parents absent, missing and invalid prices and missing discontinued days as recorded', () => {
    const rows = dirty.products!;
    const entries = expectLedgerIsDiff('products', 'product_id', []);
    const deleted = deletedParentKeys(FK.linesProduct(ctx)) as number[];
    const ids = new Set(rows.map((r) => Number(r.product_id)));
    for (const k of deleted) expect(ids.has(k), `deleted product ${k}`).toBe(false);
    expect(rows.length).toBe(N('products') - deleted.length);
    const invalid = rows.filter((r) => r.current_price === null || Number(r.current_price) !== productAt(ctx, Number(r.product_id)).price);
    const recorded = entries.filter((e) => e.column === 'current_price');
    expect(invalid.length).toBe(recorded.length);
    expect(rows.filter((r) => r.current_price !== null && Number(r.current_price) <= 0).length).toBe(recorded.filter((e) => e.kind === 'sign_flip').length);
    expect(withinSamplingError(invalid.length, rows.length, 0.003)).toBe(true);
    const noDay = rows.filter((r) => r.is_discontinued === true && r.discontinued_dt === null).length;
    expect(noDay).toBe(entries.filter((e) => e.column === 'discontinued_dt').length);
    expect(noDay).toBeGreaterThan(0);
    expect(rows.filter((r) => r.is_discontinued === false && r.discontinued_dt !== null)).toEqual([]);
  });

  it('stores: impossible coordinates and duplicate store codes as recorded', () => {
    const rows = dirty.stores!;
    const entries = expectLedgerIsDiff('stores', 'store_id', ['name']);
    const impossible = rows.flatMap((r) => [Math.abs(r.latitude as number) > 90 ? 1 : 0, Math.abs(r.longitude as number) > 180 ? 1 : 0]).reduce((a: number, b) => a + b, 0);
    expect(impossible).toBe(entries.filter((e) => e.kind === 'coordinates').length);
    const codes = new Map<unknown, number>();
    for (const r of rows) codes.set(r.store_code, (codes.get(r.store_code) ?? 0) + 1);
    expect([...codes.values()].filter((c) => c === 2).length).toBe(entries.filter((e) => e.kind === 'near_duplicate').length);
    expect(rows.length).toBe(N('stores') + entries.filter((e) => e.kind === 'near_duplicate').length);
  });

  it('every CSV loads with the spec types in DuckDB (typed reads above); no cell fails a cast', async () => {
    for (const t of TABLES) {
      const [row] = await query(`select count(*) n from read_csv('${join(dirtyDir, `${t}.csv`)}', header=true, all_varchar=true)`);
      expect(Number(row!.n)).toBe(dirty[t]!.length);
    }
  });
});

describe('retail dimensions: determinism', () => {
  it('same seed and scale give the same bytes whatever the batch size; another seed differs', async () => {
    const runs: DatasetResult[] = [];
    for (const [name, batchSize, seed] of [['a', undefined, 3], ['b', 37, 3], ['c', undefined, 4]] as const) {
      runs.push(await runDataset(retail, { out: join(dir, name), seed, scale: 0.01, tables: TABLES, ...(batchSize ? { batchSize } : {}) }));
    }
    const hashes = runs.map((r) => r.files.map((f) => `${f.path} ${f.sha256}`));
    expect(hashes[0]).toEqual(hashes[1]);
    expect(hashes[0]!.filter((h) => hashes[2]!.includes(h))).toEqual([]);
  }, 60_000);
});
