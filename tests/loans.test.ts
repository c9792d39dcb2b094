import { beforeAll, describe, expect, it } from 'vitest';
import { memoryLedger } from '../src/anomaly/ledger.js';
import { collect } from '../src/core/pipeline.js';
import type { Row } from '../src/core/schema.js';
import { LOANS_MISSING, loans } from '../scenarios/loans.js';
import { scenario } from '../sources/scenario.js';
import { missing } from '../transforms/missing.js';
import { withinSamplingError } from './helpers.js';

const N = 60_000;

describe('loans', () => {
  let clean: Row[];
  beforeAll(async () => {
    clean = await collect(scenario('loan_applications', { rows: N, seed: 7 }));
  });

  it('has exactly N rows with sequential ids and values on the documented grids', () => {
    expect(clean.length).toBe(N);
    clean.forEach((r, i) => {
      expect(r.loan_id).toBe('LN' + String(i + 1).padStart(4, '0'));
      expect(r.customer_id).toMatch(/^CUST\d{4,}$/);
      expect([5000, 6000, 7000, 8000, 9000, 10000]).toContain(r.amount);
      expect([11, 11.5, 12, 12.5, 13, 13.5, 14]).toContain(r.interest_rate);
      expect([12, 24, 36, 48, 60]).toContain(r.tenure_months);
    });
  });

  it('status mix is about 30/30/20/20 and weaker credit pays more', () => {
    for (const [s, p] of [['REJECTED', 0.3], ['PENDING', 0.3], ['APPROVED', 0.2], ['CLOSED', 0.2]] as const) {
      expect(withinSamplingError(clean.filter((r) => r.status === s).length, N, p)).toBe(true);
    }
    const meanRate = (band: string) => {
      const sel = clean.filter((r) => r.credit_score_band === band);
      return sel.reduce((s, r) => s + (r.interest_rate as number), 0) / sel.length;
    };
    expect(meanRate('LOW')).toBeGreaterThan(meanRate('MEDIUM'));
    expect(meanRate('MEDIUM')).toBeGreaterThan(meanRate('HIGH'));
  });

  it('created_at rises with loan_id within a day of jitter, inside the range', () => {
    const day = 86_400_000_000;
    for (let i = 1; i < clean.length; i++) expect((clean[i]!.created_at as number) - (clean[i - 1]!.created_at as number)).toBeGreaterThan(-day);
    const start = Date.UTC(2023, 0, 1) * 1000;
    const end = Date.UTC(2025, 0, 1) * 1000;
    expect(clean.every((r) => (r.created_at as number) >= start && (r.created_at as number) < end)).toBe(true);
  });

  it('default stage: documented missingness per column, within sampling error', async () => {
    const ledger = memoryLedger();
    const dirty = await collect(scenario('loans', { rows: N, seed: 7 }), ...loans.defaultStages!(), { ledger });
    for (const [column, rate] of Object.entries(LOANS_MISSING)) {
      const nulls = dirty.filter((r) => r[column] === null).length;
      expect(withinSamplingError(nulls, N, rate), `${column}: ${nulls}`).toBe(true);
      expect(ledger.entries.filter((e) => e.column === column).length).toBe(nulls);
    }
    expect(dirty.every((r) => r.loan_id !== null && r.customer_id !== null)).toBe(true);
  });

  it('missing rates are checked', () => {
    expect(() => missing({ rates: ['amount=1.5'] })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => missing({ rates: 'amount' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
  });
});
