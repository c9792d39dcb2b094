import { DatagenError } from '../src/core/errors.js';
import { checkDateRange } from '../src/core/options.js';
import { logNormal, poisson } from '../src/random/distributions.js';
import type { Row, Value } from '../src/core/schema.js';
import { civilFromDays, formatDate, isoWeekday } from '../src/core/temporal.js';
import type { PlanContext, RowGenerator } from '../src/core/units.js';
import { checkInteger, checkNumber, invalid, rounder, segmentOf } from './domain.js';

/**
 * Analytics domain: sales orders per day over a date range, ordered by date.
 *
 * Why this shape: each day's order count is drawn once in plan, from a Poisson whose mean is
 * ordersPerDay x weekday factor x month factor x growth, with a stream forked by the day
 * number (so day k's count needs no other day's draw). A prefix sum over the days maps row i
 * to its day by binary search, as attendance does. Amounts are log-normal, drawn per row from
 * the chunk's stream. Without an explicit ordersPerDay the counts are scaled so the range
 * holds exactly the rows asked for (the prefix sum is rescaled, which moves each day by at
 * most a fraction of an order per 1/sqrt(rows)), so a table of any size spans the full range.
 */

/** Monday first: weekends sell more. */
export const DEFAULT_WEEKDAY_FACTORS = [0.92, 0.9, 0.94, 0.98, 1.06, 1.2, 1.0] as const;
/** January first: a summer lull and the November-December peak. */
export const DEFAULT_MONTH_FACTORS = [0.85, 0.8, 0.92, 0.95, 1.0, 0.95, 0.9, 0.92, 1.0, 1.05, 1.2, 1.45] as const;

export interface SalesParams {
  /** First and last order day, days since the epoch (inclusive). */
  startDay: number;
  endDay: number;
  /**
   * Mean orders per day on an average day (weekday and month factors are normalised to mean 1;
   * growth applies on top). Omit to fill [startDay, endDay] with exactly the table's rows.
   */
  ordersPerDay?: number;
  /** Seven relative factors, Monday first. */
  weekdayFactors?: readonly number[];
  /** Twelve relative factors, January first. */
  monthFactors?: readonly number[];
  /** Compound growth of the daily order rate per year (0.1 = +10% a year). */
  growthPerYear?: number;
  /** Log-normal amount: median and sigma (sd of log amount). */
  amountMedian: number;
  amountSigma: number;
  /** Amounts are clipped to [amountMin, amountMax] after rounding (default 0.01 .. 9,999,999,999.99). */
  amountMin?: number;
  amountMax?: number;
  /** Decimals of the amount (default 2, cents). */
  decimals?: number;
  idField?: string;
  dateField?: string;
  amountField?: string;
  /** How order n (1-based, in date order) is written; default the number n. */
  orderId?: (n: number) => Value;
  owner?: string;
}

export interface Sales extends RowGenerator {
  /** Days in the range. */
  readonly days: number;
  /** Orders on day index k (0 = startDay) in this table. */
  ordersOn(k: number): number;
  /** The Poisson mean of day index k (before any rescaling to the table's size). */
  expectedOn(k: number): number;
  /** Row i -> its order day (days since the epoch). */
  dayOf(i: number): number;
}

