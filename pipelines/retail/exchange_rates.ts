import type { TableDefinition } from '../../src/core/dataset.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { isoWeekday } from '../../src/core/temporal.js';
import { batchEnd, CURRENCIES, daysThrough, type Ctx, type RetailOptions } from './shared.js';

/**
 * AUD per one unit of each currency at the start of the horizon (early 2022 levels), and its
 * daily volatility (a log-return's standard deviation on a trading day).
 */
const START_RATE: Record<(typeof CURRENCIES)[number], { rate: number; vol: number }> = {
  AUD: { rate: 1, vol: 0 },
  USD: { rate: 1.39, vol: 0.0065 },
  EUR: { rate: 1.57, vol: 0.0055 },
  GBP: { rate: 1.88, vol: 0.006 },
  NZD: { rate: 0.94, vol: 0.004 },
  SGD: { rate: 1.03, vol: 0.005 },
  JPY: { rate: 0.01205, vol: 0.007 },
};

/**
 * Every day's rate of every currency, made once per run: a geometric random walk on weekdays
 * (a small pull back to the start rate keeps three years plausible), Saturday and Sunday
 * carry Friday's rate forward. rates[d * C + c] for day d of the horizon, currency c.
 */
export function exchangeRates(ctx: Ctx): Float64Array {
  return ctx.shared('exchange_rates:walk', () => {
    const { start } = ctx.options;
    // Through the run's last day: an increment continues the same walks.
    const days = daysThrough(ctx);
    const C = CURRENCIES.length;
    const rates = new Float64Array(days * C);
    CURRENCIES.forEach((cur, c) => {
      const { rate, vol } = START_RATE[cur];
      // One stream per currency: adding a currency changes no other currency's walk.
      const rng = ctx.at('exchange_rates', 'walk').fork(cur);
      let log = Math.log(rate);
      const home = log;
      for (let d = 0; d < days; d++) {
        if (d > 0 && isoWeekday(start + d) <= 5 && vol > 0) {
          const z = Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
          log += vol * z - 0.01 * (log - home);
        }
        rates[d * C + c] = Math.round(Math.exp(log) * 1e8) / 1e8;
      }
    });
    return rates;
  });
}

/** exchange_rates: one row per day of the horizon per currency, date-major. */
export const exchangeRatesTable: TableDefinition<RetailOptions> = {
  name: 'exchange_rates',
  schema: defineTable('exchange_rates', 'Daily exchange rates: AUD per one unit of each currency used in the dataset', {
    date: { type: types.date(), description: 'the day (every day of the horizon, weekends included)', key: true },
    currency: { type: types.string(), description: 'ISO 4217 code', key: true, values: CURRENCIES },
    rate_to_aud: { type: types.decimal(18, 8), min: 0, description: 'AUD per one unit of the currency (AUD itself: 1)' },
  }),
  rules: [
    `one row per day of the horizon per currency (${CURRENCIES.join(', ')}), ordered by date then currency, no gaps`,
    'rate_to_aud > 0 follows a geometric random walk per currency on weekdays (daily volatility 0.4-0.7%); Saturday and Sunday repeat Friday\'s rate',
    'AUD has rate_to_aud 1 every day, so every amount of any table converts with one join',
    'rows follow the horizon (--start, --end), not --scale: every day needs its rates at any scale',
    'cells are real Excel dates and numbers (no anomalies are injected in this table)',
  ],
  rows: (ctx) => (ctx.options.end - ctx.options.start + 1) * CURRENCIES.length,
  increment: (ctx, k) => ({ from: (batchEnd(ctx, k - 1) - ctx.options.start + 1) * CURRENCIES.length, to: (batchEnd(ctx, k) - ctx.options.start + 1) * CURRENCIES.length }),
  plan: (ctx) => {
    const rates = exchangeRates(ctx);
    const C = CURRENCIES.length;
    return {
      rows(start, count) {
        const rows: Row[] = new Array(count);
        for (let i = 0; i < count; i++) {
          const r = start + i;
          const d = Math.floor(r / C);
          rows[i] = { date: ctx.options.start + d, currency: CURRENCIES[r - d * C]!, rate_to_aud: rates[r]! };
        }
        return rows;
      },
    };
  },
  output: { kind: 'file', format: 'xlsx', path: 'exchange_rates.xlsx' },
};
