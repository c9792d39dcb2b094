import { accessSync, constants, existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Schema } from 'apache-arrow';
import { datasetContext, defineDataset, type DatasetContext, type DatasetDefinition, type TableDefinition } from '../core/dataset.js';
import { checkScale, LEDGER, MANIFEST, runDataset, selectTables, SHARDS, SUMMARY, type DatasetResult, type DatasetRunOptions } from './run.js';
import { DatagenError, isDatagenError } from '../core/errors.js';
import { normalizeOptions, type OptionsSpec } from '../core/options.js';
import { describeIoError } from '../codecs/output.js';
import { findDataset } from '../registry.js';
import { isDuckdbPath } from '../../sinks/duckdb.js';

/**
 * A dataset as a value (`dataset('retail', { scale: 0.01 })`): what the TypeScript API and the
 * `generate <dataset>` command share. It can be inspected (its tables and their schemas),
 * subset (`select`), re-targeted (`with({ out })`) and extended (`extend(table)`) before
 * `run()` writes it; every choice is checked when the value is made, so a mistake surfaces
 * before any file is touched.
 */

/** The options of a run besides the dataset's own (horizon, ...); the CLI's flags come from here. */
export const datasetRunOptions = {
  seed: { type: 'integer', description: 'random seed: same seed and options, same bytes', default: 42 },
  scale: { type: 'number', description: 'multiplies every row target (1 = the full dataset; 0.01 for a quick look)', default: 1 },
  tables: { type: 'list', description: 'only these tables, comma-separated (same bytes for them as in a whole run)' },
  clean: { type: 'boolean', description: 'skip the default anomaly stages (no ledger entries)', default: false },
  batchSize: { type: 'integer', description: 'rows per batch handed between stages (does not change the bytes)', min: 1, max: 1_000_000 },
} as const satisfies OptionsSpec;

export const DEFAULT_OUT = 'data_raw';

export interface DatasetOptions {
  seed?: number;
  scale?: number;
  /** Only these tables (names, or one comma-separated string). */
  tables?: readonly string[] | string;
  clean?: boolean;
  batchSize?: number;
  /** The folder run() writes to (default data_raw). */
  out?: string;
  /** The dataset's own options, e.g. retail's `start` and `end`. */
  [option: string]: unknown;
}

/** What run() takes besides the dataset: where to write, and whether to replace a run there. */
export interface DatasetTarget {
  out?: string;
  overwrite?: boolean;
  batchSize?: number;
  onTable?: DatasetRunOptions['onTable'];
  /** Worker threads (the files are the same for any count; see docs/scale-out.md). */
  workers?: number;
  /** The file layout: every table cut into this many shards (default 1). */
  shards?: number;
  /** Write only this shard of `shards` (then `finish` writes the ledger and manifest). */
  shard?: number;
  /** The YAML or TypeScript file the dataset came from (worker threads load it from there). */
  file?: string;
  /** Add batch k (>= 1) to the run already in `out` (docs/increments.md). */
  increment?: number;
}

export interface DatasetValue {
  readonly kind: 'dataset';
  readonly name: string;
  /** The dataset's declaration (with any tables added by extend). */
  readonly definition: DatasetDefinition;
  readonly seed: number;
  readonly scale: number;
  readonly clean: boolean;
  readonly batchSize?: number;
  readonly out?: string;
  /** The dataset's own options as given (validated). */
  readonly options: Readonly<Record<string, unknown>>;
  /** The tables this value writes (all of them unless subset), with schema, references and output. */
  readonly tables: readonly TableDefinition[];
  table(name: string): TableDefinition;
  schema(table: string): Schema;
  /** Rows a table gets at this value's scale. */
  rows(table: string): number;
  /** The same dataset with some choices changed (seed, scale, tables, out, options...). */
  with(changes: DatasetOptions): DatasetValue;
  /** Only these tables. */
  select(...tables: string[]): DatasetValue;
  /** The dataset plus more tables (each a TableDefinition, as in pipelines/retail/*.ts). */
  extend(...tables: TableDefinition[]): DatasetValue;
  /** Write it into its folder (what run(value, target) calls). */
  write(target?: DatasetTarget): Promise<DatasetResult>;
}

const RUN_KEYS = new Set([...Object.keys(datasetRunOptions), 'out']);

