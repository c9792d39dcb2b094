import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { scenario } from '../../sources/scenario.js';
import { datasetContext, tableRows, type DatasetContext, type DatasetDefinition, type TableDefinition, type TableOutput } from '../core/dataset.js';
import { DatagenError } from '../core/errors.js';
import { fileLedger } from '../anomaly/ledger.js';
import { renderSummaryMarkdown, summarizeLedger } from '../ledger-summary.js';
import { ensureDir } from '../codecs/output.js';
import { applyTransforms } from '../core/pipeline.js';
import { findSink } from '../registry.js';
import { typeLabel, type Row } from '../core/schema.js';
import type { Batch, StageContext } from '../core/stage.js';
import { defineScenario } from '../core/units.js';

/**
 * Runs a dataset into a folder: every table (or the ones asked for) through its default
 * stages into its files, one ledger for all of them, a summary of it, and last a manifest of
 * every file (rows, bytes, sha256) — its presence means the run completed.
 */
export interface DatasetRunOptions {
  out: string;
  seed?: number;
  scale?: number;
  /** Only these tables (same bytes for them as in a whole run). */
  tables?: string[];
  /** Replace an earlier run's files in `out`. */
  overwrite?: boolean;
  /** Without the default anomaly stages. */
  clean?: boolean;
  batchSize?: number;
  options?: Record<string, unknown>;
  /** Told when a table starts and ends (progress on stderr in the CLI). */
  onTable?(event: { table: string; phase: 'start' | 'end'; rows?: number; files?: number }): void;
}

export const MANIFEST = '_manifest.json';
export const LEDGER = '_ledger.jsonl';
export const SUMMARY = '_ledger_summary.md';

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
}

export interface DatasetResult {
  out: string;
  tables: Array<{ name: string; rows: number; files: number }>;
  files: ManifestFile[];
}

export function selectTables(def: DatasetDefinition, names: readonly string[] | undefined): TableDefinition[] {
  const tables = def.tables as unknown as TableDefinition[];
  if (!names || names.length === 0) return tables;
  const known = new Set(tables.map((t) => t.name));
  for (const n of names) {
    if (!known.has(n)) throw new DatagenError('E_OPTION', `${def.name}: unknown table '${n}' in --tables (tables: ${[...known].join(', ')})`);
  }
  return tables.filter((t) => names.includes(t.name));
}

export function checkScale(owner: string, scale: number): void {
  if (!(scale > 0) || !(scale <= 1000)) throw new DatagenError('E_OPTION', `${owner}: scale must be above 0 and at most 1000, got ${scale}`);
}

