import type { DatasetContext, TableDefinition } from '../../src/core/dataset.js';
import { normalizeOptions } from '../../src/core/options.js';
import type { ScenarioDefinition } from '../../src/core/units.js';
import { parentOf, runningCounts } from '../../src/core/nested.js';
import { Weighted, Zipf } from '../../src/random/distributions.js';
import type { Rng } from '../../src/random/rng.js';
import { civilFromDays, daysFromCivil, daysInMonth, formatDate, MICROS_PER_DAY } from '../../src/core/temporal.js';
import { deletedParentKeys } from '../../transforms/corrupt-fk.js';
import { BANDS, BAND_RATE_SHIFT, BRANCHES, PRODUCTS, RATE_STEPS, STATUSES, TENURES } from '../../scenarios/loans.js';
import { customerId, IST_MICROS } from '../../sources/transactions.js';

/**
 * What the bank tables share: the options, the one customer key format, and the random-access
 * facts a child recomputes from its parent's key (a loan's customer, amount, rate, tenure,
 * status and creation time for its repayment schedule). Each fact is drawn from
 * `ctx.at(table, attribute).fork(key)`, so loans and loan_repayments get the same values
 * without holding a table in memory.
 */
export interface BankOptions {
  /** First day customers join (days since the epoch). */
  since: number;
  /** First and last day of the activity horizon: loans, transactions, card spend. */
  start: number;
  end: number;
  [option: string]: unknown;
}
export type Ctx = DatasetContext<BankOptions>;

export const bankOptions = {
  since: { type: 'date', description: 'first day customers join (they all join before start)', default: '2010-01-01' },
  start: { type: 'date', description: 'first day of loans, transactions and card spend', default: '2023-01-01' },
  end: { type: 'date', description: 'last day of loans, transactions and card spend', default: '2024-12-31' },
} as const;

// ------------------------------------------------------------------ keys

/** CUST-00001..: customer_360's, bank_transactions' and credit_card_spend's format, in every bank table. */
export const customerKey = customerId;
/** The corrupt-fk template of customer keys (the same format as customerKey). */
export const CUSTOMER_TEMPLATE = 'CUST-{n:05}';
/** LN0001..: the loans scenario's format. */
export const loanKey = (n: number) => 'LN' + String(n).padStart(4, '0');
export const LOAN_TEMPLATE = 'LN{n:04}';

/** A customer's number from its key (CUST-00042 -> 42). */
export const customerNumber = (key: string) => Number(key.slice(5));

// ------------------------------------------------------------------ broken foreign keys

/**
 * The corrupt-fk options of each child column, declared once: the child's stage uses them,
 * and customers drops the union of their `deleted` parents in the same run. Each child has its
 * own seed, so its picks and its deleted customers are its own.
 */
export const FK = {
  loansCustomer: (ctx: Ctx) => customerFk(ctx, 0.005, 41),
  transactionsCustomer: (ctx: Ctx) => customerFk(ctx, 0.005, 51),
  cardsCustomer: (ctx: Ctx) => customerFk(ctx, 0.005, 61),
  repaymentsLoan: (ctx: Ctx) => ({ columns: 'loan_id', template: LOAN_TEMPLATE, range: `1..${ctx.rows('loans')}`, rate: 0.002, kinds: 'absent', seed: ctx.seed + 71 }),
};
const customerFk = (ctx: Ctx, rate: number, seed: number) => ({
  columns: 'customer_id',
  template: CUSTOMER_TEMPLATE,
  range: `1..${ctx.rows('customers')}`,
  rate,
  kinds: 'absent,deleted',
  seed: ctx.seed + seed,
});
const CUSTOMER_FKS = ['loansCustomer', 'transactionsCustomer', 'cardsCustomer'] as const;

/**
 * Customer keys some child's corrupt-fk stage points its `deleted` corruptions at: customers
 * drops them, and no child picks them by construction (so every orphan is one the ledger lists).
 */
export function deletedCustomers(ctx: Ctx): Set<string> {
  return ctx.shared('deleted:customers', () => new Set(CUSTOMER_FKS.flatMap((fk) => deletedParentKeys(FK[fk](ctx), 'string') as string[])));
}

/**
 * A customer key that is not a deleted one: the key itself, or the next live key after it
 * (wrapping). A function of the key, so a card of a deleted customer moves, with all its rows,
 * to one other customer.
 */
export function liveCustomer(ctx: Ctx, key: string): string {
  const gone = deletedCustomers(ctx);
  if (!gone.has(key)) return key;
  const n = ctx.rows('customers');
  let k = customerNumber(key);
  do k = (k % n) + 1;
  while (gone.has(customerKey(k)));
  return customerKey(k);
}

