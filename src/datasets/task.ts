import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { scenario } from '../../sources/scenario.js';
import { datasetContext, tableRows, type DatasetContext, type DatasetDefinition, type TableDefinition, type TableOutput } from '../core/dataset.js';
import { DatagenError } from '../core/errors.js';
import { fileLedger, type Ledger } from '../anomaly/ledger.js';
import { applyTransforms } from '../core/pipeline.js';
import { findDataset, findSink } from '../registry.js';
import type { Row } from '../core/schema.js';
import { shardFileName, shardTag, type Shard } from '../core/shard.js';
import { normalizeOptions } from '../core/options.js';
import { partitionedWrite } from '../codecs/partition.js';
import type { Batch, Source } from '../core/stage.js';
import { defineScenario } from '../core/units.js';
import { writeTableDuckdb } from './duckdb-run.js';

/**
 * One unit of a dataset run: one table, or one shard's share of it, through its default stages
 * into its files, its ledger lines into a file of their own. The same function runs in this
 * thread or in a worker thread (`--workers`), so the files do not depend on where it ran;
 * runDataset (run.ts) puts the results together.
 */
export interface DatasetJob {
  kind: 'dataset';
  /** The dataset's name: workers find a registered one by it. */
  dataset: string;
  /** A dataset from a file (YAML or TypeScript): workers load it from there. */
  file?: string;
  seed: number;
  scale: number;
  options: Record<string, unknown>;
  clean: boolean;
  batchSize?: number;
  out: string;
  /** The ledger's run id. */
  run: string;
  /** The file layout: how many shards the tables are cut into. */
  shards: number;
  /** Every table into this DuckDB database file instead of its files (duckdb-run.ts). */
  duckdb?: string;
  /** An increment (increment.ts): batch k >= 1 of the tables' rows, into new files. */
  batch?: number;
}

export interface TableTask {
  table: string;
  /** Which share: rows [floor(i N / n), floor((i + 1) N / n)); tables with their own writer are written whole by shard 0. */
  shard: number;
  /** The file this task's ledger lines go to. */
  ledger: string;
}

export interface ManifestFile {
  path: string;
  table: string;
  partition?: string;
  rows?: number;
  bytes: number;
  sha256: string;
  /** Delta tables: the version whose commit added the file (data files and log entries). */
  version?: number;
  /** Delta tables: the schema the file was written with (0 = as created, +1 per schema change). */
  schemaVersion?: number;
  /** Increments: the batch that wrote the file (absent: the base run). */
  batch?: number;
}

export interface TableTaskResult {
  table: string;
  shard: number;
  rows: number;
  files: ManifestFile[];
  /** An increment's table written by itself (Delta): files lists all of them, this many are new. */
  newFiles?: number;
  seconds: number;
}

/** Does this table get cut into shards? Tables written by their own writer (a Delta history) do not. */
export function splitsIntoShards(table: TableDefinition): boolean {
  return table.output.kind !== 'custom';
}

/** One context per run of a definition, shared by its tables as in a single thread (its shared() memos). */
const contexts = new WeakMap<DatasetDefinition, Map<string, DatasetContext>>();

