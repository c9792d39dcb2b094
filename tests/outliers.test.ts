import type { Schema } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { toJsonValue } from '../src/codecs/codec.js';
import { memoryLedger, type LedgerEntry } from '../src/anomaly/ledger.js';
import { collect } from '../src/core/pipeline.js';
import { Rng } from '../src/random/rng.js';
import { defineTable, keyColumns, kindOf, types, type Row } from '../src/core/schema.js';
import type { Source } from '../src/core/stage.js';
import { scenario } from '../sources/scenario.js';
import { customer360 } from '../scenarios/customer_360.js';
import { outliers } from '../transforms/outliers.js';
import { asDiff, cellDiff, rowsSource, withinSamplingError } from './helpers.js';

const ROWS = 60_000;
const RATE = 0.04;
const GENERAL = ['beyond_bound', 'sign_flip', 'unit_x1000', 'extreme'];


/** What a column's type can hold, and its step. */
function typeOf(schema: Schema, column: string) {
  const f = schema.fields.find((x) => x.name === column)!;
  const kind = kindOf(f.type);
  const t = f.type as { scale?: number; precision?: number; bitWidth?: number };
  const scale = kind === 'int' ? 0 : kind === 'decimal' ? t.scale! : undefined;
  const limit = kind === 'int' ? 2 ** (t.bitWidth! - 1) - 1 : kind === 'decimal' ? (10 ** t.precision! - 1) / 10 ** t.scale! : Number.MAX_VALUE;
  return { kind, scale, limit, step: scale === undefined ? 1e-9 : 10 ** -scale };
}

/** Whether x1000 or /1000 of `v` is a non-zero value the column's type holds (else unit_x1000 leaves it). */
function x1000Fits(schema: Schema, column: string, v: Row[string]): boolean {
  const { limit, step } = typeOf(schema, column);
  if (typeof v !== 'number' || v === 0) return false;
  return Math.abs(v * 1000) <= limit || Math.round(v / 1000 / step) !== 0;
}

/** Numbers of the column's type: integers whole, decimals at their scale and within precision. */
function expectOfType(schema: Schema, e: LedgerEntry): void {
  const where = `${e.column} ${e.kind} ${e.before} -> ${e.after}`;
  const { scale, limit } = typeOf(schema, e.column);
  expect(typeof e.after, where).toBe('number');
  const v = e.after as number;
  expect(Number.isFinite(v), where).toBe(true);
  expect(Math.abs(v) <= limit, where).toBe(true);
  if (scale !== undefined) expect(Number(v.toFixed(scale)), where).toBe(v);
  expect(Object.is(v, -0), where).toBe(false);
}

/** Median of the non-zero |values| in the first 1,024 rows (the documented typical magnitude). */
const typicals = new WeakMap<Row[], Map<string, number>>();
function typical(rows: Row[], column: string): number {
  const cache = typicals.get(rows) ?? typicals.set(rows, new Map()).get(rows)!;
  const known = cache.get(column);
  if (known !== undefined) return known;
  const xs = rows
    .slice(0, 1024)
    .map((r) => r[column])
    .filter((v): v is number => typeof v === 'number' && v !== 0)
    .map(Math.abs)
    .sort((a, b) => a - b);
  const t = xs.length ? xs[xs.length >> 1]! : 1;
  cache.set(column, t);
  return t;
}

