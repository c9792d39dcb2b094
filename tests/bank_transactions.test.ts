import { beforeAll, describe, expect, it } from 'vitest';
import { bankTransactions } from '../scenarios/bank_transactions.js';
import type { Row } from '../src/core/schema.js';
import {
  expectClosedSets, expectExactRowCounts, expectOrderedWithin, expectRejectsEndBeforeStart, expectReproducible, fraudShare as rate,
  istHour, istHourCounts, istMidnight, median, scenarioRows, topDecileByGroup, withinSamplingError,
} from './helpers.js';

const N = 100_000;
const OPTIONS = { rows: N, seed: 11 };

describe('bank_transactions', () => {
  let rows: Row[];
  beforeAll(async () => {
    rows = await scenarioRows(bankTransactions, OPTIONS);
  });

  it('makes exactly the rows asked for', async () => {
    await expectExactRowCounts(bankTransactions);
    expect(rows.length).toBe(N);
  });

  it('is deterministic: same seed same rows, batch size and shards change nothing, another seed differs', async () => {
    const other = await expectReproducible(bankTransactions, rows, OPTIONS);
    expect(other.length).toBe(N);
    expect(other.filter((r, i) => r.transaction_id === rows[i]!.transaction_id).length).toBe(0);
    expect(other.filter((r, i) => r.amount === rows[i]!.amount).length).toBeLessThan(N / 100);
  });

  it('keeps every closed-set column inside its values', () => {
    expectClosedSets(bankTransactions, rows);
    expect(new Set(rows.map((r) => typeof r.is_fraud))).toEqual(new Set(['boolean']));
  });

  it('has unique v4 UUIDs and CUST-NNNNN customers within 1..customers', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(rows.every((r) => uuid.test(r.transaction_id as string))).toBe(true);
    expect(new Set(rows.map((r) => r.transaction_id)).size).toBe(N);
    // every variant nibble occurs
    expect(new Set(rows.map((r) => (r.transaction_id as string)[19])).size).toBe(4);
    const ids = rows.map((r) => /^CUST-(\d{5,})$/.exec(r.customer_id as string));
    expect(ids.every((m) => m !== null)).toBe(true);
    const numbers = ids.map((m) => Number(m![1]));
    expect(Math.min(...numbers)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...numbers)).toBeLessThanOrEqual(N / 40);
    // a power law: the busiest customer is far above the average
    const counts = new Map<number, number>();
    for (const n of numbers) counts.set(n, (counts.get(n) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBeGreaterThan(10 * (N / counts.size));
  });

  it('keeps timestamps in the range (India time), in order, with quiet nights', async () => {
    const timestamps = rows.map((r) => r.timestamp as number);
    expectOrderedWithin(timestamps, istMidnight(2024, 1, 1), istMidnight(2025, 1, 1));
    const byHour = istHourCounts(timestamps);
    expect(byHour[3]! * 10).toBeLessThan(byHour[19]!);
    const few = await scenarioRows(bankTransactions, { rows: 2000, seed: 1, start: '2025-03-01', end: '2025-03-02' });
    const [from, to] = [istMidnight(2025, 3, 1), istMidnight(2025, 3, 3)];
    expect(few.every((r) => (r.timestamp as number) >= from && (r.timestamp as number) < to)).toBe(true);
  });

  it('has the stated channel mix and credit share', () => {
    const mix = { upi: 0.38, card_swipe: 0.24, online: 0.16, net_banking: 0.1, atm: 0.12 };
    for (const [channel, p] of Object.entries(mix)) {
      const n = rows.filter((r) => r.channel === channel).length;
      expect(withinSamplingError(n, N, p), `${channel}: ${n}`).toBe(true);
    }
    const credits = rows.filter((r) => r.transaction_type === 'credit').length;
    expect(withinSamplingError(credits, N, 0.38 * 0.08 + 0.24 * 0.05 + 0.16 * 0.1 + 0.1 * 0.06 + 0.12 * 0.15)).toBe(true);
  });

  it('ATM rows have no merchant and round cash; amounts are in range with 2 decimals; category medians are ordered', () => {
    const bad = rows.filter((r) => {
      const atm = r.channel === 'atm';
      const a = r.amount as number;
      if ((r.merchant === null) !== atm || (r.merchant_category === null) !== atm) return true;
      if (!(a >= 1 && a <= 500_000 && Math.round(a * 100) / 100 === a)) return true;
      return atm && !(a % 100 === 0 && a >= 100 && a <= 20_000);
    });
    expect(bad.slice(0, 3)).toEqual([]);
    expect(rows.filter((r) => r.channel === 'atm').length).toBeGreaterThan(0);
    const med = (c: string) => median(rows.filter((r) => r.merchant_category === c).map((r) => r.amount as number));
    expect(med('food')).toBeLessThan(med('grocery'));
    expect(med('grocery')).toBeLessThan(med('utilities'));
    expect(med('utilities')).toBeLessThan(med('travel'));
    expect(med('utilities')).toBeLessThan(med('electronics'));
    // merchants repeat by a power law within a category
    const byMerchant = new Map<string, number>();
    for (const r of rows) if (r.merchant_category === 'grocery') byMerchant.set(r.merchant as string, (byMerchant.get(r.merchant as string) ?? 0) + 1);
    expect(Math.max(...byMerchant.values())).toBeGreaterThan(20 * median([...byMerchant.values()]));
  });

  it("puts about 90% of a customer's transactions in one home city", () => {
    const cities = new Map<string, Map<string, number>>();
    for (const r of rows) {
      const m = cities.get(r.customer_id as string) ?? new Map<string, number>();
      m.set(r.location as string, (m.get(r.location as string) ?? 0) + 1);
      cities.set(r.customer_id as string, m);
    }
    let home = 0;
    let total = 0;
    for (const m of cities.values()) {
      const counts = [...m.values()];
      const n = counts.reduce((s, c) => s + c, 0);
      if (n < 30) continue;
      home += Math.max(...counts);
      total += n;
    }
    expect(total).toBeGreaterThan(N / 2);
    expect(home / total).toBeGreaterThan(0.88);
    expect(home / total).toBeLessThan(0.95);
  });

  it('flags about 2% fraud, debits only, likelier online, at night, away from home and for large amounts', () => {
    const frauds = rows.filter((r) => r.is_fraud).length;
    expect(withinSamplingError(frauds, N, 0.02), `${frauds}`).toBe(true);
    expect(rows.some((r) => r.is_fraud && r.transaction_type === 'credit')).toBe(false);
    const debits = rows.filter((r) => r.transaction_type === 'debit');
    expect(rate(debits.filter((r) => r.channel === 'online'))).toBeGreaterThan(2 * rate(debits.filter((r) => r.channel === 'card_swipe')));
    expect(rate(debits.filter((r) => istHour(r.timestamp as number) < 5))).toBeGreaterThan(2 * rate(debits.filter((r) => istHour(r.timestamp as number) >= 8)));
    // the top 10% of amounts within each category (ATM cash included) against the rest
    const { top, rest } = topDecileByGroup(debits, (r) => r.merchant_category, (r) => r.amount as number);
    expect(rate(top)).toBeGreaterThan(1.8 * rate(rest));
    // away from the customer's most frequent city
    const modal = new Map<string, string>();
    const tally = new Map<string, number>();
    for (const r of rows) tally.set(`${r.customer_id}|${r.location}`, (tally.get(`${r.customer_id}|${r.location}`) ?? 0) + 1);
    const best = new Map<string, number>();
    for (const [key, n] of tally) {
      const [c, city] = key.split('|') as [string, string];
      if (n > (best.get(c) ?? 0)) {
        best.set(c, n);
        modal.set(c, city);
      }
    }
    const away = debits.filter((r) => r.location !== modal.get(r.customer_id as string));
    const home = debits.filter((r) => r.location === modal.get(r.customer_id as string));
    expect(rate(away)).toBeGreaterThan(1.5 * rate(home));
  });

  it('fraud rate follows the fraud-rate option', async () => {
    const heavy = await scenarioRows(bankTransactions, { rows: 50_000, seed: 5, fraudRate: 0.1 });
    expect(withinSamplingError(heavy.filter((r) => r.is_fraud).length, 50_000, 0.1)).toBe(true);
    const none = await scenarioRows(bankTransactions, { rows: 10_000, seed: 5, fraudRate: 0 });
    expect(none.some((r) => r.is_fraud)).toBe(false);
  });

  it('rejects an end before the start', () => {
    expectRejectsEndBeforeStart(bankTransactions);
  });
});
