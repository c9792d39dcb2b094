import { beforeAll, describe, expect, it } from 'vitest';
import { startsFormula } from '../src/anomaly/cell-stage.js';
import { memoryLedger, type LedgerEntry } from '../src/anomaly/ledger.js';
import { applyTransforms, collect } from '../src/core/pipeline.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { parseDate } from '../src/core/temporal.js';
import { scenario } from '../sources/scenario.js';
import { duplicate } from '../transforms/duplicate.js';
import { rowsSource, withinSamplingError } from './helpers.js';

const N = 60_000;
const customers = (options: Record<string, unknown> = {}) => scenario('customer_360', { rows: N, seed: 5, ...options });
type Ledger = ReturnType<typeof memoryLedger>;
const KIND_NAMES = { exact: 'duplicate_exact', key: 'duplicate_key', near: 'near_duplicate' } as const;

/** The output without the rows the ledger lists. */
const withoutListed = (out: Row[], entries: LedgerEntry[]) => {
  const listed = new Set(entries.map((e) => e.row));
  return out.filter((_, i) => !listed.has(i));
};

/** Input rows (not listed) strictly between the original and its duplicate, plus one. */
function delays(out: Row[], entries: LedgerEntry[]): number[] {
  const listed = new Set(entries.map((e) => e.row));
  const inputBefore = new Int32Array(out.length + 1); // input rows among out[0..i)
  for (let i = 0; i < out.length; i++) inputBefore[i + 1] = inputBefore[i]! + (listed.has(i) ? 0 : 1);
  return entries.map((e) => inputBefore[e.row]! - inputBefore[(e.before as number) + 1]! + 1);
}

/** Columns whose values differ between two rows. */
const differing = (a: Row, b: Row) => Object.keys(a).filter((c) => a[c] !== b[c]);

