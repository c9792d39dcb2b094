/**
 * The rules each schema declares (FieldSpec pattern/min/max/after/values/key, read back with
 * fieldRules) hold on clean output: every registered scenario and every table of every
 * registered dataset is generated in-process (a few thousand rows, a few seeds) and each row is
 * tested against each declared rule. `datagen check` reads the same declarations, so a rule
 * that is wrong here would be a false finding there.
 */
import type { Field, Schema } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { collect, defineTable, listDatasets, listScenarios, parseYamlScenario, scenario, types, type Row, type Source } from '../src/index.js';
import { boundValue, fieldRules, kindOf, type FieldRules, type Kind } from '../src/core/schema.js';
import { datasetContext, type DatasetDefinition, type TableDefinition } from '../src/core/dataset.js';
import { tableSource as runnerSource } from '../src/datasets/task.js';
import { MICROS_PER_DAY } from '../src/core/temporal.js';

const ROWS = 2000;

/** Rows of a source, at most `limit` (a dataset's big tables are cut short). */
async function take(source: Source, limit: number): Promise<Row[]> {
  const out: Row[] = [];
  for await (const b of source.batches()) {
    for (const r of b.rows) {
      out.push(r);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/** A dataset table as a source, made by the dataset runner's own tableSource (src/datasets/task.ts). */
function tableSource(def: DatasetDefinition, table: TableDefinition, seed: number, scale: number): Source {
  return runnerSource(def, table, datasetContext(def, seed, scale, {}), seed, { index: 0, count: 1 });
}

/** A value in one comparable unit per order family: instants in µs (dates are days). */
function instant(kind: Kind, v: number): number {
  return kind === 'date' ? v * MICROS_PER_DAY : v;
}

/** Every violation of the declared rules in these rows, as short lines (empty when all hold). */
function violations(schema: Schema, rows: Row[]): string[] {
  const bad: string[] = [];
  const note = (field: string, rule: string, row: number, value: unknown) => {
    if (bad.length < 20) bad.push(`${field} ${rule}: row ${row} has ${JSON.stringify(value)}`);
  };
  const byName = new Map(schema.fields.map((f) => [f.name, f] as [string, Field]));
  const keys = schema.fields.filter((f) => fieldRules(f).key).map((f) => f.name);
  for (const f of schema.fields) {
    const r: FieldRules = fieldRules(f);
    const kind = kindOf(f.type);
    const re = r.pattern !== undefined ? new RegExp(`^(?:${r.pattern})$`) : undefined;
    const values = r.values ? new Set(r.values) : undefined;
    const min = r.min !== undefined ? boundValue(kind, r.min) : undefined;
    const max = r.max !== undefined ? boundValue(kind, r.max) : undefined;
    // A parent's column (table.column) is checked across tables by datagen check (tests/check.test.ts).
    const other = r.after !== undefined && !r.after.includes('.') ? byName.get(r.after)! : undefined;
    rows.forEach((row, i) => {
      const v = row[f.name];
      if (v === null || v === undefined) {
        if (!r.nullable) note(f.name, 'not null', i, v);
        return;
      }
      if (re && !re.test(String(v))) note(f.name, `pattern ${r.pattern}`, i, v);
      if (values && !values.has(String(v))) note(f.name, 'values', i, v);
      if (min !== undefined && (v as number) < min) note(f.name, `min ${r.min}`, i, v);
      if (max !== undefined && (v as number) > max) note(f.name, `max ${r.max}`, i, v);
      if (other) {
        const w = row[other.name];
        if (w !== null && w !== undefined && instant(kind, v as number) < instant(kindOf(other.type), w as number)) note(f.name, `after ${other.name}`, i, [w, v]);
      }
    });
  }
  if (keys.length > 0) {
    const seen = new Set<string>();
    rows.forEach((row, i) => {
      const k = JSON.stringify(keys.map((c) => row[c]));
      if (seen.has(k)) note(keys.join('+'), 'unique key', i, k);
      seen.add(k);
    });
  }
  return bad;
}

/** How many rules the schema declares beyond type and nullability; and key columns left without a pattern (text keys). */
function coverage(schema: Schema): { rules: number; bareKeys: string[] } {
  let rules = 0;
  const bareKeys: string[] = [];
  for (const f of schema.fields) {
    const r = fieldRules(f);
    rules += Number(r.pattern !== undefined) + Number(r.min !== undefined || r.max !== undefined) + Number(r.values !== undefined) + Number(r.after !== undefined);
    if (r.key && kindOf(f.type) === 'string' && r.pattern === undefined && r.values === undefined) bareKeys.push(f.name);
  }
  return { rules, bareKeys };
}

/** Options at the edges, for the scenarios whose rules could depend on them (the rules must hold for any options). */
const EDGE_OPTIONS: Record<string, Record<string, unknown>> = {
  loans: { customers: 1, start: '2000-02-28', end: '2000-03-01' },
  loan_repayments: { loans: 30, customers: 1, defaultRate: 1, lateRate: 1 },
  bank_transactions: { customers: 1, start: '2024-02-29', end: '2024-02-29', fraudRate: 1 },
  credit_card_spend: { customers: 1, fraudRate: 1 },
  customer_360: { start: '1950-01-01', end: '2024-12-31' },
  spark_logs: { start: '1970-01-02', executors: 1, executorCores: 1 },
  iot_sensors: { devices: 1, cadence: 0.001 },
  experiments: { steps: 1, controlShare: 1 },
  sales: { amountMedian: 0.01, amountSigma: 3 },
  ecommerce_events: { sessionsPerUser: 1, viewsPerSession: 1, cartShare: 0, purchaseShare: 0 },
  attendance: { employees: 2, start: '2024-01-01', end: '2025-12-31' },
};

describe('every registered scenario satisfies its declared rules (clean, in-process)', () => {
  for (const def of listScenarios()) {
    it(def.name, async () => {
      expect(coverage(def.schema).rules, `${def.name} declares no rules`).toBeGreaterThan(0);
      expect(coverage(def.schema).bareKeys, `${def.name}: text keys without a pattern`).toEqual([]);
      for (const [seed, rows, options] of [[1, ROWS, {}], [7, 40, {}], [9, 500, EDGE_OPTIONS[def.name] ?? {}]] as const) {
        const got = await collect(scenario(def.name, { ...options, rows, seed }));
        expect(got.length).toBe(rows);
        expect(violations(def.schema, got), `${def.name} seed ${seed} ${JSON.stringify(options)}`).toEqual([]);
      }
    }, 60_000);
  }
});

describe('every table of every registered dataset satisfies its declared rules (clean, in-process)', () => {
  for (const def of listDatasets()) {
    for (const table of def.tables as unknown as TableDefinition[]) {
      it(`${def.name}.${table.name}`, async () => {
        expect(coverage(table.schema).rules, `${def.name}.${table.name} declares no rules`).toBeGreaterThan(0);
        expect(coverage(table.schema).bareKeys, `${def.name}.${table.name}: text keys without a pattern`).toEqual([]);
        for (const [seed, scale] of [[3, 0.01], [11, 0.001]] as const) {
          const rows = await take(tableSource(def, table, seed, scale), ROWS);
          expect(rows.length).toBeGreaterThan(0);
          expect(violations(table.schema, rows), `${def.name}.${table.name} seed ${seed} scale ${scale}`).toEqual([]);
        }
      }, 60_000);
    }
  }
});

describe('defineTable checks the rules it is given (a mistake in a unit is a plain Error)', () => {
  const table = (fields: Record<string, object>) => () => defineTable('t', 'T', fields as never);
  const int = types.int32();
  it('stores them as field metadata that fieldRules reads back', () => {
    const s = defineTable('t', 'T', {
      id: { type: types.string(), description: 'id', key: true, pattern: 'T\\d{4,}' },
      n: { type: int, description: 'n', min: 1, max: 9 },
      day: { type: types.date(), description: 'day', min: '2020-01-01', nullable: true },
      at: { type: types.timestamp(), description: 'at', min: '2020-01-01T00:00:00Z', after: 'day' },
      band: { type: types.string(), description: 'band', values: ['LOW', 'HIGH'] },
    });
    expect(s.fields.map((f) => fieldRules(f))).toEqual([
      { key: true, nullable: false, pattern: 'T\\d{4,}' },
      { key: false, nullable: false, min: 1, max: 9 },
      { key: false, nullable: true, min: '2020-01-01' },
      { key: false, nullable: false, min: '2020-01-01T00:00:00Z', after: 'day' },
      { key: false, nullable: false, values: ['LOW', 'HIGH'] },
    ]);
    expect(s.fields[1]!.metadata.get('min')).toBe('1');
    expect(s.fields[2]!.metadata.get('min')).toBe('"2020-01-01"');
  });
  it('refuses a pattern that does not compile, or that DuckDB could not run', () => {
    expect(table({ a: { type: types.string(), description: '', pattern: 'A[' } })).toThrow(/t\.a: pattern "A\[" does not compile/);
    expect(table({ a: { type: types.string(), description: '', pattern: 'A(?=B)' } })).toThrow(/lookaround/);
  });
  it('refuses min above max, and bounds of the wrong kind', () => {
    expect(table({ a: { type: int, description: '', min: 5, max: 4 } })).toThrow('t.a: min 5 is above max 4');
    expect(table({ a: { type: int, description: '', min: '5' } })).toThrow(/t\.a: min "5" is not a bound for a int32 column/);
    expect(table({ a: { type: types.date(), description: '', max: '2020-02-30' } })).toThrow(/max "2020-02-30" is not a bound for a date column/);
    expect(table({ a: { type: types.timestamp(), description: '', max: '2020-01-01T00:00:00' } })).toThrow(/not a bound for a timestamp/);
    expect(table({ a: { type: types.string(), description: '', min: 1 } })).toThrow(/not a bound for a string column/);
  });
  it('refuses an after that is not another orderable column of the table', () => {
    expect(table({ a: { type: int, description: '', after: 'b' } })).toThrow(`t.a: after names "b", which is not another column of t`);
    expect(table({ a: { type: int, description: '', after: 'a' } })).toThrow(/not another column/);
    expect(table({ a: { type: types.timestamp(), description: '' }, b: { type: types.string(), description: '', after: 'a' } })).toThrow(/a string column cannot be ordered after a timestamp/);
    expect(table({ a: { type: types.time(), description: '' }, b: { type: types.date(), description: '', after: 'a' } })).toThrow(/cannot be ordered/);
    expect(table({ a: { type: types.date(), description: '' }, b: { type: types.timestamp(), description: '', after: 'a' } })).not.toThrow();
  });
});

describe('a YAML column gets the rules its generator makes certain, and explicit ones', () => {
  const yaml = `name: shop
rows: 300
fields:
  id: { type: int64, key: true, generator: { sequence: { start: 10 } } }
  code: { type: string, generator: { pattern: 'ORD-\\d{5}[A-Z]?' } }
  amount: { type: "decimal(8,2)", generator: { uniform: { min: 1, max: 250.5 } } }
  price: { type: float64, generator: { normal: { mean: 5, sd: 2, min: 0.123, decimals: 2 } } }
  status: { type: string, null_rate: 0.1, generator: { choice: { values: [NEW, PAID, null] } } }
  day: { type: date, generator: { date: { start: 2024-01-01, end: 2024-03-31 } } }
  shipped: { type: timestamp, generator: { timestamp: { start: 2024-04-01, end: 2024-04-30 } } }
  delivered: { type: timestamp, after: shipped, min: 2024-04-01, generator: { timestamp: { start: 2024-05-01, end: 2024-05-31 } } }
  note: { type: string, pattern: '[a-z]+', generator: { choice: { values: [a, bb] } } }
`;
  it('derives bounds, values and patterns, keeps explicit keys, and every row satisfies them', async () => {
    const def = parseYamlScenario(yaml, 'shop.yml');
    const rules = Object.fromEntries(def.schema.fields.map((f) => [f.name, fieldRules(f)]));
    expect(rules.id).toMatchObject({ min: 10, key: true });
    expect(rules.code).toMatchObject({ pattern: 'ORD-\\d{5}[A-Z]?' });
    expect(rules.amount).toMatchObject({ min: 1, max: 250.5 });
    expect(rules.price!.min).toBeUndefined(); // 0.123 does not survive rounding to 2 places
    expect(rules.status).toMatchObject({ values: ['NEW', 'PAID'], nullable: true });
    expect(rules.day).toMatchObject({ min: '2024-01-01', max: '2024-03-31' });
    expect(rules.shipped).toMatchObject({ min: '2024-04-01T00:00:00.000000Z', max: '2024-04-30T23:59:59.999999Z' });
    expect(rules.delivered).toMatchObject({ after: 'shipped', min: '2024-04-01T00:00:00Z' });
    expect(rules.delivered!.max).toBeUndefined(); // explicit bounds replace the derived ones
    expect(rules.note).toMatchObject({ pattern: '[a-z]+', values: ['a', 'bb'] });
    const rows = await collect(scenario(def, { rows: 300, seed: 4 }));
    expect(violations(def.schema, rows)).toEqual([]);
  });

  it('refuses a bad rule key with the file position of the key', () => {
    const bad = (line: string) => () => parseYamlScenario(`name: t\nfields:\n  a: { type: int32, generator: { sequence: {} } }\n${line}\n`, 'bad.yml');
    expect(bad("  b: { type: string, pattern: 'A[', generator: { constant: A } }")).toThrow(/^bad\.yml:4:\d+: .*fields\.b\.pattern.*not a regular expression/);
    expect(bad('  b: { type: string, min: 1, generator: { constant: A } }')).toThrow(/^bad\.yml:4:\d+: .*a string column has no min/);
    expect(bad('  b: { type: int32, min: 5, max: 4, generator: { constant: 4 } }')).toThrow(/^bad\.yml:4:\d+: .*max.*below min 5/);
    expect(bad('  b: { type: date, min: 2024-13-01, generator: { date: { start: 2024-01-01, end: 2024-01-02 } } }')).toThrow(/^bad\.yml:4:\d+: .*not a date bound \(write YYYY-MM-DD\)/);
    expect(bad('  b: { type: int32, after: c, generator: { constant: 4 } }')).toThrow(/^bad\.yml:4:\d+: .*'c' is not another field of this table/);
    expect(bad('  b: { type: string, after: a, generator: { constant: x } }')).toThrow(/^bad\.yml:4:\d+: .*cannot be ordered after a/);
  });
});

describe('the row checker above finds what breaks a rule (so the scenario tests are not vacuous)', () => {
  it('reports pattern, values, range, order, null and key violations', () => {
    const s = defineTable('t', 'T', {
      id: { type: types.string(), description: '', key: true, pattern: 'T\\d{2}' },
      band: { type: types.string(), description: '', values: ['LOW', 'HIGH'] },
      n: { type: types.int32(), description: '', min: 1, max: 9 },
      day: { type: types.date(), description: '', max: '1970-01-10' },
      at: { type: types.timestamp(), description: '', after: 'day', nullable: true },
    });
    const ok: Row = { id: 'T01', band: 'LOW', n: 1, day: 9, at: 9 * MICROS_PER_DAY };
    expect(violations(s, [ok])).toEqual([]);
    const bad: Row[] = [
      { ...ok, id: 'T1' },
      { ...ok, id: 'T02', band: 'MID' },
      { ...ok, id: 'T03', n: 10 },
      { ...ok, id: 'T04', day: 10, at: 10 * MICROS_PER_DAY },
      { ...ok, id: 'T05', at: 9 * MICROS_PER_DAY - 1 },
      { ...ok, id: 'T06', n: null },
      { ...ok },
    ];
    expect(violations(s, [ok, ...bad]).map((v) => v.split(':')[0])).toEqual([
      'id pattern T\\d{2}', 'band values', 'n max 9', 'n not null', 'day max 1970-01-10', 'at after day', 'id unique key',
    ]);
  });
});