export function dataset(nameOrDefinition: string | DatasetDefinition, options: DatasetOptions = {}): DatasetValue {
  const def = typeof nameOrDefinition === 'string' ? findDataset(nameOrDefinition) : nameOrDefinition;
  if (!def || def.unit !== 'dataset') throw new DatagenError('E_OPTION', 'dataset: pass a dataset name (see datagen list) or a defineDataset(...) value');
  const runRaw: Record<string, unknown> = {};
  const ownRaw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (RUN_KEYS.has(k) && !(k in def.options) ? runRaw : ownRaw)[k] = v;
  const { out, ...engineRaw } = runRaw;
  const run = normalizeOptions(def.name, datasetRunOptions, engineRaw);
  checkScale(def.name, run.scale);
  if (out !== undefined && (typeof out !== 'string' || out === '')) throw new DatagenError('E_OPTION', `${def.name}: out must be a folder path, got ${JSON.stringify(out)}`);
  normalizeOptions(def.name, def.options, ownRaw); // checked now; runDataset normalizes again
  const tables = selectTables(def, run.tables);
  let ctx: DatasetContext | undefined;
  const context = () => (ctx ??= datasetContext(def, run.seed, run.scale, ownRaw));

  const value: DatasetValue = {
    kind: 'dataset',
    name: def.name,
    definition: def,
    seed: run.seed,
    scale: run.scale,
    clean: run.clean,
    ...(run.batchSize !== undefined ? { batchSize: run.batchSize } : {}),
    ...(out !== undefined ? { out: out as string } : {}),
    options: ownRaw,
    tables,
    table(name) {
      const t = tables.find((x) => x.name === name);
      if (!t) throw new DatagenError('E_OPTION', `${def.name}: no table '${name}' here (tables: ${tables.map((x) => x.name).join(', ')})`);
      return t;
    },
    schema: (name) => value.table(name).schema,
    rows: (name) => context().rows(value.table(name).name),
    with: (changes) => dataset(def, { ...current(), ...changes }),
    select: (...names) => dataset(def, { ...current(), tables: names }),
    extend(...more) {
      const known = new Set(def.tables.map((t) => t.name));
      for (const t of more) if (known.has(t.name)) throw new DatagenError('E_OPTION', `${def.name}: a table named '${t.name}' exists already`);
      const bigger = defineDataset({ ...def, tables: [...def.tables, ...more] } as never) as DatasetDefinition;
      const subset = run.tables && run.tables.length > 0 ? [...run.tables, ...more.map((t) => t.name)] : undefined;
      return dataset(bigger, { ...current(), tables: subset });
    },
    write: (target) => runDatasetValue(value, target),
  };
  // The choices of this value, for with/select/extend to start from.
  function current(): DatasetOptions {
    return { ...ownRaw, seed: run.seed, scale: run.scale, clean: run.clean, tables: run.tables, batchSize: run.batchSize, out: out as string | undefined };
  }
  return value;
}

export function isDatasetValue(x: unknown): x is DatasetValue {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'dataset' && 'definition' in x;
}

/**
 * Writes a dataset value into its folder (run() and `datagen generate <dataset>` come here).
 *
 * Nothing half-written is left behind: the manifest is written last, so its absence already
 * says a run did not complete; beyond that, when a run fails after it started writing, the
 * files of the tables it was writing, the ledger and its summary are removed, and the folder
 * too when this run created it and it is empty. A refusal (an earlier run there, no
 * --overwrite) happens before anything is written and removes nothing.
 */
export async function runDatasetValue(value: DatasetValue, target: DatasetTarget = {}): Promise<DatasetResult> {
  const out = target.out ?? value.out ?? DEFAULT_OUT;
  if (!isDuckdbPath(out)) checkOut(value.name, out); // a .duckdb file: duckdb-run.ts
  const existed = existsSync(out);
  let started = false;
  try {
    return await runDataset(value.definition, {
      out,
      seed: value.seed,
      scale: value.scale,
      tables: value.tables.map((t) => t.name),
      clean: value.clean,
      overwrite: target.overwrite ?? false,
      batchSize: target.batchSize ?? value.batchSize,
      options: { ...value.options },
      ...(target.workers !== undefined ? { workers: target.workers } : {}),
      ...(target.shards !== undefined ? { shards: target.shards } : {}),
      ...(target.shard !== undefined ? { shard: target.shard } : {}),
      ...(target.file !== undefined ? { file: target.file } : {}),
      ...(target.increment !== undefined ? { increment: target.increment } : {}),
      onTable(event) {
        started = true;
        target.onTable?.(event);
      },
    });
  } catch (err) {
    // A shard removes only its own files (runDataset did): the other shards' stay. An
    // increment removes its batch's files (increment.ts) and leaves the run it adds to.
    if (started && target.shard === undefined && target.increment === undefined) {
      for (const p of [MANIFEST, LEDGER, SUMMARY, SHARDS, ...value.tables.map((t) => t.output.path.replace(/\/$/, ''))]) rmSync(join(out, p), { recursive: true, force: true });
    }
    if (!existed) removeIfEmpty(out);
    throw asDatagenError(value.name, out, err);
  }
}

/** An --out that is a file, or under one, or in a folder we may not write: one E_OUTPUT line. */
function checkOut(owner: string, out: string): void {
  let at = resolve(out);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  const st = statSync(at);
  if (!st.isDirectory()) {
    throw new DatagenError('E_OUTPUT', at === resolve(out) ? `${owner}: --out ${out} is a file; name a folder` : `${owner}: cannot make --out ${out}: ${at} is a file`);
  }
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch {
    throw new DatagenError('E_OUTPUT', `${owner}: cannot write --out ${out}: ${at} is not writable`);
  }
}

function removeIfEmpty(folder: string): void {
  try {
    if (readdirSync(folder).length === 0) rmdirSync(folder);
  } catch {
    // already gone, or not ours to remove
  }
}

/** File system failures (disk full, permissions) become one E_OUTPUT line naming the folder. */
function asDatagenError(owner: string, out: string, err: unknown): unknown {
  if (isDatagenError(err)) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') return new DatagenError('E_OUTPUT', `${owner}: cannot write ${out}: ${describeIoError(e)}`);
  return err;
}