export function sales(params: SalesParams, ctx: PlanContext): Sales {
  const owner = params.owner ?? 'sales';
  const start = checkInteger(owner, 'startDay', params.startDay, -1e8);
  const end = checkInteger(owner, 'endDay', params.endDay, -1e8);
  checkDateRange(owner, start, end);
  const nDays = end - start + 1;
  const weekday = normalised(owner, 'weekdayFactors', params.weekdayFactors ?? DEFAULT_WEEKDAY_FACTORS, 7);
  const month = normalised(owner, 'monthFactors', params.monthFactors ?? DEFAULT_MONTH_FACTORS, 12);
  const growth = checkNumber(owner, 'growthPerYear', params.growthPerYear ?? 0, -0.99);
  const mu = Math.log(checkNumber(owner, 'amountMedian', params.amountMedian, 1e-9));
  const sigma = checkNumber(owner, 'amountSigma', params.amountSigma, 0);
  const decimals = checkInteger(owner, 'decimals', params.decimals ?? 2, 0);
  const round = rounder(decimals);
  const minAmount = checkNumber(owner, 'amountMin', params.amountMin ?? 10 ** -decimals, 0);
  const maxAmount = checkNumber(owner, 'amountMax', params.amountMax ?? 1e10 - 10 ** -decimals, minAmount);
  const idField = params.idField ?? 'order_id';
  const dateField = params.dateField ?? 'order_date';
  const amountField = params.amountField ?? 'amount';
  const rows = ctx.rows;

  // Relative rate per day, then the Poisson means.
  const shape = new Float64Array(nDays);
  let shapeSum = 0;
  for (let k = 0; k < nDays; k++) {
    const day = start + k;
    shape[k] = weekday[isoWeekday(day)]! * month[civilFromDays(day).month - 1]! * (1 + growth) ** (k / 365.2425);
    shapeSum += shape[k]!;
  }
  const fixedRate = params.ordersPerDay !== undefined;
  const base = fixedRate ? checkNumber(owner, 'ordersPerDay', params.ordersPerDay!, 0) : rows / shapeSum;
  const lambda = shape.map((s) => s * base);

  const cum = new Float64Array(nDays + 1);
  const daysRng = ctx.rng.fork('days');
  for (let k = 0; k < nDays; k++) cum[k + 1] = cum[k]! + poisson(daysRng.fork(k), lambda[k]!);
  const drawn = cum[nDays]!;
  if (fixedRate && drawn < rows) {
    throw new DatagenError(
      'E_CAPACITY',
      `${owner}: ${base} orders a day over ${formatDate(start)}..${formatDate(end)} make ${drawn} orders, fewer than the ${rows} asked for (raise ordersPerDay or widen the range)`,
    );
  }
  if (!fixedRate && drawn !== rows) {
    // Rescale the prefix sum to exactly `rows` (from the means when nothing was drawn at all).
    if (drawn === 0) for (let k = 0; k < nDays; k++) cum[k + 1] = cum[k]! + lambda[k]!;
    const total = cum[nDays]!;
    for (let k = 1; k <= nDays; k++) cum[k] = Math.round((cum[k]! * rows) / total);
  }

  return {
    days: nDays,
    ordersOn: (k) => Math.max(0, Math.min(cum[k + 1]!, rows) - Math.min(cum[k]!, rows)),
    expectedOn: (k) => lambda[k]!,
    dayOf: (i) => start + segmentOf(cum, nDays, i),
    rows(first, count, rng) {
      const amountRng = rng.fork(amountField);
      const out: Row[] = new Array(count);
      let k = segmentOf(cum, nDays, first);
      for (let j = 0; j < count; j++) {
        const i = first + j;
        while (cum[k + 1]! <= i) k++;
        const raw = round(logNormal(amountRng, mu, sigma));
        const row: Row = {};
        row[idField] = params.orderId ? params.orderId(i + 1) : i + 1;
        row[dateField] = start + k;
        row[amountField] = raw < minAmount ? minAmount : raw > maxAmount ? maxAmount : raw;
        out[j] = row;
      }
      return out;
    },
  };
}

function normalised(owner: string, what: string, factors: readonly number[], length: number): number[] {
  if (factors.length !== length || factors.some((f) => !Number.isFinite(f) || f < 0)) invalid(owner, what, `${length} numbers >= 0`, factors);
  const mean = factors.reduce((s, f) => s + f, 0) / length;
  if (!(mean > 0)) invalid(owner, what, 'not all zero', factors);
  return factors.map((f) => f / mean);
}
