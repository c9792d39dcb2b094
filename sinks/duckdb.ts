import { existsSync, rmSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBVector } from '@duckdb/node-api';
import type { Decimal, Field, Int, Schema } from 'apache-arrow';
import { textEncoder } from '../src/codecs/codec.js';
import { addOutputBytes, ensureDir, onAbort } from '../src/codecs/output.js';
import { DatagenError } from '../src/core/errors.js';
import { kindOf, mayHoldText, type Value } from '../src/core/schema.js';
import type { Batch } from '../src/core/stage.js';
import { defineSink } from '../src/core/units.js';
import { duckdbType, sqlIdent } from '../src/codecs/sql.js';

/**
 * Rows into a table of a DuckDB database file, with the schema's exact types (int32 INTEGER,
 * int64 BIGINT, decimal(p,s) DECIMAL(p,s), timestamp TIMESTAMPTZ, ...) and NOT NULL where a
 * field is not nullable. Rows go in through the appender a data chunk (2048 rows) at a time:
 * numbers are written into the chunk's typed arrays, a native call per chunk and column.
 *
 * One transaction per run: the table is created (or replaced with --overwrite, or appended to
 * when it has the same columns) and filled, then committed; any failure rolls back, and a
 * database file this run created is removed.
 */
export const duckdb = defineSink({
  name: 'duckdb',
  summary: 'Write rows into a table of a DuckDB database file (exact types, one transaction)',
  description:
    'The table is created from the schema; an existing table with the same columns is appended to, one with other columns is refused ' +
    '(--overwrite replaces it). Columns that may hold malformed text (after malform) are refused unless --text-columns makes them VARCHAR.',
  examples: [
    'datagen generate loans --rows 1000000 --out loans.duckdb',
    'datagen pipe loans --rows 1000 | datagen duckdb --out loans.duckdb --table loans_raw',
  ],
  extensions: ['.duckdb'],
  options: {
    path: { type: 'string', flag: 'out', char: 'o', nonEmpty: true, required: true, description: 'the DuckDB database file (created when missing)' },
    table: { type: 'string', nonEmpty: true, description: "table to write [default: the schema's table name, else the file's name]" },
    overwrite: { type: 'boolean', default: false, description: 'replace the table if it exists (other tables in the file stay)' },
    textColumns: {
      type: 'boolean',
      flag: 'text-columns',
      default: false,
      description: 'store columns that may hold malformed text (after malform) as VARCHAR instead of refusing them',
    },
  },
  create: (o) => async (batches) => void (await writeDuckdb({ path: o.path, table: o.table, overwrite: o.overwrite, textColumns: o.textColumns }, batches)),
});

export interface DuckdbTarget {
  path: string;
  table?: string;
  overwrite?: boolean;
  textColumns?: boolean;
}

/** How one column is declared and how its cells go into a chunk's vector. */
interface Column {
  name: string;
  sql: string;
  notNull: boolean;
  set: (vector: DuckDBVector, i: number, v: Value) => void;
}

export function isDuckdbPath(path: string): boolean {
  return path.toLowerCase().endsWith('.duckdb');
}

