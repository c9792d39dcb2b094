import { defineDataset, type DatasetContext, type DatasetDefinition, type TableDefinition } from '../core/dataset.js';
import { parentOf, runningCounts } from '../core/nested.js';
import { MICROS_PER_DAY } from '../core/temporal.js';
import type { Row } from '../core/schema.js';
import type { ScenarioDefinition } from '../core/units.js';
import { Zipf } from '../random/distributions.js';
import type { Rng } from '../random/rng.js';
import { closest } from '../core/suggest.js';
import { DatagenError } from '../core/errors.js';
import { isRuleAfter } from './field-rules.js';
import {
  compileScenario,
  compileTable,
  isDatasetDocument,
  readYamlDocument,
  readYamlText,
  type CompiledTable,
  type Fail,
  type FieldDoc,
  type Gen,
  type ScenarioDoc,
  type TableDoc,
} from './yaml-scenario.js';

/**
 * Datasets declared in YAML: a `tables:` list, each table an ordinary YAML scenario table (the
 * same fields, generators, constraints and anomaly stages, compiled by yaml-scenario.ts) plus
 * what relates it to the others:
 *
 *   rows: 1000                          rows at --scale 1
 *   per: orders, count: 1..6            nested child: 1..6 rows for each orders row
 *   ref: customers.customer_id          a value of that column in an existing row
 *   popularity: zipf 1.1                (with ref) a few rows get most references; default uniform
 *   after: orders.order_ts + 1..72h     the parent's (or referenced row's) date/timestamp plus an offset
 *   sequence: { start: 1, within: orders }   1, 2, ... within each parent
 *   expression: "orders.order_ts + 3600000000"   a parent's (or referenced row's) column in an expression
 *   format: csv|jsonl|parquet, file: name    where the table goes in --out
 *   partition_by: order_ts:day           a folder of key=value/ partitions instead of one file
 *                                        (column, column:day|month|year, or name=column[:transform]; a list nests)
 *
 * Every row is random access: row i of a table draws from its own stream
 * `ctx.at(table, 'row').fork(i)`, so a child recomputes the parent row it needs from the
 * parent's index with the parent's own compiled table, never holding a table in memory. A
 * nested child's rows map to (parent, i) through a prefix sum of the per-parent counts (8
 * bytes a parent), each count drawn from the parent index's own stream.
 */

interface DatasetTableDoc extends TableDoc {
  rows?: number;
  per?: string;
  count?: number | string;
  format?: 'csv' | 'jsonl' | 'parquet';
  file?: string;
  partition_by?: string | string[];
}
interface DatasetDoc {
  name: string;
  description?: string;
  tables: DatasetTableDoc[];
}

/** A scenario or dataset from a YAML file: a file with `tables:` is a dataset. */
export function loadYamlUnit(path: string): ScenarioDefinition | DatasetDefinition {
  return parseYamlUnit(readYamlText(path), path);
}

export function parseYamlUnit(text: string, file = 'scenario.yml'): ScenarioDefinition | DatasetDefinition {
  const { data, fail } = readYamlDocument(text, file);
  return isDatasetDocument(data) ? compileDataset(data as DatasetDoc, fail) : compileScenario(data as ScenarioDoc, fail);
}

export function loadYamlDataset(path: string): DatasetDefinition {
  return parseYamlDataset(readYamlText(path), path);
}

export function parseYamlDataset(text: string, file = 'dataset.yml'): DatasetDefinition {
  const { data, fail } = readYamlDocument(text, file);
  if (!isDatasetDocument(data)) fail([], 'a dataset file has a tables: list (this one declares a single table: run it as a scenario)');
  return compileDataset(data as DatasetDoc, fail);
}

/** Most parent rows of a nested child: its running counts take 8 bytes a parent row (2 GiB here). */
export const MAX_PARENT_ROWS = 2 ** 28;
const UNIT_MICROS: Record<string, number> = { s: 1e6, m: 60e6, h: 3600e6, d: MICROS_PER_DAY };
/** Value kinds that must agree between a ref or after field and the column it names. */
const kindOfLabel = (label: string) => (/^int/.test(label) ? 'int' : /^decimal/.test(label) ? 'decimal' : label);

