import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkScale, datasetContext, type DatasetDefinition, type TableDefinition } from '../core/dataset.js';
import { DatagenError } from '../core/errors.js';
import { renderSummaryMarkdown, summarizeLedger } from '../ledger-summary.js';
import { ensureDir, onAbort } from '../codecs/output.js';
import { findDataset } from '../registry.js';
import { typeLabel } from '../core/schema.js';
import { shardTag } from '../core/shard.js';
import { runOrdered } from '../scale/pool.js';
import { isDuckdbPath } from '../../sinks/duckdb.js';
import { runDatasetDuckdb } from './duckdb-run.js';
import { runIncrement } from './increment.js';
import { describeFile, partitionedFile, runTableTask, splitsIntoShards, type DatasetJob, type ManifestFile, type TableTask, type TableTaskResult } from './task.js';

export type { ManifestFile } from './task.js';
export { checkScale };

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
  /** Told when a table (or a shard's share of it) starts and ends (progress on stderr in the CLI). */
  /** 'rows': a batch of the table was written (rows in it), for tables run in this thread. */
  onTable?(event: { table: string; phase: 'start' | 'rows' | 'end'; rows?: number; files?: number; shard?: number; seconds?: number }): void;
  /** Worker threads running tables (or table shares) side by side; the files are the same for any count. */
  workers?: number;
  /** The file layout: every table cut into this many shards (default 1: one file per table, as named). */
  shards?: number;
  /** Write only this shard (0-based) of `shards`: its files and its record in _shards/; `finishShards` then writes the ledger and manifest. */
  shard?: number;
  /** The YAML or TypeScript file the dataset came from: worker threads load it from there. */
  file?: string;
  /** Write batch k (>= 1) of new days, late rows and changes into the run already in `out` (increment.ts). */
  increment?: number;
}

export const MANIFEST = '_manifest.json';
export const LEDGER = '_ledger.jsonl';
export const SUMMARY = '_ledger_summary.md';

