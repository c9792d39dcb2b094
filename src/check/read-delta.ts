import { basename, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Schema } from 'apache-arrow';
import { DatagenError } from '../core/errors.js';
import { dataFilePath, replayLog } from '../delta/log.js';
import { toArrowSchema } from '../delta/schema.js';
import { columnsOf } from './read-formats.js';
import type { DeclaredTable } from './read-schema.js';
import { names, sqlIdent, sqlList } from './sql.js';

/**
 * A Delta table as of its last version: the JSON commits replayed in order by the project's
 * log reader (src/delta/log.ts: add/remove reconciliation, checkpoints refused), the live
 * Parquet files read by name union (files written before a schema change lack its new
 * columns: null there). The schema is the declared one when given (a dataset's table,
 * --schema), else the last metaData's schemaString; the two must name the same columns.
 */
export interface DeltaRead {
  name: string;
  files: string[];
  relation: string;
  schema: Schema;
  source: string;
  version: number;
}

export async function readDelta(conn: DuckDBConnection, folder: string, declared: DeclaredTable | undefined): Promise<DeltaRead> {
  const name = declared?.name ?? basename(resolve(folder));
  const snap = replayLog(folder);
  if (!snap) throw new DatagenError('E_INPUT', `check: ${folder} has a _delta_log folder without commits`);
  const logSchema = toArrowSchema(snap.schema, name, declared?.schema);
  const schema = declared?.schema ?? logSchema;
  const source = declared?.source ?? `Delta log of ${name}, version ${snap.version}`;
  const declaredNames = schema.fields.map((f) => f.name);
  const logNames = logSchema.fields.map((f) => f.name);
  const missing = declaredNames.filter((c) => !logNames.includes(c));
  const extra = logNames.filter((c) => !declaredNames.includes(c));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [missing.length > 0 ? `missing ${names(missing)}` : '', extra.length > 0 ? `extra ${names(extra)}` : ''].filter((p) => p !== '');
    throw new DatagenError('E_SCHEMA', `check: table ${name} does not match its schema (${source}): the Delta log's version ${snap.version} has ${parts.join('; ')}`);
  }
  const files = snap.files.map((a) => dataFilePath(folder, a.path));
  const nullColumn = (c: string) => `CAST(NULL AS VARCHAR) AS ${sqlIdent(c)}`;
  if (files.length === 0) {
    return { name, files, relation: `(SELECT ${declaredNames.map(nullColumn).join(', ')} WHERE false)`, schema, source, version: snap.version };
  }
  // Partition values live in the folder names (and the log), not in the files.
  const hive = snap.metaData.partitionColumns.length > 0 ? 'hive_partitioning=true, hive_types_autocast=false' : 'hive_partitioning=false';
  const scan = `read_parquet(${sqlList(files)}, union_by_name=true, ${hive})`;
  const present = await columnsOf(conn, scan, `Delta table ${folder}`);
  // A column the log declares that no live file has yet (added by schema evolution, no rows written since).
  const select = declaredNames.map((c) => (present.includes(c) ? sqlIdent(c) : nullColumn(c)));
  return { name, files, relation: `(SELECT ${select.join(', ')} FROM ${scan})`, schema, source, version: snap.version };
}