/** What each kind's value must be, relative to the value before. */
function expectKind(schema: Schema, rows: Row[], e: LedgerEntry): void {
  const b = e.before as number;
  const a = e.after as number;
  const { limit, step } = typeOf(schema, e.column);
  const capped = Math.abs(a) === limit;
  const near = (x: number, y: number) => Math.abs(x - y) <= step / 2 + 1e-9 * Math.abs(y);
  const where = `${e.column} ${e.kind} ${b} -> ${a}`;
  switch (e.kind) {
    case 'sign_flip':
      expect(a, where).toBe(-b);
      expect(b, where).not.toBe(0);
      break;
    case 'extreme':
      expect(b, where).not.toBe(0);
      expect(Math.sign(a), where).toBe(Math.sign(b));
      expect(capped || (Math.abs(a) >= 10 * Math.abs(b) - step && Math.abs(a) <= 100 * Math.abs(b) + step), where).toBe(true);
      break;
    case 'unit_x1000':
      expect(b, where).not.toBe(0);
      expect(near(a, b * 1000) || near(a, b / 1000), where).toBe(true); // never capped
      break;
    case 'beyond_bound': {
      const t = typical(rows, e.column);
      expect(Math.sign(a), where).toBe(b < 0 ? -1 : 1);
      expect(capped || (Math.abs(a) >= 10 * t - step && Math.abs(a) <= 100 * t + step), where).toBe(true);
      break;
    }
    default:
      throw new Error(`unexpected kind ${e.kind}`);
  }
}

describe('outliers on customer_360 (default kinds)', () => {
  const schema = customer360.schema;
  const source = (batchSize?: number) => scenario('customer_360', { rows: ROWS, seed: 2, batchSize });
  // every non-key int, float and decimal column not named like a coordinate
  // (age, income_annual, num_products, total_balance, churn_score, engagement_score)
  const keys = new Set(keyColumns(schema));
  const COLUMNS = schema.fields
    .filter((f) => !keys.has(f.name) && ['int', 'float', 'decimal'].includes(kindOf(f.type)) && !/(^|_)(lat|latitude|lon|lng|longitude)($|_)/i.test(f.name))
    .map((f) => f.name);
  let clean: Row[];
  let out: Row[];
  let ledger: ReturnType<typeof memoryLedger>;
  beforeAll(async () => {
    clean = await collect(source());
    ledger = memoryLedger();
    out = await collect(source(), outliers({ rate: RATE, seed: 8 }), { ledger });
  });

  it('changes every non-key numeric column, each kind at its share of the rate', () => {
    expect(COLUMNS).toContain('churn_score');
    expect(new Set(ledger.entries.filter((e) => e.kind !== 'coordinates').map((e) => e.column))).toEqual(new Set(COLUMNS));
    for (const c of COLUMNS) {
      for (const k of GENERAL) {
        const n = ledger.entries.filter((e) => e.column === c && e.kind === k).length;
        // zero is eligible only beyond a bound: the other kinds multiply or negate it; x1000 only
        // where x1000 or /1000 is a value the type holds
        const eligible = clean.filter((r) => typeof r[c] === 'number' && (k === 'beyond_bound' || r[c] !== 0) && (k !== 'unit_x1000' || x1000Fits(schema, c, r[c]))).length;
        expect(withinSamplingError(n, eligible, RATE / 4), `${c} ${k}: ${n} of ${eligible}`).toBe(true);
      }
    }
  });

  it('keeps outliers numbers of the column type: integers whole, decimals at scale, within precision', () => {
    for (const e of ledger.entries) expectOfType(schema, e);
    // decimal(4,3) holds neither x1000 nor /1000 of 0.3: such cells are left unchanged, never capped at 9.999
    const x1000 = ledger.entries.filter((e) => e.column === 'churn_score' && e.kind === 'unit_x1000');
    expect(x1000.length).toBeGreaterThan(0);
    expect(x1000.every((e) => e.after !== 9.999 && x1000Fits(schema, 'churn_score', e.before as number))).toBe(true);
    expect(clean.some((r) => typeof r.churn_score === 'number' && r.churn_score !== 0 && !x1000Fits(schema, 'churn_score', r.churn_score))).toBe(true);
    expect(ledger.entries.some((e) => typeof e.after === 'number' && e.after < 0)).toBe(true); // negatives stay numbers
  });

  it('makes each kind as documented', () => {
    for (const e of ledger.entries) expectKind(schema, clean, e);
  });

  it('records every change in the ledger, and nothing else', () => {
    expect(ledger.entries.map(asDiff)).toEqual(cellDiff(schema, clean, out));
    expect(ledger.entries.every((e) => e.stage === 'outliers' && e.table === 'customer_360' && typeof e.key?.customer_id === 'string')).toBe(true);
    const touched = new Set(ledger.entries.map((e) => e.row));
    clean.forEach((r, i) => {
      if (!touched.has(i)) expect(out[i]).toEqual(r);
    });
  });

  it('same seed, same changes; another seed, other changes; batch size changes nothing', async () => {
    const again = memoryLedger();
    await collect(source(), outliers({ rate: RATE, seed: 8 }), { ledger: again });
    expect(again.entries).toEqual(ledger.entries);
    const other = memoryLedger();
    await collect(source(), outliers({ rate: RATE, seed: 9 }), { ledger: other });
    expect(other.entries.map(asDiff)).not.toEqual(ledger.entries.map(asDiff));
    const small = memoryLedger();
    expect(await collect(source(1000), outliers({ rate: RATE, seed: 8 }), { ledger: small })).toEqual(out);
    expect(small.entries).toEqual(ledger.entries);
  });
});