export interface DatasetResult {
  out: string;
  tables: Array<{ name: string; rows: number; files: number }>;
  files: ManifestFile[];
  /** Entries of the run's ledger, when counted by the run (a DuckDB file: its _ledger table). */
  anomalies?: number;
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


export const SHARDS = '_shards';

/** What makes shards parts of one run: they must all agree on it. */
interface RunIdentity {
  dataset: string;
  seed: number;
  scale: number;
  options: Record<string, unknown>;
  clean: boolean;
  tables: string[];
  shards: number;
}

/** What a shard leaves in _shards/: its identity, and per table its rows, files and ledger bytes. */
interface ShardRecord extends RunIdentity {
  shard: number;
  results: Array<{ table: string; rows: number; files: ManifestFile[]; ledger: [number, number] }>;
}

/** What every table task of a run is told (written to folders, or into one DuckDB file). */
export function datasetJob(def: DatasetDefinition, o: DatasetRunOptions, run: { seed: number; scale: number; clean: boolean; out: string; shards: number }): DatasetJob {
  const { seed, scale, clean } = run;
  // The run id names what was generated, not when: same seed and options, same ledger bytes.
  return {
    kind: 'dataset',
    dataset: def.name,
    seed,
    scale,
    options: o.options ?? {},
    clean,
    ...(o.batchSize ? { batchSize: o.batchSize } : {}),
    out: run.out,
    run: `${def.name}:seed=${seed}:scale=${scale}${clean ? ':clean' : ''}`,
    shards: run.shards,
    ...(o.file ? { file: o.file } : {}),
  };
}

export async function runDataset(def: DatasetDefinition, o: DatasetRunOptions): Promise<DatasetResult> {
  if (o.increment !== undefined) {
    if (isDuckdbPath(o.out)) throw new DatagenError('E_OPTION', `${def.name}: --increment writes into a folder of files; ${o.out} is a DuckDB file (load the folder's tables into DuckDB instead)`);
    return runIncrement(def, { ...o, increment: o.increment });
  }
  if (isDuckdbPath(o.out)) return runDatasetDuckdb(def, o);
  const seed = o.seed ?? 42;
  const scale = o.scale ?? 1;
  checkScale(def.name, scale);
  const n = o.shards ?? 1;
  if (!Number.isSafeInteger(n) || n < 1) throw new DatagenError('E_OPTION', `${def.name}: --shards must be a whole number of at least 1, got ${n}`);
  if (o.shard !== undefined && !(Number.isSafeInteger(o.shard) && o.shard >= 0 && o.shard < n)) {
    throw new DatagenError('E_OPTION', `${def.name}: --shard ${o.shard}/${n}: the index must be 0..${n - 1}`);
  }
  const tables = selectTables(def, o.tables);
  const ctx = datasetContext(def, seed, scale, o.options);
  const out = o.out;
  const clean = o.clean ?? false;
  const identity: RunIdentity = { dataset: def.name, seed, scale, options: ctx.options as Record<string, unknown>, clean, tables: tables.map((t) => t.name), shards: n };
  if (o.shard === undefined) prepareOut(def, tables, out, o.overwrite ?? false);
  else prepareShard(def, tables, out, identity, o.shard, o.overwrite ?? false);

  const job = datasetJob(def, o, { seed, scale, clean, out, shards: n });
  // Named by shard too: shards on other machines write here, and in containers they all run as PID 1.
  const work = join(out, `.datagen-work-${o.shard !== undefined ? `${shardTag({ index: o.shard, count: n })}-` : ''}${process.pid}`);
  ensureDir(work);
  const shards = o.shard !== undefined ? [o.shard] : Array.from({ length: n }, (_, i) => i);
  const tasks: TableTask[] = [];
  for (const t of tables) {
    for (const s of shards) if (splitsIntoShards(t) || s === 0) tasks.push({ table: t.name, shard: s, ledger: join(work, `${t.name}.${s}.jsonl`) });
  }
  // Worker threads write under this process's id: a signal stops them with their temporary
  // files open, which this thread does not know by name, so they are swept by pattern.
  // A shard removes its own files by their shard tag instead: shards in containers all run as
  // PID 1, and a pattern on the PID would take another shard's files from the shared folder.
  const cleanUp = () => (o.shard !== undefined ? removeShardFiles(def, tables, out, o.shard, n) : sweepTemps(out, tables));
  const undo = onAbort(() => {
    rmSync(work, { recursive: true, force: true });
    cleanUp();
  });
  try {
    const results: TableTaskResult[] = [];
    for await (const r of executeTasks(def, job, tasks, o)) results.push(r);
    if (n > 1) {
      for (const s of shards) writeShardRecord(out, identity, s, tasks, results);
      if (o.shard !== undefined) {
        const mine = results.filter((r) => r.shard === o.shard);
        return { out, tables: tables.map((t) => ({ name: t.name, rows: sum(mine.filter((r) => r.table === t.name).map((r) => r.rows)), files: mine.filter((r) => r.table === t.name).reduce((k, r) => k + r.files.length, 0) })), files: mine.flatMap((r) => r.files) };
      }
      return await finishShards(def, out, n);
    }
    // One shard: the ledger is the tasks' lines in table order.
    const ledgerPath = join(out, LEDGER);
    concatenate(ledgerPath, tasks.map((t) => ({ path: t.ledger })));
    const summary = tables.map((t) => ({ name: t.name, rows: sum(results.filter((r) => r.table === t.name).map((r) => r.rows)), files: results.filter((r) => r.table === t.name).reduce((k, r) => k + r.files.length, 0) }));
    return await writeManifest(def, out, identity, summary, results.flatMap((r) => r.files));
  } catch (err) {
    cleanUp();
    throw err;
  } finally {
    undo();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Temporary files this process left in the tables' folders (a worker stopped mid-file). */
function sweepTemps(out: string, tables: readonly TableDefinition[]): void {
  const suffix = `.tmp-${process.pid}`;
  const sweep = (folder: string, deep: boolean) => {
    if (!existsSync(folder) || !statSync(folder).isDirectory()) return;
    for (const e of readdirSync(folder, { withFileTypes: true })) {
      const p = join(folder, e.name);
      if (e.isDirectory()) {
        if (deep) sweep(p, true);
      } else if (e.name.startsWith('.') && e.name.endsWith(suffix)) rmSync(p, { force: true });
    }
  };
  sweep(out, false);
  for (const t of tables) {
    const folderOutput = t.output.kind !== 'file' || partitionedFile(t.output);
    sweep(folderOutput ? join(out, t.output.path) : join(out, t.output.path, '..'), folderOutput);
  }
}

/** The tasks' results in task order: here one after another, or from worker threads. */
export async function* executeTasks(def: DatasetDefinition, job: DatasetJob, tasks: TableTask[], o: DatasetRunOptions): AsyncGenerator<TableTaskResult> {
  const workers = Math.min(o.workers ?? 1, tasks.length);
  const registered = (() => {
    try {
      return findDataset(def.name) === def;
    } catch {
      return false;
    }
  })();
  const label = (t: TableTask) => `table ${t.table}${job.shards > 1 ? ` (shard ${t.shard} of ${job.shards})` : ''}`;
  if (workers > 1 && (registered || job.file)) {
    for (const t of tasks) o.onTable?.({ table: t.table, phase: 'start', shard: t.shard });
    for await (const { result: r } of runOrdered<DatasetJob, TableTask, TableTaskResult>(tasks, { workers, inFlight: 1, ahead: tasks.length, init: job, describe: (t) => label(t as TableTask) })) {
      o.onTable?.({ table: r.table, phase: 'end', rows: r.rows, files: r.newFiles ?? r.files.length, shard: r.shard, seconds: r.seconds });
      yield r;
    }
    return;
  }
  // A dataset made in a program (dataset(...).extend(...)) is neither registered nor in a file a worker could load: it runs here.
  for (const t of tasks) {
    o.onTable?.({ table: t.table, phase: 'start', shard: t.shard });
    const onRows = o.onTable && ((rows: number) => o.onTable!({ table: t.table, phase: 'rows', rows, shard: t.shard }));
    const r = await runTableTask(job, t, def, onRows);
    o.onTable?.({ table: r.table, phase: 'end', rows: r.rows, files: r.newFiles ?? r.files.length, shard: r.shard, seconds: r.seconds });
    yield r;
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Copy byte ranges of files, in order, into `path` (missing parts are empty: a ledger file is made on its first line). */
export function concatenate(path: string, parts: Array<{ path: string; range?: [number, number] }>): void {
  const temp = join(path, '..', `.${basename(path)}.tmp-${process.pid}`);
  const fd = openSync(temp, 'w');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (const part of parts) {
      if (!existsSync(part.path)) continue;
      const from = part.range?.[0] ?? 0;
      const to = part.range?.[1] ?? statSync(part.path).size;
      const src = openSync(part.path, 'r');
      try {
        for (let at = from; at < to; ) {
          const got = readSync(src, buf, 0, Math.min(buf.length, to - at), at);
          if (got === 0) break;
          writeSync(fd, buf, 0, got);
          at += got;
        }
      } finally {
        closeSync(src);
      }
    }
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

export function writeAtomic(path: string, text: string): void {
  const temp = join(path, '..', `.${basename(path)}.tmp-${process.pid}`);
  writeFileSync(temp, text);
  renameSync(temp, path);
}

function recordPath(out: string, shard: number, n: number): string {
  return join(out, SHARDS, `${shardTag({ index: shard, count: n })}.json`);
}

/** A shard's ledger lines (its tables in order) and, last, its record: the record's presence means the shard completed. */
function writeShardRecord(out: string, identity: RunIdentity, shard: number, tasks: TableTask[], results: TableTaskResult[]): void {
  ensureDir(join(out, SHARDS));
  const tag = shardTag({ index: shard, count: identity.shards });
  const ledgerPath = join(out, SHARDS, `${tag}.ledger.jsonl`);
  const mine = tasks.filter((t) => t.shard === shard);
  concatenate(ledgerPath, mine.map((t) => ({ path: t.ledger })));
  let at = 0;
  const record: ShardRecord = {
    ...identity,
    shard,
    results: mine.map((t) => {
      const r = results.find((x) => x.table === t.table && x.shard === shard)!;
      const bytes = existsSync(t.ledger) ? statSync(t.ledger).size : 0;
      const range: [number, number] = [at, at + bytes];
      at += bytes;
      return { table: r.table, rows: r.rows, files: r.files, ledger: range };
    }),
  };
  writeAtomic(recordPath(out, shard, identity.shards), JSON.stringify(record, null, 2) + '\n');
}

const IDENTITY_KEYS = ['dataset', 'seed', 'scale', 'options', 'clean', 'tables', 'shards'] as const;

/**
 * `datagen finish`: once every shard of n has written its record, check that they belong to
 * one run and that their files are all there, then write the ledger (table by table, shard by
 * shard), its summary and the manifest. Nothing is written when a check fails.
 */
export async function finishShards(def: DatasetDefinition, out: string, n: number, expect: { seed?: number; scale?: number; verify?: boolean } = {}): Promise<DatasetResult> {
  if (!Number.isSafeInteger(n) || n < 1) throw new DatagenError('E_OPTION', `finish ${def.name}: --shards must be a whole number of at least 1, got ${n}`);
  if (!existsSync(out) || !statSync(out).isDirectory()) throw new DatagenError('E_SHARDS', `finish ${def.name}: ${out} is not a folder of shards (generate them with --shard i/${n} --out ${out})`);
  const records: ShardRecord[] = [];
  const missing: number[] = [];
  for (let s = 0; s < n; s++) {
    const path = recordPath(out, s, n);
    if (!existsSync(path)) {
      missing.push(s);
      continue;
    }
    try {
      records.push(JSON.parse(readFileSync(path, 'utf8')) as ShardRecord);
    } catch {
      throw new DatagenError('E_SHARDS', `finish ${def.name}: ${path} is not a shard record (damaged?); run shard ${s} again with --shard ${s}/${n}`);
    }
  }
  if (missing.length > 0) {
    const other = existsSync(join(out, SHARDS)) ? readdirSync(join(out, SHARDS)).find((f) => /^\d+-of-\d+\.json$/.test(f) && !f.endsWith(`-of-${shardTag({ index: 0, count: n }).split('-of-')[1]}.json`)) : undefined;
    const hint = other ? ` (${out} holds shards of ${Number(other.split('-of-')[1]!.slice(0, -5))}, not ${n})` : '';
    const list = missing.length > 10 ? `${missing.slice(0, 10).join(', ')}, ...` : missing.join(', ');
    throw new DatagenError('E_SHARDS', `finish ${def.name}: ${missing.length} of ${n} shards missing in ${out}: ${list}${hint}; run them (e.g. --shard ${missing[0]}/${n}) and finish again`);
  }
  const first = records[0]!;
  if (first.dataset !== def.name) throw new DatagenError('E_SHARDS', `finish ${def.name}: the shards in ${out} are of dataset ${first.dataset}`);
  for (const r of records) {
    for (const k of IDENTITY_KEYS) {
      if (JSON.stringify(r[k]) !== JSON.stringify(first[k])) {
        throw new DatagenError('E_SHARDS', `finish ${def.name}: shard ${r.shard} was generated with ${k}=${JSON.stringify(r[k])}, shard 0 with ${k}=${JSON.stringify(first[k])}; run shard ${r.shard} again with the same options`);
      }
    }
  }
  for (const [k, v] of Object.entries({ seed: expect.seed, scale: expect.scale })) {
    if (v !== undefined && first[k as 'seed'] !== v) throw new DatagenError('E_SHARDS', `finish ${def.name}: the shards in ${out} were generated with ${k}=${JSON.stringify(first[k as 'seed'])}, not ${JSON.stringify(v)}`);
  }
  for (const r of records) {
    for (const t of r.results) {
      for (const f of t.files) {
        const path = join(out, f.path);
        const size = existsSync(path) ? statSync(path).size : -1;
        if (size !== f.bytes) throw new DatagenError('E_SHARDS', `finish ${def.name}: ${f.path} of shard ${r.shard} is ${size < 0 ? 'missing' : `${size} bytes, not ${f.bytes}`}; run shard ${r.shard} again`);
        // Sizes are cheap to check; --verify also reads every file back against its hash.
        if (expect.verify && (await describeFile(out, { path, table: f.table })).sha256 !== f.sha256) {
          throw new DatagenError('E_SHARDS', `finish ${def.name}: ${f.path} of shard ${r.shard} does not hold the bytes the shard wrote (sha256 differs); run shard ${r.shard} again`);
        }
      }
    }
  }
  const tables = selectTables(def, first.tables);
  rmSync(join(out, MANIFEST), { force: true });
  // The ledger: table by table, and within a table shard by shard (the order of the rows).
  const parts: Array<{ path: string; range: [number, number] }> = [];
  for (const t of tables) {
    for (const r of records) {
      const res = r.results.find((x) => x.table === t.name);
      if (res) parts.push({ path: join(out, SHARDS, `${shardTag({ index: r.shard, count: n })}.ledger.jsonl`), range: res.ledger });
    }
  }
  concatenate(join(out, LEDGER), parts);
  const summary = tables.map((t) => {
    const res = records.flatMap((r) => r.results.filter((x) => x.table === t.name));
    return { name: t.name, rows: sum(res.map((x) => x.rows)), files: res.reduce((k, x) => k + x.files.length, 0) };
  });
  const files = records.flatMap((r) => r.results.flatMap((x) => x.files));
  const shardFiles: ManifestFile[] = [];
  for (const r of records) {
    const tag = shardTag({ index: r.shard, count: n });
    for (const name of [`${tag}.json`, `${tag}.ledger.jsonl`]) shardFiles.push(await describeFile(out, { path: join(out, SHARDS, name), table: SHARDS }));
  }
  return writeManifest(def, out, first, summary, files, shardFiles);
}

/** The ledger's summary, then the manifest, last: its presence means the run completed. */
async function writeManifest(def: DatasetDefinition, out: string, id: RunIdentity, summary: DatasetResult['tables'], files: ManifestFile[], extra: ManifestFile[] = []): Promise<DatasetResult> {
  const ledgerPath = join(out, LEDGER);
  // A run that recorded nothing (--clean, or tables without stages) still leaves its (empty) ledger.
  if (!existsSync(ledgerPath)) writeFileSync(ledgerPath, '');
  writeAtomic(join(out, SUMMARY), renderSummaryMarkdown(await summarizeLedger(ledgerPath), LEDGER));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const tables = selectTables(def, id.tables);
  const manifest = {
    dataset: def.name,
    seed: id.seed,
    scale: id.scale,
    options: id.options,
    clean: id.clean,
    ...(id.shards > 1 ? { shards: id.shards } : {}),
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
    files: [...files, ...extra, await describeFile(out, { path: ledgerPath, table: '_ledger' }), await describeFile(out, { path: join(out, SUMMARY), table: '_ledger' })],
  };
  writeAtomic(join(out, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return { out, tables: summary, files };
}

/**
 * An existing run in `out` is refused unless overwrite; with overwrite, only what this
 * dataset writes there is removed (the tables' files, ledger, summary, manifest).
 */
function prepareOut(def: DatasetDefinition, tables: readonly TableDefinition[], out: string, overwrite: boolean): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new DatagenError('E_OUTPUT', `${def.name}: --out ${out} is a file; name a folder`);
  const ours = [MANIFEST, LEDGER, SUMMARY, SHARDS, ...(def.tables as unknown as TableDefinition[]).map((t) => t.output.path.replace(/\/$/, ''))];
  const present = ours.filter((p) => existsSync(join(out, p)));
  if (present.length > 0 && !overwrite) {
    throw new DatagenError('E_OUTPUT', `${def.name}: ${out} already holds a run (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', ...' : ''}); pass --overwrite to replace it`);
  }
  // A subset run replaces only its tables, but the old manifest no longer describes the folder.
  for (const p of [MANIFEST, LEDGER, SUMMARY, SHARDS, ...tables.map((t) => t.output.path.replace(/\/$/, ''))]) rmSync(join(out, p), { recursive: true, force: true });
  ensureDir(out);
}

/**
 * A shard writes beside the other shards of its run: it refuses a folder holding another run
 * (other seed, scale, options or shard count; or a whole run) unless overwrite, and removes
 * only what an earlier attempt of this same shard wrote, plus the manifest, ledger and summary
 * of an earlier finish (they no longer describe the folder until finish runs again).
 */
function prepareShard(def: DatasetDefinition, tables: readonly TableDefinition[], out: string, identity: RunIdentity, shard: number, overwrite: boolean): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new DatagenError('E_OUTPUT', `${def.name}: --out ${out} is a file; name a folder`);
  const n = identity.shards;
  const others = existsSync(join(out, SHARDS)) ? readdirSync(join(out, SHARDS)).filter((f) => /^\d+-of-\d+\.json$/.test(f)) : [];
  let foreign: string | undefined;
  for (const f of others) {
    let record: Partial<ShardRecord> = {};
    try {
      record = JSON.parse(readFileSync(join(out, SHARDS, f), 'utf8')) as ShardRecord;
    } catch {
      // a damaged record is replaced when its shard runs again
      continue;
    }
    const differs = IDENTITY_KEYS.find((k) => JSON.stringify(record[k]) !== JSON.stringify(identity[k]));
    if (differs) foreign ??= `shards of another run (${differs}=${JSON.stringify(record[differs] ?? null)} there, ${JSON.stringify(identity[differs])} here)`;
  }
  if (others.length === 0 && existsSync(join(out, MANIFEST))) foreign = `a whole run (${MANIFEST})`;
  if (foreign && !overwrite) throw new DatagenError('E_OUTPUT', `${def.name}: ${out} holds ${foreign}; use another folder, or --overwrite to replace that run`);
  // --overwrite replaces the other run entirely (every file this dataset writes there).
  if (foreign) prepareOut(def, def.tables as unknown as TableDefinition[], out, true);
  for (const p of [MANIFEST, LEDGER, SUMMARY]) rmSync(join(out, p), { force: true });
  removeShardFiles(def, tables, out, shard, n);
  ensureDir(out);
}

/** Everything shard `shard` of n writes: its files in the tables' folders (by their name), the whole tables it writes, its record. */
function removeShardFiles(def: DatasetDefinition, tables: readonly TableDefinition[], out: string, shard: number, n: number): void {
  const tag = shardTag({ index: shard, count: n });
  rmSync(recordPath(out, shard, n), { force: true });
  rmSync(join(out, SHARDS, `${tag}.ledger.jsonl`), { force: true });
  for (const t of tables) {
    if (!splitsIntoShards(t)) {
      if (shard === 0) rmSync(join(out, t.output.path), { recursive: true, force: true });
      continue;
    }
    const path = join(out, t.output.path);
    const folderOutput = t.output.kind === 'partitioned' || partitionedFile(t.output);
    removeTagged(folderOutput ? path : join(path, '..'), `-${tag}`, folderOutput);
  }
}

/** Files under `folder` whose names carry the shard tag (and their temporary files); with `deep`, in its subfolders too. */
function removeTagged(folder: string, tag: string, deep: boolean): void {
  if (!existsSync(folder)) return;
  for (const e of readdirSync(folder, { withFileTypes: true })) {
    const p = join(folder, e.name);
    if (e.isDirectory()) {
      if (deep) removeTagged(p, tag, true);
    } else if (e.name.includes(`${tag}.`)) {
      rmSync(p, { force: true });
    }
  }
}