/**
 * The plan of a table that is a transaction scenario (bank_transactions, credit_card_spend)
 * over the horizon, its customers being the customers table's (CUST-00001..CUST-N); rows that
 * would point at a deleted customer move to a live one (see liveCustomer).
 */
export function overCustomers(scenario: ScenarioDefinition): TableDefinition<BankOptions>['plan'] {
  return (ctx) => {
    const o = normalizeOptions(scenario.name, scenario.options, { start: formatDate(ctx.options.start), end: formatDate(ctx.options.end), customers: ctx.rows('customers') });
    const made = scenario.plan(o, { rows: ctx.tableRows, rng: ctx.rng });
    return {
      rows(start, count, rng) {
        const rows = made.rows(start, count, rng);
        for (const row of rows) row.customer_id = liveCustomer(ctx, row.customer_id as string);
        return rows;
      },
    };
  };
}

/** A bank_transactions partition: the transaction's day in India (the scenario's days are India's). */
export const istDay = (micros: number) => formatDate(Math.floor((micros + IST_MICROS) / MICROS_PER_DAY));

// ------------------------------------------------------------------ loans

const statuses = new Weighted(STATUSES, [0.3, 0.3, 0.2, 0.2]);
const products = new Weighted(PRODUCTS, [0.3, 0.5, 0.2]);
const branches = new Weighted(BRANCHES, [0.3, 0.2, 0.5]);
const bands = new Weighted(BANDS, [0.25, 0.5, 0.25]);

export interface LoanFacts {
  loanId: string;
  customerId: string;
  /** Microseconds since the epoch (UTC). */
  createdAt: number;
  amount: number;
  interestRate: number;
  tenure: number;
  status: (typeof STATUSES)[number];
  productType: string;
  branch: string;
  band: (typeof BANDS)[number];
}

/**
 * A popular customer number that is not simply 1, 2, 3...: Zipf ranks mapped through a fixed
 * odd multiplier modulo n, so the customers with many loans are spread over the key range.
 */
function popularCustomer(zipf: Zipf, rng: Rng): number {
  const rank = zipf.sample(rng) - 1;
  return ((rank * 2654435761) % zipf.n) + 1;
}

/**
 * Loan n's facts (n = 1..loans), with the loans scenario's grids and shares: amount 5,000-10,000,
 * rate 11.0-14.0 shifted up for weaker credit bands, tenure 12-60 months; created_at spread
 * evenly over the horizon in loan order with up to a day of jitter. Cheap enough to recompute
 * for every repayment row.
 */
export function loanAt(ctx: Ctx, n: number): LoanFacts {
  const rng = ctx.at('loans', 'facts').fork(n);
  const { start, end } = ctx.options;
  const loans = ctx.rows('loans');
  const startMicros = start * MICROS_PER_DAY;
  const span = (end - start + 1) * MICROS_PER_DAY;
  const step = span / loans;
  const band = bands.pick(rng);
  const jitter = Math.floor(rng.float() * Math.min(step, MICROS_PER_DAY));
  const createdAt = Math.min(startMicros + span - 1, Math.floor(startMicros + (n - 1) * step) + jitter);
  const rateIndex = Math.min(RATE_STEPS.length - 1, Math.floor(rng.float() * 4 + BAND_RATE_SHIFT[band]));
  const zipf = ctx.shared('zipf:loans-customers', () => new Zipf(ctx.rows('customers'), 0.9));
  const gone = deletedCustomers(ctx);
  let customer = customerKey(popularCustomer(zipf, rng));
  while (gone.has(customer)) customer = customerKey(popularCustomer(zipf, rng));
  return {
    loanId: loanKey(n),
    customerId: customer,
    createdAt,
    amount: 5000 + 1000 * rng.int(0, 5),
    interestRate: RATE_STEPS[rateIndex]!,
    tenure: rng.pick(TENURES),
    status: statuses.pick(rng),
    productType: products.pick(rng),
    branch: branches.pick(rng),
    band,
  };
}

/** Loans with a repayment schedule: the approved ones and the closed (repaid) ones. */
export const hasSchedule = (loan: LoanFacts) => loan.status === 'APPROVED' || loan.status === 'CLOSED';

/**
 * firstRow[k] = repayment rows of loans 1..k (k = 0..loans): a loan with a schedule has one
 * row per month of its tenure, others none. Row r of loan_repayments belongs to the loan k
 * with firstRow[k-1] <= r < firstRow[k]. 8 bytes per loan, not a table of rows.
 */
