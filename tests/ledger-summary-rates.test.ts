import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeLedger, type SummaryRow } from '../src/ledger-summary.js';
import { run } from '../src/core/pipeline.js';
import { jsonl } from '../sinks/jsonl.js';
import { scenario } from '../sources/scenario.js';
import { corruptFk } from '../transforms/corrupt-fk.js';
import { duplicate } from '../transforms/duplicate.js';
import { malform } from '../transforms/malform.js';
import { missing } from '../transforms/missing.js';
import { noise } from '../transforms/noise.js';
import { outliers } from '../transforms/outliers.js';
import { tempDir, withinSamplingError } from './helpers.js';

/**
 * `ledger summary`'s "rate asked", from ledgers of real pipelines: the column's rate (also when
 * it was the default) on the column's line, and a kind's share only where the stage's options
 * fix the split. Every count is the ledger's.
 */
const ROWS = 20_000;

async function summarize(build: (ledger: string) => Promise<unknown>) {
  const ledger = join(tempDir(), 'ledger.jsonl');
  await build(ledger);
  const changes = readFileSync(ledger, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => !('event' in e));
  const summary = await summarizeLedger(ledger);
  const line = (stage: string, column: string, kind: string) => summary.rows.find((r) => r.stage === stage && r.column === column && r.kind === kind);
  return { summary, changes, line };
}