/** Runs one task of `job` (the definition: the registered one, or `def` when given in this thread). */
export async function runTableTask(
  job: DatasetJob,
  task: TableTask,
  def: DatasetDefinition = findDataset(job.dataset),
  /** Told the rows of each batch as it is written (progress; only where the task runs in this thread). */
  onRows?: (rows: number) => void,
): Promise<TableTaskResult> {
  const started = performance.now();
  const batch = job.batch ?? 0;
  const key = JSON.stringify([job.dataset, job.seed, job.scale, job.options, batch]);
  let runs = contexts.get(def);
  if (!runs) contexts.set(def, (runs = new Map()));
  let ctx = runs.get(key);
  if (!ctx) runs.set(key, (ctx = datasetContext(def, job.seed, job.scale, job.options, batch)));
  const table = ([...def.tables, ...(def.changes ?? [])] as unknown as TableDefinition[]).find((t) => t.name === task.table);
  if (!table) throw new DatagenError('E_OPTION', `${def.name}: no table '${task.table}'`);
  const shard: Shard = splitsIntoShards(table) ? { index: task.shard, count: job.shards } : { index: 0, count: 1 };
  const file = fileLedger(task.ledger, { overwrite: true, run: job.run });
  // In a sharded layout every line says its shard: a stage that drops rows before others
  // (customers drops its deleted parents first) numbers rows within the shard's share.
  // An increment's lines say their batch.
  const tag = { ...(shard.count > 1 ? { shard: shard.index } : {}), ...(batch > 0 ? { batch } : {}) };
  const ledger: Ledger =
    Object.keys(tag).length > 0
      ? { ...file, record: (e) => file.record({ ...e, ...tag }), event: (e) => file.event({ ...e, ...tag }), flush: () => file.flush(), close: () => file.close() }
      : file;
  try {
    const source = batch > 0 ? incrementSource(def, table, ctx, job.seed, batch, job.batchSize) : tableSource(def, table, ctx, job.seed, shard, job.batchSize);
    const stages = job.clean ? [] : (table.stages?.(ctx) ?? []);
    const staged = applyTransforms(source, stages, { ledger });
    const batches = onRows ? counted(staged, onRows) : staged;
    if (job.duckdb !== undefined) {
      const rows = await writeTableDuckdb(table, batches, { ...job, duckdb: job.duckdb }, ctx);
      return { table: table.name, shard: task.shard, rows, files: [], seconds: (performance.now() - started) / 1000 };
    }
    const folder = join(job.out, table.output.path);
    const existing = batch > 0 && table.output.kind === 'custom' ? new Set(listFiles(folder)) : undefined;
    const written = await writeTable(table, batches, folder, ctx, shard, batch);
    // A Delta table's log says which version wrote each file; plain tables have one schema (0).
    const delta = table.output.format === 'delta' ? deltaFiles(folder) : undefined;
    const files: ManifestFile[] = [];
    for (const f of written.files) files.push({ ...(await describeFile(job.out, f)), ...(delta?.get(f.path) ?? { schemaVersion: 0 }) });
    const newFiles = existing ? { newFiles: written.files.filter((f) => !existing.has(f.path)).length } : {};
    return { table: table.name, shard: task.shard, rows: written.rows, files, ...newFiles, seconds: (performance.now() - started) / 1000 };
  } finally {
    ledger.close();
  }
}

/** The batches as they are, each one's rows told to onRows first. */
async function* counted(batches: AsyncIterable<Batch>, onRows: (rows: number) => void): AsyncIterable<Batch> {
  for await (const b of batches) {
    onRows(b.rows.length);
    yield b;
  }
}

/** A table (or its rows [from, to)) as a scenario source: its plan, chunked and seeded like any scenario's. */
export function tableSource(def: DatasetDefinition, table: TableDefinition, ctx: DatasetContext, seed: number, shard: Shard, batchSize?: number, range?: { from: number; to: number }) {
  const rows = range ? range.to - range.from : tableRows(table, ctx);
  const from = range?.from ?? 0;
  const scenarioDef = defineScenario({
    name: `${def.name}.${table.name}`,
    summary: table.name,
    examples: [],
    options: {},
    schema: table.schema,
    rules: table.rules,
    defaultRows: rows,
    plan: (_o, p) => {
      const plan = table.plan({ ...ctx, tableRows: p.rows, rng: p.rng });
      return from === 0 ? plan : { rows: (start, count, rng) => plan.rows(from + start, count, rng) };
    },
  });
  return scenario(scenarioDef, { rows, seed, ...(shard.count > 1 ? { shard: `${shard.index}/${shard.count}` } : {}), ...(batchSize ? { batchSize } : {}) });
}

/**
 * Batch k's rows of a table (TableDefinition.increment): rows [from, to) of the table grown
 * through the batch, numbered from `from` (ledger rows count on from the rows before). Late
 * rows (dated in an earlier batch's partitions) come first, held in memory (a few percent of
 * a batch) and sorted by partition, so each old partition gets one new file; then the others
 * as they are made.
 */