/** Per table, what the row being made points at (set before each row, read by its fields). */
interface Cursor {
  /** The parent row's index (nested children). */
  parent: number;
  /** The row's number within its parent, 0-based. */
  within: number;
  /** The row index a `ref:` field picked, per table it points into. */
  picked: Map<string, number>;
}

interface Table {
  doc: DatasetTableDoc;
  compiled?: CompiledTable;
  cursor: Cursor;
  /** Stream of the rows in one run, and the last row recomputed for a child (per run). */
  ctx?: DatasetContext;
  base?: Rng;
  cachedIndex: number;
  cachedRow?: Row;
}

function compileDataset(doc: DatasetDoc, fail: Fail): DatasetDefinition {
  const byName = new Map<string, { table: Table; at: number }>();
  const tables: Table[] = doc.tables.map((t, j) => {
    if (byName.has(t.name)) fail(['tables', j, 'name'], `table '${t.name}' is declared twice (the first is table ${byName.get(t.name)!.at + 1})`);
    const table: Table = { doc: t, cursor: { parent: 0, within: 0, picked: new Map() }, cachedIndex: -1 };
    byName.set(t.name, { table, at: j });
    return table;
  });
  const names = tables.map((t) => t.doc.name);
  /** The table a name refers to, or a positioned error naming the known ones. */
  const tableNamed = (name: string, path: Array<string | number>): Table => {
    const found = byName.get(name)?.table;
    if (found) return found;
    const near = closest(name, names);
    return fail(path, `unknown table '${name}' (tables: ${names.join(', ')})${near ? `; did you mean '${near}'?` : ''}`);
  };
  const columnOf = (table: Table, column: string, path: Array<string | number>): FieldDoc => {
    const f = Object.hasOwn(table.doc.fields, column) ? table.doc.fields[column] : undefined;
    if (f) return f;
    const known = Object.keys(table.doc.fields);
    const near = closest(column, known);
    return fail(path, `table '${table.doc.name}' has no column '${column}' (columns: ${known.join(', ')})${near ? `; did you mean '${near}'?` : ''}`);
  };

  // Edges between tables (per:, ref:, after:), each with where it is written, for cycles.
  const edges = new Map<string, Array<{ to: string; path: Array<string | number> }>>();
  tables.forEach((t, j) => {
    const d = t.doc;
    const out: Array<{ to: string; path: Array<string | number> }> = [];
    if (d.per !== undefined) {
      tableNamed(d.per, ['tables', j, 'per']);
      if (d.rows !== undefined) fail(['tables', j, 'rows'], `a table with per: has count: rows per ${d.per} row, not rows: (remove one)`);
      if (d.count === undefined) fail(['tables', j, 'per'], `per: ${d.per} needs count: (rows per ${d.per} row, e.g. count: 1..6)`);
      out.push({ to: d.per, path: ['tables', j, 'per'] });
    } else if (d.count !== undefined) {
      fail(['tables', j, 'count'], 'count: is rows per parent row: it needs per: (the parent table)');
    } else if (d.rows === undefined) {
      fail(['tables', j], `table '${d.name}' needs rows: (rows at --scale 1) or per: with count: (rows per parent row)`);
    }
    if (typeof d.count === 'string') {
      const [lo, hi] = d.count.split('..').map(Number) as [number, number];
      if (lo > hi) fail(['tables', j, 'count'], `count ${d.count}: the low end ${lo} is above the high end ${hi}`);
      if (hi > 100_000) fail(['tables', j, 'count'], `count ${d.count}: at most 100000 rows per parent row`);
    }
    // partition_by names columns of this table, each maybe with a name= and a :day|month|year.
    const partitions = d.partition_by === undefined ? [] : typeof d.partition_by === 'string' ? [d.partition_by] : d.partition_by;
    partitions.forEach((p, k) => {
      const at = ['tables', j, 'partition_by', ...(typeof d.partition_by === 'string' ? [] : [k])];
      const m = /^(?:[A-Za-z_][A-Za-z0-9_]*=)?([A-Za-z_][A-Za-z0-9_]*)(?::(day|month|year))?$/.exec(p.trim());
      if (!m) fail(at, `partition_by ${JSON.stringify(p)}: give column, column:day|month|year or name=column[:day|month|year]`);
      const col = columnOf(t, m![1]!, at);
      if (m![2] && !['date', 'timestamp'].includes(kindOfLabel(col.type))) fail(at, `partition_by ${p}: :${m![2]} needs a date or timestamp column, and ${m![1]} is ${col.type}`);
    });
    for (const [name, f] of Object.entries(d.fields)) {
      const given = ['generator', 'ref', 'after'].filter((k) => f[k] !== undefined && !(k === 'after' && isRuleAfter(f.after)));
      if (given.length !== 1) {
        fail(['tables', j, 'fields', name], given.length === 0 ? 'give the field a generator:, a ref: or an after:' : `a field has one of generator:, ref:, after:, found ${given.join(' and ')}`);
      }
      if (f.popularity !== undefined && f.ref === undefined) fail(['tables', j, 'fields', name, 'popularity'], 'popularity: goes with ref: (how the referenced rows are picked)');
      for (const key of ['ref', 'after'] as const) {
        if (typeof f[key] !== 'string' || (key === 'after' && isRuleAfter(f.after))) continue;
        const [target, column] = (f[key] as string).split(/\s*\+/)[0]!.trim().split('.') as [string, string];
        const parent = tableNamed(target, ['tables', j, 'fields', name, key]);
        const col = columnOf(parent, column, ['tables', j, 'fields', name, key]);
        if (kindOfLabel(col.type) !== kindOfLabel(f.type) && key === 'ref') {
          fail(['tables', j, 'fields', name, 'type'], `${f.type} cannot hold ${target}.${column}, a ${col.type} column`);
        }
        out.push({ to: target, path: ['tables', j, 'fields', name, key] });
      }
      const within = (f.generator as { sequence?: { within?: string } } | undefined)?.sequence?.within;
      if (within !== undefined) {
        tableNamed(within, ['tables', j, 'fields', name, 'generator', 'sequence', 'within']);
        if (within !== d.per) fail(['tables', j, 'fields', name, 'generator', 'sequence', 'within'], `counts within a parent only in a table with per: ${within}${d.per ? ` (this table's parent is ${d.per})` : ''}`);
      }
    }
    edges.set(d.name, out);
  });
  // Parents first: a ref or after field is nullable when the column it copies is.
  for (const name of refuseCycles(names, edges, fail)) {
    const { table: t, at: j } = byName.get(name)!;
    t.compiled = compileTable(t.doc, (path, why, code) => fail(['tables', j, ...path], why, code), (name, f, type, earlier, failAt) => {
      const cursor = t.cursor;
      if (typeof f.ref === 'string') {
        const [target, column] = f.ref.split('.') as [string, string];
        const parent = byName.get(target)!.table;
        const nullable = nullableColumn(parent, column);
        if (target === t.doc.per) {
          if (f.popularity !== undefined) failAt(['popularity'], `${target} is this table's parent (per:): each row takes its own parent's ${column}, no rows are picked`);
          return { nullable, gen: () => rowOf(parent, t.ctx!, cursor.parent)[column] ?? null };
        }
        const zipfS = typeof f.popularity === 'string' && f.popularity.startsWith('zipf') ? Number(f.popularity.slice(4)) : undefined;
        if (zipfS !== undefined && !(zipfS > 0)) failAt(['popularity'], `zipf exponent must be above 0, got ${zipfS}`);
        const pick: Gen = (r) => {
          const ctx = t.ctx!;
          const n = ctx.rows(target);
          let k: number;
          if (zipfS === undefined) k = r.index(n);
          else {
            // Ranks spread over the rows: the most popular rows are not simply the first ones.
            const z = ctx.shared(`yaml:${t.doc.name}.${name}:zipf`, () => new Zipf(n, zipfS));
            k = mulMod(z.sample(r) - 1, 2654435761, n);
          }
          cursor.picked.set(target, k);
          return rowOf(parent, ctx, k)[column] ?? null;
        };
        return { nullable, gen: pick };
      }
      if (typeof f.after === 'string' && !isRuleAfter(f.after)) {
        const m = /^([a-z][a-z0-9_]*)\.([A-Za-z_]\w*)(?:\s*\+\s*(\d+)(?:\.\.(\d+))?\s*([smhd]))?$/.exec(f.after)!;
        const [, target, column, loText, hiText, unit] = m;
        const parent = byName.get(target!)!.table;
        const parentType = parent.doc.fields[column!]!.type;
        if (type.kind !== 'date' && type.kind !== 'timestamp') failAt(['type'], `after: makes a date or timestamp, not ${type.label}`);
        if (parentType !== type.label) failAt(['after'], `${target}.${column} is ${parentType}, this field is ${type.label}: after: adds to a column of the same type`);
        if (type.kind === 'date' && unit !== undefined && unit !== 'd') failAt(['after'], `a date moves in whole days: write the offset in d, got ${unit}`);
        const lo = Number(loText ?? 0);
        const hi = Number(hiText ?? loText ?? 0);
        if (lo > hi) failAt(['after'], `offset ${lo}..${hi}: the low end is above the high end`);
        const isParent = target === t.doc.per;
        if (!isParent && !earlier.some((e) => (t.doc.fields[e]!.ref as string | undefined)?.startsWith(`${target}.`))) {
          failAt(['after'], `${target} is not this table's parent (per:) and no field above refers to it (ref: ${target}.<column>)`);
        }
        const scale = type.kind === 'date' ? 1 : UNIT_MICROS[unit ?? 's']!;
        const [from, span] = [lo * scale, (hi - lo) * scale];
        const later: Gen = (r) => {
          const base = rowOf(parent, t.ctx!, isParent ? cursor.parent : cursor.picked.get(target!)!)[column!];
          const offset = from + Math.floor(r.float() * (span + 1));
          return typeof base === 'number' ? base + offset : null;
        };
        return { nullable: nullableColumn(parent, column!), gen: later };
      }
      const seq = (f.generator as { sequence?: { start?: number; step?: number; within?: string } } | undefined)?.sequence;
      if (seq?.within !== undefined) {
        const [start, step] = [seq.start ?? 1, seq.step ?? 1];
        return { nullable: false, gen: () => start + step * cursor.within };
      }
      return undefined;
    }, (earlier) => (name) => {
      // `orders.order_ts` in an expression: the parent's (or the referenced row's) column.
      const dot = name.indexOf('.');
      if (dot < 0) return undefined;
      const [target, column] = [name.slice(0, dot), name.slice(dot + 1)];
      const parent = byName.get(target)?.table;
      if (!parent) throw new DatagenError('E_SCENARIO_FILE', `${name}: unknown table '${target}' (tables: ${names.join(', ')})`);
      if (!Object.hasOwn(parent.doc.fields, column)) throw new DatagenError('E_SCENARIO_FILE', `${name}: table '${target}' has no column '${column}' (columns: ${Object.keys(parent.doc.fields).join(', ')})`);
      const isParent = target === t.doc.per;
      if (!isParent && !earlier.some((e) => (t.doc.fields[e]!.ref as string | undefined)?.startsWith(`${target}.`))) {
        throw new DatagenError('E_SCENARIO_FILE', `${name}: ${target} is not this table's parent (per:) and no field above refers to it (ref: ${target}.<column>)`);
      }
      return () => rowOf(parent, t.ctx!, isParent ? t.cursor.parent : t.cursor.picked.get(target)!)[column] ?? null;
    });
  }

  /** Row `index` of a table in the run `ctx`, as its own plan makes it. */
  function makeRow(t: Table, ctx: DatasetContext, index: number): Row {
    if (t.ctx !== ctx) {
      t.ctx = ctx;
      t.base = ctx.at(t.doc.name, 'row');
      t.cachedIndex = -1;
      t.cachedRow = undefined;
    }
    const rng = t.base!.fork(index);
    const streams = t.compiled!.fields.map(() => rng);
    return t.compiled!.row(index, streams, streams);
  }
  /**
   * A parent's row for a child, recomputed in the child's run; the last one is kept (a
   * nested child asks for the same parent row after row). Only children read it: the
   * table's own plan makes fresh rows, which a stage may change in place.
   */
  function rowOf(t: Table, ctx: DatasetContext, index: number): Row {
    if (t.ctx === ctx && t.cachedIndex === index && t.cachedRow) return t.cachedRow;
    const row = rowAt(t, ctx, index);
    t.cachedIndex = index;
    t.cachedRow = row;
    return row;
  }
  /** Row `index` with the table's cursor placed (its parent and its place within it). */
  function rowAt(t: Table, ctx: DatasetContext, index: number): Row {
    if (t.doc.per !== undefined) {
      const prefix = prefixOf(t, ctx);
      const parent = parentOf(prefix, index);
      t.cursor.parent = parent;
      t.cursor.within = index - prefix[parent]!;
    }
    return makeRow(t, ctx, index);
  }
  /** prefix[k] = rows of a nested child before parent k; prefix[parents] = all its rows. */
  function prefixOf(t: Table, ctx: DatasetContext): Float64Array {
    return ctx.shared(`yaml:${t.doc.name}:prefix`, () => {
      const n = ctx.rows(t.doc.per!);
      if (n > MAX_PARENT_ROWS) {
        throw new DatagenError(
          'E_OPTION',
          `${t.doc.name}: per: ${t.doc.per} has ${n.toLocaleString('en-US')} rows at this scale; a nested child keeps 8 bytes per parent row, so at most ${MAX_PARENT_ROWS.toLocaleString('en-US')} (lower --scale or ${t.doc.per}'s rows:)`,
        );
      }
      const [lo, hi] = typeof t.doc.count === 'number' ? [t.doc.count, t.doc.count] : (t.doc.count!.split('..').map(Number) as [number, number]);
      const counts = ctx.at(t.doc.name, 'count');
      return runningCounts(n, (p) => (lo === hi ? lo : counts.fork(p).int(lo, hi)));
    });
  }

  const definitions: TableDefinition[] = tables.map((t) => {
    const d = t.doc;
    const format = d.format ?? 'csv';
    const references: Record<string, string> = {};
    for (const [name, f] of Object.entries(d.fields)) if (typeof f.ref === 'string') references[name] = f.ref;
    return {
      name: d.name,
      schema: t.compiled!.schema,
      rules: [
        ...(d.per !== undefined ? [`${d.count} rows per ${d.per} row`] : []),
        ...Object.entries(references).map(([c, r]) => `${c} is a ${r} value of an existing row${d.fields[c]!.popularity ? ` (${String(d.fields[c]!.popularity)})` : ''}`),
        ...t.compiled!.rules,
      ],
      rows: d.per !== undefined ? (ctx: DatasetContext) => prefixOf(t, ctx)[ctx.rows(d.per!)]! : d.rows!,
      references,
      plan(ctx) {
        t.compiled!.checkRows(ctx.tableRows);
        return {
          rows(start, count) {
            const out: Row[] = new Array(count);
            for (let i = 0; i < count; i++) out[i] = rowAt(t, ctx, start + i);
            return out;
          },
        };
      },
      ...(t.compiled!.stages ? { stages: t.compiled!.stages } : {}),
      output:
        d.partition_by === undefined
          ? { kind: 'file', format, path: d.file ?? `${d.name}.${format}` }
          : { kind: 'file', format, path: `${d.file ?? d.name}/`, options: { partitionBy: typeof d.partition_by === 'string' ? [d.partition_by] : d.partition_by } },
    } satisfies TableDefinition;
  });

  return defineDataset({
    name: doc.name,
    summary: doc.description ?? `${doc.name} (from a YAML dataset)`,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    examples: [],
    options: {},
    tables: definitions,
  });
}

/** (a * b) mod n without losing digits past 2^53 (a, n below 2^37). */
function mulMod(a: number, b: number, n: number): number {
  const bm = b % n;
  return (((a * Math.floor(bm / 65536)) % n) * 65536 + a * (bm % 65536)) % n;
}

/** Can a column of a compiled table hold null? */
function nullableColumn(t: Table, column: string): boolean {
  return t.compiled!.schema.fields.find((f) => f.name === column)!.nullable;
}

/**
 * Refuses a reference cycle (a table needing itself through per:, ref: or after:), at the edge
 * that closes it; returns the tables with every table after the ones it needs.
 */
function refuseCycles(names: string[], edges: Map<string, Array<{ to: string; path: Array<string | number> }>>, fail: Fail): string[] {
  const order: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    state.set(name, 'open');
    stack.push(name);
    for (const e of edges.get(name) ?? []) {
      if (state.get(e.to) === 'open') {
        const loop = [...stack.slice(stack.indexOf(e.to)), e.to];
        fail(e.path, `reference cycle: ${loop.join(' -> ')} (a table cannot depend on itself through per:, ref: or after:)`);
      }
      if (!state.has(e.to)) visit(e.to);
    }
    stack.pop();
    state.set(name, 'done');
    order.push(name);
  };
  for (const n of names) if (!state.has(n)) visit(n);
  return order;
}