/** Counts are the ledger's: each kind line its kind's changes, each `*` line the sum of its kind lines. */
function expectCountsOfLedger(rows: SummaryRow[], changes: Array<{ stage: string; column: string; kind: string }>) {
  const kindLines = rows.filter((r) => r.kind !== '*');
  expect(kindLines.reduce((s, r) => s + r.injected, 0)).toBe(changes.length);
  for (const r of kindLines) expect(r.injected, `${r.stage} ${r.column} ${r.kind}`).toBe(changes.filter((c) => c.stage === r.stage && c.column === r.column && c.kind === r.kind).length);
  for (const all of rows.filter((r) => r.kind === '*')) {
    const parts = kindLines.filter((r) => r.stage === all.stage && r.column === all.column);
    expect(parts.length, `${all.stage} ${all.column}`).toBeGreaterThan(0);
    expect(all.injected).toBe(parts.reduce((s, r) => s + r.injected, 0));
    const shares = parts.map((r) => r.rateAsked);
    // kind rates, where shown, add up to the column's rate
    if (shares.every((x) => x !== null)) expect((shares as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(all.rateAsked!, 12);
  }
}

describe('ledger summary: rate asked', () => {
  it('default rates are shown (noise 1%, missing 5%); one kind per column is one line', async () => {
    const { summary, changes, line } = await summarize((ledger) =>
      run(scenario('attendance', { rows: ROWS, seed: 1 }), noise({ columns: ['department', 'check_in'] }), missing({ columns: ['check_out'], seed: 3 }), jsonl({ path: join(tempDir(), 'a.jsonl') }), { ledger }),
    );
    expect(line('noise', 'department', 'typo')).toMatchObject({ rateAsked: 0.01, rows: ROWS });
    expect(line('noise', 'check_in', 'time_jitter')).toMatchObject({ rateAsked: 0.01 });
    expect(line('missing', 'check_out', 'null')).toMatchObject({ rateAsked: 0.05 });
    expect(summary.rows.some((r) => r.kind === '*')).toBe(false);
    expectCountsOfLedger(summary.rows, changes);
  });

  it('duplicate and corrupt-fk split evenly over their kinds; outliers by weight; malform kinds have no rate of their own', async () => {
    const c360 = await summarize((ledger) =>
      run(
        scenario('customer_360', { rows: ROWS, seed: 3 }),
        duplicate({ rate: 0.02, near: true }), // kinds exact (the default) + near: 1% each
        outliers({ columns: ['income_annual'], rate: 0.02, kinds: ['unit_x1000=3', 'extreme'] }), // 1.5% + 0.5%
        malform({ columns: ['full_name'], rate: 0.02 }),
        malform({ columns: ['email'], rate: 0.01, kinds: ['email'], seed: 9 }),
        jsonl({ path: join(tempDir(), 'c.jsonl') }),
        { ledger },
      ),
    );
    const dup = c360.line('duplicate', '*', '*')!;
    expect(dup).toMatchObject({ rateAsked: 0.02, rows: ROWS });
    for (const kind of ['duplicate_exact', 'near_duplicate']) {
      const r = c360.line('duplicate', '*', kind)!;
      expect(r.rateAsked).toBeCloseTo(0.01, 12);
      expect(withinSamplingError(r.injected, ROWS, 0.01), `${kind}: ${r.injected}`).toBe(true); // per input row: the rate asked is what was made
    }
    expect(c360.line('outliers', 'income_annual', '*')).toMatchObject({ rateAsked: 0.02 });
    expect(c360.line('outliers', 'income_annual', 'unit_x1000')!.rateAsked).toBeCloseTo(0.015, 12);
    expect(c360.line('outliers', 'income_annual', 'extreme')!.rateAsked).toBeCloseTo(0.005, 12);
    expect(c360.line('malform', 'full_name', '*')).toMatchObject({ rateAsked: 0.02 });
    const nameKinds = c360.summary.rows.filter((r) => r.stage === 'malform' && r.column === 'full_name' && r.kind !== '*');
    expect(nameKinds.length).toBeGreaterThan(1);
    expect(nameKinds.every((r) => r.rateAsked === null)).toBe(true);
    // asked for one kind that makes one ledger kind: one line with the rate
    expect(c360.line('malform', 'email', 'malformed_email')).toMatchObject({ rateAsked: 0.01 });
    expect(c360.line('malform', 'email', '*')).toBeUndefined();
    expectCountsOfLedger(c360.summary.rows, c360.changes);

    const tx = await summarize((ledger) =>
      run(
        scenario('bank_transactions', { rows: ROWS, seed: 5, customers: 500 }),
        corruptFk({ columns: ['customer_id'], template: 'CUST-{n:05}', range: '1..500', rate: 0.04, kinds: ['absent', 'format', 'deleted', 'wrong_type'] }),
        jsonl({ path: join(tempDir(), 't.jsonl') }),
        { ledger },
      ),
    );
    expect(tx.line('corrupt-fk', 'customer_id', '*')).toMatchObject({ rateAsked: 0.04 });
    for (const kind of ['fk_absent', 'fk_format', 'fk_deleted', 'fk_wrong_type']) {
      const r = tx.line('corrupt-fk', 'customer_id', kind)!;
      expect(r.rateAsked, kind).toBeCloseTo(0.01, 12);
      expect(withinSamplingError(r.injected, ROWS, 0.01), `${kind}: ${r.injected}`).toBe(true); // customer_id is never null
    }
    expectCountsOfLedger(tx.summary.rows, tx.changes);
  });

  it('two stages of one kind: each column gets the rate and rows of the stage that covers it; on a shared column no single rate was asked', async () => {
    const { summary, changes, line } = await summarize((ledger) =>
      run(
        scenario('customer_360', { rows: ROWS, seed: 3 }),
        duplicate({ rate: 0.01 }), // the stages after it see more rows than the table has
        noise({ columns: ['city'], rate: 0.02, seed: 1 }),
        noise({ columns: ['age', 'city'], rate: 0.03, seed: 2 }),
        jsonl({ path: join(tempDir(), 'n.jsonl') }),
        { ledger },
      ),
    );
    const inserted = changes.filter((c) => c.stage === 'duplicate').length;
    expect(line('noise', 'age', 'jitter')).toMatchObject({ rateAsked: 0.03, rows: ROWS + inserted }); // not twice the rows
    expect(line('noise', 'city', 'typo')).toMatchObject({ rateAsked: null, rows: ROWS + inserted });
    expectCountsOfLedger(summary.rows, changes);
  });

  it('a kind asked for but never made still has its line, with 0 injected', async () => {
    const { line } = await summarize((ledger) =>
      run(scenario('customer_360', { rows: 3000, seed: 3 }), duplicate({ rate: 0.001, kinds: ['exact', 'key', 'near'] }), jsonl({ path: join(tempDir(), 'd.jsonl') }), { ledger }),
    );
    const kinds = ['duplicate_exact', 'duplicate_key', 'near_duplicate'].map((k) => line('duplicate', '*', k)!);
    expect(kinds.every((r) => r !== undefined && Math.abs(r.rateAsked! - 0.001 / 3) < 1e-15)).toBe(true);
    expect(kinds.some((r) => r.injected === 0)).toBe(true); // 3 expected changes in all: some kind gets none
  });
});
