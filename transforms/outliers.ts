import type { Field, Int, Schema } from 'apache-arrow';
import { cellStage, nonKeyColumns, rejectKind, stageOptions, type CellChange, type CellContext } from '../src/anomaly/cell-stage.js';
import { DatagenError } from '../src/core/errors.js';
import { rateOption, parseWeightedKinds } from '../src/core/options.js';
import type { Rng } from '../src/random/rng.js';
import { kindOf, resolveColumns, tableName, typeLabel, type Kind } from '../src/core/schema.js';
import type { Batch, StageFn } from '../src/core/stage.js';
import { defineTransform } from '../src/core/units.js';

/**
 * Outliers in numeric columns (int, float, decimal): values out of range or far off scale,
 * still numbers of the column's type — integers stay integers, decimals keep their scale and
 * fit their precision, and a negative outlier is a negative number, never text. Each non-null
 * numeric cell of the chosen columns is picked with probability `rate` (cellStage); a picked
 * cell draws one of its column's kinds (evenly, or by `kind=weight`). The ledger kind is the
 * stage kind:
 *
 *   beyond_bound  just beyond `min` / `max` (up to half the range past it); without bounds,
 *                 10-100x the column's typical magnitude (the median of the non-zero |values|
 *                 in the first 1,024 rows the stage receives, which it holds back until then)
 *   sign_flip     -value (zero cannot flip)
 *   unit_x1000    x1000 or /1000, either way at random; the other way when one does not fit
 *                 the type or rounds to zero or to the same value. A cell where neither fits
 *                 (12.5 in a decimal(4,1): 12500.0 is too wide, 0.0125 rounds to 0.0) is left
 *                 unchanged, as zero is: a capped 999.9 would be recorded as a x1000 error
 *                 that it is not. The ledger summary then shows fewer injected than asked.
 *   extreme       x10 .. x100 (zero is not eligible)
 *   zero          0 in place of the value (a price or amount lost to a default); only when
 *                 asked for by name
 *   coordinates   impossible latitude / longitude for columns named lat, latitude, lon, lng,
 *                 longitude: |lat| in (90, 180], |lon| in (180, 360], a lost decimal point
 *                 (x100), or a negative longitude written 0-360 (+360), among those the
 *                 column's type can hold
 *
 * A beyond_bound or extreme result beyond what the column's type can hold (int32,
 * decimal(p,s)) is capped at the largest value it can hold; the ledger records that value.
 */
export const outliers = defineTransform({
  name: 'outliers',
  summary: 'Out-of-range and extreme numbers: beyond a bound, sign flips, x1000 unit errors, x10-x100 extremes, impossible coordinates (every change recorded)',
  examples: [
    'datagen pipe customer_360 | datagen outliers --rate 0.005 --ledger anomalies.jsonl | datagen csv > customers.csv',
    'datagen pipe iot_sensors | datagen outliers --rate 0.002 --columns value --min -40 --max 85 | datagen csv > sensors.csv',
    'datagen pipe bank_transactions | datagen outliers --rate 0.001 --columns amount --kinds unit_x1000=2,extreme > tx.ndjson',
  ],
  options: {
    rate: rateOption('share of non-null numeric cells to change, 0..1', 0.01),
    columns: { type: 'list', description: 'numeric columns to change, comma separated (default: every non-key int, float and decimal column)' },
    kinds: {
      type: 'list',
      description:
        'kinds, optionally weighted as kind=weight: beyond_bound, sign_flip, unit_x1000, extreme, coordinates, zero ' +
        '(default: coordinates for lat/lon columns and the other four evenly elsewhere; beyond_bound alone when min or max is given)',
    },
    min: { type: 'number', description: 'beyond_bound: lowest valid value (outliers fall below it)' },
    max: { type: 'number', description: 'beyond_bound: highest valid value (outliers go above it)' },
    ...stageOptions,
  },
  create: (o) => {
    const requested = o.kinds && o.kinds.length > 0 ? parseWeightedKinds('outliers', o.kinds, KIND_NAMES) : undefined;
    const bounded = o.min !== undefined || o.max !== undefined;
    if (o.min !== undefined && o.max !== undefined && !(o.min < o.max)) {
      throw new DatagenError('E_OPTION', `outliers: min must be below max, got min ${o.min} and max ${o.max}`);
    }
    if (bounded && requested && !requested.has('beyond_bound')) {
      throw new DatagenError('E_OPTION', `outliers: min and max apply to kind beyond_bound only, got kinds ${[...requested.keys()].join(', ')}`);
    }
    const bounds: Bounds = { min: o.min, max: o.max };
    return (schema, ctx) => {
      const plans = planColumns(schema, o.columns, requested, bounded);
      const fn = cellStage('outliers', { ...o, columns: [...plans.keys()] }, {
        defaultColumns: () => [...plans.keys()],
        change: (cell) => outlier(cell, plans.get(cell.field.name)!, bounds),
      })(schema, ctx);
      const needMagnitude = [...plans.values()].filter((p) => p.kinds.includes('beyond_bound') && !bounded);
      return needMagnitude.length > 0 ? holdForMagnitude(fn, needMagnitude) : fn;
    };
  },
});

