import { beforeAll, describe, expect, it } from 'vitest';
import { memoryLedger, type LedgerEntry } from '../src/anomaly/ledger.js';
import { collect } from '../src/core/pipeline.js';
import { kindOf, type Row } from '../src/core/schema.js';
import { toJsonValue } from '../src/codecs/codec.js';
import { scenario } from '../sources/scenario.js';
import { attendance } from '../scenarios/attendance.js';
import { missing } from '../transforms/missing.js';
import { noise } from '../transforms/noise.js';
import { asDiff, cellDiff, withinSamplingError } from './helpers.js';

const ROWS = 100_000;
const source = () => scenario('attendance', { rows: ROWS, seed: 7 });



describe('noise', () => {
  let clean: Row[];
  let noisy: Row[];
  let ledger: ReturnType<typeof memoryLedger>;
  beforeAll(async () => {
    clean = await collect(source());
    ledger = memoryLedger();
    noisy = await collect(source(), noise({ rate: 0.01, seed: 3 }), { ledger });
  });

  it('changes cells at the requested rate, within sampling error', () => {
    // default columns: every non-key column; nulls are not eligible
    const columns = ['department', 'status', 'check_in', 'check_out'];
    const eligible = clean.reduce((n, r) => n + columns.filter((c) => r[c] !== null).length, 0);
    expect(withinSamplingError(ledger.entries.length, eligible, 0.01)).toBe(true);
    for (const c of columns) {
      const perColumn = ledger.entries.filter((e) => e.column === c).length;
      expect(withinSamplingError(perColumn, clean.filter((r) => r[c] !== null).length, 0.01)).toBe(true);
    }
  });

  it('records every change in the ledger, and nothing else', () => {
    expect(ledger.entries.map(asDiff)).toEqual(cellDiff(attendance.schema, clean, noisy));
  });

  it('leaves untouched rows as they were and keys alone', () => {
    const touched = new Set(ledger.entries.map((e) => e.row));
    clean.forEach((r, i) => {
      if (!touched.has(i)) expect(noisy[i]).toEqual(r);
      expect(noisy[i]!.employee_id).toBe(r.employee_id);
      expect(noisy[i]!.date).toBe(r.date);
    });
  });

  it('makes the kind of change that fits the column', () => {
    const kinds = new Map<string, Set<string>>();
    for (const e of ledger.entries) kinds.set(e.column, (kinds.get(e.column) ?? new Set()).add(e.kind));
    expect([...kinds.get('check_in')!]).toEqual(['time_jitter']);
    expect([...kinds.get('status')!]).toEqual(['typo']);
    for (const e of ledger.entries.filter((x) => x.kind === 'time_jitter')) expect(e.after).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    expect(ledger.entries.every((e) => e.table === 'attendance' && e.stage === 'noise' && e.key && 'date' in e.key)).toBe(true);
  });

  it('is reproducible: same seed, same changes; another seed, other cells', async () => {
    const again = memoryLedger();
    await collect(source(), noise({ rate: 0.01, seed: 3 }), { ledger: again });
    expect(again.entries).toEqual(ledger.entries);
    const other = memoryLedger();
    await collect(source(), noise({ rate: 0.01, seed: 4 }), { ledger: other });
    expect(other.entries.map(asDiff)).not.toEqual(ledger.entries.map(asDiff));
  });

  it('only touches the named columns', async () => {
    const l = memoryLedger();
    await collect(source(), noise({ rate: 0.05, columns: ['check_out'] }), { ledger: l });
    expect(new Set(l.entries.map((e) => e.column))).toEqual(new Set(['check_out']));
  });

  it('rate 0 changes nothing; rate 1 changes every non-null cell', async () => {
    const zero = memoryLedger();
    expect(await collect(source(), noise({ rate: 0 }), { ledger: zero })).toEqual(clean);
    expect(zero.entries.length).toBe(0);
    const small = await collect(scenario('attendance', { rows: 2000, seed: 7 }));
    const all = memoryLedger();
    await collect(scenario('attendance', { rows: 2000, seed: 7 }), noise({ rate: 1, columns: ['check_in'] }), { ledger: all });
    expect(all.entries.length).toBe(small.filter((r) => r.check_in !== null).length);
  });

  it('rejects a rate outside 0..1, unknown columns and options', async () => {
    expect(() => noise({ rate: 2 })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: 'noise: rate must be between 0 and 1, got 2' }));
    expect(() => noise({ rate: -0.1 })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => noise({ rate: 'lots' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => noise({ ratee: 0.1 } as never)).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    await expect(collect(source(), noise({ columns: ['nope'] }))).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
  });
});

describe('missing', () => {
  let clean: Row[];
  beforeAll(async () => {
    clean = await collect(source());
  });

  it('blanks the named columns at the requested rate and records each blank', async () => {
    const ledger = memoryLedger();
    const out = await collect(source(), missing({ rate: 0.02, columns: ['check_in', 'check_out'] }), { ledger });
    for (const c of ['check_in', 'check_out']) {
      const eligible = clean.filter((r) => r[c] !== null).length;
      const blanked = ledger.entries.filter((e) => e.column === c).length;
      expect(withinSamplingError(blanked, eligible, 0.02)).toBe(true);
    }
    expect(ledger.entries.every((e) => e.kind === 'null' && e.after === null && e.before !== null)).toBe(true);
    expect(ledger.entries.map(asDiff)).toEqual(cellDiff(attendance.schema, clean, out));
  });

  it('missing at random: conditioned on another column, other rows untouched', async () => {
    const ledger = memoryLedger();
    const out = await collect(source(), missing({ rate: 0.3, columns: ['check_out'], when: 'status=WFH' }), { ledger });
    const wfh = clean.filter((r) => r.status === 'WFH').length;
    expect(withinSamplingError(ledger.entries.length, wfh, 0.3)).toBe(true);
    clean.forEach((r, i) => {
      if (r.status !== 'WFH') expect(out[i]).toEqual(r);
    });
  });

  it('supports comparisons and several values in a condition', async () => {
    const ledger = memoryLedger();
    const out = await collect(source(), missing({ rate: 1, columns: ['check_in'], when: 'status=LATE|WFH && check_out>=18:00:00' }), { ledger });
    out.forEach((r, i) => {
      const c = clean[i]!;
      const match = (c.status === 'LATE' || c.status === 'WFH') && (c.check_out as number) >= 18 * 3600;
      expect(r.check_in).toBe(match ? null : c.check_in);
    });
    expect(() => missing({ when: 'status' })).not.toThrow(); // parsed with the schema, at open
    await expect(collect(source(), missing({ when: 'status' }))).rejects.toMatchObject({ code: 'E_OPTION' });
    await expect(collect(source(), missing({ when: 'colour=red' }))).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
  });
});