describe('outliers: holding the first rows back', () => {
  it('batches of 1, of 100 and the default give the same rows and ledger', async () => {
    const source = (batchSize?: number) => scenario('loans', { rows: 3000, seed: 4, batchSize });
    const base = memoryLedger();
    const rows = await collect(source(), outliers({ rate: 0.1 }), { ledger: base });
    expect(rows.length).toBe(3000);
    for (const size of [1, 100]) {
      const l = memoryLedger();
      expect(await collect(source(size), outliers({ rate: 0.1 }), { ledger: l })).toEqual(rows);
      expect(l.entries).toEqual(base.entries);
    }
    const close = base.events.find((e) => e.event === 'close')!;
    expect([close.rowsIn, close.rowsOut]).toEqual([3000, 3000]);
  });

  it('a table shorter than the sample is handed over at the end, changed', async () => {
    const before = await collect(scenario('customer_360', { rows: 300, seed: 1, batchSize: 7 }));
    const ledger = memoryLedger();
    const after = await collect(scenario('customer_360', { rows: 300, seed: 1, batchSize: 7 }), outliers({ rate: 0.2, kinds: ['beyond_bound'] }), { ledger });
    expect(after.length).toBe(300);
    expect(ledger.entries.length).toBeGreaterThan(100);
    expect(ledger.entries.map(asDiff)).toEqual(cellDiff(customer360.schema, before, after));
    for (const e of ledger.entries) expectKind(customer360.schema, before, e);
  });
});

describe('outliers: unit_x1000 where the type cannot hold one', () => {
  it('loans.interest_rate, decimal(4,1) of 11.0-14.0: no cell changes, nothing is recorded (no capped 999.9)', async () => {
    const source = () => scenario('loans', { rows: 5000, seed: 4 });
    const ledger = memoryLedger();
    const out = await collect(source(), outliers({ rate: 0.5, columns: ['interest_rate'], kinds: ['unit_x1000'] }), { ledger });
    expect(ledger.entries).toEqual([]);
    expect(out).toEqual(await collect(source()));
    // a column that can hold x1000 of its values still gets exactly x1000 or /1000 (amount is int32)
    const amounts = memoryLedger();
    await collect(source(), outliers({ rate: 0.05, columns: ['amount'], kinds: ['unit_x1000'] }), { ledger: amounts });
    expect(amounts.entries.length).toBeGreaterThan(100);
    for (const e of amounts.entries) expect([(e.before as number) * 1000, (e.before as number) / 1000]).toContain(e.after);
  });
});