describe('duplicate: every kind at once (customer_360, 60k rows)', () => {
  let clean: Row[];
  let out: Row[];
  let ledger: Ledger;
  const opts = { rate: 0.03, kinds: ['exact', 'key', 'near'], seed: 3 };
  beforeAll(async () => {
    clean = await collect(customers());
    ledger = memoryLedger();
    out = await collect(customers(), duplicate(opts), { ledger });
  });

  it('inserts duplicates at the requested rate, split evenly across the kinds', () => {
    expect(out.length).toBe(N + ledger.entries.length);
    expect(withinSamplingError(ledger.entries.length, N, 0.03)).toBe(true);
    for (const kind of Object.values(KIND_NAMES)) {
      expect(withinSamplingError(ledger.entries.filter((e) => e.kind === kind).length, N, 0.01), kind).toBe(true);
    }
  });

  it('ledger complete: deleting the listed rows gives back the input, in order; input rows are passed on as they were', () => {
    expect(withoutListed(out, ledger.entries)).toEqual(clean);
    expect(new Set(ledger.entries.map((e) => e.row)).size).toBe(ledger.entries.length);
  });

  it('records each inserted row once: output index, key, column *, kind, original output index', () => {
    let last = -1;
    for (const e of ledger.entries) {
      expect(e.stage).toBe('duplicate');
      expect(e.table).toBe('customer_360');
      expect(e.column).toBe('*');
      expect(e.row).toBeGreaterThan(last); // in output order
      last = e.row;
      expect(typeof e.before).toBe('number');
      expect(e.before as number).toBeLessThan(e.row);
      expect(e.key).toEqual({ customer_id: out[e.row]!.customer_id });
      expect(e.after === null).toBe(e.kind !== 'near_duplicate');
    }
  });

  it('exact duplicates are copies of their original', () => {
    const exact = ledger.entries.filter((e) => e.kind === 'duplicate_exact');
    for (const e of exact) {
      expect(out[e.row]).toEqual(out[e.before as number]);
      expect(out[e.row]).not.toBe(out[e.before as number]); // a row of its own: later stages change one, not both
    }
  });

  it('key duplicates share the key and differ in content, which comes from an earlier row', () => {
    const byContent = new Set(clean.map((r) => JSON.stringify({ ...r, customer_id: null })));
    const key = ledger.entries.filter((e) => e.kind === 'duplicate_key');
    let donated = 0;
    for (const e of key) {
      const dup = out[e.row]!;
      const original = out[e.before as number]!;
      expect(dup.customer_id).toBe(original.customer_id);
      expect(differing(dup, original).length).toBeGreaterThan(0);
      if (byContent.has(JSON.stringify({ ...dup, customer_id: null }))) donated++;
    }
    expect(donated).toBeGreaterThan(key.length * 0.99); // all but the very first rows
  });

  it('near duplicates get a new key that no input row has, unique, and exactly the changes the ledger describes', () => {
    const inputKeys = new Set(clean.map((r) => r.customer_id));
    const near = ledger.entries.filter((e) => e.kind === 'near_duplicate');
    const keys = new Set<unknown>();
    const labels = new Map<string, number>();
    for (const e of near) {
      const dup = out[e.row]!;
      const original = out[e.before as number]!;
      expect(dup.customer_id).toMatch(/^CUST-1\d{9}$/);
      expect(inputKeys.has(dup.customer_id)).toBe(false);
      keys.add(dup.customer_id);
      const parts = (e.after as string).split('; ').map((p) => p.split(': ') as [string, string]);
      expect(parts[0]).toEqual(['customer_id', 'new key']);
      expect(parts.length).toBeGreaterThanOrEqual(2); // the key and at least one field
      expect(parts.length).toBeLessThanOrEqual(4);
      const described = parts.flatMap(([cols]) => cols.split(', '));
      expect(differing(dup, original).sort()).toEqual(described.sort());
      for (const [, label] of parts.slice(1)) labels.set(label, (labels.get(label) ?? 0) + 1);
      for (const c of Object.keys(dup)) if (startsFormula(dup[c]!)) expect(startsFormula(original[c]!)).toBe(true);
    }
    expect(keys.size).toBe(near.length);
    for (const label of ['typo', 'case', 'whitespace', 'abbreviation', 'name parts swapped', 'initial', 'rounded']) {
      expect(labels.get(label) ?? 0, label).toBeGreaterThan(5);
    }
  });

  it('never changes a key column, a *_id column or a boolean on near duplicates, and only changes values of their kind', () => {
    for (const e of ledger.entries.filter((x) => x.kind === 'near_duplicate')) {
      const dup = out[e.row]!;
      const original = out[e.before as number]!;
      for (const c of ['age', 'has_credit_card', 'has_loan', 'has_savings_account', 'num_products']) expect(dup[c]).toBe(original[c]);
      for (const c of Object.keys(dup)) expect(typeof dup[c]).toBe(typeof original[c]);
    }
  });

  it('places each duplicate 1..window input rows after its original (default window 1000)', () => {
    const d = delays(out, ledger.entries);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...d)).toBeLessThanOrEqual(1000);
    expect(Math.max(...d)).toBeGreaterThan(990);
    const mean = d.reduce((s, x) => s + x, 0) / d.length;
    const sd = Math.sqrt((1000 * 1000 - 1) / 12 / d.length);
    expect(Math.abs(mean - 500.5)).toBeLessThan(4.5 * sd); // uniform in 1..1000
  });

  it('is reproducible and batch-size independent; another seed picks other rows', async () => {
    const again = memoryLedger();
    const rows1000 = await collect(customers({ batchSize: 1000 }), duplicate(opts), { ledger: again });
    expect(again.entries).toEqual(ledger.entries);
    expect(rows1000).toEqual(out);
    const other = memoryLedger();
    await collect(customers(), duplicate({ ...opts, seed: 4 }), { ledger: other });
    expect(other.entries.map((e) => e.before)).not.toEqual(ledger.entries.map((e) => e.before));
  });
});

