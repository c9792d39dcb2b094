import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Schema } from 'apache-arrow';
import { DatagenError } from '../core/errors.js';
import { LEDGER, MANIFEST, type ManifestFile } from '../datasets/run.js';
import { LOG_DIR } from '../delta/log.js';
import { FORMATS, formatOf, tableRelation, type Format, type TableFiles } from './read-formats.js';
import { readDelta } from './read-delta.js';
import { openDuckdbFile } from './read-duckdb.js';
import { loadArrow, loadXlsx } from './read-loaded.js';
import { parquetSchema, registeredDataset, resolveSchemaOption, singleTable, type Declared, type DeclaredTable } from './read-schema.js';
import { sqlIdent, unreadable } from './sql.js';
import type { CheckInput, CheckTable } from './types.js';

/**
 * What `datagen check PATH` reads: a dataset folder (its _manifest.json names the dataset, its
 * tables and files), a Delta table folder (_delta_log/), a folder of files of one format
 * (Hive key=value/ partitions), or one file. Each table becomes a DuckDB FROM-expression with
 * one column per declared field, beside its declared schema and references.
 */
export interface CheckInputOptions {
  /** A scenario or dataset name, dataset.table, or a YAML/TypeScript file (file.yml#table). */
  schema?: string;
  /** The anomaly ledger (default: a dataset folder's _ledger.jsonl). */
  ledger?: string;
}

export async function openCheckInput(conn: DuckDBConnection, path: string, opts: CheckInputOptions): Promise<CheckInput> {
  if (!existsSync(path)) throw new DatagenError('E_INPUT', `check: no such file or folder: ${path}`);
  if (opts.ledger !== undefined && !(existsSync(opts.ledger) && statSync(opts.ledger).isFile())) throw new DatagenError('E_INPUT', `check: no such ledger file: ${opts.ledger}`);
  const declared = opts.schema !== undefined ? await resolveSchemaOption(opts.schema) : undefined;
  const base = { path, ...(opts.ledger !== undefined ? { ledger: opts.ledger } : {}), cleanup() {} };
  if (!statSync(path).isDirectory()) {
    if (/\.duckdb$/i.test(path)) return { path, ...(await openDuckdbFile(conn, path, declared, opts.schema, opts.ledger)) };
    return { ...base, tables: [await openFile(conn, path, declared, opts.schema)] };
  }
  if (existsSync(join(path, MANIFEST))) return { ...base, ...(await openDataset(conn, path, declared)), ...(opts.ledger === undefined && existsSync(join(path, LEDGER)) ? { ledger: join(path, LEDGER) } : {}) };
  if (existsSync(join(path, LOG_DIR))) {
    const t = declared ? singleTable(declared, path, opts.schema!) : undefined;
    const delta = await readDelta(conn, path, t);
    return { ...base, tables: [{ name: delta.name, format: 'delta', files: delta.files.map((f) => rel(path, f)), relation: delta.relation, schema: delta.schema, schemaSource: delta.source, ...refs(t) }] };
  }
  return { ...base, tables: [await openFolder(conn, path, declared, opts.schema)] };
}

const refs = (t: DeclaredTable | undefined) => (t?.references && Object.keys(t.references).length > 0 ? { references: t.references } : {});
const rel = (folder: string, file: string) => relative(folder, file).split(sep).join('/');
const noSchema = (what: string) => new DatagenError('E_SCHEMA', `check: cannot tell which schema ${what} follows: pass --schema <scenario|dataset.table|file.yml>`);

// ------------------------------------------------------------------ one file

async function openFile(conn: DuckDBConnection, path: string, declared: Declared | undefined, option: string | undefined): Promise<CheckTable> {
  const format = formatOf(path);
  if (!format) {
    throw new DatagenError('E_INPUT', `check: cannot tell the format of ${path} from its extension (.csv, .jsonl, .ndjson, .parquet, .arrow, .xlsx; .csv.gz and .jsonl.gz too)`);
  }
  const d = declared ? singleTable(declared, path, option!) : undefined;
  return openFiles(conn, { label: basename(path), files: [path], shown: [path], format, declared: d, partitionKeys: new Set() });
}

// ------------------------------------------------------------------ a folder of files (partitions)

