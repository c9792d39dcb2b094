import { parseDecimal } from '../src/core/options.js';
import type { Schema } from 'apache-arrow';
import { DatagenError } from '../src/core/errors.js';
import type { Rng } from '../src/random/rng.js';
import type { Row } from '../src/core/schema.js';
import type { RowGenerator } from '../src/core/units.js';

/**
 * What the domain generators (sensor-series, measurements, sales, funnel-events) share:
 * parameter checks that fail like option errors, the prefix-sum lookup that maps a row index
 * to its segment (day, user), rounding, and two combinators that let a user assemble a
 * scenario from several generators without touching their internals.
 */

/** Parameter mistakes read like option mistakes: `<owner>: <what> must be ..., got <value>`. */
export function invalid(owner: string, what: string, want: string, got: unknown): never {
  throw new DatagenError('E_OPTION', `${owner}: ${what} must be ${want}, got ${JSON.stringify(got)}`);
}

/** A finite number within [min, max] (either bound optional). */
export function checkNumber(owner: string, what: string, value: number, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const want = min > -Infinity && max < Infinity ? `a number between ${min} and ${max}` : min > -Infinity ? `a number >= ${min}` : max < Infinity ? `a number <= ${max}` : 'a finite number';
    invalid(owner, what, want, value);
  }
  return value;
}

/** An integer >= min. */
export function checkInteger(owner: string, what: string, value: number, min = 0): number {
  if (!Number.isSafeInteger(value) || value < min) invalid(owner, what, `an integer >= ${min}`, value);
  return value;
}

/** A CLI list of numbers (e.g. weekday factors) of an exact length, each >= 0. */
export function numberList(owner: string, what: string, items: readonly string[], length: number): number[] {
  const out = items.map((t) => parseDecimal(t) ?? NaN);
  if (out.length !== length || out.some((x) => !Number.isFinite(x) || x < 0)) invalid(owner, what, `${length} numbers >= 0`, items.join(','));
  return out;
}

/**
 * The segment holding row i, for prefix sums `cum` (cum[0] = 0, cum[k+1] = cum[k] + size of
 * segment k): the largest k with cum[k] <= i, skipping empty segments.
 */
export function segmentOf(cum: ArrayLike<number>, segments: number, i: number): number {
  let lo = 0;
  let hi = segments - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cum[mid]! <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Round to a fixed number of decimals (the double nearest k / 10^d, so it prints short). */
export function rounder(decimals: number | undefined): (v: number) => number {
  if (decimals === undefined) return (v) => v;
  const f = 10 ** decimals;
  return (v) => Math.round(v * f) / f;
}

/**
 * A function that makes the rows of `schema` from object literals: `makeRow({ a: 1, b: 'x' })`
 * is a plain object with the schema's columns, in schema order (give it exactly those: other
 * keys are not copied). Why not use the literal as the row: V8 watches where literals are
 * allocated and, once nearly all of a literal's objects survive a young-generation collection
 * (rows live until their batch is written), allocates that literal straight in the old
 * generation; storing each new string or number into a row then takes the write barrier's
 * slow path, and rows are freed only by full collections. That cost 10-15% on the wide banking
 * scenarios. Objects made by `new` are not tracked that way, and the literal handed in dies
 * young. The constructor is generated once per schema so that each column is a constant-name
 * store (the rows share one shape).
 */
export function rowMaker(schema: Schema): (values: Row) => Row {
  const names = schema.fields.map((f) => JSON.stringify(f.name));
  const Make = new Function('v', names.map((name) => `this[${name}] = v[${name}];`).join('\n')) as unknown as new (values: Row) => Row;
  Make.prototype = Object.prototype; // plain objects, as a literal would be
  return (values) => new Make(values);
}

/**
 * `prefix` + n padded to `width` digits: DEV-0001, EXP-0042. The prefix and its zeros are
 * made once per length (one concatenation per id instead of a padStart and a concatenation).
 */
export const paddedId = (prefix: string, width: number) => {
  const zeros = Array.from({ length: width }, (_, k) => prefix + '0'.repeat(width - k)); // by digits
  return (n: number) => {
    const s = String(n);
    return s.length < width ? zeros[s.length]! + s : prefix + s;
  };
};

/**
 * Add columns to another generator's rows. `extra(row, index, rng)` sets them for table row
 * `index`, drawing only from `rng` (this chunk's stream forked by `name`), so the result stays
 * chunk-addressable and the wrapped generator's columns do not change.
 */
export function extendRows(gen: RowGenerator, name: string, extra: (row: Row, index: number, rng: Rng) => void): RowGenerator {
  return {
    rows(start, count, rng) {
      const rows = gen.rows(start, count, rng);
      const own = rng.fork('extend', name);
      for (let i = 0; i < rows.length; i++) extra(rows[i]!, start + i, own);
      return rows;
    },
  };
}

/**
 * Put the rows of several generators side by side (row i of each, merged; later generators'
 * columns win on a clash). Part k draws from this chunk's stream forked by ('part', k).
 */
export function zipRows(...gens: RowGenerator[]): RowGenerator {
  return {
    rows(start, count, rng) {
      const parts = gens.map((g, k) => g.rows(start, count, rng.fork('part', k)));
      const out = parts[0] ?? [];
      for (let k = 1; k < parts.length; k++) {
        const p = parts[k]!;
        for (let i = 0; i < count; i++) Object.assign(out[i]!, p[i]!);
      }
      return out;
    },
  };
}
