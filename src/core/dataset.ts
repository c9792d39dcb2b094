import type { Schema } from 'apache-arrow';
import { normalizeOptions, type Options, type OptionsSpec } from './options.js';
import { Rng } from '../random/rng.js';
import { DatagenError } from './errors.js';
import type { Row, Value } from './schema.js';
import type { Transform } from './stage.js';
import type { RowGenerator } from './units.js';

/**
 * A dataset: several related tables generated together, each a schema, a row source, its
 * default anomaly stages and where its files go (see docs/ARCHITECTURE.md, "Datasets").
 *
 * Tables are generated independently, chunk by chunk. Keys are dense (1..N), so a child picks
 * a parent by arithmetic, and an attribute a child needs from its parent (an order's
 * timestamp for its lines) is recomputed from the parent's key with the same random-access
 * streams the parent used (`ctx.at(...)`), never looked up in a table held in memory.
 */
export interface DatasetContext<O = Record<string, unknown>> {
  readonly dataset: string;
  readonly seed: number;
  readonly scale: number;
  /** The dataset's own options (horizon, ...), normalized. */
  readonly options: O;
  /**
   * The increment being written (docs/increments.md): 0 for the base run, k for batch k. A
   * table that grows with time extends its calendars through batch k's last day, so the base
   * rows stay a prefix of every later batch's rows.
   */
  readonly batch: number;
  /** Rows of a table at this scale (its target times the scale, at least its floor). */
  rows(table: string): number;
  /**
   * A stream for one key of one attribute, the same wherever it is asked for: the parent
   * draws an order's timestamp from `at('orders_header', 'ts').fork(orderId)`, and its lines
   * draw the very same numbers from the same call. Made once per (names), forked per key.
   */
  at(...names: string[]): Rng;
  /** Something every table may need (a calendar of order counts per day), made once per run. */
  shared<T>(name: string, make: () => T): T;
}

export interface TableContext<O = Record<string, unknown>> extends DatasetContext<O> {
  /** Rows this table has in this run. */
  readonly tableRows: number;
  /** The table's plan stream (chunk j's rows get their own stream). */
  readonly rng: Rng;
}

/** Where a table's rows go, relative to the dataset's --out folder. */
export type TableOutput =
  /** One file; the sink follows the format (csv, jsonl, parquet, arrow, xlsx). */
  | { kind: 'file'; format: string; path: string; options?: Record<string, unknown> }
  /**
   * A folder of partitions: each row's folder comes from `partition` (e.g. ['order_dt=2024-03-01']);
   * rows of one folder arrive together, and a folder visited again (a duplicate placed later)
   * gets its next file. `file` names the files: {num:04} counts them per folder.
   */
  | { kind: 'partitioned'; format: string; path: string; file: string; partition(row: Row): string[]; options?: Record<string, unknown> }
  /** Written by the table itself (e.g. a Delta table with a history of versions). */
  | {
      kind: 'custom';
      format: string;
      path: string;
      /** Write the rows; resolves to the number of rows the table holds in the end. */
      write(rows: AsyncIterable<import('./stage.js').Batch>, target: { path: string; ctx: DatasetContext }): Promise<number>;
    };

export interface TableDefinition<O = Record<string, unknown>> {
  name: string;
  schema: Schema;
  /** The rules every row satisfies, in words (describe, docs). */
  rules: string[];
  /**
   * Row target at scale 1, or the exact count as a function of the run (a child's rows follow
   * from its parents: lines per order).
   */
  rows: number | ((ctx: DatasetContext<O>) => number);
  /** Fewest rows at any scale, so tiny scales still make every table non-empty (default 1). */
  minRows?: number;
  /** Foreign keys: column -> 'table.column'. */
  references?: Record<string, string>;
  plan(ctx: TableContext<O>): RowGenerator;
  /** The table's default anomaly stages (the wave-1 transforms, configured for this table). */
  stages?(ctx: DatasetContext<O>): Transform[];
  output: TableOutput;
  /**
   * What increment k (>= 1) adds to this table: rows [from, to) of the table grown through
   * batch k (ctx.batch = k; the plan is the same), written as new files beside the base's.
   * `late` marks rows that belong to an earlier batch's partitions (late arrivals): they are
   * written first, each old partition getting one new file. Tables without it get nothing.
   */
  increment?(ctx: DatasetContext<O>, batch: number): IncrementRows;
}