describe('duplicate: each kind alone, at its rate', () => {
  for (const kind of ['exact', 'key', 'near'] as const) {
    it(`${kind}: count within sampling error of rate x rows, ledger complete`, async () => {
      const clean = await collect(scenario('bank_transactions', { rows: N, seed: 2 }));
      const ledger = memoryLedger();
      const out = await collect(scenario('bank_transactions', { rows: N, seed: 2 }), duplicate({ rate: 0.01, kinds: [kind], seed: 9 }), { ledger });
      expect(withinSamplingError(ledger.entries.length, N, 0.01)).toBe(true);
      expect(ledger.entries.every((e) => e.kind === KIND_NAMES[kind])).toBe(true);
      expect(withoutListed(out, ledger.entries)).toEqual(clean);
    });
  }

  it('defaults: rate 0.01, exact only; --near adds near duplicates, half each', async () => {
    const plain = memoryLedger();
    await collect(customers(), duplicate(), { ledger: plain });
    expect(withinSamplingError(plain.entries.length, N, 0.01)).toBe(true);
    expect(new Set(plain.entries.map((e) => e.kind))).toEqual(new Set(['duplicate_exact']));
    const both = memoryLedger();
    await collect(customers(), duplicate({ rate: 0.02, near: true, key: ['customer_id'] }), { ledger: both });
    expect(withinSamplingError(both.entries.filter((e) => e.kind === 'duplicate_exact').length, N, 0.01)).toBe(true);
    expect(withinSamplingError(both.entries.filter((e) => e.kind === 'near_duplicate').length, N, 0.01)).toBe(true);
  });

  it('rate 0 inserts nothing; rate 1 duplicates every row', async () => {
    const small = await collect(scenario('loans', { rows: 3000, seed: 1 }));
    const zero = memoryLedger();
    expect(await collect(scenario('loans', { rows: 3000, seed: 1 }), duplicate({ rate: 0 }), { ledger: zero })).toEqual(small);
    expect(zero.entries.length).toBe(0);
    const all = memoryLedger();
    const out = await collect(scenario('loans', { rows: 3000, seed: 1 }), duplicate({ rate: 1, kinds: 'exact,key,near', window: 5 }), { ledger: all });
    expect(out.length).toBe(6000);
    expect(withoutListed(out, all.entries)).toEqual(small);
  });
});

describe('duplicate: placement, batches and end of stream', () => {
  it('a small window keeps duplicates close; 1 puts each right after its original', async () => {
    const ledger = memoryLedger();
    const out = await collect(scenario('attendance', { rows: 20_000, seed: 1 }), duplicate({ rate: 0.05, window: 10 }), { ledger });
    const d = delays(out, ledger.entries);
    expect(new Set(d)).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    const adjacent = memoryLedger();
    const rows = await collect(scenario('attendance', { rows: 20_000, seed: 1 }), duplicate({ rate: 0.05, window: 1 }), { ledger: adjacent });
    for (const e of adjacent.entries) {
      expect(e.before).toBe(e.row - 1);
      expect(rows[e.row]).toEqual(rows[e.row - 1]);
    }
  });

  it('the same rows whatever the batch size (1, 7, 1000, 8192), including duplicates still pending at the end', async () => {
    const input = await collect(scenario('customer_360', { rows: 3000, seed: 8 }));
    const schema = (await import('../scenarios/customer_360.js')).customer360.schema;
    const results: Array<{ rows: Row[]; entries: LedgerEntry[] }> = [];
    for (const size of [1, 7, 1000, 8192]) {
      const ledger = memoryLedger();
      const rows = await collect(rowsSource(schema, input.map((r) => ({ ...r })), size), duplicate({ rate: 0.05, kinds: ['exact', 'key', 'near'], window: 2000 }), { ledger });
      results.push({ rows, entries: ledger.entries });
    }
    for (const r of results.slice(1)) {
      expect(r.entries).toEqual(results[0]!.entries);
      expect(r.rows).toEqual(results[0]!.rows);
    }
    expect(withoutListed(results[0]!.rows, results[0]!.entries)).toEqual(input);
    // With a window near the input's length, many duplicates come out of end(), after the last input row.
    const listed = new Set(results[0]!.entries.map((e) => e.row));
    let lastInput = results[0]!.rows.length - 1;
    while (listed.has(lastInput)) lastInput--;
    expect(results[0]!.entries.filter((e) => e.row > lastInput).length).toBeGreaterThan(10);
  });

  it("numbers output batches by output row: each batch's offset is the count of rows before it", async () => {
    let expected = 0;
    let batches = 0;
    const ledger = memoryLedger();
    for await (const b of applyTransforms(scenario('iot_sensors', { rows: 30_000, seed: 2, batchSize: 777 }), [duplicate({ rate: 0.02, window: 5000 })], { ledger })) {
      expect(b.offset).toBe(expected);
      expected += b.rows.length;
      batches++;
    }
    expect(expected).toBe(30_000 + ledger.entries.filter((e) => e.stage === 'duplicate').length);
    expect(batches).toBeGreaterThan(30_000 / 777);
    expect(ledger.events.find((e) => e.event === 'close')!.rowsIn).toBe(30_000);
  });

  it('later stages see output indexes: a stage after duplicate records rows of the longer stream', async () => {
    const { noise } = await import('../transforms/noise.js');
    const ledger = memoryLedger();
    const out = await collect(scenario('attendance', { rows: 10_000, seed: 2 }), duplicate({ rate: 0.05 }), noise({ rate: 0.02, columns: ['status'] }), { ledger });
    const dups = ledger.entries.filter((e) => e.stage === 'duplicate');
    for (const e of ledger.entries.filter((x) => x.stage === 'noise')) expect(out[e.row]!.status).toBe(e.after);
    // duplicates are rows of their own: noise on one does not change its twin
    const changed = new Set(ledger.entries.filter((e) => e.stage === 'noise').map((e) => e.row));
    for (const e of dups) if (changed.has(e.row) !== changed.has(e.before as number)) expect(out[e.row]).not.toEqual(out[e.before as number]);
  });
});

