import { beforeAll, describe, expect, it } from 'vitest';
import { COUNTRIES, creditCardSpend } from '../scenarios/credit_card_spend.js';
import type { Row } from '../src/core/schema.js';
import { civilFromDays, isoWeekday } from '../src/core/temporal.js';
import {
  expectClosedSets, expectExactRowCounts, expectOrderedWithin, expectRejectsEndBeforeStart, expectReproducible, fraudShare as rate,
  istDay, istHourCounts, istMidnight, median, scenarioRows, topDecileByGroup, withinSamplingError,
} from './helpers.js';

const N = 100_000;
const OPTIONS = { rows: N, seed: 21 };
const country = new Map(COUNTRIES.map((c) => [c.country, c]));
const inr = (r: Row) => (r.amount as number) * country.get(r.country as string)!.inr;

describe('credit_card_spend', () => {
  let rows: Row[];
  beforeAll(async () => {
    rows = await scenarioRows(creditCardSpend, OPTIONS);
  });

  it('makes exactly the rows asked for', async () => {
    await expectExactRowCounts(creditCardSpend);
    expect(rows.length).toBe(N);
  });

  it('is deterministic: same seed same rows, batch size and shards change nothing, another seed differs', async () => {
    const other = await expectReproducible(creditCardSpend, rows, OPTIONS);
    expect(other.length).toBe(N);
    expect(other.filter((r, i) => r.amount === rows[i]!.amount && r.card_id === rows[i]!.card_id).length).toBeLessThan(N / 100);
  });

  it('keeps every closed-set column inside its values', () => {
    expectClosedSets(creditCardSpend, rows);
  });

  it('numbers transactions by row and formats customer and card ids', () => {
    const bad = rows.filter(
      (r, i) => r.transaction_id !== 'TXN' + String(i + 1).padStart(10, '0') || !/^CUST-\d{5,}$/.test(r.customer_id as string) || !/^CARD-\d{7,}$/.test(r.card_id as string),
    );
    expect(bad.slice(0, 3)).toEqual([]);
    expect(new Set(rows.map((r) => r.transaction_id)).size).toBe(N);
    expect(Math.max(...rows.map((r) => Number((r.customer_id as string).slice(5))))).toBeLessThanOrEqual(N / 50);
  });

  it('gives each card one customer and one network; UPI only on RuPay; no AMEX at ATMs', () => {
    const owner = new Map<unknown, unknown>();
    const network = new Map<unknown, unknown>();
    let conflicts = 0;
    for (const r of rows) {
      if ((owner.get(r.card_id) ?? r.customer_id) !== r.customer_id || (network.get(r.card_id) ?? r.card_network) !== r.card_network) conflicts++;
      owner.set(r.card_id, r.customer_id);
      network.set(r.card_id, r.card_network);
    }
    expect(conflicts).toBe(0);
    const cardsPerCustomer = new Map<unknown, Set<unknown>>();
    for (const r of rows) cardsPerCustomer.set(r.customer_id, (cardsPerCustomer.get(r.customer_id) ?? new Set()).add(r.card_id));
    expect(Math.max(...[...cardsPerCustomer.values()].map((s) => s.size))).toBe(3);
    expect(rows.some((r) => r.channel === 'UPI' && r.card_network !== 'RUPAY')).toBe(false);
    expect(rows.some((r) => r.channel === 'UPI')).toBe(true);
    expect(rows.some((r) => r.channel === 'ATM' && r.card_network === 'AMEX')).toBe(false);
    // networks per distinct card: 42/32/8/18
    const cards = network.size;
    for (const [n, p] of [['VISA', 0.42], ['MASTERCARD', 0.32], ['AMEX', 0.08], ['RUPAY', 0.18]] as const) {
      expect(withinSamplingError([...network.values()].filter((v) => v === n).length, cards, p), n).toBe(true);
    }
  });

  it('derives is_international, is_online and currency from country and channel; ATM rows have no merchant', () => {
    const bad = rows.filter(
      (r) =>
        r.is_international !== (r.country !== 'India') ||
        r.is_online !== (r.channel === 'ECOM') ||
        r.currency !== country.get(r.country as string)!.currency ||
        (r.merchant === null) !== (r.channel === 'ATM') ||
        (r.merchant_category === null) !== (r.channel === 'ATM'),
    );
    expect(bad.slice(0, 3)).toEqual([]);
    expect(rows.some((r) => r.currency === 'EUR')).toBe(true);
  });

  it('has about 10% of ECOM and 3% of POS abroad, none on UPI, and channel mix per network', () => {
    for (const [channel, p] of [['ECOM', 0.1], ['POS', 0.03]] as const) {
      const sel = rows.filter((r) => r.channel === channel);
      expect(withinSamplingError(sel.filter((r) => r.is_international).length, sel.length, p), channel).toBe(true);
    }
    expect(rows.some((r) => r.channel === 'UPI' && r.is_international)).toBe(false);
    const visa = rows.filter((r) => r.card_network === 'VISA');
    expect(withinSamplingError(visa.filter((r) => r.channel === 'ECOM').length, visa.length, 0.35)).toBe(true);
    const rupay = rows.filter((r) => r.card_network === 'RUPAY');
    expect(withinSamplingError(rupay.filter((r) => r.channel === 'UPI').length, rupay.length, 0.27)).toBe(true);
  });

  it('keeps amounts positive, within 10..500,000 INR, with round ATM cash and ordered category medians', () => {
    const bad = rows.filter((r) => {
      const a = r.amount as number;
      if (!(a > 0 && Math.round(a * 100) / 100 === a && inr(r) >= 9.5 && inr(r) <= 500_000.5)) return true;
      return r.channel === 'ATM' && a % (r.is_international ? 10 : 100) !== 0;
    });
    expect(bad.slice(0, 3)).toEqual([]);
    const med = (c: string) => median(rows.filter((r) => r.merchant_category === c).map(inr));
    for (const c of ['grocery', 'dining', 'fuel', 'apparel', 'utilities', 'healthcare']) {
      expect(med('entertainment'), c).toBeLessThan(med(c));
      expect(med(c), c).toBeLessThan(Math.min(med('travel'), med('electronics')));
    }
  });

  it('keeps time order in the range, with more spend in the festive season and on Saturdays', () => {
    const timestamps = rows.map((r) => r.txn_timestamp as number);
    expectOrderedWithin(timestamps, istMidnight(2024, 1, 1), istMidnight(2025, 1, 1));
    const perDay = new Map<number, number>();
    for (const t of timestamps) perDay.set(istDay(t), (perDay.get(istDay(t)) ?? 0) + 1);
    const mean = (pred: (day: number) => boolean) => {
      const days = [...perDay.keys()].filter(pred);
      return days.reduce((s, d) => s + perDay.get(d)!, 0) / days.length;
    };
    const month = (d: number) => civilFromDays(d).month;
    expect(mean((d) => month(d) === 11)).toBeGreaterThan(1.2 * mean((d) => month(d) === 2));
    expect(mean((d) => isoWeekday(d) === 5)).toBeGreaterThan(1.2 * mean((d) => isoWeekday(d) === 1));
    const byHour = istHourCounts(timestamps);
    expect(byHour[3]! * 20).toBeLessThan(byHour[19]!);
  });

  it('flags about 1% fraud, likelier abroad, online and for the largest amounts', () => {
    const frauds = rows.filter((r) => r.is_fraud).length;
    expect(withinSamplingError(frauds, N, 0.01), `${frauds}`).toBe(true);
    expect(rate(rows.filter((r) => r.is_international))).toBeGreaterThan(2.5 * rate(rows.filter((r) => !r.is_international)));
    expect(rate(rows.filter((r) => r.is_online))).toBeGreaterThan(1.8 * rate(rows.filter((r) => !r.is_online)));
    // the top 10% of INR amounts within each category (cash included) against the rest
    const { top, rest } = topDecileByGroup(rows, (r) => r.merchant_category, inr);
    expect(rate(top)).toBeGreaterThan(1.8 * rate(rest));
  });

  it('fraud rate follows the fraud-rate option; bad ranges are rejected', async () => {
    const heavy = await scenarioRows(creditCardSpend, { rows: 50_000, seed: 5, fraudRate: 0.08 });
    expect(withinSamplingError(heavy.filter((r) => r.is_fraud).length, 50_000, 0.08)).toBe(true);
    expectRejectsEndBeforeStart(creditCardSpend);
  });
});
