import type { DuckDBConnection } from '@duckdb/node-api';
import type { Schema } from 'apache-arrow';
import { DatagenError } from '../core/errors.js';
import { names, sqlIdent, sqlList, sqlString, unreadable } from './sql.js';

/**
 * DuckDB FROM-expressions over data files, one column per declared field. Text formats are read
 * with every column as VARCHAR, so "12,000" in an int column survives the read and the rules
 * decide what it is; Parquet keeps its types (a column that may hold text is stored as text).
 */
export type Format = 'csv' | 'jsonl' | 'parquet' | 'arrow' | 'xlsx';
export const FORMATS: readonly Format[] = ['csv', 'jsonl', 'parquet', 'arrow', 'xlsx'];

const EXTENSIONS: Record<string, Format> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.parquet': 'parquet', '.arrow': 'arrow', '.arrows': 'arrow', '.feather': 'arrow', '.xlsx': 'xlsx' };

/** The format of a data file by its extension (text formats also gzipped), else undefined. */
export function formatOf(path: string): Format | undefined {
  const name = path.toLowerCase();
  const plain = name.endsWith('.gz') ? name.slice(0, -3) : name;
  const dot = plain.lastIndexOf('.');
  const format = dot < 0 ? undefined : EXTENSIONS[plain.slice(dot)];
  return format && (plain === name || format === 'csv' || format === 'jsonl') ? format : undefined;
}

/** What one table's relation is made from. */
export interface TableFiles {
  name: string;
  format: Format;
  /** Absolute (or as given) paths DuckDB opens. */
  files: string[];
  schema: Schema;
  /** Where the schema came from, for the mismatch message. */
  source: string;
  /** key=value folder names above the files (Hive partitions). */
  partitionKeys: ReadonlySet<string>;
  /** Files holding one value of this column per line (no columns of their own). */
  lineColumn?: string;
  /** Arrow and XLSX: the temporary table their rows were loaded into. */
  loaded?: string;
}

/** The relation of a table: its files read, checked against the declared columns, projected to them. */
export async function tableRelation(conn: DuckDBConnection, t: TableFiles): Promise<string> {
  const declared = t.schema.fields.map((f) => f.name);
  const what = t.files.length === 1 ? t.files[0]! : `table ${t.name}`;
  if (t.lineColumn) {
    if (declared.length !== 1 || declared[0] !== t.lineColumn) throw new DatagenError('E_SCHEMA', `check: table ${t.name} is read one ${t.lineColumn} per line, and its schema has columns ${declared.join(', ')}`);
    const scan = linesScan(t.files, t.lineColumn);
    await columnsOf(conn, scan, what);
    return `(SELECT ${sqlIdent(t.lineColumn)} FROM ${scan})`;
  }
  let hive = false;
  let scan = t.loaded ?? fileScan(t, false);
  let present: string[] | undefined = t.format === 'jsonl' ? await jsonKeys(conn, t.files, false, what) : await columnsOf(conn, scan, what);
  // A declared column missing from the files but named by the folders (a writer that keeps
  // partition columns out of the files): read it from the folder names.
  if (!t.loaded && declared.some((c) => !present?.includes(c) && t.partitionKeys.has(c))) {
    hive = true;
    scan = fileScan(t, true);
    present = t.format === 'jsonl' ? await jsonKeys(conn, t.files, true, what) : await columnsOf(conn, scan, what);
  }
  // No JSON object to learn keys from (an empty file, or no line parses): nothing to compare.
  if (present === undefined) return `(SELECT ${declared.map(sqlIdent).join(', ')} FROM ${scan})`;
  const missing = declared.filter((c) => !present.includes(c));
  const extra = present.filter((c) => !declared.includes(c) && !(hive && t.partitionKeys.has(c)));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [missing.length > 0 ? `missing ${names(missing)}` : '', extra.length > 0 ? `extra ${names(extra)}` : ''].filter((p) => p !== '');
    throw new DatagenError('E_SCHEMA', `check: table ${t.name} does not match its schema (${t.source}): ${parts.join('; ')}`);
  }
  return `(SELECT ${declared.map(sqlIdent).join(', ')} FROM ${scan})`;
}

/** The DuckDB table function reading the files (partition folder names as columns only when asked). */
function fileScan(t: TableFiles, hive: boolean): string {
  const files = sqlList(t.files);
  // hive_partitioning is otherwise guessed from the paths: said explicitly either way.
  const partitions = hive ? 'hive_partitioning=true, hive_types_autocast=false' : 'hive_partitioning=false';
  switch (t.format) {
    case 'csv':
      // As datagen writes CSV (RFC 4180): an empty field is null, a quoted empty one ("") is an
      // empty string. A short row (a line cut by truncate-lines) is padded with nulls, not lost.
      return `read_csv(${files}, all_varchar=true, header=true, delim=',', quote='"', escape='"', allow_quoted_nulls=false, null_padding=true, ${partitions})`;
    case 'jsonl': {
      // Every declared key as VARCHAR (a JSON number reads as its text); a line that is not
      // JSON reads as a row of nulls instead of stopping the read.
      const columns = t.schema.fields.map((f) => `${sqlString(f.name)}: 'VARCHAR'`).join(', ');
      return `read_json(${files}, format='newline_delimited', columns={${columns}}, ignore_errors=true, ${partitions})`;
    }
    case 'parquet':
      return `read_parquet(${files}, union_by_name=true, ${partitions})`;
    default:
      throw new Error(`no file scan for ${t.format}`);
  }
}

/** One VARCHAR column holding each line as it is (no quoting, no delimiter: \x01 never occurs unescaped in JSON). */
function linesScan(files: readonly string[], column: string): string {
  return `read_csv(${sqlList(files)}, columns={${sqlString(column)}: 'VARCHAR'}, header=false, delim=chr(1), quote='', escape='', auto_detect=false, hive_partitioning=false)`;
}

/**
 * The keys of JSON Lines objects, as DuckDB's detection samples them (partition keys too with
 * hive); undefined when there is no object to sample (DuckDB then offers one column `json`).
 */
async function jsonKeys(conn: DuckDBConnection, files: readonly string[], hive: boolean, what: string): Promise<string[] | undefined> {
  const partitions = hive ? 'hive_partitioning=true, hive_types_autocast=false' : 'hive_partitioning=false';
  const from = `read_json(${sqlList(files)}, format='newline_delimited', ignore_errors=true, ${partitions})`;
  let columns: Array<{ name: string; type: string }>;
  try {
    columns = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjects().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  } catch (err) {
    throw unreadable(what, err);
  }
  return columns.length === 1 && columns[0]!.name === 'json' && columns[0]!.type === 'JSON' ? undefined : columns.map((c) => c.name);
}

/** Column names of a FROM-expression; reading errors (corrupt file) become one E_INPUT line. */
export async function columnsOf(conn: DuckDBConnection, from: string, what: string): Promise<string[]> {
  try {
    const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
    return reader.getRowObjects().map((r) => String(r.column_name));
  } catch (err) {
    throw unreadable(what, err);
  }
}
