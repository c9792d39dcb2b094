/**
 * The rules each schema declares (FieldSpec pattern/min/max/after/values/key, read back with
 * fieldRules) hold on clean output: every registered scenario and every table of every
 * registered dataset is generated in-process (a few thousand rows, a few seeds) and each row is
 * tested against each declared rule. `datagen check` reads the same declarations, so a rule
 * that is wrong here would be a false finding there.
 */
import type { Field, Schema } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { collect, defineScenario, defineTable, listDatasets, listScenarios, parseYamlScenario, scenario, types, type Row, type Source } from '../src/index.js';
import { boundValue, fieldRules, kindOf, type FieldRules, type Kind } from '../src/core/schema.js';
import { datasetContext, tableRows, type DatasetDefinition, type TableDefinition } from '../src/core/dataset.js';
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

/** A dataset table as a source, the way the dataset runner makes it (src/datasets/task.ts). */
function tableSource(def: DatasetDefinition, table: TableDefinition, seed: number, scale: number): Source {
  const ctx = datasetContext(def, seed, scale, {});
  const rows = tableRows(table, ctx);
  const unit = defineScenario({
    name: `${def.name}.${table.name}`,
    summary: table.name,
    examples: [],
    options: {},
    schema: table.schema,
    rules: table.rules,
    defaultRows: rows,
    plan: (_o, p) => table.plan({ ...ctx, tableRows: p.rows, rng: p.rng }),
  });
  return scenario(unit, { rows, seed });
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
    const other = r.after !== undefined ? byName.get(r.after)! : undefined;
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

describe('every registered scenario satisfies its declared rules (clean, in-process)', () => {
  for (const def of listScenarios()) {
    it(def.name, async () => {
      expect(coverage(def.schema).rules, `${def.name} declares no rules`).toBeGreaterThan(0);
      expect(coverage(def.schema).bareKeys, `${def.name}: text keys without a pattern`).toEqual([]);
      for (const [seed, rows] of [[1, ROWS], [7, 40]] as const) {
        const got = await collect(scenario(def.name, { rows, seed }));
        expect(got.length).toBe(rows);
        expect(violations(def.schema, got), `${def.name} seed ${seed}`).toEqual([]);
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