describe('duplicate: when, composite keys, paired columns', () => {
  it('when: only rows matching the condition are duplicated, at the rate among them', async () => {
    const clean = await collect(customers());
    const ledger = memoryLedger();
    const out = await collect(customers(), duplicate({ rate: 0.05, when: 'gender=Female' }), { ledger });
    const female = clean.filter((r) => r.gender === 'Female').length;
    expect(withinSamplingError(ledger.entries.length, female, 0.05)).toBe(true);
    for (const e of ledger.entries) expect(out[e.before as number]!.gender).toBe('Female');
  });

  it('composite keys: the ledger key has every key column; near duplicates renumber the first id column', async () => {
    const input = await collect(scenario('attendance', { rows: 20_000, seed: 4 }));
    const ledger = memoryLedger();
    const out = await collect(scenario('attendance', { rows: 20_000, seed: 4 }), duplicate({ rate: 0.03, kinds: ['key', 'near'] }), { ledger });
    const employees = new Set(input.map((r) => r.employee_id));
    for (const e of ledger.entries) {
      expect(Object.keys(e.key!)).toEqual(['employee_id', 'date']);
      const dup = out[e.row]!;
      const original = out[e.before as number]!;
      expect(dup.date).toBe(original.date);
      if (e.kind === 'duplicate_key') expect(dup.employee_id).toBe(original.employee_id);
      else {
        expect(employees.has(dup.employee_id)).toBe(false);
        expect(dup.employee_id as number).toBeGreaterThanOrEqual(1e9);
        expect(dup.employee_id as number).toBeLessThan(2 ** 31); // still an int32
      }
    }
  });

  it('--key names the primary key when the schema declares none (rows read without a schema)', async () => {
    const schema = defineTable('people', 'fixture', {
      person_id: { type: types.int32(), description: 'id' },
      first_name: { type: types.string(), description: 'first name' },
      last_name: { type: types.string(), description: 'last name' },
      address_line1: { type: types.string(), description: 'street' },
      address_line2: { type: types.string(), description: 'suburb' },
      born: { type: types.date(), description: 'birth date' },
    });
    const firsts = ['Olivia', 'Jack', 'Mia', 'Noah', 'Charlotte', 'William'];
    const lasts = ['Smith', 'Nguyen', 'Brown', 'Wilson', 'Taylor', 'Jones'];
    const streets = ['Station Road', 'George Street', 'Beach Avenue', 'Mount Pleasant Drive'];
    const rows: Row[] = Array.from({ length: 20_000 }, (_, i) => ({
      person_id: i + 1,
      first_name: firsts[i % 6]!,
      last_name: lasts[(i * 7) % 6]!,
      address_line1: `${(i % 97) + 1} ${streets[i % 4]}`,
      address_line2: ['Parramatta', 'North Sydney', 'Fitzroy'][i % 3]!,
      born: parseDate('1980-01-01')! + (i % 9000),
    }));
    await expect(collect(rowsSource(schema, rows), duplicate({ kinds: ['key'] }))).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringContaining("kind 'key' needs key columns") });
    const ledger = memoryLedger();
    const out = await collect(rowsSource(schema, rows), duplicate({ rate: 0.2, kinds: ['key', 'near'], key: ['person_id'] }), { ledger });
    expect(withoutListed(out, ledger.entries)).toEqual(rows);
    const notes = ledger.entries.filter((e) => e.kind === 'near_duplicate').map((e) => e.after as string);
    expect(notes.some((n) => n.includes('first_name, last_name: swapped'))).toBe(true);
    expect(notes.some((n) => n.includes('address_line1, address_line2: swapped'))).toBe(true);
    expect(notes.some((n) => n.includes('first_name: initial'))).toBe(true);
    expect(notes.some((n) => n.includes('born: day and month swapped'))).toBe(true);
    const abbreviated = ledger.entries.filter((e) => (e.after as string | null)?.includes('address_line1: abbreviation')).map((e) => out[e.row]!.address_line1);
    expect(abbreviated.some((a) => / (Rd|St|Ave|Dr|Mt)\.?( |$)/.test(a as string))).toBe(true);
    for (const e of ledger.entries.filter((x) => x.kind === 'duplicate_key')) expect(e.key).toEqual({ person_id: out[e.before as number]!.person_id });
  });

  it('columns limits what near duplicates change', async () => {
    const ledger = memoryLedger();
    const out = await collect(customers({ rows: 20_000 }), duplicate({ rate: 0.05, kinds: ['near'], columns: ['city'] }), { ledger });
    for (const e of ledger.entries) {
      expect(differing(out[e.row]!, out[e.before as number]!).sort()).toEqual(['city', 'customer_id']);
      expect(e.after).toMatch(/^customer_id: new key; city: [a-z ]+$/);
    }
  });
});

