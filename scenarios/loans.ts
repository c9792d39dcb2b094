import { checkDateRange } from '../src/core/options.js';
import { Weighted, Zipf } from '../src/random/distributions.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { MICROS_PER_DAY } from '../src/core/temporal.js';
import { defineScenario } from '../src/core/units.js';
import { missing } from '../transforms/missing.js';

/**
 * Loan applications. Customers repeat (a power law over CUST ids), credit band drives the
 * interest rate, and the documented missingness per column is the scenario's default stage.
 */
export const STATUSES = ['REJECTED', 'PENDING', 'APPROVED', 'CLOSED'] as const;
export const PRODUCTS = ['AUTO', 'PERSONAL', 'HOME'] as const;
export const BRANCHES = ['Pokhara', 'Biratnagar', 'Kathmandu'] as const;
export const BANDS = ['LOW', 'MEDIUM', 'HIGH'] as const;
export const TENURES = [12, 24, 36, 48, 60];
/** Interest rate steps (11.0 .. 14.0 by 0.5) are shifted up for weaker credit. */
export const RATE_STEPS = [11, 11.5, 12, 12.5, 13, 13.5, 14];
export const BAND_RATE_SHIFT = { LOW: 3, MEDIUM: 1.5, HIGH: 0 } as const;

/** The spec's default missingness per column. */
export const LOANS_MISSING = {
  created_at: 0.18,
  amount: 0.18,
  interest_rate: 0.16,
  tenure_months: 0.22,
  status: 0.08,
  product_type: 0.14,
  branch: 0.1,
  credit_score_band: 0.16,
};

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** The columns after the keys and the time, shared with the bank dataset's loans table. */
export const LOAN_DETAIL_FIELDS = {
  amount: { type: types.int32(), nullable: true, min: 5000, max: 10000, description: '5,000 to 10,000 in steps of 1,000' },
  interest_rate: { type: types.decimal(4, 1), nullable: true, min: 11, max: 14, description: '11.0 to 14.0 in steps of 0.5; higher for weaker credit' },
  tenure_months: { type: types.int32(), nullable: true, min: 12, max: 60, description: 'one of 12, 24, 36, 48, 60' },
  status: { type: types.string(), nullable: true, description: 'application status, about 30/30/20/20%', values: STATUSES },
  product_type: { type: types.string(), nullable: true, description: 'loan product', values: PRODUCTS },
  branch: { type: types.string(), nullable: true, description: 'branch that took the application', values: BRANCHES },
  credit_score_band: { type: types.string(), nullable: true, description: 'credit band of the applicant', values: BANDS },
};

export const loans = defineScenario({
  name: 'loans',
  aliases: ['loan_applications'],
  summary: 'Loan applications with status, product, branch and credit band; documented missingness by default',
  description:
    'One row per application, loan_id LN0001.. in creation order. Customers apply more than once (power law over customer ids). ' +
    'By default the missing stage blanks each column at its documented rate (--clean for none).',
  defaultRows: 100_000,
  examples: [
    'datagen generate loans --rows 1000000 --seed 7 --out data/loans.csv',
    'datagen generate loans --rows 1000 --clean --out loans_clean.csv',
    'datagen pipe loans --rows 1000 --ledger loans_missing.jsonl | datagen csv > loans.csv',
  ],
  schema: defineTable('loans', 'Loan applications', {
    loan_id: { type: types.string(), description: 'LN + sequence number, at least 4 digits (LN0001)', key: true, pattern: 'LN\\d{4,}' },
    customer_id: { type: types.string(), description: 'CUST + customer number, at least 4 digits; customers repeat', pattern: 'CUST\\d{4,}' },
    created_at: { type: types.timestamp(), nullable: true, description: 'application time (UTC), increasing with loan_id before jitter' },
    ...LOAN_DETAIL_FIELDS,
  }),
  rules: [
    'loan_id is LN + the 1-based row number padded to 4 digits: unique and in row order',
    'amount in {5000, 6000, ..., 10000}; interest_rate in {11.0, 11.5, ..., 14.0}; tenure_months in {12, 24, 36, 48, 60}',
    'status about 30% REJECTED, 30% PENDING, 20% APPROVED, 20% CLOSED',
    'interest rate is higher for LOW than for HIGH credit bands',
    'created_at lies in [start, end + 1 day) and rises with loan_id (within a day of jitter)',
    `default missingness: ${Object.entries(LOANS_MISSING).map(([c, r]) => `${c} ${r * 100}%`).join(', ')}`,
  ],
  options: {
    start: { type: 'date', description: 'first application day (YYYY-MM-DD)', default: '2023-01-01' },
    end: { type: 'date', description: 'last application day (YYYY-MM-DD)', default: '2024-12-31' },
    customers: { type: 'integer', min: 1, description: 'number of distinct customers (default: rows / 3)' },
  },
  defaultStages: () => [missing({ rates: Object.entries(LOANS_MISSING).map(([c, r]) => `${c}=${r}`), seed: 17 })],

  plan(o, { rows }) {
    checkDateRange('loans', o.start, o.end);
    const customers = new Zipf(o.customers ?? Math.max(1, Math.ceil(rows / 3)), 0.9);
    const statuses = new Weighted(STATUSES, [0.3, 0.3, 0.2, 0.2]);
    const products = new Weighted(PRODUCTS, [0.3, 0.5, 0.2]);
    const branches = new Weighted(BRANCHES, [0.3, 0.2, 0.5]);
    const bands = new Weighted(BANDS, [0.25, 0.5, 0.25]);
    const startMicros = o.start * MICROS_PER_DAY;
    const span = (o.end - o.start + 1) * MICROS_PER_DAY;
    const step = span / Math.max(1, rows);
    return {
      rows(first, count, rng) {
        const r = {
          customer: rng.fork('customer_id'),
          time: rng.fork('created_at'),
          amount: rng.fork('amount'),
          rate: rng.fork('interest_rate'),
          tenure: rng.fork('tenure_months'),
          status: rng.fork('status'),
          product: rng.fork('product_type'),
          branch: rng.fork('branch'),
          band: rng.fork('credit_score_band'),
        };
        const out: Row[] = new Array(count);
        for (let i = 0; i < count; i++) {
          const n = first + i;
          const band = bands.pick(r.band);
          // Evenly spread over the range, plus up to a day of jitter, kept inside the range.
          const jitter = Math.floor(r.time.float() * Math.min(step, MICROS_PER_DAY));
          const created = Math.min(startMicros + span - 1, Math.floor(startMicros + n * step) + jitter);
          const rateIndex = Math.min(RATE_STEPS.length - 1, Math.floor(r.rate.float() * 4 + BAND_RATE_SHIFT[band]));
          out[i] = {
            loan_id: 'LN' + pad(n + 1, 4),
            customer_id: 'CUST' + pad(customers.sample(r.customer), 4),
            created_at: created,
            amount: 5000 + 1000 * r.amount.int(0, 5),
            interest_rate: RATE_STEPS[rateIndex]!,
            tenure_months: r.tenure.pick(TENURES),
            status: statuses.pick(r.status),
            product_type: products.pick(r.product),
            branch: branches.pick(r.branch),
            credit_score_band: band,
          };
        }
        return out;
      },
    };
  },
});