export interface IncrementRows {
  from: number;
  to: number;
  late?: (row: Row) => boolean;
}

export interface DatasetInfo<S extends OptionsSpec> {
  name: string;
  summary: string;
  description?: string;
  examples: string[];
  /** Dataset options besides seed and scale (e.g. the horizon). */
  options: S;
  tables: Array<TableDefinition<Options<S>>>;
  /**
   * Increments (docs/increments.md): batch k's days, [first, last] in days since the epoch. A
   * dataset without it has no increments.
   */
  batchDays?(ctx: DatasetContext<Options<S>>, batch: number): { first: number; last: number };
  /**
   * Tables only increments write (dimension changes: a customer's new address): each needs
   * `increment`; absent from the base run and its manifest's tables.
   */
  changes?: Array<TableDefinition<Options<S>>>;
}

export type DatasetDefinition<S extends OptionsSpec = OptionsSpec> = DatasetInfo<S> & { unit: 'dataset' };

export function defineDataset<S extends OptionsSpec>(info: DatasetInfo<S>): DatasetDefinition<S> {
  const names = new Set<string>();
  for (const t of [...info.tables, ...(info.changes ?? [])]) {
    if (names.has(t.name)) throw new Error(`${info.name}: table ${t.name} declared twice`);
    names.add(t.name);
  }
  return Object.assign(info, { unit: 'dataset' as const });
}

/** --scale: above 0 and at most 1000 (a dataset's, or a change stream's retail scale). */
export function checkScale(owner: string, scale: number): void {
  if (!(scale > 0) || !(scale <= 1000)) throw new DatagenError('E_OPTION', `${owner}: scale must be above 0 and at most 1000, got ${scale}`);
}

export function tableRows<O>(table: TableDefinition<O>, ctx: DatasetContext<O>): number {
  if (typeof table.rows === 'function') return table.rows(ctx);
  return Math.max(table.minRows ?? 1, Math.round(table.rows * ctx.scale));
}

/** The context of one run of a dataset (seed, scale, options). */
export function datasetContext<S extends OptionsSpec>(def: DatasetDefinition<S>, seed: number, scale: number, rawOptions: Record<string, unknown> = {}, batch = 0): DatasetContext<Options<S>> {
  const options = normalizeOptions(def.name, def.options, rawOptions);
  const byName = new Map([...def.tables, ...(def.changes ?? [])].map((t) => [t.name, t]));
  const root = Rng.seeded(seed).fork('dataset', def.name);
  const streams = new Map<string, Rng>();
  const memo = new Map<string, unknown>();
  const counts = new Map<string, number>();
  const ctx: DatasetContext<Options<S>> = {
    dataset: def.name,
    seed,
    scale,
    options,
    batch,
    rows(table) {
      let n = counts.get(table);
      if (n === undefined) {
        const t = byName.get(table);
        if (!t) throw new Error(`${def.name}: no table '${table}'`);
        counts.set(table, (n = tableRows(t, ctx)));
      }
      return n;
    },
    at(...names) {
      const id = names.join('\u0000');
      let s = streams.get(id);
      if (!s) streams.set(id, (s = root.fork('at', ...names)));
      return s;
    },
    shared<T>(name: string, make: () => T): T {
      if (!memo.has(name)) memo.set(name, make());
      return memo.get(name) as T;
    },
  };
  return ctx;
}

/**
 * Drop the rows whose `column` holds one of `keys`: the parents a `corrupt-fk` stage's
 * `deleted` corruptions point at (see deletedParentKeys), removed from the parent table in the
 * same run so the child's orphans are real. Put it last among the parent's stages.
 */
export function dropKeys(column: string, keys: readonly Value[]): Transform {
  const drop = new Set(keys);
  return {
    kind: 'transform',
    name: 'drop-deleted-parents',
    options: { column, keys: keys.length },
    open: () => {
      let out = 0;
      return (batch) => {
        const rows = batch.rows.filter((r) => !drop.has(r[column] as Value));
        const b = { schema: batch.schema, rows, offset: out };
        out += rows.length;
        return b;
      };
    },
  };
}
