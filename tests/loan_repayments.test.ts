import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../src/core/pipeline.js';
import type { Row } from '../src/core/schema.js';
import { civilFromDays, daysInMonth, parseDate } from '../src/core/temporal.js';
import { loanRepayments } from '../scenarios/loan_repayments.js';
import { scenario } from '../sources/scenario.js';
import { withinSamplingError } from './helpers.js';

const N = 60_000;
const gen = (options: Record<string, unknown> = {}) => collect(scenario(loanRepayments, { rows: N, seed: 7, ...options }));

const AMOUNTS = [5000, 6000, 7000, 8000, 9000, 10000];
const RATES = [11, 11.5, 12, 12.5, 13, 13.5, 14];
const TENURES = [12, 24, 36, 48, 60];
const MONEY = ['emi_amount', 'principal_component', 'interest_component', 'remaining_principal'] as const;

/** Money in integer cents; fails on anything that is not a whole number of cents. */
function cents(v: unknown): number {
  const c = Math.round((v as number) * 100);
  if (typeof v !== 'number' || Math.abs((v as number) * 100 - c) > 1e-6) throw new Error(`not a 2-decimal amount: ${String(v)}`);
  return c;
}

function loansOf(rows: Row[]): Row[][] {
  const out: Row[][] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && last[0]!.loan_id === r.loan_id) last.push(r);
    else out.push([r]);
  }
  return out;
}

/**
 * Recompute a loan's schedule from its principal, annual rate and tenure, exactly as the
 * rules state (integer cents), and compare every money cell. Returns the first mismatch.
 */
function scheduleMismatch(loan: Row[], principal: number, annual: number, n: number): string | undefined {
  const r = annual / 1200;
  const g = Math.pow(1 + r, n);
  const emi = Math.round((principal * 100 * r * g) / (g - 1));
  let balance = principal * 100;
  for (let i = 0; i < loan.length; i++) {
    const row = loan[i]!;
    const k = i + 1;
    if (row.installment_number !== k) return `installment ${row.installment_number} at position ${k}`;
    const interest = Math.round(balance * r);
    const principalPart = k === n ? balance : emi - interest;
    balance -= principalPart;
    const expected = [principalPart + interest, principalPart, interest, balance];
    const actual = MONEY.map((c) => cents(row[c]));
    if (expected.some((e, j) => e !== actual[j])) return `installment ${k}: expected ${expected} got ${actual}`;
  }
  return undefined;
}

