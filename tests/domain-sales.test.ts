import { beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../src/core/pipeline.js';
import { defineTable, typeLabel, types, type Row } from '../src/core/schema.js';
import { civilFromDays, isoWeekday, parseDate } from '../src/core/temporal.js';
import { defineScenario, type PlanContext, type RowGenerator } from '../src/core/units.js';
import { sales } from '../scenarios/sales.js';
import { DEFAULT_MONTH_FACTORS, DEFAULT_WEEKDAY_FACTORS, sales as salesGenerator, type Sales } from '../sources/sales.js';
import { scenario } from '../sources/scenario.js';
import { withinSamplingError } from './helpers.js';

const N = 60_000;
const START = parseDate('2024-01-01')!;
const END = parseDate('2024-12-31')!;

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** Relative order rate of a day under the documented model, computed here independently. */
const rate = (day: number, growth = 0, start = START) =>
  DEFAULT_WEEKDAY_FACTORS[isoWeekday(day)]! * DEFAULT_MONTH_FACTORS[civilFromDays(day).month - 1]! * (1 + growth) ** ((day - start) / 365.2425);

describe('sales scenario', () => {
  let rows: Row[];
  const perDay = new Map<number, number>();
  beforeAll(async () => {
    rows = await collect(scenario(sales, { rows: N, seed: 42 }));
    for (const r of rows) perDay.set(r.order_date as number, (perDay.get(r.order_date as number) ?? 0) + 1);
  });

  it('declares a registry name, a decimal(12,2) amount, examples for generate and pipe, and 100,000 default rows', () => {
    expect(sales.name).toBe('sales');
    expect(sales.defaultRows).toBe(100_000);
    expect(typeLabel(sales.schema.fields.find((f) => f.name === 'amount')!.type)).toBe('decimal(12,2)');
    expect(sales.examples.some((e) => e.startsWith('datagen generate sales'))).toBe(true);
    expect(sales.examples.some((e) => e.startsWith('datagen pipe sales'))).toBe(true);
  });

  it('makes exactly the rows asked for', async () => {
    for (const n of [0, 1, 8193, 50_000]) expect((await collect(scenario(sales, { rows: n, seed: 1 }))).length).toBe(n);
    expect(rows.length).toBe(N);
  });

  it('is deterministic: same seed equal, other seed different, batch size and shards change nothing', async () => {
    expect(await collect(scenario(sales, { rows: N, seed: 42, batchSize: 1000 }))).toEqual(rows);
    const other = await collect(scenario(sales, { rows: N, seed: 43 }));
    expect(other.filter((r, i) => r.amount !== rows[i]!.amount).length).toBeGreaterThan(N * 0.9);
    expect(other.filter((r, i) => r.order_date !== rows[i]!.order_date).length).toBeGreaterThan(N * 0.5);
    const parts: Row[] = [];
    for (let i = 0; i < 3; i++) parts.push(...(await collect(scenario(sales, { rows: N, seed: 42, shard: `${i}/3` }))));
    expect(parts).toEqual(rows);
  });

  it('rule: order ids in row order; ordered by date; dates fill [start, end]', () => {
    rows.forEach((r, i) => {
      if (r.order_id !== 'SO-' + String(i + 1).padStart(8, '0')) throw new Error(`row ${i}: ${JSON.stringify(r)}`);
      if (i > 0 && (r.order_date as number) < (rows[i - 1]!.order_date as number)) throw new Error(`row ${i} out of date order`);
    });
    expect(rows[0]!.order_date).toBe(START);
    expect(rows[N - 1]!.order_date).toBe(END);
    expect(perDay.size).toBe(END - START + 1);
  });

  it('rule: weekday variation — each weekday holds its share of orders within sampling error', () => {
    let total = 0;
    const expected = new Array(7).fill(0);
    const observed = new Array(7).fill(0);
    for (let d = START; d <= END; d++) {
      expected[isoWeekday(d)] += rate(d);
      total += rate(d);
      observed[isoWeekday(d)] += perDay.get(d) ?? 0;
    }
    for (let w = 0; w < 7; w++) expect(withinSamplingError(observed[w], N, expected[w] / total), `weekday ${w}`).toBe(true);
    // Saturdays sell 1.2/0.9 as much as Tuesdays (same months, so the ratio is the factor ratio)
    expect(observed[5] / observed[1]).toBeGreaterThan(1.25);
    expect(observed[5] / observed[1]).toBeLessThan(1.4);
  });

  it('rule: season — each month holds its share; December sells far more per day than February', () => {
    let total = 0;
    const expected = new Array(12).fill(0);
    const observed = new Array(12).fill(0);
    for (let d = START; d <= END; d++) {
      const m = civilFromDays(d).month - 1;
      expected[m] += rate(d);
      total += rate(d);
      observed[m] += perDay.get(d) ?? 0;
    }
    for (let m = 0; m < 12; m++) expect(withinSamplingError(observed[m], N, expected[m] / total), `month ${m + 1}`).toBe(true);
    expect(observed[11] / 31 / (observed[1] / 29)).toBeGreaterThan(1.6);
  });

  it('daily counts scatter like Poisson around their means (not a smooth curve)', () => {
    let total = 0;
    for (let d = START; d <= END; d++) total += rate(d);
    let chi = 0;
    for (let d = START; d <= END; d++) {
      const e = (N * rate(d)) / total;
      chi += ((perDay.get(d) ?? 0) - e) ** 2 / e;
    }
    // chi^2 / days ~ 1 +/- 0.074 for Poisson days; ~0 for deterministic counts
    expect(chi / (END - START + 1)).toBeGreaterThan(0.7);
    expect(chi / (END - START + 1)).toBeLessThan(1.3);
  });

  it('rule: amounts are log-normal (median 40, log-sd 0.8), in cents, at least 0.01', () => {
    const amounts = rows.map((r) => r.amount as number);
    for (const a of amounts) if (!(a >= 0.01 && Math.round(a * 100) / 100 === a)) throw new Error(`amount ${a}`);
    expect(Math.abs(median(amounts) / 40 - 1)).toBeLessThan(0.02);
    const logs = amounts.map(Math.log);
    expect(Math.abs(sd(logs) - 0.8)).toBeLessThan(0.015);
    expect(Math.abs(mean(amounts) / (40 * Math.exp(0.32)) - 1)).toBeLessThan(0.03);
  });

  it('a fixed orders-per-day rate fills the range from its start, and says when it cannot hold the rows', async () => {
    const fixed = await collect(scenario(sales, { rows: 10_000, seed: 2, ordersPerDay: 100 }));
    const last = fixed[fixed.length - 1]!.order_date as number;
    expect(last).toBeGreaterThan(START + 80);
    expect(last).toBeLessThan(START + 130);
    // complete days: Poisson around 100 x normalised factors
    const wMean = mean([...DEFAULT_WEEKDAY_FACTORS]);
    const mMean = mean([...DEFAULT_MONTH_FACTORS]);
    let expected = 0;
    for (let d = START; d < last; d++) expected += (100 * rate(d)) / (wMean * mMean);
    const complete = fixed.filter((r) => (r.order_date as number) < last).length;
    expect(Math.abs(complete - expected)).toBeLessThan(4.5 * Math.sqrt(expected));
    expect(() => scenario(sales, { rows: 50_000, ordersPerDay: 100 })).toThrow(/sales: 100 orders a day over 2024-01-01..2024-12-31 make \d+ orders, fewer than the 50000 asked for/);
  });

  it('rejects bad options', () => {
    expect(() => scenario(sales, { weekdayFactors: '1,2,3' })).toThrow(/sales: weekdayFactors must be 7 numbers >= 0/);
    expect(() => scenario(sales, { start: '2024-02-01', end: '2024-01-01' })).toThrow(/end 2024-01-01 is before start 2024-02-01/);
  });
});

// ---------------------------------------------------------------- the generator on its own

const schema = defineTable('tickets', 'direct use', {
  ticket: { type: types.int64(), description: 'ticket number', key: true },
  day: { type: types.date(), description: 'sale day' },
  price: { type: types.decimal(10, 0), description: 'whole units' },
});
const direct = (build: (ctx: PlanContext) => RowGenerator) =>
  defineScenario({ name: 'tickets', summary: '', examples: [], schema, rules: [], options: {}, defaultRows: 0, plan: (_o, ctx) => build(ctx) });

describe('sales used directly: flat week, strong growth, whole-unit prices, own field names', () => {
  const start = parseDate('2023-01-01')!;
  const end = parseDate('2024-12-31')!;
  let gen: Sales;
  let rows: Row[];
  beforeAll(async () => {
    const flat = (n: number) => new Array<number>(n).fill(1);
    rows = await collect(
      scenario(
        direct(
          (ctx) =>
            (gen = salesGenerator(
              { startDay: start, endDay: end, weekdayFactors: flat(7), monthFactors: flat(12), growthPerYear: 1, amountMedian: 120, amountSigma: 0.3, decimals: 0, amountMin: 20, amountMax: 300, idField: 'ticket', dateField: 'day', amountField: 'price' },
              ctx,
            )),
        ),
        { rows: N, seed: 9 },
      ),
    );
  });

  it('uses its own columns; ids count from 1; rows map to days by the prefix sum', () => {
    expect(Object.keys(rows[0]!).sort()).toEqual(['day', 'price', 'ticket']);
    rows.forEach((r, i) => {
      if (r.ticket !== i + 1 || r.day !== gen.dayOf(i)) throw new Error(`row ${i}: ${JSON.stringify(r)}`);
    });
    let sum = 0;
    for (let k = 0; k < gen.days; k++) sum += gen.ordersOn(k);
    expect(sum).toBe(N);
  });

  it('doubling per year: the second year holds 2/3 of the orders; weekdays are flat', () => {
    let y1 = 0;
    let y2 = 0;
    for (let d = start; d <= end; d++) {
      if (d < parseDate('2024-01-01')!) y1 += 2 ** ((d - start) / 365.2425);
      else y2 += 2 ** ((d - start) / 365.2425);
    }
    const second = rows.filter((r) => (r.day as number) >= parseDate('2024-01-01')!).length;
    expect(withinSamplingError(second, N, y2 / (y1 + y2))).toBe(true);
    const mondays = rows.filter((r) => isoWeekday(r.day as number) === 0).length;
    expect(withinSamplingError(mondays, N, 1 / 7, 6)).toBe(true); // growth tilts weekdays by < 0.3%
  });

  it('prices are whole units clipped to [20, 300] around the median', () => {
    const prices = rows.map((r) => r.price as number);
    for (const p of prices) if (!(Number.isInteger(p) && p >= 20 && p <= 300)) throw new Error(`price ${p}`);
    expect(Math.abs(median(prices) - 120)).toBeLessThanOrEqual(2);
  });
});