// ---------------------------------------------------------------- kinds and columns

type OutlierKind = 'beyond_bound' | 'sign_flip' | 'unit_x1000' | 'extreme' | 'coordinates' | 'zero';
const KIND_NAMES: readonly OutlierKind[] = ['beyond_bound', 'sign_flip', 'unit_x1000', 'extreme', 'coordinates', 'zero'];
const GENERAL: readonly OutlierKind[] = ['beyond_bound', 'sign_flip', 'unit_x1000', 'extreme'];
const NUMERIC: readonly Kind[] = ['int', 'float', 'decimal'];

interface Bounds {
  min: number | undefined;
  max: number | undefined;
}

interface ColumnPlan {
  name: string;
  kind: Kind;
  kinds: OutlierKind[];
  cumulative: number[];
  /** Decimal places the column keeps: 0 for integers, the scale for decimals; undefined for floats. */
  scale: number | undefined;
  /** What the type can hold. */
  low: number;
  high: number;
  coordinate: 'lat' | 'lon' | undefined;
  /** Typical magnitude for unbounded beyond_bound (set after the first rows). */
  typical: number;
}

/** lat / lon from the column's name: latitude, store_lat, pickupLng, ... */
function coordinateOf(name: string): 'lat' | 'lon' | undefined {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  if (words.some((w) => w === 'lat' || w === 'latitude')) return 'lat';
  if (words.some((w) => w === 'lon' || w === 'lng' || w === 'longitude')) return 'lon';
  return undefined;
}


/** The range a column's type can hold. */
function limits(field: Field): [number, number] {
  const kind = kindOf(field.type);
  if (kind === 'int') {
    const { bitWidth, isSigned } = field.type as Int;
    if (bitWidth >= 53) return [isSigned ? -Number.MAX_SAFE_INTEGER : 0, Number.MAX_SAFE_INTEGER];
    return isSigned ? [-(2 ** (bitWidth - 1)), 2 ** (bitWidth - 1) - 1] : [0, 2 ** bitWidth - 1];
  }
  if (kind === 'decimal') {
    const { precision, scale } = field.type as { precision: number; scale: number };
    const high = (10 ** precision - 1) / 10 ** scale;
    return [-high, high];
  }
  return [-Number.MAX_VALUE, Number.MAX_VALUE];
}

/** The kinds a column draws from: the requested ones that fit its name, or the defaults. */
function columnKinds(name: string, requested: Map<OutlierKind, number> | undefined, bounded: boolean): OutlierKind[] {
  const coordinate = coordinateOf(name);
  if (requested) return [...requested.keys()].filter((k) => k !== 'coordinates' || coordinate !== undefined);
  return bounded ? ['beyond_bound'] : coordinate ? ['coordinates'] : [...GENERAL];
}

/**
 * Each kind's share of a column's rate, from the options a ledger open event recorded (for
 * `ledger summary`); undefined when they do not parse (a ledger from another version).
 */
export function outlierKindShares(options: Readonly<Record<string, unknown>>, column: string): Map<string, number> | undefined {
  try {
    const list = Array.isArray(options.kinds) ? options.kinds.map(String) : typeof options.kinds === 'string' ? options.kinds.split(',') : [];
    const requested = list.length > 0 ? parseWeightedKinds('outliers', list, KIND_NAMES) : undefined;
    const kinds = columnKinds(column, requested, options.min !== undefined || options.max !== undefined);
    const total = kinds.reduce((sum, k) => sum + (requested?.get(k) ?? 1), 0);
    return new Map(kinds.map((k) => [k, (requested?.get(k) ?? 1) / total]));
  } catch {
    return undefined;
  }
}