export async function writeDuckdb(target: DuckdbTarget, batches: AsyncIterable<Batch>): Promise<number> {
  const path = target.path;
  const isNew = !existsSync(path);
  const before = isNew ? 0 : statSync(path).size;
  // A database file this run creates is removed if the run fails or is stopped.
  const removeNew = () => {
    if (!isNew) return;
    for (const p of [path, `${path}.wal`]) {
      try {
        rmSync(p, { force: true });
      } catch {
        // never there (its folder is a file, say): the run's own error says why
      }
    }
  };
  const undo = onAbort(removeNew);
  let instance: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  let rows = 0;
  try {
    const it = batches[Symbol.asyncIterator]();
    const first = await it.next();
    // A table needs a schema: an input without batches has none, and writes nothing.
    if (first.done) return 0;
    if (isNew) ensureDir(dirname(path));
    // Loaded here, not at start-up: every other command would pay for DuckDB's native module.
    const { DuckDBDataChunk, DuckDBInstance } = await import('@duckdb/node-api');
    try {
      instance = await DuckDBInstance.create(path);
      conn = await instance.connect();
    } catch (err) {
      throw new DatagenError('E_DATABASE', `duckdb: cannot open the database ${path}: ${firstLine(err)}`);
    }
    const schema = first.value.schema;
    const table = target.table ?? schema.metadata.get('table') ?? basename(path).replace(/\.duckdb$/i, '');
    const columns = schema.fields.map((f) => column(f, table, target.textColumns ?? false));
    await conn.run('BEGIN TRANSACTION');
    try {
      await prepareTable(conn, path, table, columns, target.overwrite ?? false);
      const appender = await conn.createAppender(table);
      const types = columns.map((_, c) => appender.columnType(c));
      // Chunks are filled to DuckDB's vector size; values go into each vector's typed array and
      // are copied to the native vector by flush(), before a last short chunk is cut to size.
      const size = 2048;
      let chunk = DuckDBDataChunk.create(types, size);
      let vectors = columns.map((_, c) => chunk.getColumnVector(c));
      let at = 0;
      const flush = (n: number) => {
        if (n === 0) return;
        for (const v of vectors) v.flush();
        if (n !== size) chunk.rowCount = n;
        append(appender, chunk, table);
        chunk = DuckDBDataChunk.create(types, size);
        vectors = columns.map((_, c) => chunk.getColumnVector(c));
      };
      for (let next: IteratorResult<Batch> = first; !next.done; next = await it.next()) {
        const batch = next.value;
        if (batch.schema.fields.length !== columns.length) throw new DatagenError('E_INPUT', `duckdb: a batch with ${batch.schema.fields.length} columns after ${columns.length}`);
        for (const row of batch.rows) {
          for (let c = 0; c < columns.length; c++) {
            const col = columns[c]!;
            const v = row[col.name];
            if (v === null || v === undefined) {
              if (col.notNull) throw new DatagenError('E_DATABASE', `duckdb: null in ${table}.${col.name}, declared NOT NULL (row ${rows + 1})`);
              vectors[c]!.setItem(at, null);
            } else col.set(vectors[c]!, at, v);
          }
          rows++;
          if (++at === size) {
            flush(at);
            at = 0;
          }
        }
      }
      flush(at);
      try {
        appender.closeSync();
      } catch (err) {
        throw new DatagenError('E_DATABASE', `duckdb: cannot write table ${table} in ${path}: ${firstLine(err)}`);
      }
      await conn.run('COMMIT');
    } catch (err) {
      try {
        await conn.run('ROLLBACK');
      } catch {
        // the transaction may already be aborted: nothing to undo then
      }
      throw err;
    }
    conn.closeSync();
    instance.closeSync();
    conn = undefined;
    instance = undefined;
    addOutputBytes(Math.max(0, statSync(path).size - before));
    return rows;
  } catch (err) {
    conn?.closeSync();
    instance?.closeSync();
    removeNew();
    throw err;
  } finally {
    undo();
  }
}

function append(appender: DuckDBAppender, chunk: DuckDBDataChunk, table: string): void {
  try {
    appender.appendDataChunk(chunk);
  } catch (err) {
    throw new DatagenError('E_DATABASE', `duckdb: cannot write table ${table}: ${firstLine(err)}`);
  }
}