async function openFolder(conn: DuckDBConnection, folder: string, declared: Declared | undefined, option: string | undefined): Promise<CheckTable> {
  const found = dataFiles(folder).sort();
  if (found.length === 0) throw new DatagenError('E_INPUT', `check: ${folder} holds no data files (${FORMATS.join(', ')}) and no ${MANIFEST}`);
  const formats = [...new Set(found.map((f) => formatOf(f)!))];
  if (formats.length > 1) throw new DatagenError('E_INPUT', `check: ${folder} holds files of several formats (${formats.join(', ')}): check one table's folder at a time`);
  const shown = found.map((f) => rel(folder, f));
  const d = declared ? singleTable(declared, folder, option!) : undefined;
  return openFiles(conn, { label: folder, files: found, shown, format: formats[0]!, declared: d, partitionKeys: partitionKeys(shown) });
}

/** Data files under a folder; names starting with _ or . (logs, markers, temporaries) and Delta tables inside are skipped. */
function dataFiles(folder: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(folder, { withFileTypes: true })) {
    if (e.name.startsWith('_') || e.name.startsWith('.')) continue;
    const p = join(folder, e.name);
    if (e.isDirectory()) {
      if (!existsSync(join(p, LOG_DIR))) out.push(...dataFiles(p));
    } else if (formatOf(e.name)) out.push(p);
  }
  return out;
}

/** The keys of key=value folder names in files' relative paths. */
function partitionKeys(paths: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const p of paths) for (const part of p.split('/').slice(0, -1)) if (part.includes('=')) keys.add(part.slice(0, part.indexOf('=')));
  return keys;
}

interface FileSet {
  /** The path as the user named it, for messages. */
  label: string;
  files: string[];
  /** As CheckTable.files shows them. */
  shown: string[];
  format: Format;
  declared: DeclaredTable | undefined;
  partitionKeys: Set<string>;
}

/** Files of one format and table: the schema (declared, else the files' own), the relation. */
async function openFiles(conn: DuckDBConnection, set: FileSet): Promise<CheckTable> {
  let schema = set.declared?.schema;
  let source = set.declared?.source;
  let loaded: string | undefined;
  if (set.format === 'arrow') {
    const tables: string[] = [];
    for (const file of set.files) {
      const l = await loadArrow(conn, file);
      tables.push(l.table);
      if (!schema) [schema, source] = [l.schema, set.files.length > 1 ? 'file metadata (first file)' : 'file metadata'];
    }
    loaded = unionOf(tables);
  } else if (set.format === 'parquet' && !schema) {
    try {
      schema = await parquetSchema(conn, set.files[0]!);
    } catch (err) {
      throw unreadable(set.files[0]!, err);
    }
    source = set.files.length > 1 ? 'file metadata (first file)' : 'file metadata';
  }
  if (!schema) throw noSchema(set.label);
  if (set.format === 'xlsx') {
    const tables: string[] = [];
    for (const file of set.files) tables.push((await loadXlsx(conn, file, schema)).table);
    loaded = unionOf(tables);
  }
  const name = set.declared?.name ?? tableNameOf(schema) ?? stem(set.label);
  const relation = await tableRelation(conn, { name, format: set.format, files: set.files, schema, source: source!, partitionKeys: set.partitionKeys, ...(set.declared?.lineColumn ? { lineColumn: set.declared.lineColumn } : {}), ...(loaded ? { loaded } : {}) } satisfies TableFiles);
  return { name, format: set.format, files: set.shown, relation, schema, schemaSource: source!, ...refs(set.declared) };
}

const unionOf = (tables: readonly string[]) => (tables.length === 1 ? sqlIdent(tables[0]!) : `(${tables.map((t) => `SELECT * FROM ${sqlIdent(t)}`).join(' UNION ALL BY NAME ')})`);
const tableNameOf = (schema: Schema) => schema.metadata.get('table');
const stem = (path: string) => basename(resolve(path)).replace(/(\.gz)?$/i, '').replace(/\.[^.]*$/, '');

// ------------------------------------------------------------------ a dataset folder

interface Manifest {
  dataset: string;
  seed?: number;
  scale?: number;
  tables?: Record<string, { path: string; format: string; rows?: number }>;
  files: ManifestFile[];
}