function planColumns(schema: Schema, columns: string[] | undefined, requested: Map<OutlierKind, number> | undefined, bounded: boolean): Map<string, ColumnPlan> {
  const explicit = columns !== undefined && columns.length > 0;
  const names = resolveColumns(schema, columns, 'outliers', () => nonKeyColumns(schema).filter((c) => NUMERIC.includes(kindOf(schema.fields.find((f) => f.name === c)!.type))));
  const fields = names.map((n) => schema.fields.find((f) => f.name === n)!);
  const label = (f: Field) => `'${f.name}' (${typeLabel(f.type)})`;
  const plans = new Map<string, ColumnPlan>();
  const used = new Set<OutlierKind>();
  for (const field of fields) {
    rejectKind('outliers', field, NUMERIC);
    const coordinate = coordinateOf(field.name);
    const kinds = columnKinds(field.name, requested, bounded);
    if (kinds.length === 0 && requested && explicit) {
      throw new DatagenError('E_OPTION', `outliers: kind 'coordinates' cannot apply to column ${label(field)}; it applies to columns named lat, latitude, lon, lng or longitude`);
    }
    if (kinds.length === 0) continue;
    kinds.forEach((k) => used.add(k));
    const kind = kindOf(field.type);
    const [low, high] = limits(field);
    let sum = 0;
    plans.set(field.name, {
      name: field.name,
      kind,
      kinds,
      cumulative: kinds.map((k) => (sum += requested?.get(k) ?? 1)),
      scale: kind === 'int' ? 0 : kind === 'decimal' ? ((field.type as { scale?: number }).scale ?? 0) : undefined,
      low,
      high,
      coordinate,
      typical: 1,
    });
  }
  if (requested?.has('coordinates') && !used.has('coordinates')) {
    throw new DatagenError(
      'E_OPTION',
      `outliers: kind 'coordinates' cannot apply to ${explicit ? fields.map(label).join(', ') : `any column of ${tableName(schema)}`}; it applies to columns named lat, latitude, lon, lng or longitude`,
    );
  }
  if (plans.size === 0) throw new DatagenError('E_OPTION', `outliers: ${tableName(schema)} has no non-key int, float or decimal column; name the columns`);
  return plans;
}

// ---------------------------------------------------------------- typical magnitude

/** Rows the typical magnitude is taken from: the first rows the stage receives. */
const SAMPLE_ROWS = 1024;

/**
 * Hold rows back until SAMPLE_ROWS have arrived (or the input ends), set each column's typical
 * magnitude from them, then let the stage change them. The typical magnitude thus depends on
 * the rows alone, never on how they were cut into batches.
 */
function holdForMagnitude(inner: StageFn, plans: ColumnPlan[]): StageFn {
  let held: Batch[] = [];
  let seen = 0;
  let ready = false;
  const samples = plans.map(() => [] as number[]);
  const release = (): Batch => {
    plans.forEach((p, c) => {
      const xs = samples[c]!.sort((a, b) => a - b);
      p.typical = xs.length > 0 ? xs[xs.length >> 1]! : 1;
    });
    ready = true;
    const rows = held.flatMap((b) => b.rows);
    const batch: Batch = { schema: held[0]!.schema, rows, offset: held[0]!.offset };
    held = [];
    return inner(batch);
  };
  const fn: StageFn = (batch) => {
    if (ready) return inner(batch);
    const take = Math.min(batch.rows.length, SAMPLE_ROWS - seen);
    for (let i = 0; i < take; i++) {
      const row = batch.rows[i]!;
      plans.forEach((p, c) => {
        const v = row[p.name];
        if (typeof v === 'number' && v !== 0 && Number.isFinite(v)) samples[c]!.push(Math.abs(v));
      });
    }
    seen += batch.rows.length;
    held.push(batch);
    if (seen >= SAMPLE_ROWS) return release();
    return { schema: batch.schema, rows: [], offset: batch.offset + batch.rows.length };
  };
  fn.end = () => (ready || held.length === 0 ? undefined : release());
  return fn;
}

// ---------------------------------------------------------------- values