export function repaymentIndex(ctx: Ctx): Float64Array {
  return ctx.shared('loans:repayments', () =>
    runningCounts(ctx.rows('loans'), (p) => {
      const loan = loanAt(ctx, p + 1);
      return hasSchedule(loan) ? loan.tenure : 0;
    }),
  );
}

/** The loan holding repayment row r (0-based), and the installment's number in it (1-based). */
export function repaymentAt(index: Float64Array, row: number): { loan: number; installment: number } {
  const p = parentOf(index, row);
  return { loan: p + 1, installment: row - index[p]! + 1 };
}

// ------------------------------------------------------------------ repayment schedules

export type InstallmentStatus = 'PAID' | 'LATE' | 'DEFAULTED' | 'SCHEDULED';
export const INSTALLMENT_STATUSES: readonly InstallmentStatus[] = ['PAID', 'LATE', 'DEFAULTED', 'SCHEDULED'];

export interface Installment {
  scheduleDate: number;
  emi: number;
  principal: number;
  interest: number;
  remaining: number;
  status: InstallmentStatus;
  missed: boolean;
}

const DEFAULT_RATE = 0.05;
const LATE_RATE = 0.08;
const HABITUAL_LATE_SHARE = 0.1;
const HABITUAL_LATE_FACTOR = 4;
/** Share of LATE installments paid more than 30 days late. */
const LATE_MISSED_SHARE = 0.25;
/** Before a default: the last paid installment is LATE this often, the one before it this often. */
const PRE_DEFAULT_LATE = [0.7, 0.4];

/**
 * A loan's whole schedule, as the loan_repayments scenario computes one (reducing balance in
 * integer cents; the last installment takes what is left so the balance ends at exactly 0.00).
 * Disbursed 1-7 days after the loan was created; installment i is due i months after
 * disbursement (day clamped to the month's end), so every due date is after created_at.
 * What happened to each installment: installments due after the horizon's end are SCHEDULED;
 * about 5% of APPROVED loans default after some installment and stay DEFAULTED; CLOSED loans
 * were repaid (PAID or LATE only).
 */
export function scheduleOf(ctx: Ctx, n: number, loan: LoanFacts): Installment[] {
  const rng = ctx.at('loan_repayments', 'schedule').fork(n);
  const createdDay = Math.floor(loan.createdAt / MICROS_PER_DAY);
  const { year, month, day } = civilFromDays(createdDay + rng.int(1, 7));
  const tenure = loan.tenure;
  const r = loan.interestRate / 1200;
  const growth = Math.pow(1 + r, tenure);
  const emi = Math.round((loan.amount * 100 * r * growth) / (growth - 1)); // cents
  const defaults = loan.status === 'APPROVED' && rng.chance(DEFAULT_RATE);
  const d = defaults ? 1 + Math.floor(Math.pow(rng.float(), 1.5) * (tenure - 1)) : tenure;
  const lateFactor = rng.chance(HABITUAL_LATE_SHARE) ? HABITUAL_LATE_FACTOR : 1;
  const pLate = LATE_RATE / (HABITUAL_LATE_SHARE * HABITUAL_LATE_FACTOR + (1 - HABITUAL_LATE_SHARE));
  const out: Installment[] = new Array(tenure);
  let balance = loan.amount * 100;
  for (let i = 1; i <= tenure; i++) {
    const interest = Math.round(balance * r);
    const principal = i === tenure ? balance : emi - interest;
    balance -= principal;
    const m0 = month - 1 + i;
    const y = year + Math.floor(m0 / 12);
    const m = (m0 % 12) + 1;
    const scheduleDate = daysFromCivil(y, m, Math.min(day, daysInMonth(y, m)));
    // Two draws per installment whatever its status, so the draws of one never shift another's.
    const u = rng.float();
    const v = rng.float();
    let status: InstallmentStatus;
    let missed = false;
    if (loan.status === 'APPROVED' && scheduleDate > ctx.options.end) status = 'SCHEDULED';
    else if (i > d) {
      status = 'DEFAULTED';
      missed = true;
    } else {
      const stress = defaults && d - i < PRE_DEFAULT_LATE.length ? PRE_DEFAULT_LATE[d - i]! : -1;
      const late = stress >= 0 ? u < stress : u < pLate * lateFactor;
      status = late ? 'LATE' : 'PAID';
      missed = late && (stress >= 0 && d === i ? true : v < LATE_MISSED_SHARE);
    }
    out[i - 1] = { scheduleDate, emi: (principal + interest) / 100, principal: principal / 100, interest: interest / 100, remaining: balance / 100, status, missed };
  }
  return out;
}