function incrementSource(def: DatasetDefinition, table: TableDefinition, ctx: DatasetContext, seed: number, batch: number, batchSize?: number): Source {
  const inc = table.increment!(ctx, batch);
  const rows = tableSource(def, table, ctx, seed, { index: 0, count: 1 }, batchSize, inc);
  const late = inc.late;
  const output = table.output;
  return {
    kind: 'source',
    name: rows.name,
    schema: table.schema,
    async *batches(): AsyncGenerator<Batch> {
      let offset = inc.from;
      const emit = (list: Row[]): Batch => {
        const b = { schema: table.schema, rows: list, offset };
        offset += list.length;
        return b;
      };
      if (!late) {
        for await (const b of rows.batches()) yield emit(b.rows);
        return;
      }
      const held: Row[] = [];
      for await (const b of rows.batches()) for (const r of b.rows) if (late(r)) held.push(r);
      if (output.kind === 'partitioned') {
        const keyOf = (r: Row) => output.partition(r).join('/');
        held.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
      }
      if (held.length > 0) yield emit(held);
      for await (const b of rows.batches()) {
        const onTime = b.rows.filter((r) => !late(r));
        if (onTime.length > 0) yield emit(onTime);
      }
    },
  };
}

/** What names batch k's files: -b0001. */
export const batchTag = (batch: number) => `-b${String(batch).padStart(4, '0')}`;

/** A file name with its batch: part-0000.csv -> part-0000-b0001.csv (nothing for the base). */
export function batchFileName(name: string, batch: number): string {
  if (batch <= 0) return name;
  const dot = name.indexOf('.', name.lastIndexOf('/') + 1);
  return dot < 0 ? name + batchTag(batch) : name.slice(0, dot) + batchTag(batch) + name.slice(dot);
}

interface Written {
  path: string;
  table: string;
  partition?: string;
  rows?: number;
}

/** Writes a table; its rows, and the files it wrote (rows per file where the writer knows them). */
async function writeTable(table: TableDefinition, batches: AsyncIterable<Batch>, path: string, ctx: DatasetContext, shard: Shard, batch = 0): Promise<{ rows: number; files: Written[] }> {
  const output = table.output;
  switch (output.kind) {
    case 'file': {
      if (partitionedFile(output)) return writeHivePartitions(table, output, batches, path, shard);
      path = join(path, '..', batchFileName(shardFileName(table.output.path.split('/').pop()!, shard), batch));
      let rows = 0;
      await findSink(output.format)({ ...output.options, path, overwrite: true } as never).write(counted(batches, (n) => (rows += n)));
      return { rows, files: [{ path, table: table.name, rows }] };
    }
    case 'partitioned': {
      const files = await writePartitions(table, batches, path, { ...output, file: batchFileName(shardFileName(output.file, shard), batch) });
      return { rows: files.reduce((n, f) => n + f.rows!, 0), files };
    }
    case 'custom': {
      // The table counts its own rows; its files are what its folder holds afterwards.
      const rows = await output.write(batches, { path, ctx });
      return { rows, files: listFiles(path).map((f) => ({ path: f, table: table.name })) };
    }
  }
}

/**
 * Rows into `folder/<partition>/<file>`: one file at a time, a new one when the row's
 * partition changes (tables are generated in partition order, so a partition's rows come
 * together). A partition met again later (a duplicate placed further on) continues in its next
 * file, so nothing is overwritten. Each file is written by the format's sink, pulling rows
 * until the partition changes: no queue, no second copy of the rows.
 */
async function writePartitions(table: TableDefinition, batches: AsyncIterable<Batch>, folder: string, output: Extract<TableOutput, { kind: 'partitioned' }>): Promise<Written[]> {
  const sink = findSink(output.format);
  const written: Written[] = [];
  const nextNum = new Map<string, number>();
  const keyOf = (row: Row) => output.partition(row).join('/');
  const it = batches[Symbol.asyncIterator]();
  const next = async (): Promise<Batch | undefined> => {
    for (;;) {
      const n = await it.next();
      if (n.done) return undefined;
      if (n.value.rows.length > 0) return n.value;
    }
  };
  const slice = (b: Batch, from: number, to = b.rows.length): Batch => ({ schema: b.schema, rows: b.rows.slice(from, to), offset: b.offset + from });

  let head = await next();
  while (head) {
    const key = keyOf(head.rows[0]!);
    const num = nextNum.get(key) ?? 0;
    nextNum.set(key, num + 1);
    const name = output.file.replace(/\{num(?::0?(\d+))?\}/g, (_m, w: string | undefined) => String(num).padStart(Number(w ?? 1), '0'));
    if (num > 0 && name === output.file) throw new DatagenError('E_OUTPUT', `${table.name}: partition ${key} was met twice, and its file name '${output.file}' has no {num}`);
    const file: Written = { path: join(folder, key, name), table: table.name, partition: key, rows: 0 };
    written.push(file);
    let rest: Batch | undefined;
    async function* part(first: Batch): AsyncGenerator<Batch> {
      for (let b: Batch | undefined = first; b; b = await next()) {
        let i = 0;
        while (i < b.rows.length && keyOf(b.rows[i]!) === key) i++;
        const mine = i === b.rows.length ? b : slice(b, 0, i);
        file.rows! += mine.rows.length;
        if (mine.rows.length > 0) yield mine;
        if (i < b.rows.length) {
          rest = slice(b, i);
          return;
        }
      }
    }
    await sink({ ...output.options, path: file.path, overwrite: true } as never).write(part(head));
    head = rest;
  }
  return written;
}