describe('loan_repayments: every rule on 60,000 rows', () => {
  let rows: Row[];
  let loans: Row[][];
  beforeAll(async () => {
    rows = await gen();
    loans = loansOf(rows);
  });

  it('has exactly the rows asked for: 0, 1, 8193, 50000 and counts ending mid-loan', async () => {
    for (const n of [0, 1, 8193, 50_000]) expect((await collect(scenario(loanRepayments, { rows: n, seed: 7 }))).length).toBe(n);
    // Of three consecutive counts at most one ends on a loan boundary (tenures are >= 12).
    let midLoan = 0;
    for (const n of [1234, 1235, 1236]) {
      const short = await collect(scenario(loanRepayments, { rows: n, seed: 7 }));
      expect(short.length).toBe(n);
      const parts = loansOf(short);
      parts.slice(0, -1).forEach((l) => expect(cents(l[l.length - 1]!.remaining_principal)).toBe(0));
      const last = parts[parts.length - 1]!;
      last.forEach((r, i) => expect(r.installment_number).toBe(i + 1));
      if (cents(last[last.length - 1]!.remaining_principal) > 0) midLoan++;
    }
    expect(midLoan).toBeGreaterThanOrEqual(2);
  });

  it('is deterministic: same seed same rows, other seed other rows, batch size and shards change nothing', async () => {
    expect(await gen()).toEqual(rows);
    const other = await gen({ seed: 8 });
    expect(other.length).toBe(N);
    expect(other.slice(0, 1000)).not.toEqual(rows.slice(0, 1000));
    expect(await gen({ batchSize: 1000 })).toEqual(rows);
    const parts: Row[] = [];
    for (let i = 0; i < 3; i++) parts.push(...(await gen({ shard: `${i}/3` })));
    expect(parts).toEqual(rows);
  });

  it('ids: LN0001.. in order, installments 1..tenure, customers in the loans format and repeating', () => {
    loans.forEach((loan, i) => {
      expect(loan[0]!.loan_id).toBe('LN' + String(i + 1).padStart(4, '0'));
      loan.forEach((r, k) => expect(r.installment_number).toBe(k + 1));
      expect(new Set(loan.map((r) => r.customer_id)).size).toBe(1);
    });
    loans.slice(0, -1).forEach((loan) => expect(TENURES).toContain(loan.length));
    expect(rows.every((r) => /^CUST\d{4,}$/.test(r.customer_id as string))).toBe(true);
    const customers = new Set(loans.map((l) => l[0]!.customer_id));
    expect(customers.size).toBeLessThan(loans.length * 0.8);
  });

  it('amortisation identities hold on EVERY row (in cents)', () => {
    let last = 0;
    for (const loan of loans) {
      let prev = cents(loan[0]!.remaining_principal) + cents(loan[0]!.principal_component);
      for (const r of loan) {
        const [emi, p, i, rem] = MONEY.map((c) => cents(r[c]));
        if (emi !== p! + i!) throw new Error(`${r.loan_id}#${r.installment_number}: emi ${emi} != ${p} + ${i}`);
        if (rem !== prev - p!) throw new Error(`${r.loan_id}#${r.installment_number}: remaining ${rem} != ${prev} - ${p}`);
        if (!(p! > 0 && i! >= 0 && rem! >= 0 && rem! < prev)) throw new Error(`${r.loan_id}#${r.installment_number}: balance does not fall`);
        prev = rem!;
      }
    }
    for (const loan of loans.slice(0, -1)) {
      const end = loan[loan.length - 1]!;
      expect(cents(end.remaining_principal)).toBe(0);
      expect(cents(end.principal_component)).toBe(cents(loan[loan.length - 2]!.remaining_principal));
      // every installment but the last pays the same EMI; the last differs by less than 1.00
      const emi = cents(loan[0]!.emi_amount);
      expect(loan.slice(0, -1).every((r) => cents(r.emi_amount) === emi)).toBe(true);
      expect(Math.abs(cents(end.emi_amount) - emi)).toBeLessThan(100);
      if (cents(end.emi_amount) !== emi) last++;
    }
    expect(last).toBeGreaterThan(0); // the last installment does absorb rounding
  });

  it('each loan is exactly the EMI schedule of a principal, rate and tenure on the documented grids', () => {
    const rates = new Map<number, number>();
    loans.forEach((loan, idx) => {
      const principal = (cents(loan[0]!.remaining_principal) + cents(loan[0]!.principal_component)) / 100;
      expect(AMOUNTS).toContain(principal);
      const tenures = idx === loans.length - 1 ? TENURES.filter((t) => t >= loan.length) : [loan.length];
      const fits = RATES.flatMap((rate) => tenures.filter((n) => scheduleMismatch(loan, principal, rate, n) === undefined).map(() => rate));
      if (fits.length === 0) throw new Error(`${loan[0]!.loan_id}: no rate/tenure reproduces it (${scheduleMismatch(loan, principal, 12, loan.length)})`);
      rates.set(fits[0]!, (rates.get(fits[0]!) ?? 0) + 1);
    });
    expect(rates.size).toBe(RATES.length); // every rate step occurs
  });

  it('schedule dates: monthly from the disbursement day (clamped to month end), disbursements rising with loan_id inside [start, end]', () => {
    const start = parseDate('2023-01-01')!;
    const end = parseDate('2024-12-31')!;
    let prevFirst = -Infinity;
    for (const loan of loans) {
      const dates = loan.map((r) => civilFromDays(r.schedule_date as number));
      const maxDay = Math.max(...dates.map((d) => d.day));
      dates.forEach((d, k) => {
        if (k > 0) expect((d.year - dates[k - 1]!.year) * 12 + d.month - dates[k - 1]!.month).toBe(1);
        // the disbursement day, unless the month is shorter
        expect(d.day === maxDay || d.day === daysInMonth(d.year, d.month)).toBe(true);
      });
      const first = loan[0]!.schedule_date as number;
      expect(first).toBeGreaterThanOrEqual(prevFirst);
      prevFirst = first;
      expect(first).toBeGreaterThan(start + 27);
      expect(first).toBeLessThanOrEqual(end + 31);
    }
  });

  it('defaults persist: after the first DEFAULTED installment every later one is DEFAULTED and missed', () => {
    const complete = loans.slice(0, -1);
    let defaulted = 0;
    let lateBefore = 0;
    for (const loan of complete) {
      const d = loan.findIndex((r) => r.status === 'DEFAULTED');
      if (d < 0) continue;
      defaulted++;
      expect(d).toBeGreaterThanOrEqual(1); // at least one installment before the default
      expect(loan.slice(d).every((r) => r.status === 'DEFAULTED' && r.is_missed_payment === true)).toBe(true);
      expect(loan.slice(0, d).every((r) => r.status !== 'DEFAULTED')).toBe(true);
      if (loan[d - 1]!.status === 'LATE') lateBefore++;
    }
    expect(withinSamplingError(defaulted, complete.length, 0.05), `${defaulted} of ${complete.length}`).toBe(true);
    // the installment before a default is usually late (70%), far above the 8% base
    expect(lateBefore / defaulted).toBeGreaterThan(0.5);
  });

  it('PAID is never missed, DEFAULTED always is, about 8% of installments before a default are LATE, about a quarter of those missed', () => {
    const beforeDefault = rows.filter((r) => r.status !== 'DEFAULTED');
    expect(beforeDefault.filter((r) => r.status === 'PAID').every((r) => r.is_missed_payment === false)).toBe(true);
    expect(rows.filter((r) => r.status === 'DEFAULTED').every((r) => r.is_missed_payment === true)).toBe(true);
    const late = beforeDefault.filter((r) => r.status === 'LATE');
    // per-loan habits cluster the late payments: allow a wider band than a plain binomial
    expect(Math.abs(late.length / beforeDefault.length - 0.08)).toBeLessThan(0.01);
    const missed = late.filter((r) => r.is_missed_payment).length / late.length;
    expect(missed).toBeGreaterThan(0.2);
    expect(missed).toBeLessThan(0.35);
  });

  it('options change what they say: loans, default rate, dates; mistakes are reported', async () => {
    const fixed = loansOf(await collect(scenario(loanRepayments, { rows: 3000, seed: 1, loans: 200, defaultRate: 0.5 })));
    expect(fixed.length).toBeLessThanOrEqual(200);
    const def = fixed.slice(0, -1).filter((l) => l.some((r) => r.status === 'DEFAULTED')).length;
    expect(withinSamplingError(def, fixed.length - 1, 0.5)).toBe(true);
    const june = await collect(scenario(loanRepayments, { rows: 2000, seed: 1, start: '2024-06-01', end: '2024-06-30' }));
    const firsts = loansOf(june).map((l) => civilFromDays(l[0]!.schedule_date as number));
    expect(firsts.every((d) => d.year === 2024 && d.month === 7)).toBe(true);
    expect(() => scenario(loanRepayments, { rows: 10_000, loans: 10 })).toThrowError(expect.objectContaining({ code: 'E_CAPACITY' }));
    expect(() => scenario(loanRepayments, { start: '2024-02-01', end: '2024-01-01' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => scenario(loanRepayments, { defaultRate: 1.5 })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
  });

  it('generation code never calls Math.random or reads the clock', () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'scenarios/loan_repayments.ts'), 'utf8');
    expect(text).not.toMatch(/Math\.random|Date\.now|new Date\(|performance\.now|process\.hrtime/);
  });
});
