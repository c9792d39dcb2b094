import { closeSync, existsSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Decimal, Field, Int, Schema } from 'apache-arrow';
import { csv } from './csv.js';
import { addOutputBytes, describeIoError, ensureDir, onAbort } from '../src/codecs/output.js';
import { DatagenError } from '../src/core/errors.js';
import { kindOf, mayHoldText, type Row, type Value } from '../src/core/schema.js';
import type { Batch } from '../src/core/stage.js';
import { defineSink } from '../src/core/units.js';
import { duckdbType, sqlIdent, sqlString } from '../src/codecs/sql.js';

/**
 * Rows into a table of a DuckDB database file, with the schema's exact types (int32 INTEGER,
 * int64 BIGINT, decimal(p,s) DECIMAL(p,s), timestamp TIMESTAMPTZ, ...) and NOT NULL where a
 * field is not nullable.
 *
 * Rows go in as CSV part files beside the database (the CSV sink's text, 122,880 rows each),
 * each read by DuckDB's read_csv with the table's column types in an INSERT, while this thread
 * writes the next parts: generating and loading run on both cores. DuckDB's appender took 1.6x
 * as long for loans: one native call per string value, and every row group compressed on this
 * thread (docs/BENCHMARKS.md).
 * Values are checked before they are written, so a wrong one is named with its column.
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
    '(--overwrite replaces it). Columns that may hold malformed text (after malform) are refused unless --text-columns makes them VARCHAR. ' +
    'Rows go in through CSV part files written beside the database, removed as they are loaded.',
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
  /** Rows per part file (tests make it small to have several parts). */
  partRows?: number;
}

/** How one column is declared, and which of its values DuckDB can read as its type. */
interface Column {
  name: string;
  sql: string;
  notNull: boolean;
  /** Whether DuckDB reads a non-null value as the column's type; undefined: any value (text). */
  ok?: (v: Exclude<Value, null>) => boolean;
}

/** Rows per part file: DuckDB's row group, so each part is written to the file as full row groups. */
const PART_ROWS = 122_880;
/** Parts written ahead of the one loading (on disk: about 11 MB each for loans), so generating seldom waits. */
const AHEAD = 3;

export function isDuckdbPath(path: string): boolean {
  return path.toLowerCase().endsWith('.duckdb');
}