describe('outliers beyond given bounds', () => {
  it('float column: just above max or below min, about half each side', async () => {
    const source = () => scenario('iot_sensors', { rows: ROWS, seed: 3 });
    const before = await collect(source());
    const ledger = memoryLedger();
    await collect(source(), outliers({ rate: RATE, columns: ['value'], min: -40, max: 85 }), { ledger });
    expect(withinSamplingError(ledger.entries.length, before.length, RATE)).toBe(true);
    const above = ledger.entries.filter((e) => (e.after as number) > 85);
    const below = ledger.entries.filter((e) => (e.after as number) < -40);
    expect(above.length + below.length).toBe(ledger.entries.length);
    expect(withinSamplingError(above.length, ledger.entries.length, 0.5)).toBe(true);
    // up to half the range (125) past the bound
    for (const e of above) expect(e.after as number).toBeLessThanOrEqual(85 + 62.5);
    for (const e of below) expect(e.after as number).toBeGreaterThanOrEqual(-40 - 62.5);
    expect(new Set(ledger.entries.map((e) => e.kind))).toEqual(new Set(['beyond_bound']));
  });

  it('one bound: every outlier on that side, integers stay whole, strictly beyond', async () => {
    const ledger = memoryLedger();
    await collect(scenario('loans', { rows: ROWS, seed: 3 }), outliers({ rate: RATE, columns: ['amount', 'interest_rate'], min: 5000 }), { ledger });
    for (const e of ledger.entries) {
      expect(e.after as number).toBeLessThan(5000);
      expectOfType(scenario('loans').schema!, e);
    }
    const max = memoryLedger();
    await collect(scenario('loans', { rows: 20_000, seed: 3 }), outliers({ rate: 0.2, columns: ['tenure_months'], max: 60 }), { ledger: max });
    for (const e of max.entries) expect(Number.isInteger(e.after) && (e.after as number) > 60).toBe(true);
    expect(max.entries.some((e) => e.after === 61)).toBe(true); // just beyond
  });
});

// ---------------------------------------------------------------- coordinates

const places = defineTable('places', 'outliers fixture: coordinates by name', {
  place_id: { type: types.int64(), description: 'id', key: true },
  latitude: { type: types.decimal(9, 6), description: 'latitude' },
  longitude: { type: types.decimal(9, 6), description: 'longitude' },
  pickupLat: { type: types.float64(), description: 'latitude, camelCase' },
  pickup_lng: { type: types.float64(), description: 'longitude, snake_case' },
  elevation: { type: types.int32(), description: 'metres, not a coordinate' },
  latency_ms: { type: types.float64(), description: 'not a coordinate despite the prefix' },
});

function placeRows(n: number): Row[] {
  const root = Rng.seeded(11);
  return Array.from({ length: n }, (_, i) => {
    const r = root.fork(i);
    const lat = Math.round(r.between(-89.9, 89.9) * 1e6) / 1e6;
    const lon = Math.round(r.between(-179.9, 179.9) * 1e6) / 1e6;
    return {
      place_id: i + 1,
      latitude: lat,
      longitude: lon,
      pickupLat: Math.round(r.between(-60, 60) * 1e4) / 1e4,
      pickup_lng: Math.round(r.between(-170, 170) * 1e4) / 1e4,
      elevation: r.int(-400, 8000),
      latency_ms: Math.round(r.between(1, 500) * 10) / 10,
    };
  });
}