/** A 'file' output with partitionBy: a folder of key=value/ partitions written by the sink's partitioned writer. */
export function partitionedFile(output: TableOutput): boolean {
  return output.kind === 'file' && Array.isArray(output.options?.partitionBy) && (output.options.partitionBy as unknown[]).length > 0;
}

/**
 * Rows in any order into `folder/key=value/part-NNNN<ext>` (the partitioned writer keeps up to
 * --max-open files open and continues a folder in its next file): for tables whose partition
 * column is not the order rows are made in. A shard's files carry its tag, beside the others'.
 */
async function writeHivePartitions(table: TableDefinition, output: Extract<TableOutput, { kind: 'file' }>, batches: AsyncIterable<Batch>, folder: string, shard: Shard): Promise<{ rows: number; files: Written[] }> {
  const sink = findSink(output.format);
  const template = shardFileName(`part-{num:04}${sink.extensions[0] ?? ''}`, shard);
  const opts = { ...normalizeOptions(sink.name, sink.options, { ...output.options, path: folder + '/', fileTemplate: template }), keepExisting: true };
  let rows = 0;
  await partitionedWrite(sink, opts as never)(counted(batches, (n) => (rows += n)));
  const tag = shard.count > 1 ? `-${shardTag(shard)}.` : undefined;
  const files = listFiles(folder)
    .filter((f) => !basename(f).startsWith('.') && (tag === undefined || basename(f).includes(tag)))
    .map((f) => ({ path: f, table: table.name, partition: relative(folder, dirname(f)).split(sep).join('/') }));
  return { rows, files };
}

export async function describeFile(out: string, f: Written): Promise<ManifestFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(f.path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return {
    path: relative(out, f.path).split(sep).join('/'),
    table: f.table,
    ...(f.partition !== undefined ? { partition: f.partition } : {}),
    ...(f.rows !== undefined ? { rows: f.rows } : {}),
    bytes,
    sha256: hash.digest('hex'),
  };
}

function listFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const out: string[] = [];
  for (const e of readdirSync(folder, { withFileTypes: true })) {
    const p = join(folder, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}


/**
 * What a Delta table's log says about its files: for each data file the version that added it,
 * its row count and the schema version it was written with; for each commit file its version.
 */
function deltaFiles(table: string): Map<string, { version: number; schemaVersion: number; rows?: number }> {
  const out = new Map<string, { version: number; schemaVersion: number; rows?: number }>();
  const log = join(table, '_delta_log');
  let schemaVersion = -1;
  for (const name of existsSync(log) ? readdirSync(log).filter((n) => /^\d{20}\.json$/.test(n)).sort() : []) {
    const version = Number(name.slice(0, 20));
    const actions = readFileSync(join(log, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    if (actions.some((a) => a.metaData)) schemaVersion++;
    out.set(join(log, name), { version, schemaVersion });
    for (const a of actions) {
      if (!a.add) continue;
      const stats = typeof a.add.stats === 'string' ? (JSON.parse(a.add.stats) as { numRecords?: number }) : {};
      out.set(join(table, a.add.path as string), { version, schemaVersion, ...(stats.numRecords !== undefined ? { rows: stats.numRecords } : {}) });
    }
  }
  return out;
}