/** Create the table, replace it (overwrite), or check an existing one has the same columns (append). */
async function prepareTable(conn: DuckDBConnection, path: string, table: string, columns: Column[], overwrite: boolean): Promise<void> {
  const existing = await conn.runAndReadAll(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  const have = existing.getRowObjectsJS() as Array<{ column_name: string; data_type: string; is_nullable: string }>;
  if (have.length > 0 && !overwrite) {
    const want = columns.map((c) => `${c.name} ${c.sql}${c.notNull ? ' NOT NULL' : ''}`);
    const got = have.map((c) => `${c.column_name} ${c.data_type}${c.is_nullable === 'NO' ? ' NOT NULL' : ''}`);
    if (want.join(', ') === got.join(', ')) return; // the same columns: append
    const diff = want.findIndex((w, i) => w !== got[i]);
    const at = diff < 0 ? `${got.length} columns, not ${want.length}` : `column ${diff + 1} is ${got[diff] ?? 'missing'}, not ${want[diff]}`;
    throw new DatagenError('E_DATABASE', `duckdb: table ${table} in ${path} exists with other columns (${at}); pass --overwrite to replace it, or --table to name another`);
  }
  if (have.length > 0) await conn.run(`DROP TABLE ${sqlIdent(table)}`);
  await conn.run(createSql(table, columns));
}

const createSql = (table: string, columns: Column[]) =>
  `CREATE TABLE ${sqlIdent(table)} (${columns.map((c) => `${sqlIdent(c.name)} ${c.sql}${c.notNull ? ' NOT NULL' : ''}`).join(', ')})`;

/** CREATE TABLE for a schema, with the types and NOT NULL the sink gives it (for tables loaded by SQL, not the appender). */
export function createTableSql(schema: Schema, table: string, textColumns = false): string {
  return createSql(table, schema.fields.map((f) => column(f, table, textColumns)));
}

/** The SQL type of a field and the setter that puts one of its values into a vector. */
function column(field: Field, table: string, textColumns: boolean): Column {
  const kind = kindOf(field.type);
  const notNull = !field.nullable;
  // One value holder per column, reused for every cell: the vectors read it at once and keep nothing.
  const box: { value: number | bigint; days: number; micros: bigint } = { value: 0, days: 0, micros: 0n };
  const name = field.name;
  const sql = duckdbType(field.type);
  const wrong = (v: Value, what: string): never => {
    throw new DatagenError('E_DATABASE', `duckdb: ${table}.${name} is ${what}, got ${JSON.stringify(v)}`);
  };
  if (mayHoldText(field) && kind !== 'string') {
    if (!textColumns) {
      throw new DatagenError(
        'E_DATABASE',
        `duckdb: column ${table}.${name} (${kind}) may hold malformed text (a malform stage ran on it); pass --text-columns to store such columns as VARCHAR`,
      );
    }
    const text = textEncoder(kind, kind === 'decimal' ? (field.type as Decimal).scale : 0);
    return { name, sql: 'VARCHAR', notNull, set: (vec, i, v) => vec.setItem(i, text(v as Exclude<Value, null>) as never) };
  }
  switch (kind) {
    case 'int': {
      const bits = (field.type as Int).bitWidth;
      if (bits === 64) return { name, sql, notNull, set: (vec, i, v) => (Number.isSafeInteger(v) ? vec.setItem(i, BigInt(v as number) as never) : wrong(v, 'BIGINT')) };
      return { name, sql, notNull, set: (vec, i, v) => (Number.isInteger(v) ? vec.setItem(i, v as never) : wrong(v, sql)) };
    }
    case 'float':
      return { name, sql, notNull, set: (vec, i, v) => (typeof v === 'number' ? vec.setItem(i, v as never) : wrong(v, sql)) };
    case 'decimal': {
      const { precision, scale } = field.type as Decimal;
      const unit = 10 ** scale;
      const limit = 10 ** precision;
      // The same rounding as the CSV text and the Arrow writer (codec.decimalText), so every format agrees.
      return {
        name,
        sql,
        notNull,
        set: (vec, i, v) => {
          if (typeof v !== 'number') return wrong(v, sql);
          const unscaled = Math.round(v * unit);
          if (!Number.isSafeInteger(unscaled) || Math.abs(unscaled) >= limit) return wrong(v, sql);
          // DECIMAL(p<=9) is stored in 16 or 32 bits and its vector takes a number: no BigInt then.
          box.value = precision <= 9 ? unscaled : BigInt(unscaled);
          vec.setItem(i, box as never);
        },
      };
    }
    case 'string':
      return { name, sql, notNull, set: (vec, i, v) => vec.setItem(i, (typeof v === 'string' ? v : String(v)) as never) };
    case 'bool':
      return { name, sql, notNull, set: (vec, i, v) => (typeof v === 'boolean' ? vec.setItem(i, v as never) : wrong(v, sql)) };
    case 'date':
      return { name, sql, notNull, set: (vec, i, v) => (Number.isInteger(v) ? ((box.days = v as number), vec.setItem(i, box as never)) : wrong(v, sql)) };
    case 'time':
      return { name, sql, notNull, set: (vec, i, v) => (Number.isInteger(v) ? ((box.micros = BigInt(v as number) * 1_000_000n), vec.setItem(i, box as never)) : wrong(v, sql)) };
    case 'timestamp':
      return { name, sql, notNull, set: (vec, i, v) => (Number.isSafeInteger(v) ? ((box.micros = BigInt(v as number)), vec.setItem(i, box as never)) : wrong(v, 'TIMESTAMPTZ')) };
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
