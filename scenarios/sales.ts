import { defineTable, types } from '../src/core/schema.js';
import { defineScenario } from '../src/core/units.js';
import { numberList, paddedId } from '../sources/domain.js';
import { DEFAULT_MONTH_FACTORS, DEFAULT_WEEKDAY_FACTORS, sales as salesGenerator } from '../sources/sales.js';

/**
 * Sales orders: the sales generator over a date range. By default the range holds exactly the
 * rows asked for; --orders-per-day fixes the rate instead (then the range must be long enough).
 */
export const sales = defineScenario({
  name: 'sales',
  summary: 'Sales orders per day: daily counts vary by weekday, month and growth; log-normal amounts',
  defaultRows: 100_000,
  examples: [
    'datagen generate sales --rows 100000 --seed 5 --out sales.csv',
    'datagen pipe sales --rows 100000 | datagen csv > sales.csv',
    'datagen generate sales --start 2023-01-01 --end 2024-12-31 --growth 0.2 --amount-median 25 --out sales_2y.csv',
  ],
  schema: defineTable('sales', 'Orders with their day and amount', {
    order_id: { type: types.string(), pattern: 'SO-\\d{8,}', description: 'SO-00000001.., in date order', key: true },
    order_date: { type: types.date(), description: 'order day, in [start, end]' },
    amount: { type: types.decimal(12, 2), min: 0.01, description: 'order total, log-normal, rounded to cents' },
  }),
  rules: [
    'order_id is SO + the 1-based row number (8 digits): unique, in row order; rows are ordered by order_date',
    'order_date lies in [start, end]; without orders-per-day the whole range is used',
    'orders per day are Poisson around orders-per-day x weekday factor x month factor x (1 + growth)^years (factors normalised to mean 1)',
    'amount is log-normal with median amount-median and log-sd amount-sigma, rounded to cents, at least 0.01',
  ],
  options: {
    start: { type: 'date', default: '2024-01-01', description: 'first order day' },
    end: { type: 'date', default: '2024-12-31', description: 'last order day' },
    ordersPerDay: { type: 'number', min: 0, description: 'mean orders per day (default: exactly fill the range with the rows)' },
    weekdayFactors: { type: 'list', default: DEFAULT_WEEKDAY_FACTORS.map(String), description: 'seven relative factors, Monday first' },
    monthFactors: { type: 'list', default: DEFAULT_MONTH_FACTORS.map(String), description: 'twelve relative factors, January first' },
    growth: { type: 'number', min: -0.99, default: 0, description: 'compound growth of the order rate per year (0.1 = +10%)' },
    amountMedian: { type: 'number', min: 0.01, default: 40, description: 'median order amount' },
    amountSigma: { type: 'number', min: 0, default: 0.8, description: 'sd of the log amount' },
  },
  plan: ({ start, end, growth, weekdayFactors, monthFactors, ...rest }, ctx) =>
    salesGenerator(
      {
        ...rest,
        startDay: start,
        endDay: end,
        growthPerYear: growth,
        weekdayFactors: numberList('sales', 'weekdayFactors', weekdayFactors, 7),
        monthFactors: numberList('sales', 'monthFactors', monthFactors, 12),
        orderId: paddedId('SO-', 8),
        owner: 'sales',
      },
      ctx,
    ),
});
