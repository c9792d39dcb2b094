import { DatagenError } from '../src/core/errors.js';
import { checkDateRange, rateOption } from '../src/core/options.js';
import { Zipf } from '../src/random/distributions.js';
import { combine, uniformAt } from '../src/random/hash.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { civilFromDays, daysFromCivil, daysInMonth } from '../src/core/temporal.js';
import { defineScenario } from '../src/core/units.js';

/**
 * EMI repayment schedules: one row per loan and installment, ordered by loan then installment.
 *
 * Why it looks like this: every loan is a standard reducing-balance loan computed in integer
 * cents — interest is the rounded balance x monthly rate, principal is the EMI minus that
 * interest, and the last installment takes whatever balance is left (so it may differ from the
 * EMI by a few cents) and brings it to exactly 0.00. The money columns are the contractual
 * schedule; status and is_missed_payment say what happened to each installment. A few loans
 * default after some installment and stay DEFAULTED; the installments just before a default
 * are usually late, and some borrowers are habitually late.
 *
 * Loan ids, customer ids and the amount / rate / tenure grids are those of the `loans`
 * scenario, so the two tables join on loan_id and customer_id.
 *
 * Addressing is arithmetic: a loan's tenure is a pure hash of (seed, loan), plan() keeps the
 * row count before every 64th loan, and row i maps to (loan, installment) by a binary search
 * plus a scan of at most 63 tenures.
 */