async function openDataset(conn: DuckDBConnection, folder: string, declared: Declared | undefined): Promise<Omit<CheckInput, 'path' | 'ledger' | 'cleanup'>> {
  const manifest = readManifest(folder);
  const decl = declared ?? registeredDataset(manifest.dataset);
  if (!decl) {
    throw new DatagenError('E_SCHEMA', `check: ${folder} holds dataset '${manifest.dataset}', which is not registered: pass --schema <the .yml or .ts file it was generated from>`);
  }
  if (decl.kind === 'table') throw new DatagenError('E_SCHEMA', `check: ${folder} is a folder of dataset ${manifest.dataset}: --schema must name a dataset (or its .yml/.ts file), not one table`);
  const names = manifest.tables ? Object.keys(manifest.tables) : [...new Set(manifest.files.map((f) => f.table))].filter((t) => !t.startsWith('_'));
  const tables: CheckTable[] = [];
  const manifestRows: Record<string, number> = {};
  for (const name of names) {
    const d = decl.tables.find((t) => t.name === name);
    if (!d) throw new DatagenError('E_SCHEMA', `check: table ${name} of ${join(folder, MANIFEST)} is not in ${decl.source} (tables: ${decl.tables.map((t) => t.name).join(', ')})`);
    const entry = manifest.tables?.[name];
    const files = manifest.files.filter((f) => f.table === name);
    const rows = entry?.rows ?? (files.every((f) => f.rows !== undefined) ? files.reduce((n, f) => n + f.rows!, 0) : undefined);
    const isDelta = entry?.format === 'delta' || files.some((f) => f.path.includes(`/${LOG_DIR}/`));
    if (isDelta) {
      const tableFolder = join(folder, entry?.path ?? files[0]!.path.slice(0, files[0]!.path.indexOf(`/${LOG_DIR}/`)));
      const delta = await readDelta(conn, tableFolder, d);
      tables.push({ name, format: 'delta', files: delta.files.map((f) => rel(folder, f)), relation: delta.relation, schema: delta.schema, schemaSource: delta.source, ...refs(d) });
      // The manifest's table rows are the table's rows in the end (after merges and deletes).
      if (entry?.rows !== undefined) manifestRows[name] = entry.rows;
      continue;
    }
    if (files.length === 0) throw new DatagenError('E_INPUT', `check: ${join(folder, MANIFEST)} lists no files for table ${name}`);
    const paths = files.map((f) => join(folder, f.path));
    const absent = paths.find((p) => !existsSync(p));
    if (absent) throw new DatagenError('E_INPUT', `check: ${join(folder, MANIFEST)} lists ${rel(folder, absent)}, which is missing`);
    const formats = [...new Set(files.map((f) => formatOf(f.path)))];
    const format = formats.length === 1 ? formats[0] : undefined;
    if (!format) throw new DatagenError('E_INPUT', `check: table ${name} of ${folder} has files of no single known format (${files.slice(0, 3).map((f) => f.path).join(', ')})`);
    const keys = new Set(files.flatMap((f) => (f.partition ?? '').split('/').filter((p) => p.includes('=')).map((p) => p.slice(0, p.indexOf('=')))));
    tables.push(await openFiles(conn, { label: `table ${name}`, files: paths, shown: files.map((f) => f.path), format, declared: d, partitionKeys: keys }));
    if (rows !== undefined) manifestRows[name] = rows;
  }
  return {
    tables,
    dataset: manifest.dataset,
    ...(typeof manifest.seed === 'number' ? { seed: manifest.seed } : {}),
    ...(typeof manifest.scale === 'number' ? { scale: manifest.scale } : {}),
    manifestRows,
  };
}

function readManifest(folder: string): Manifest {
  const file = join(folder, MANIFEST);
  let parsed: Partial<Manifest>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>;
  } catch (err) {
    throw new DatagenError('E_INPUT', `check: cannot read ${file}: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
  if (!parsed || typeof parsed.dataset !== 'string' || !Array.isArray(parsed.files)) {
    throw new DatagenError('E_INPUT', `check: ${file} is not a datagen manifest (it needs "dataset" and "files")`);
  }
  return parsed as Manifest;
}
