import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { datasetContext, type DatasetDefinition, type TableDefinition } from '../core/dataset.js';
import { DatagenError } from '../core/errors.js';
import { normalizeOptions } from '../core/options.js';
import { formatDate, parseDate } from '../core/temporal.js';
import { snapshotRows } from '../delta/log.js';
import { deltaTable } from '../delta/table.js';
import { ensureDir, onAbort } from '../codecs/output.js';
import { renderSummaryMarkdown, summarizeLedger } from '../ledger-summary.js';
import { concatenate, datasetJob, executeTasks, LEDGER, MANIFEST, SUMMARY, writeAtomic, type DatasetResult, type DatasetRunOptions } from './run.js';
import { batchTag, describeFile, type ManifestFile, type TableTask, type TableTaskResult } from './task.js';

/**
 * `generate <dataset> --increment k --out DIR` (docs/increments.md): batch k of a run already in
 * DIR. Every table with an `increment` gets the rows of batch k's days (and late rows for
 * earlier days) as new files beside the base's; the dataset's change tables get the
 * dimensions' changes; the batch's ledger lines say `"batch": k`. Batch k depends only on
 * (seed, scale, options, k): it can be made before batch k-1, on another machine.
 *
 * What the folder holds afterwards:
 * - `_batches/00000.json`: the base run's manifest, kept when the first increment arrives;
 * - `_batches/0000k.json` and `0000k.ledger.jsonl`: what batch k added, and its anomalies;
 * - `_ledger.jsonl`: the base's lines, then each batch's in batch order;
 * - `_manifest.json`: the base's files and every batch's, the tables' rows in all, the batches.
 */

export const BATCHES = '_batches';

interface Manifest {
  dataset: string;
  seed: number;
  scale: number;
  options: Record<string, unknown>;
  clean: boolean;
  shards?: number;
  tables: Record<string, { path: string; format: string; rows: number; schema: unknown; references: Record<string, string> }>;
  batches?: Array<{ batch: number; first: string; last: string; record: string }>;
  changes?: Record<string, { path: string; format: string; rows: number }>;
  files: ManifestFile[];
}

/** The base run, as its manifest was before any increment, and its ledger's length. */
interface BaseRecord {
  batch: 0;
  ledgerBytes: number;
  manifest: Manifest;
}

/** What batch k added. */
export interface BatchRecord {
  dataset: string;
  seed: number;
  scale: number;
  options: Record<string, unknown>;
  clean: boolean;
  batch: number;
  /** The batch's days, ISO dates. */
  first: string;
  last: string;
  /** rows: what the batch added; tableRows (Delta tables): the rows the table holds after it. */
  tables: Record<string, { rows: number; tableRows?: number; files: ManifestFile[]; lateFiles?: number; lateRows?: number }>;
  changes: Record<string, { rows: number; files: ManifestFile[] }>;
  ledger: { path: string; entries: number };
}

const tag = (k: number) => String(k).padStart(5, '0');
export const batchRecordPath = (out: string, k: number) => join(out, BATCHES, `${tag(k)}.json`);