describe('duplicate: bad options', () => {
  it('rejects rates outside 0..1, unknown kinds, a window below 1, unknown options', () => {
    expect(() => duplicate({ rate: 2 })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: 'duplicate: rate must be between 0 and 1, got 2' }));
    expect(() => duplicate({ rate: -0.1 })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => duplicate({ kinds: ['exact', 'fuzzy'] })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: 'duplicate: kinds must be exact, key, near, got "fuzzy"' }));
    expect(() => duplicate({ kinds: '' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => duplicate({ window: 0 })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: 'duplicate: window must be >= 1, got 0' }));
    expect(() => duplicate({ near: 'maybe' as never })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => duplicate({ columns: ['city'] })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: expect.stringContaining('add near to kinds') }));
    expect(() => duplicate({ windows: 3 } as never)).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
  });

  it('rejects unknown columns in key, columns and when; key columns in columns', async () => {
    await expect(collect(customers({ rows: 10 }), duplicate({ key: ['nope'] }))).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN', message: expect.stringContaining("unknown column 'nope'") });
    await expect(collect(customers({ rows: 10 }), duplicate({ near: true, columns: ['nope'] }))).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
    await expect(collect(customers({ rows: 10 }), duplicate({ when: 'colour=red' }))).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
    await expect(collect(customers({ rows: 10 }), duplicate({ near: true, columns: ['customer_id'] }))).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringContaining("key column 'customer_id'") });
  });
});

describe('duplicate: stage events', () => {
  it("close event counts the rows handed over at the end as the stage's output", async () => {
    const ledger = memoryLedger();
    const out = await collect(scenario('customer_360', { rows: 30_000, seed: 4 }), duplicate({ rate: 0.05, window: 5000 }), { ledger });
    const close = ledger.events.find((e) => e.event === 'close')!;
    expect(close.rowsIn).toBe(30_000);
    expect(close.rowsOut).toBe(out.length);
    expect(out.length).toBe(30_000 + ledger.entries.length);
  });
});