export async function runDataset(def: DatasetDefinition, o: DatasetRunOptions): Promise<DatasetResult> {
  const seed = o.seed ?? 42;
  const scale = o.scale ?? 1;
  checkScale(def.name, scale);
  const tables = selectTables(def, o.tables);
  const ctx = datasetContext(def, seed, scale, o.options);
  const out = o.out;
  prepareOut(def, tables, out, o.overwrite ?? false);

  const ledgerPath = join(out, LEDGER);
  // The run id names what was generated, not when: same seed and options, same ledger bytes.
  const run = `${def.name}:seed=${seed}:scale=${scale}${o.clean ? ':clean' : ''}`;
  const ledger = fileLedger(ledgerPath, { overwrite: true, run });
  const stage: StageContext = { ledger };
  const files: ManifestFile[] = [];
  const summary: DatasetResult['tables'] = [];
  try {
    for (const table of tables) {
      o.onTable?.({ table: table.name, phase: 'start' });
      const source = tableSource(def, table, ctx, seed, o.batchSize);
      const stages = o.clean ? [] : (table.stages?.(ctx) ?? []);
      const batches = applyTransforms(source, stages, stage);
      const folder = join(out, table.output.path);
      const written = await writeTable(table, batches, folder, ctx);
      // A Delta table's log says which version wrote each file; plain tables have one schema (0).
      const delta = table.output.format === 'delta' ? deltaFiles(folder) : undefined;
      for (const f of written.files) files.push({ ...(await describeFile(out, f)), ...(delta?.get(f.path) ?? { schemaVersion: 0 }) });
      summary.push({ name: table.name, rows: written.rows, files: written.files.length });
      o.onTable?.({ table: table.name, phase: 'end', rows: written.rows, files: written.files.length });
    }
  } finally {
    ledger.close();
  }
  // A run that recorded nothing (--clean, or tables without stages) still leaves its (empty) ledger.
  if (!existsSync(ledgerPath)) writeFileSync(ledgerPath, '');
  // The answer key beside the data, then the manifest, last.
  writeFileSync(join(out, SUMMARY), renderSummaryMarkdown(await summarizeLedger(ledgerPath), LEDGER));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest = {
    dataset: def.name,
    seed,
    scale,
    options: ctx.options,
    clean: o.clean ?? false,
    tables: Object.fromEntries(
      tables.map((t) => [
        t.name,
        {
          path: t.output.path,
          format: t.output.format,
          rows: summary.find((s) => s.name === t.name)!.rows,
          schema: t.schema.fields.map((f) => ({ name: f.name, type: typeLabel(f.type), nullable: f.nullable })),
          references: t.references ?? {},
        },
      ]),
    ),
    files: [...files, await describeFile(out, { path: join(out, LEDGER), table: '_ledger' }), await describeFile(out, { path: join(out, SUMMARY), table: '_ledger' })],
  };
  const temp = join(out, `.${MANIFEST}.tmp-${process.pid}`);
  writeFileSync(temp, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(temp, join(out, MANIFEST));
  return { out, tables: summary, files };
}

/**
 * An existing run in `out` is refused unless overwrite; with overwrite, only what this
 * dataset writes there is removed (the tables' files, ledger, summary, manifest).
 */
function prepareOut(def: DatasetDefinition, tables: readonly TableDefinition[], out: string, overwrite: boolean): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new DatagenError('E_OUTPUT', `${def.name}: --out ${out} is a file; name a folder`);
  const ours = [MANIFEST, LEDGER, SUMMARY, ...(def.tables as unknown as TableDefinition[]).map((t) => t.output.path.replace(/\/$/, ''))];
  const present = ours.filter((p) => existsSync(join(out, p)));
  if (present.length > 0 && !overwrite) {
    throw new DatagenError('E_OUTPUT', `${def.name}: ${out} already holds a run (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', ...' : ''}); pass --overwrite to replace it`);
  }
  // A subset run replaces only its tables, but the old manifest no longer describes the folder.
  for (const p of [MANIFEST, LEDGER, SUMMARY, ...tables.map((t) => t.output.path.replace(/\/$/, ''))]) rmSync(join(out, p), { recursive: true, force: true });
  ensureDir(out);
}

function tableSource(def: DatasetDefinition, table: TableDefinition, ctx: DatasetContext, seed: number, batchSize?: number) {
  const rows = tableRows(table, ctx);
  const scenarioDef = defineScenario({
    name: `${def.name}.${table.name}`,
    summary: table.name,
    examples: [],
    options: {},
    schema: table.schema,
    rules: table.rules,
    defaultRows: rows,
    plan: (_o, p) => table.plan({ ...ctx, tableRows: p.rows, rng: p.rng }),
  });
  return scenario(scenarioDef, { rows, seed, ...(batchSize ? { batchSize } : {}) });
}

interface Written {
  path: string;
  table: string;
  partition?: string;
  rows?: number;
}

/** Writes a table; its rows, and the files it wrote (rows per file where the writer knows them). */
async function writeTable(table: TableDefinition, batches: AsyncIterable<Batch>, path: string, ctx: DatasetContext): Promise<{ rows: number; files: Written[] }> {
  const output = table.output;
  switch (output.kind) {
    case 'file': {
      let rows = 0;
      async function* counted() {
        for await (const b of batches) {
          rows += b.rows.length;
          yield b;
        }
      }
      await findSink(output.format)({ ...output.options, path, overwrite: true } as never).write(counted());
      return { rows, files: [{ path, table: table.name, rows }] };
    }
    case 'partitioned': {
      const files = await writePartitions(table, batches, path, output);
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

async function describeFile(out: string, f: Written): Promise<ManifestFile> {
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