export async function writeDuckdb(target: DuckdbTarget, batches: AsyncIterable<Batch>): Promise<number> {
  const path = target.path;
  const isNew = !existsSync(path);
  const before = isNew ? 0 : statSync(path).size;
  // The parts are written beside the database (the same disk), under names of this process.
  const parts = Array.from({ length: AHEAD + 1 }, (_, n) => join(dirname(path), `.${basename(path)}.part-${process.pid}-${n}.csv`));
  const removeParts = () => {
    for (const p of parts) rmQuietly(p);
  };
  // A database file this run creates is removed if the run fails or is stopped; so are the parts.
  const removeNew = () => {
    removeParts();
    if (isNew) for (const p of [path, `${path}.wal`]) rmQuietly(p);
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
    const { DuckDBInstance } = await import('@duckdb/node-api');
    try {
      // One DuckDB thread: this thread generates on the other core. With two, DuckDB's threads
      // compete with generation for the cores and wait for work by spinning (measured: same
      // time at best, a third more CPU).
      instance = await DuckDBInstance.create(path, { threads: '1' });
      conn = await instance.connect();
    } catch (err) {
      throw new DatagenError('E_DATABASE', `duckdb: cannot open the database ${path}: ${firstLine(err)}`);
    }
    const db = conn;
    const schema = first.value.schema;
    const table = target.table ?? schema.metadata.get('table') ?? basename(path).replace(/\.duckdb$/i, '');
    const columns = schema.fields.map((f) => column(f, table, target.textColumns ?? false));
    const check = rowCheck(columns, table);
    const encode = csv({ header: false }).chunked!.encoder(schema);
    const partRows = target.partRows ?? PART_ROWS;
    // Every value of a column is read as the type of its table column, from the CSV text datagen writes.
    // A row is no longer than its batch's text: past DuckDB's default line limit (2 MB), that is the limit.
    const read = (file: string, longest: number) =>
      `SELECT * FROM read_csv(${sqlString(file)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
      `new_line = '\\n', allow_quoted_nulls = false, ${longest > 2_000_000 ? `max_line_size = ${longest}, ` : ''}` +
      `columns = {${columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.sql)}`).join(', ')}})`;
    // Parts are loaded one after another (one connection), while the next ones are written.
    let loading: Promise<void> = Promise.resolve();
    const waiting: Promise<void>[] = [];
    let part = 0;
    let fd: number | undefined;
    let inPart = 0;
    let longest = 0;
    await db.run('BEGIN TRANSACTION');
    try {
      await prepareTable(db, path, table, columns, target.overwrite ?? false);
      const load = async () => {
        closeSync(fd!);
        fd = undefined;
        const file = parts[part++ % parts.length]!;
        const sql = `INSERT INTO ${sqlIdent(table)} ${read(file, longest)}`;
        inPart = 0;
        longest = 0;
        const loaded = loading.then(() =>
          db.run(sql).then(
            () => rmSync(file),
            (err: unknown) => {
              // A value DuckDB could not read as its column's type (an INTEGER out of range, say): that line of its message.
              const why = /Error when converting column "(.*)"\. (.*)/.exec(String((err as Error)?.message));
              throw new DatagenError('E_DATABASE', `duckdb: cannot write table ${table} in ${path}: ${why ? `column ${why[1]}: ${why[2]}` : firstLine(err)}`);
            },
          ),
        );
        // A failure is seen when this load is awaited (below, or at the end); until then it is not unhandled.
        loaded.catch(() => {});
        loading = loaded;
        waiting.push(loaded);
        // The next part's file is free once the load AHEAD parts back is done.
        if (waiting.length > AHEAD) await waiting.shift();
      };
      for (let next: IteratorResult<Batch> = first; !next.done; next = await it.next()) {
        const batch = next.value;
        if (batch.schema.fields.length !== columns.length) throw new DatagenError('E_INPUT', `duckdb: a batch with ${batch.schema.fields.length} columns after ${columns.length}`);
        if (batch.rows.length === 0) continue;
        check(batch.rows, rows);
        try {
          fd ??= openSync(parts[part % parts.length]!, 'w');
          const text = encode(batch);
          writeFileSync(fd, text);
          longest = Math.max(longest, text.length);
        } catch (err) {
          throw new DatagenError('E_OUTPUT', `duckdb: cannot write ${parts[part % parts.length]} (rows on their way into ${path}): ${describeIoError(err)}`);
        }
        rows += batch.rows.length;
        inPart += batch.rows.length;
        if (inPart >= partRows) await load();
      }
      if (fd !== undefined) await load();
      await loading;
      await db.run('COMMIT');
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      // A load still running must end before the rollback.
      await loading.catch(() => {});
      try {
        await db.run('ROLLBACK');
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
    removeParts();
    undo();
  }
}

/**
 * The test of a batch's rows: values DuckDB would refuse (or read as something else) are found
 * here, so the error names the column and the value. The loop is made for the schema, with the
 * column names as constants, as the CSV sink's row loop is: `row[name]` over many names is a
 * slow megamorphic lookup. Columns that take any value are not looked at.
 */
function rowCheck(columns: readonly Column[], table: string): (rows: readonly Row[], before: number) => void {
  const fail = (c: number, v: Value | undefined, row: number): never => {
    const { name, sql } = columns[c]!;
    if (v === null || v === undefined) throw new DatagenError('E_DATABASE', `duckdb: null in ${table}.${name}, declared NOT NULL (row ${row})`);
    throw new DatagenError('E_DATABASE', `duckdb: ${table}.${name} is ${sql}, got ${JSON.stringify(v)}`);
  };
  const tests = columns.map((col, c) => {
    const v = `row[${JSON.stringify(col.name)}]`;
    const isNull = `(${v} === null || ${v} === undefined)`;
    if (!col.ok) return col.notNull ? `if ${isNull} fail(${c}, ${v}, before + r + 1);` : '';
    return `if (${col.notNull ? '' : `!${isNull} && `}!ok${c}(${v})) fail(${c}, ${v}, before + r + 1);`;
  });
  const make = new Function('fail', ...columns.map((_, c) => `ok${c}`), `
    return (rows, before) => {
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r];
        ${tests.join('\n        ')}
      }
    };`) as (...args: unknown[]) => (rows: readonly Row[], before: number) => void;
  return make(fail, ...columns.map((c) => c.ok));
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

/** The SQL type of a field and the test its values must pass. */
function column(field: Field, table: string, textColumns: boolean): Column {
  const kind = kindOf(field.type);
  const notNull = !field.nullable;
  const name = field.name;
  const sql = duckdbType(field.type);
  if (mayHoldText(field) && kind !== 'string') {
    if (!textColumns) {
      throw new DatagenError(
        'E_DATABASE',
        `duckdb: column ${table}.${name} (${kind}) may hold malformed text (a malform stage ran on it); pass --text-columns to store such columns as VARCHAR`,
      );
    }
    // The CSV text of any value, as the CSV sink writes it.
    return { name, sql: 'VARCHAR', notNull };
  }
  switch (kind) {
    case 'int':
      return (field.type as Int).bitWidth === 64 ? { name, sql, notNull, ok: Number.isSafeInteger } : { name, sql, notNull, ok: Number.isInteger };
    case 'float':
      return { name, sql, notNull, ok: (v) => typeof v === 'number' };
    case 'decimal': {
      const { precision, scale } = field.type as Decimal;
      const unit = 10 ** scale;
      const limit = 10 ** precision;
      // Rounded to the scale as the CSV text is (codec.decimalText), it must fit the precision.
      return { name, sql, notNull, ok: (v) => typeof v === 'number' && Math.abs(Math.round(v * unit)) < limit };
    }
    case 'string':
      return { name, sql, notNull };
    case 'bool':
      return { name, sql, notNull, ok: (v) => typeof v === 'boolean' };
    case 'date':
    case 'time':
      return { name, sql, notNull, ok: Number.isInteger };
    case 'timestamp':
      return { name, sql, notNull, ok: Number.isSafeInteger };
  }
}

function rmQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // never there (its folder is a file, say): the run's own error says why
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