const STATUSES = ['PAID', 'LATE', 'DEFAULTED'] as const;
const AMOUNTS = [5000, 6000, 7000, 8000, 9000, 10000];
const RATES = [11, 11.5, 12, 12.5, 13, 13.5, 14];
const TENURES = [12, 24, 36, 48, 60];
const BLOCK = 64; // loans per prefix-sum entry
const HABITUAL_LATE_SHARE = 0.1;
const HABITUAL_LATE_FACTOR = 4;
/** Share of LATE installments paid more than 30 days late (a missed cycle, caught up later). */
const LATE_MISSED_SHARE = 0.25;
/** Before a default: the last paid installment is LATE (and missed) this often, the one before it LATE this often. */
const PRE_DEFAULT_LATE = [0.7, 0.4];

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export const loanRepayments = defineScenario({
  name: 'loan_repayments',
  summary: 'EMI repayment schedules per loan: principal/interest split, remaining balance, PAID/LATE/DEFAULTED installments',
  description:
    'One row per loan and installment (1..tenure), ordered by loan_id then installment_number, amortised in cents: principal + interest = EMI, ' +
    'the balance falls to exactly 0.00 on the last installment. A few loans default after some installment and stay DEFAULTED. ' +
    'loan_id and customer_id use the loans scenario formats (LN0001, CUST0001).',
  defaultRows: 100_000,
  examples: [
    'datagen generate loan_repayments --rows 100000 --seed 7 --out data/loan_repayments.csv',
    'datagen generate loan_repayments --rows 30000 --loans 1000 --default-rate 0.1 --out repayments.csv',
    'datagen pipe loan_repayments --rows 5000 --start 2024-01-01 --end 2024-06-30 | datagen csv > repayments.csv',
  ],
  schema: defineTable('loan_repayments', 'EMI repayment schedules, one row per installment', {
    loan_id: { type: types.string(), pattern: 'LN\\d{4,}', description: 'LN + loan number, at least 4 digits (LN0001), as in the loans scenario', key: true },
    customer_id: { type: types.string(), pattern: 'CUST\\d{4,}', description: 'CUST + customer number, at least 4 digits; customers hold several loans' },
    schedule_date: { type: types.date(), description: 'due date: disbursement date + installment_number months (day clamped to the month end)' },
    installment_number: { type: types.int32(), min: 1, max: 60, description: '1..tenure (tenure 12, 24, 36, 48 or 60 months)', key: true },
    emi_amount: { type: types.decimal(12, 2), min: 100, max: 900, description: 'installment amount: the EMI, except the last installment, which absorbs rounding' },
    principal_component: { type: types.decimal(12, 2), min: 0, max: 900, description: 'principal repaid by the installment (emi_amount - interest_component)' },
    interest_component: { type: types.decimal(12, 2), min: 0, max: 117, description: 'interest of the installment: previous remaining principal x monthly rate, rounded to the cent' },
    remaining_principal: { type: types.decimal(12, 2), min: 0, max: 10000, description: 'principal outstanding after the installment; 0.00 after the last' },
    status: { type: types.string(), description: 'what happened to the installment', values: STATUSES },
    is_missed_payment: { type: types.bool(), description: 'true when the due date passed by more than 30 days unpaid (every DEFAULTED, some LATE)' },
  }),
  rules: [
    'rows are ordered by loan_id (LN0001, LN0002, ...) then installment_number 1..tenure; (loan_id, installment_number) is unique; only the last loan of the table may be cut short',
    'tenure in {12, 24, 36, 48, 60}; principal (remaining + principal of installment 1) in {5000, 6000, ..., 10000}; annual rate in {11.0, 11.5, ..., 14.0}',
    'EMI = round2(P·r·(1+r)^n / ((1+r)^n − 1)) with r = annual rate / 1200; emi_amount equals it on every installment but the last',
    'interest_component = round2(previous remaining × r); principal_component + interest_component = emi_amount to the cent on every row',
    'remaining_principal = previous remaining − principal_component; it strictly decreases and is exactly 0.00 on the last installment (whose principal is the whole remaining balance)',
    'schedule_date is the disbursement date + installment_number months; disbursement dates lie in [start, end] and rise with loan_id',
    'about default-rate of loans default after some installment d (1 <= d < tenure): every later installment is DEFAULTED with is_missed_payment true',
    'PAID => is_missed_payment false; LATE => is_missed_payment true when more than 30 days late (about 25%); about late-rate of installments before any default are LATE',
  ],
  options: {
    loans: { type: 'integer', min: 1, description: 'number of loans (default: just enough loans for the requested rows)' },
    customers: { type: 'integer', min: 1, description: 'number of distinct customers (default: loans / 3)' },
    start: { type: 'date', description: 'first disbursement day (YYYY-MM-DD)', default: '2023-01-01' },
    end: { type: 'date', description: 'last disbursement day (YYYY-MM-DD)', default: '2024-12-31' },
    defaultRate: rateOption('share of loans that default', 0.05),
    lateRate: rateOption('share of installments (before any default) paid after the due date', 0.08),
  },

  plan(o, { rows, rng }) {
    checkDateRange('loan_repayments', o.start, o.end);
    const tenureKey = rng.fork('tenure').key;
    const tenure = (loan: number) => TENURES[Math.floor(uniformAt(tenureKey, loan) * TENURES.length)]!;

    // Row count before every BLOCK-th loan. Without --loans: just enough loans for the rows.
    const blockCum: number[] = [0];
    let total = 0;
    let loans = 0;
    const limit = o.loans ?? Number.POSITIVE_INFINITY;
    while (loans < limit && (o.loans !== undefined || total < rows)) {
      total += tenure(loans);
      loans++;
      if (loans % BLOCK === 0) blockCum.push(total);
    }
    if (total < rows) {
      throw new DatagenError('E_CAPACITY', `loan_repayments: ${loans} loans make ${total} installments, fewer than the ${rows} rows asked for (raise loans)`);
    }
    const cum = Float64Array.from(blockCum);

    const paramKey = rng.fork('terms').key;
    const statusKey = rng.fork('status').key;
    const customerRng = rng.fork('customer_id');
    const customers = new Zipf(o.customers ?? Math.max(1, Math.ceil(loans / 3)), 0.9);
    const span = o.end - o.start + 1;
    const pLate = o.lateRate / (HABITUAL_LATE_SHARE * HABITUAL_LATE_FACTOR + (1 - HABITUAL_LATE_SHARE));

    return {
      rows(first, count) {
        const out: Row[] = new Array(count);
        if (count === 0) return out;
        // Block, then loan, holding row `first`.
        let lo = 0;
        let hi = cum.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (cum[mid]! <= first) lo = mid;
          else hi = mid - 1;
        }
        let loan = lo * BLOCK;
        let before = cum[lo]!;
        while (before + tenure(loan) <= first) before += tenure(loan++);
        let k = first - before; // installments of `loan` already in earlier rows
        let filled = 0;
        while (filled < count) {
          const n = tenure(loan);
          const take = Math.min(n - k, count - filled);
          schedule(out, filled, loan, n, k, take);
          filled += take;
          loan++;
          k = 0;
        }
        return out;
      },
    };

    /** Rows for installments k+1 .. k+take of `loan` (tenure n), written at out[at..]. */
    function schedule(out: Row[], at: number, loan: number, n: number, k: number, take: number): void {
      const key = combine(paramKey, loan);
      const principal = AMOUNTS[Math.floor(uniformAt(key, 0) * AMOUNTS.length)]!;
      const annual = RATES[Math.floor(uniformAt(key, 1) * RATES.length)]!;
      const r = annual / 1200;
      const growth = Math.pow(1 + r, n);
      const emi = Math.round((principal * 100 * r * growth) / (growth - 1)); // cents
      const loanId = 'LN' + pad(loan + 1, 4);
      const customerId = 'CUST' + pad(customers.sample(customerRng.fork(loan)), 4);
      // Disbursement spread evenly over [start, end] in loan order, with a little jitter.
      const disbursed = o.start + Math.min(span - 1, Math.floor(((loan + uniformAt(key, 2)) * span) / loans));
      const { year, month, day } = civilFromDays(disbursed);

      // Outcome: default after installment d (loans that never default: d = n).
      const defaults = uniformAt(key, 3) < o.defaultRate;
      const d = defaults ? 1 + Math.floor(Math.pow(uniformAt(key, 4), 1.5) * (n - 1)) : n;
      const lateFactor = uniformAt(key, 5) < HABITUAL_LATE_SHARE ? HABITUAL_LATE_FACTOR : 1;
      const sKey = combine(statusKey, loan);

      let balance = principal * 100; // cents
      for (let i = 1; i <= k + take; i++) {
        const interest = Math.round(balance * r);
        const last = i === n;
        const principalPart = last ? balance : emi - interest;
        balance -= principalPart;
        if (i <= k) continue;
        let status: (typeof STATUSES)[number];
        let missed: boolean;
        if (i > d) {
          status = 'DEFAULTED';
          missed = true;
        } else {
          const u = uniformAt(sKey, i);
          const stress = defaults && d - i < PRE_DEFAULT_LATE.length ? PRE_DEFAULT_LATE[d - i]! : -1;
          const late = stress >= 0 ? u < stress : u < pLate * lateFactor;
          status = late ? 'LATE' : 'PAID';
          missed = late && (stress >= 0 && d === i ? true : uniformAt(sKey, 1000 + i) < LATE_MISSED_SHARE);
        }
        const m0 = month - 1 + i;
        const y = year + Math.floor(m0 / 12);
        const m = (m0 % 12) + 1;
        out[at++] = {
          loan_id: loanId,
          customer_id: customerId,
          schedule_date: daysFromCivil(y, m, Math.min(day, daysInMonth(y, m))),
          installment_number: i,
          emi_amount: (principalPart + interest) / 100,
          principal_component: principalPart / 100,
          interest_component: interest / 100,
          remaining_principal: balance / 100,
          status,
          is_missed_payment: missed,
        };
      }
    }
  },
});