/** Decimal places of a float as JavaScript writes it (1e-7 -> 7). */
function places(v: number): number {
  const s = String(Math.abs(v));
  const e = s.indexOf('e');
  if (e >= 0) return Math.min(15, Math.max(0, -Number(s.slice(e + 1)) + (s.indexOf('.') >= 0 ? e - s.indexOf('.') - 1 : 0)));
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

const roundTo = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f + 0; // + 0 turns -0 into 0
};

function outlier(cell: CellContext, plan: ColumnPlan, bounds: Bounds): CellChange | undefined {
  const v = cell.value;
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined; // text from an earlier stage
  const { cumulative, kinds } = plan;
  const rng = cell.rng;
  let k = 0;
  if (kinds.length > 1) {
    const u = rng.float() * cumulative[cumulative.length - 1]!;
    while (u >= cumulative[k]!) k++;
  }
  const kind = kinds[k]!;
  const digits = plan.scale ?? places(v);
  const fits = (x: number) => x >= plan.low && x <= plan.high;
  const cap = (x: number) => Math.min(plan.high, Math.max(plan.low, x));
  let after: number | undefined;
  switch (kind) {
    case 'sign_flip':
      after = v === 0 || !fits(-v) ? undefined : -v;
      break;
    case 'extreme':
      after = v === 0 ? undefined : cap(roundTo(v * rng.between(10, 100), digits));
      break;
    case 'unit_x1000': {
      if (v === 0) break;
      const up = roundTo(v * 1000, digits);
      const down = roundTo(v / 1000, plan.scale ?? Math.min(15, digits + 3));
      const order = rng.chance(0.5) ? [up, down] : [down, up];
      after = order.find((x) => x !== 0 && x !== v && fits(x)); // neither: no unit error this type can hold
      break;
    }
    case 'beyond_bound':
      after = beyond(v, plan, bounds, digits, rng);
      break;
    case 'coordinates':
      after = coordinate(v, plan, digits, rng);
      break;
    case 'zero':
      after = fits(0) ? 0 : undefined;
      break;
  }
  return after === undefined || after === v ? undefined : { kind, after };
}

function beyond(v: number, plan: ColumnPlan, { min, max }: Bounds, digits: number, rng: Rng): number | undefined {
  if (min === undefined && max === undefined) {
    const x = roundTo((v < 0 ? -1 : 1) * plan.typical * rng.between(10, 100), digits);
    return Math.min(plan.high, Math.max(plan.low, x));
  }
  const up = max !== undefined && (min === undefined || rng.chance(0.5));
  const bound = up ? max! : min!;
  const span = min !== undefined && max !== undefined ? max - min : Math.max(Math.abs(bound), 1);
  // The bound's own precision counts for floats, so a result is never rounded back onto it.
  const d = plan.scale ?? Math.max(digits, places(bound));
  const step = 10 ** -d;
  let x = roundTo(bound + (up ? 1 : -1) * span * rng.between(0.01, 0.5), d);
  if (up ? x <= bound : x >= bound) x = roundTo((up ? Math.floor(bound / step) + 1 : Math.ceil(bound / step) - 1) * step, d);
  x = Math.min(plan.high, Math.max(plan.low, x));
  return (up ? x > bound : x < bound) ? x : undefined;
}

function coordinate(v: number, plan: ColumnPlan, digits: number, rng: Rng): number | undefined {
  const limit = plan.coordinate === 'lat' ? 90 : 180;
  const sign = v < 0 ? -1 : 1;
  const d = plan.scale ?? Math.max(digits, 1);
  const candidates = [roundTo(sign * rng.between(limit, 2 * limit), d)]; // beyond the range (a latitude holding a longitude)
  if (Math.abs(v * 100) > limit) candidates.push(roundTo(v * 100, d)); // decimal point lost
  if (plan.coordinate === 'lon' && v < 0 && v + 360 > limit) candidates.push(roundTo(v + 360, d)); // 0..360 convention
  const fitting = candidates.filter((c) => Math.abs(c) > limit && c >= plan.low && c <= plan.high);
  const x = fitting.length > 0 ? rng.pick(fitting) : Math.min(plan.high, Math.max(plan.low, candidates[0]!));
  if (Math.abs(x) > limit) return x;
  const nudged = Math.min(plan.high, Math.max(plan.low, roundTo(sign * (limit + 10 ** -d), d)));
  return Math.abs(nudged) > limit ? nudged : undefined;
}
