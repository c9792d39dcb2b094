import { createReadStream, readFileSync } from 'node:fs';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { RecordBatchReader, type Schema } from 'apache-arrow';
import { arrowIpcSource } from '../../sources/arrow-ipc.js';
import { engineSchema } from '../codecs/arrow-batch.js';
import { textEncoder, type TextEncoder } from '../codecs/codec.js';
import { DatagenError } from '../core/errors.js';
import { kindOf, type Kind, type Value } from '../core/schema.js';
import { sqlIdent, unreadable } from './sql.js';

/**
 * Arrow IPC and XLSX files, which this DuckDB cannot read without downloading an extension:
 * read by the project's Arrow reader and by exceljs, and loaded into a temporary table of
 * VARCHAR columns holding each value as datagen's CSV writer spells it (so the same rules
 * apply as to CSV). Temporary tables end with the connection.
 */

let loads = 0;

/** A temporary table with these VARCHAR columns, and an appender on it. */
async function tempTable(conn: DuckDBConnection, columns: readonly string[]): Promise<{ name: string; appender: DuckDBAppender }> {
  const name = `datagen_check_${process.pid}_${++loads}`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdent(name)} (${columns.map((c) => `${sqlIdent(c)} VARCHAR`).join(', ')})`);
  return { name, appender: await conn.createAppender(name, 'main', 'temp') };
}

function appendRow(appender: DuckDBAppender, cells: ReadonlyArray<string | null>): void {
  for (const c of cells) {
    if (c === null) appender.appendNull();
    else appender.appendVarchar(c);
  }
  appender.endRow();
}

const encoders = (schema: Schema): TextEncoder[] => schema.fields.map((f) => textEncoder(kindOf(f.type), (f.type as { scale?: number }).scale ?? 0));

/** An Arrow IPC file (or stream) into a temporary table; its own schema (logical types restored). */
export async function loadArrow(conn: DuckDBConnection, file: string): Promise<{ table: string; schema: Schema }> {
  let table: { name: string; appender: DuckDBAppender } | undefined;
  let schema: Schema | undefined;
  let encode: TextEncoder[] = [];
  try {
    for await (const batch of arrowIpcSource({ input: createReadStream(file), label: file }).batches()) {
      if (!table) {
        schema = batch.schema;
        encode = encoders(schema);
        table = await tempTable(conn, schema.fields.map((f) => f.name));
      }
      const names = schema!.fields.map((f) => f.name);
      for (const row of batch.rows) appendRow(table.appender, names.map((n, i) => (row[n] === null || row[n] === undefined ? null : encode[i]!(row[n] as Exclude<Value, null>))));
    }
    if (!table) {
      // No batches at all: the schema alone (a small file).
      schema = engineSchema((await RecordBatchReader.from(readFileSync(file)).open()).schema);
      table = await tempTable(conn, schema.fields.map((f) => f.name));
    }
    table.appender.closeSync();
  } catch (err) {
    if (err instanceof DatagenError) throw new DatagenError('E_INPUT', err.message.startsWith(file) ? `check: ${err.message}` : err.message);
    throw unreadable(file, err);
  }
  return { table: table.name, schema: schema! };
}

const MS_PER_DAY = 86_400_000;
/** Serial number of 1970-01-01 in Excel's 1900 date system. */
const EPOCH_SERIAL = 25_569;

/**
 * An XLSX workbook into a temporary table: every sheet (datagen continues a long table on
 * sheets name_2, name_3, ...), each with the same header row. Cells become text by the
 * declared type of their column: dates, times and timestamps (Date cells or serial numbers)
 * as ISO text, decimals with their scale; a text cell stays as it is.
 */
export async function loadXlsx(conn: DuckDBConnection, file: string, schema: Schema): Promise<{ table: string; columns: string[] }> {
  const { default: ExcelJS } = await import('exceljs');
  const book = new ExcelJS.Workbook();
  try {
    await book.xlsx.readFile(file);
  } catch (err) {
    throw unreadable(file, err);
  }
  let header: string[] | undefined;
  const sheets: Array<{ rows: number; cell(r: number, c: number): { value: unknown; text: string } }> = [];
  for (const ws of book.worksheets) {
    if (ws.rowCount === 0) continue;
    const names: string[] = [];
    for (let c = 1; c <= ws.getRow(1).cellCount; c++) names.push(ws.getRow(1).getCell(c).text);
    if (!header) header = names;
    else if (names.join('\0') !== header.join('\0')) {
      throw new DatagenError('E_INPUT', `check: ${file}: sheet ${ws.name} has other columns (${names.join(', ')}) than the first sheet (${header.join(', ')})`);
    }
    sheets.push({ rows: ws.rowCount, cell: (r, c) => ws.getRow(r).getCell(c) as { value: unknown; text: string } });
  }
  if (!header) throw new DatagenError('E_INPUT', `check: ${file} holds no sheet with a header row`);
  const converters = header.map((name) => {
    const field = schema.fields.find((f) => f.name === name);
    return cellConverter(field ? kindOf(field.type) : 'string', (field?.type as { scale?: number } | undefined)?.scale ?? 0);
  });
  const table = await tempTable(conn, header);
  for (const sheet of sheets) {
    for (let r = 2; r <= sheet.rows; r++) {
      appendRow(table.appender, header.map((_, c) => {
        const cell = sheet.cell(r, c + 1);
        return converters[c]!(cell.value, cell.text);
      }));
    }
  }
  table.appender.closeSync();
  return { table: table.name, columns: header };
}

/** One cell's value -> the text datagen's CSV writer would have written for it. */
function cellConverter(kind: Kind, scale: number): (value: unknown, text: string) => string | null {
  const encode = textEncoder(kind, scale);
  const fromDate = (d: Date): Value => {
    const ms = d.getTime();
    if (kind === 'date') return Math.floor(ms / MS_PER_DAY);
    if (kind === 'timestamp') return ms * 1000;
    if (kind === 'time') return Math.round((((ms % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / 1000);
    return d.toISOString();
  };
  const fromNumber = (v: number): Value => {
    if (kind === 'date') return Math.round(v - EPOCH_SERIAL);
    if (kind === 'timestamp') return Math.round((v - EPOCH_SERIAL) * MS_PER_DAY) * 1000;
    if (kind === 'time') return Math.round((v - Math.floor(v)) * 86_400);
    return kind === 'string' ? String(v) : v;
  };
  return (value, text) => {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return value;
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number') return encode(fromNumber(value) as Exclude<Value, null>);
    if (value instanceof Date) return encode(fromDate(value) as Exclude<Value, null>);
    // Rich text, formulas, hyperlinks, errors: what the cell shows.
    return text;
  };
}
