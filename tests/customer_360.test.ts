import { faker } from '@faker-js/faker/locale/en_IN';
import { beforeAll, describe, expect, it } from 'vitest';
import { customer360 } from '../scenarios/customer_360.js';
import type { Row } from '../src/core/schema.js';
import { parseDate } from '../src/core/temporal.js';
import { expectClosedSets, expectExactRowCounts, expectRejectsEndBeforeStart, expectReproducible, median, scenarioRows, share, withinSamplingError } from './helpers.js';

const N = 60_000;
const OPTIONS = { rows: N, seed: 31 };
const START = parseDate('2010-01-01')!;
const END = parseDate('2024-12-31')!;
const num = (r: Row, c: string) => r[c] as number;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const BANDS = [18, 25, 35, 45, 55, 65, 200];

describe('customer_360', () => {
  let rows: Row[];
  let byIncome: Row[];
  beforeAll(async () => {
    rows = await scenarioRows(customer360, OPTIONS);
    byIncome = [...rows].sort((a, b) => num(a, 'income_annual') - num(b, 'income_annual'));
  });
  const quartile = (q: number) => byIncome.slice(Math.floor((q * N) / 4), Math.floor(((q + 1) * N) / 4));

  it('makes exactly the rows asked for', async () => {
    await expectExactRowCounts(customer360);
    expect(rows.length).toBe(N);
  });

  it('is deterministic: same seed same rows, batch size and shards change nothing, another seed differs', async () => {
    const other = await expectReproducible(customer360, rows, OPTIONS);
    expect(other.filter((r, i) => r.full_name === rows[i]!.full_name && r.income_annual === rows[i]!.income_annual).length).toBeLessThan(N / 100);
  });

  it('keeps every closed-set column inside its values; ids are CUST- + row number', () => {
    // no column is nullable, so each closed set is seen exactly: only and all of its values
    expect(customer360.schema.fields.some((f) => f.nullable)).toBe(false);
    expectClosedSets(customer360, rows);
    expect(rows.filter((r, i) => r.customer_id !== 'CUST-' + String(i + 1).padStart(5, '0')).length).toBe(0);
    expect(new Set(rows.map((r) => r.customer_id)).size).toBe(N);
    expect(rows.every((r) => Object.values(r).every((v) => v !== null))).toBe(true);
  });

  it('names come from the locale by gender; mix of gender and country as stated', () => {
    const female = new Set(faker.definitions.person.first_name.female);
    const male = new Set(faker.definitions.person.first_name.male);
    const last = new Set(faker.definitions.person.last_name.generic);
    const bad = rows.filter((r) => {
      // first names may have two words (Anand Swarup); the surname is the last word
      const name = r.full_name as string;
      const first = name.slice(0, name.lastIndexOf(' '));
      if (!last.has(name.slice(name.lastIndexOf(' ') + 1))) return true;
      return r.gender === 'Female' ? !female.has(first) : r.gender === 'Male' ? !male.has(first) : !female.has(first) && !male.has(first);
    });
    expect(bad.slice(0, 3)).toEqual([]);
    for (const [g, p] of [['Male', 0.505], ['Female', 0.485], ['Non-binary', 0.01]] as const) {
      expect(withinSamplingError(rows.filter((r) => r.gender === g).length, N, p), g).toBe(true);
    }
    expect(withinSamplingError(rows.filter((r) => r.country === 'India').length, N, 0.905)).toBe(true);
    expect(rows.filter((r) => r.country === 'India' && r.city === 'Mumbai').length).toBeGreaterThan(N * 0.03);
  });

  it('joins customers in order within the range, growing, never younger than 18 on joining', () => {
    const bad = rows.filter((r, i) => {
      const since = num(r, 'customer_since');
      const age = num(r, 'age');
      if (since < START || since > END || (i > 0 && since < num(rows[i - 1]!, 'customer_since'))) return true;
      return age < 18 || age > 90 || !Number.isInteger(age) || age - Math.floor((END - since) / 365.25) < 18;
    });
    expect(bad.slice(0, 3)).toEqual([]);
    const firstYear = rows.filter((r) => num(r, 'customer_since') < START + 365).length;
    const lastYear = rows.filter((r) => num(r, 'customer_since') > END - 365).length;
    expect(lastYear).toBeGreaterThan(3 * firstYear);
  });

  it('income rises by age band to 45-54 and falls after; non-residents earn more; occupations fit ages', () => {
    const med = BANDS.slice(0, -1).map((lo, b) => median(rows.filter((r) => num(r, 'age') >= lo && num(r, 'age') < BANDS[b + 1]!).map((r) => num(r, 'income_annual'))));
    expect(med[0]!).toBeLessThan(med[1]!);
    expect(med[1]!).toBeLessThan(med[2]!);
    expect(med[2]!).toBeLessThan(med[3]!);
    expect(med[4]!).toBeLessThan(med[3]!);
    expect(med[5]!).toBeLessThan(med[4]!);
    const india = rows.filter((r) => r.country === 'India').map((r) => num(r, 'income_annual'));
    const abroad = rows.filter((r) => r.country !== 'India').map((r) => num(r, 'income_annual'));
    expect(median(abroad)).toBeGreaterThan(1.8 * median(india));
    expect(rows.some((r) => r.occupation === 'Student' && num(r, 'age') >= 23)).toBe(false);
    expect(rows.some((r) => r.occupation === 'Retired' && num(r, 'age') < 60)).toBe(false);
    expect(rows.filter((r) => r.occupation === 'Student').length).toBeGreaterThan(100);
    const women = rows.filter((r) => r.gender === 'Female');
    const men = rows.filter((r) => r.gender === 'Male');
    expect(share(women, (r) => r.occupation === 'Homemaker')).toBeGreaterThan(5 * share(men, (r) => r.occupation === 'Homemaker'));
    expect(rows.every((r) => num(r, 'income_annual') >= 30_000 && Math.round(num(r, 'income_annual') * 100) / 100 === r.income_annual)).toBe(true);
  });

  it('risk falls with income; credit cards only from 21 and commoner with income; ~93% savings', () => {
    expect(share(quartile(0), (r) => r.risk_segment === 'HIGH')).toBeGreaterThan(2 * share(quartile(3), (r) => r.risk_segment === 'HIGH'));
    expect(share(quartile(3), (r) => r.risk_segment === 'LOW')).toBeGreaterThan(2 * share(quartile(0), (r) => r.risk_segment === 'LOW'));
    expect(rows.some((r) => r.has_credit_card && num(r, 'age') < 21)).toBe(false);
    expect(share(quartile(3), (r) => r.has_credit_card === true)).toBeGreaterThan(2 * share(quartile(0), (r) => r.has_credit_card === true));
    expect(withinSamplingError(rows.filter((r) => r.has_savings_account).length, N, 0.93)).toBe(true);
    const loans = (lo: number, hi: number) => share(rows.filter((r) => num(r, 'age') >= lo && num(r, 'age') < hi), (r) => r.has_loan === true);
    expect(loans(35, 45)).toBeGreaterThan(3 * loans(18, 25));
    expect(loans(35, 45)).toBeGreaterThan(3 * loans(65, 200));
  });

  it('num_products covers the flags; balances are non-negative and positive with a savings account', () => {
    const bad = rows.filter((r) => {
      const flags = +(r.has_credit_card as boolean) + +(r.has_loan as boolean) + +(r.has_savings_account as boolean);
      const p = num(r, 'num_products');
      const b = num(r, 'total_balance');
      return !Number.isInteger(p) || p < Math.max(1, flags) || p > flags + 3 || b < 0 || (r.has_savings_account && b <= 0) || Math.round(b * 100) / 100 !== b;
    });
    expect(bad.slice(0, 3)).toEqual([]);
    expect(rows.some((r) => r.total_balance === 0)).toBe(true);
  });

  it('scores lie in [0, 1] with 3 decimals; churn falls with engagement and products, and is highest in the first year', () => {
    const bad = rows.filter((r) =>
      ['churn_score', 'engagement_score'].some((c) => num(r, c) < 0 || num(r, c) > 1 || Math.round(num(r, c) * 1000) / 1000 !== num(r, c)),
    );
    expect(bad.slice(0, 3)).toEqual([]);
    const byEngagement = [...rows].sort((a, b) => num(a, 'engagement_score') - num(b, 'engagement_score'));
    const churn = (sel: Row[]) => mean(sel.map((r) => num(r, 'churn_score')));
    expect(churn(byEngagement.slice(-N / 4))).toBeLessThan(churn(byEngagement.slice(0, N / 4)) - 0.1);
    expect(churn(rows.filter((r) => num(r, 'num_products') >= 3))).toBeLessThan(churn(rows.filter((r) => r.num_products === 1)) - 0.05);
    expect(churn(rows.filter((r) => num(r, 'customer_since') > END - 365))).toBeGreaterThan(churn(rows.filter((r) => num(r, 'customer_since') <= END - 365)) + 0.05);
    const engagement = (sel: Row[]) => mean(sel.map((r) => num(r, 'engagement_score')));
    expect(engagement(rows.filter((r) => num(r, 'num_products') >= 3))).toBeGreaterThan(engagement(rows.filter((r) => r.num_products === 1)));
    expect(mean(rows.map((r) => num(r, 'churn_score')))).toBeGreaterThan(0.1);
    expect(mean(rows.map((r) => num(r, 'churn_score')))).toBeLessThan(0.5);
  });

  it('follows the start/end options and rejects an end before the start', async () => {
    const few = await scenarioRows(customer360, { rows: 5000, seed: 2, start: '2020-01-01', end: '2020-12-31' });
    const [from, to] = [parseDate('2020-01-01')!, parseDate('2020-12-31')!];
    expect(few.every((r) => num(r, 'customer_since') >= from && num(r, 'customer_since') <= to)).toBe(true);
    expectRejectsEndBeforeStart(customer360);
  });
});

describe('customer_360: email', () => {
  it('every email is well formed and comes from the name', async () => {
    const { collect } = await import('../src/core/pipeline.js');
    const { scenario } = await import('../sources/scenario.js');
    const rows = await collect(scenario('customer_360', { rows: 50_000, seed: 8 }));
    for (const r of rows) {
      const email = r.email as string;
      expect(email).toMatch(/^[a-z][a-z0-9._]*@(gmail\.com|yahoo\.co\.in|outlook\.com|hotmail\.com|rediffmail\.com|icloud\.com)$/);
      // the last word of the name (first names can have two words) is in the local part
      const last = (r.full_name as string).toLowerCase().replace(/[^a-z ]/g, '').split(' ').pop()!;
      expect(email.split('@')[0]).toContain(last);
    }
    expect(new Set(rows.map((r) => r.email)).size).toBeGreaterThan(25_000);
  });
});