describe('outliers: impossible coordinates', () => {
  const clean = placeRows(ROWS);
  const source = (batchSize = 8192): Source => rowsSource(places, clean.map((r) => ({ ...r })), batchSize);

  it('lat/lon columns get coordinates by default: |lat| > 90, |lon| > 180, same type', async () => {
    const ledger = memoryLedger();
    const out = await collect(source(), outliers({ rate: RATE }), { ledger });
    const kinds = (c: string) => new Set(ledger.entries.filter((e) => e.column === c).map((e) => e.kind));
    for (const c of ['latitude', 'longitude', 'pickupLat', 'pickup_lng']) {
      expect(kinds(c)).toEqual(new Set(['coordinates']));
      expect(withinSamplingError(ledger.entries.filter((e) => e.column === c).length, ROWS, RATE), c).toBe(true);
    }
    for (const c of ['elevation', 'latency_ms']) expect(kinds(c)).toEqual(new Set(GENERAL));
    for (const e of ledger.entries) {
      expectOfType(places, e);
      const a = Math.abs(e.after as number);
      if (e.column === 'latitude' || e.column === 'pickupLat') expect(a, `${e.column} ${e.before} -> ${e.after}`).toBeGreaterThan(90);
      if (e.column === 'longitude' || e.column === 'pickup_lng') expect(a, `${e.column} ${e.before} -> ${e.after}`).toBeGreaterThan(180);
    }
    // a negative longitude written 0..360, and a lost decimal point, both occur
    expect(ledger.entries.some((e) => e.column === 'longitude' && Math.abs((e.after as number) - (e.before as number) - 360) < 1e-6)).toBe(true);
    expect(ledger.entries.some((e) => e.column === 'latitude' && Math.abs((e.after as number) - (e.before as number) * 100) < 1e-4)).toBe(true);
    expect(ledger.entries.map(asDiff)).toEqual(cellDiff(places, clean, out));
    expect(await collect(source(1000), outliers({ rate: RATE }))).toEqual(out);
  });

  it('named kinds go where they fit: coordinates to lat/lon only, the rest to every numeric column', async () => {
    const ledger = memoryLedger();
    await collect(source(), outliers({ rate: 0.02, kinds: ['coordinates', 'sign_flip=3'] }), { ledger });
    const columns = (k: string) => new Set(ledger.entries.filter((e) => e.kind === k).map((e) => e.column));
    expect(columns('coordinates')).toEqual(new Set(['latitude', 'longitude', 'pickupLat', 'pickup_lng']));
    expect(columns('sign_flip')).toEqual(new Set(['latitude', 'longitude', 'pickupLat', 'pickup_lng', 'elevation', 'latency_ms']));
    const latFlips = ledger.entries.filter((e) => e.column === 'latitude' && e.kind === 'sign_flip').length;
    expect(withinSamplingError(latFlips, clean.filter((r) => r.latitude !== 0).length, 0.015)).toBe(true);
  });
});

describe('outliers: bad options', () => {
  const tiny = () => scenario('customer_360', { rows: 10 });
  it('rejects rates, kinds, weights and bounds that make no sense', () => {
    expect(() => outliers({ rate: 1.5 })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: 'outliers: rate must be between 0 and 1, got 1.5' }));
    expect(() => outliers({ kinds: ['huge'] })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: expect.stringContaining('"huge"') }));
    expect(() => outliers({ kinds: ['extreme=-1'] })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: expect.stringContaining('extreme=-1') }));
    expect(() => outliers({ min: 10, max: 5 })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: 'outliers: min must be below max, got min 10 and max 5' }));
    expect(() => outliers({ max: 'high' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => outliers({ max: 5, kinds: ['sign_flip'] })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: expect.stringContaining('beyond_bound') }));
  });

  it('rejects columns it cannot change', async () => {
    await expect(collect(tiny(), outliers({ columns: ['city'] }))).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringContaining("column 'city' is string") });
    await expect(collect(tiny(), outliers({ columns: ['nope'] }))).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
    await expect(collect(tiny(), outliers({ columns: ['age'], kinds: ['coordinates'] }))).rejects.toMatchObject({
      code: 'E_OPTION',
      message: expect.stringMatching(/coordinates.*'age' \(int32\)/),
    });
    await expect(collect(tiny(), outliers({ kinds: ['coordinates'] }))).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringContaining('customer_360') });
    await expect(collect(scenario('attendance', { rows: 10 }), outliers())).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringContaining('attendance') });
  });
});

describe('outliers zero', () => {
  it('writes 0 in place of non-zero values, only when asked for, and records each', async () => {
    const ledger = memoryLedger();
    const rows = await collect(scenario('loans', { rows: 5000, seed: 2 }), outliers({ columns: 'amount', rate: 0.02, kinds: 'zero' }), { ledger });
    const zeros = rows.filter((r) => r.amount === 0).length;
    expect(ledger.entries.length).toBeGreaterThan(50);
    expect(ledger.entries.every((e) => e.kind === 'zero' && e.after === 0 && e.before !== 0)).toBe(true);
    expect(zeros).toBe(ledger.entries.length);
    // not among the defaults
    const plain = memoryLedger();
    await collect(scenario('loans', { rows: 5000, seed: 2 }), outliers({ columns: 'amount', rate: 0.05 }), { ledger: plain });
    expect(plain.entries.some((e) => e.kind === 'zero')).toBe(false);
  });
});