export async function runIncrement(def: DatasetDefinition, o: DatasetRunOptions & { increment: number }): Promise<DatasetResult & { batch: number }> {
  const k = o.increment;
  const owner = `${def.name} --increment ${k}`;
  if (!Number.isSafeInteger(k) || k < 1) throw new DatagenError('E_OPTION', `${def.name}: --increment must be a batch number of 1 or more, got ${k} (the base run is generate without --increment)`);
  if (!def.batchDays) throw new DatagenError('E_OPTION', `${def.name}: this dataset has no increments (its tables do not grow with time)`);
  for (const [flag, given] of [['--shards', o.shards !== undefined && o.shards > 1], ['--shard', o.shard !== undefined], ['--tables', (o.tables?.length ?? 0) > 0 && o.tables!.length < def.tables.length]] as const) {
    if (given) throw new DatagenError('E_OPTION', `${owner}: ${flag} cannot be combined with --increment (an increment adds to every table of the run in --out)`);
  }
  const out = o.out;
  const seed = o.seed ?? 42;
  const scale = o.scale ?? 1;
  const clean = o.clean ?? false;
  const options = normalizeOptions(def.name, def.options, o.options ?? {}) as Record<string, unknown>;
  const base = readBase(def, out, owner);
  checkIdentity(def, base.manifest, { seed, scale, clean, options }, out, owner);

  const recordFile = batchRecordPath(out, k);
  if (existsSync(recordFile) && !o.overwrite) {
    throw new DatagenError('E_OUTPUT', `${owner}: ${out} already holds batch ${k} (${BATCHES}/${tag(k)}.json); pass --overwrite to write it again`);
  }
  const madeBatches = !existsSync(join(out, BATCHES));
  ensureDir(join(out, BATCHES));
  const madeBase = !existsSync(batchRecordPath(out, 0));
  if (madeBase) writeAtomic(batchRecordPath(out, 0), JSON.stringify(base, null, 2) + '\n');

  // The tables of the base run that grow, and the change tables of its dimensions.
  const inBase = new Set(Object.keys(base.manifest.tables));
  const tables = (def.tables as unknown as TableDefinition[]).filter((t) => t.increment && inBase.has(t.name));
  const changes = ((def.changes ?? []) as unknown as TableDefinition[]).filter((t) => t.increment && inBase.has(t.name.replace(/_changes$/, '')));
  // Written again (--overwrite): its old files go first (Delta versions stay: the same bytes, skipped).
  const rewriting = existsSync(recordFile);
  if (rewriting) for (const t of [...tables, ...changes]) removeBatchTagged(join(out, t.output.path), k);
  const ctx = datasetContext(def, seed, scale, o.options, k);
  const work = join(out, `.datagen-work-b${tag(k)}-${process.pid}`);
  ensureDir(work);
  const tasks: TableTask[] = [...tables, ...changes].map((t) => ({ table: t.name, shard: 0, ledger: join(work, `${t.name}.jsonl`) }));
  const job = { ...datasetJob(def, o, { seed, scale, clean, out, shards: 1 }), batch: k };
  // A failed or stopped batch leaves no file of its own behind (the base and other batches stay):
  // its tagged files, the Delta versions it committed, and the records it started.
  const deltaVersions = new Map(tables.filter((t) => t.output.format === 'delta').map((t) => [t, deltaTable(join(out, t.output.path)).version() ?? -1]));
  const dropPartial = () => {
    rmSync(work, { recursive: true, force: true });
    for (const t of [...tables, ...changes]) removeBatchTagged(join(out, t.output.path), k);
    for (const [t, version] of deltaVersions) removeVersionsAfter(join(out, t.output.path), version);
    if (madeBase) rmSync(batchRecordPath(out, 0), { force: true });
    if (madeBatches) rmSync(join(out, BATCHES), { recursive: true, force: true });
  };
  const undo = onAbort(dropPartial);
  try {
    const results: TableTaskResult[] = [];
    for await (const r of executeTasks(def, job, tasks, o)) results.push(r);
    const ledgerPath = join(out, BATCHES, `${tag(k)}.ledger.jsonl`);
    concatenate(ledgerPath, tasks.map((t) => ({ path: t.ledger })));
    // A Delta table's folder lists every version's files: the batch's are those no record has.
    const known = new Set([...base.manifest.files, ...batchRecords(out, k).flatMap((r) => Object.values({ ...r.tables, ...r.changes }).flatMap((t) => t.files))].map((f) => f.path));
    const { first, last } = def.batchDays(ctx, k);
    const record: BatchRecord = {
      dataset: def.name,
      seed,
      scale,
      options,
      clean,
      batch: k,
      first: formatDate(first),
      last: formatDate(last),
      tables: {},
      changes: {},
      ledger: { path: `${BATCHES}/${tag(k)}.ledger.jsonl`, entries: lineCount(ledgerPath) },
    };
    for (const r of results) {
      if (changes.some((t) => t.name === r.table)) {
        record.changes[r.table] = { rows: r.rows, files: r.files.filter((f) => !known.has(f.path)).map((f) => ({ ...f, batch: k })) };
        continue;
      }
      const table = tables.find((t) => t.name === r.table)!;
      if (table.output.format === 'delta') {
        // A Delta table adds one version per batch: batch k's is the base's last version + k
        // (written by this run, or earlier when a later batch filled the gap).
        const version = Math.max(...base.manifest.files.filter((f) => f.table === r.table && f.version !== undefined).map((f) => f.version!)) + k;
        const files = r.files.filter((f) => f.version === version).map((f) => ({ ...f, batch: k }));
        const snapshot = deltaTable(join(out, table.output.path)).snapshot(version);
        record.tables[r.table] = { rows: files.reduce((n, f) => n + (f.rows ?? 0), 0), tableRows: snapshotRows(snapshot), files };
        continue;
      }
      const files = r.files.filter((f) => !known.has(f.path)).map((f) => ({ ...f, batch: k }));
      // Late files: new files in partitions of days before the batch.
      const late = files.filter((f) => (partitionDay(f.partition) ?? first) < first);
      record.tables[r.table] = { rows: r.rows, files, ...(late.length > 0 ? { lateFiles: late.length, lateRows: late.reduce((n, f) => n + (f.rows ?? 0), 0) } : {}) };
    }
    writeAtomic(recordFile, JSON.stringify(record, null, 2) + '\n');
    await rebuild(def, out, base);
    const mine = Object.entries({ ...record.tables, ...record.changes });
    return { out, batch: k, tables: mine.map(([name, t]) => ({ name, rows: t.rows, files: t.files.length })), files: mine.flatMap(([, t]) => t.files) };
  } catch (err) {
    dropPartial();
    // Written again with --overwrite and failed: the old batch k is gone, so is its record.
    if (rewriting) {
      for (const p of [recordFile, join(out, BATCHES, `${tag(k)}.ledger.jsonl`)]) rmSync(p, { force: true });
      await rebuild(def, out, base);
    }
    throw err;
  } finally {
    undo();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The day a partition folder names (order_dt=2025-01-03 -> its day), if its first part is a date. */
function partitionDay(partition: string | undefined): number | undefined {
  const value = partition?.split('/')[0]!.split('=')[1];
  return value === undefined ? undefined : parseDate(value);
}

function lineCount(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The base run: from _batches/00000.json once an increment was made, else the manifest itself. */
function readBase(def: DatasetDefinition, out: string, owner: string): BaseRecord {
  const saved = batchRecordPath(out, 0);
  if (existsSync(saved)) return JSON.parse(readFileSync(saved, 'utf8')) as BaseRecord;
  const path = join(out, MANIFEST);
  if (!existsSync(path)) {
    throw new DatagenError('E_INCREMENT', `${owner}: ${out} holds no run of ${def.name} (no ${MANIFEST}); generate the base first: datagen generate ${def.name} --out ${out}`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch {
    throw new DatagenError('E_INCREMENT', `${owner}: ${path} is not a datagen manifest (damaged?)`);
  }
  if (manifest.batches?.length) throw new DatagenError('E_INCREMENT', `${owner}: ${path} lists batches but ${saved} is missing; the folder was changed by hand`);
  const ledger = join(out, LEDGER);
  return { batch: 0, ledgerBytes: existsSync(ledger) ? statSync(ledger).size : 0, manifest };
}

/** An increment continues its base: same dataset, seed, scale, options and --clean. */
function checkIdentity(def: DatasetDefinition, m: Manifest, run: { seed: number; scale: number; clean: boolean; options: Record<string, unknown> }, out: string, owner: string): void {
  const fix = `; give the base's: --seed ${m.seed} --scale ${m.scale}${m.clean ? ' --clean' : ''}`;
  if (m.dataset !== def.name) throw new DatagenError('E_INCREMENT', `${owner}: ${out} holds dataset ${m.dataset}, not ${def.name}`);
  if (m.shards !== undefined && m.shards > 1) throw new DatagenError('E_INCREMENT', `${owner}: ${out} was written in ${m.shards} shards; increments need a run written whole`);
  for (const key of ['seed', 'scale', 'clean'] as const) {
    if (m[key] !== run[key]) throw new DatagenError('E_INCREMENT', `${owner}: ${out} was generated with ${key} ${JSON.stringify(m[key])}, not ${JSON.stringify(run[key])}${fix}`);
  }
  const defaults = normalizeOptions(def.name, def.options, {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(run.options)) {
    const then = key in m.options ? m.options[key] : defaults[key];
    if (JSON.stringify(then) !== JSON.stringify(value)) {
      const show = (v: unknown) => (def.options[key]?.type === 'date' && typeof v === 'number' ? formatDate(v) : JSON.stringify(v));
      throw new DatagenError('E_INCREMENT', `${owner}: ${out} was generated with ${key} ${show(then)}, not ${show(value)}; an increment continues its base run with the same options`);
    }
  }
}

/** The records of the batches on disk (not the base's), in batch order; without batch `except`. */
function batchRecords(out: string, except?: number): BatchRecord[] {
  const folder = join(out, BATCHES);
  return readdirSync(folder)
    .filter((f) => /^\d{5}\.json$/.test(f) && f !== `${tag(0)}.json` && (except === undefined || f !== `${tag(except)}.json`))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(folder, f), 'utf8')) as BatchRecord);
}

/** Files of batch k (named ...-b000k...) under a table's path (a folder, or a file beside its batches). */
function removeBatchTagged(path: string, k: number): void {
  const mark = batchTag(k);
  const folder = path.endsWith('/') ? path : join(path, '..');
  const sweep = (dir: string) => {
    if (!existsSync(dir) || existsSync(join(dir, '_delta_log'))) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && path.endsWith('/')) sweep(p);
      else if (e.isFile() && e.name.includes(mark)) rmSync(p, { force: true });
    }
  };
  sweep(folder);
}

/** Delta commits after `version` and the data files they added (a batch that did not complete). */
function removeVersionsAfter(table: string, version: number): void {
  const log = join(table, '_delta_log');
  if (!existsSync(log)) return;
  for (const name of readdirSync(log).filter((n) => /^\d{20}\.json$/.test(n) && Number(n.slice(0, 20)) > version)) {
    for (const line of readFileSync(join(log, name), 'utf8').split('\n')) {
      const add = line ? (JSON.parse(line) as { add?: { path: string } }).add : undefined;
      if (add) rmSync(join(table, decodeURIComponent(add.path)), { force: true });
    }
    rmSync(join(log, name), { force: true });
  }
}

/**
 * The ledger, its summary and the manifest of the base plus every batch on disk, in batch
 * order (so the folder's description does not depend on the order batches were made in).
 */
async function rebuild(def: DatasetDefinition, out: string, base: BaseRecord): Promise<void> {
  const records = batchRecords(out);
  const ledgerPath = join(out, LEDGER);
  // The base's lines are the first ledgerBytes of the ledger (kept since the first increment).
  const head = join(out, BATCHES, `.base-ledger.tmp-${process.pid}`);
  concatenate(head, [{ path: ledgerPath, range: [0, base.ledgerBytes] }]);
  try {
    concatenate(ledgerPath, [{ path: head }, ...records.map((r) => ({ path: join(out, r.ledger.path) }))]);
  } finally {
    rmSync(head, { force: true });
  }
  writeAtomic(join(out, SUMMARY), renderSummaryMarkdown(await summarizeLedger(ledgerPath), LEDGER));
  const m = base.manifest;
  const tables = structuredClone(m.tables);
  const changes: NonNullable<Manifest['changes']> = {};
  const files: ManifestFile[] = m.files.filter((f) => f.table !== '_ledger');
  const defs = [...def.tables, ...(def.changes ?? [])] as unknown as TableDefinition[];
  for (const r of records) {
    for (const [name, t] of Object.entries(r.tables)) {
      // A Delta table's rows are its latest state (the last batch's count); others add up.
      if (t.tableRows !== undefined) tables[name]!.rows = t.tableRows;
      else tables[name]!.rows += t.rows;
      files.push(...t.files);
    }
    for (const [name, t] of Object.entries(r.changes)) {
      const d = defs.find((x) => x.name === name)!;
      changes[name] = { path: d.output.path, format: d.output.format, rows: (changes[name]?.rows ?? 0) + t.rows };
      files.push(...t.files);
    }
  }
  for (const r of records) {
    for (const name of [`${tag(r.batch)}.json`, `${tag(r.batch)}.ledger.jsonl`]) files.push(await describeFile(out, { path: join(out, BATCHES, name), table: BATCHES }));
  }
  files.push(await describeFile(out, { path: join(out, BATCHES, `${tag(0)}.json`), table: BATCHES }));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  files.push(await describeFile(out, { path: ledgerPath, table: '_ledger' }), await describeFile(out, { path: join(out, SUMMARY), table: '_ledger' }));
  const manifest: Manifest = {
    ...m,
    tables,
    batches: records.map((r) => ({ batch: r.batch, first: r.first, last: r.last, record: `${BATCHES}/${tag(r.batch)}.json` })),
    changes,
    files,
  };
  writeAtomic(join(out, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
}
