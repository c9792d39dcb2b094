import { Writable } from 'node:stream';
import type { Field, Schema } from 'apache-arrow';
import type ExcelJS from 'exceljs';
import { rechunk } from '../src/codecs/arrow-batch.js';
import { DatagenError } from '../src/core/errors.js';
import { isGzipPath, withOutput, type Output } from '../src/codecs/output.js';
import { kindOf, tableName, type Kind, type Value } from '../src/core/schema.js';
import type { Batch } from '../src/core/stage.js';
import { formatDate, formatTime, formatTimestamp } from '../src/core/temporal.js';
import { fileOptions } from '../src/codecs/text-sink.js';
import { defineSink } from '../src/core/units.js';

/**
 * Excel workbooks (.xlsx) with real cells: numbers, dates, times and booleans are typed values
 * with a number format, not text. Written with exceljs's streaming WorkbookWriter, one row
 * committed at a time, so memory stays bounded whatever the row count.
 *
 * - Header row of field names, bold and frozen, with an autofilter over the sheet's rows.
 * - int, float, decimal -> numbers: ints formatted 0, decimals with their scale (0.00, 0.0000),
 *   floats General.
 * - date -> date serial (days since 1899-12-30) shown yyyy-mm-dd; time -> fraction of a day
 *   shown hh:mm:ss; timestamp (UTC) -> serial shown yyyy-mm-dd hh:mm:ss.000.
 * - A value Excel cannot hold as such is written as text, never dropped: a date outside
 *   1900-03-01..9999-12-31 (Excel's phantom 1900-02-29 shifts earlier serials by a day),
 *   NaN or Infinity, and every string a stage put in a typed column.
 * - Strings are always string cells: one starting with '=' is never a formula.
 * - A sheet holds at most 1,048,576 rows (Excel's limit, header included); more rows roll
 *   over to sheets name_2, name_3, ... each with its own header.
 */

/** Excel's hard limits: rows per sheet, characters per sheet name, columns. */
const MAX_SHEET_ROWS = 1_048_576;
const MAX_SHEET_NAME = 31;
const MAX_COLUMNS = 16_384;
/** Serial number of 1970-01-01 in Excel's 1900 date system. */
const EPOCH_SERIAL = 25_569;
/** 1900-03-01: serials below it are shifted by Excel's phantom 1900-02-29. */
const MIN_SERIAL = 61;
/** The first serial after 9999-12-31, Excel's last date. */
const END_SERIAL = 2_958_466;
const MS_PER_DAY = 86_400_000;

/** Text column widths fit the longest value among this many first rows. */
const WIDTH_SAMPLE_ROWS = 1000;

/** Stop feeding rows when this much uncompressed sheet XML waits for the compressor. */
const BACKLOG_BYTES = 4 << 20;

export const xlsx = defineSink({
  name: 'xlsx',
  summary: 'Write rows as an Excel workbook (.xlsx) with typed cells, to a file or stdout',
  description:
    'Numbers, dates, times and timestamps become Excel values with number formats (timestamps to the millisecond, the most Excel holds); ' +
    'a bold, frozen header row with an autofilter. More rows than --sheet-rows (at most 1,048,576, header included) continue on sheets name_2, name_3, ...',
  examples: [
    'datagen generate attendance --rows 100000 --out attendance.xlsx',
    'datagen pipe loans --rows 50000 | datagen xlsx --sheet loans --out loans.xlsx',
    'datagen pipe iot_sensors --rows 3000000 | datagen xlsx --sheet-rows 1000000 > sensors.xlsx',
  ],
  extensions: ['.xlsx'],
  options: {
    ...fileOptions,
    // The shared description offers .gz, which an .xlsx (already a zip) refuses.
    path: { ...fileOptions.path, description: 'file to write (default: stdout); written under a temporary name, renamed when complete' },
    sheet: { type: 'string', description: 'sheet name, at most 31 characters, none of []:*?/\\ (default: the table name)' },
    sheetRows: { type: 'integer', description: 'rows per sheet, header included; more rows continue on sheets name_2, name_3, ...', default: MAX_SHEET_ROWS, min: 2, max: MAX_SHEET_ROWS },
    autofilter: { type: 'boolean', description: "put Excel's filter buttons on the header row", default: true },
  },
  create(o) {
    if (o.sheet !== undefined) checkSheetName(o.sheet);
    if (o.path !== undefined && isGzipPath(o.path)) {
      throw new DatagenError('E_OPTION', `xlsx: an .xlsx file is already compressed and Excel cannot open it gzipped, got ${JSON.stringify(o.path)}`);
    }
    return async (batches) => {
      await withOutput(o, async (out) => {
        const book = await openBook(out);
        try {
          let sheets: SheetWriter | undefined;
          // Batches of a fixed size: column widths come from the first batch's rows, so the
          // same rows give the same bytes whatever batch size comes in.
          for await (const batch of rechunk(batches, WIDTH_SAMPLE_ROWS)) {
            sheets ??= new SheetWriter(book, batch, o.sheet ?? defaultSheetName(batch.schema), o.sheetRows, o.autofilter);
            if (batch.schema !== sheets.schema && batch.schema.fields.map((f) => f.name).join('\0') !== sheets.names.join('\0')) {
              throw new DatagenError('E_INPUT', `xlsx: the columns changed mid-stream (${sheets.names.join(', ')} -> ${batch.schema.fields.map((f) => f.name).join(', ')})`);
            }
            await sheets.write(batch.rows);
          }
          // A workbook needs at least one sheet, even for no input at all.
          if (sheets) sheets.end();
          else book.workbook.addWorksheet(o.sheet ?? 'Sheet1').commit();
          await book.finish();
        } catch (err) {
          book.abandon();
          throw err;
        }
      });
    };
  },
});

// ------------------------------------------------------------------ workbook and its bytes

/** The zip library (archiver) inside exceljs's writer, as far as we touch it. */
interface Zip extends NodeJS.EventEmitter {
  append(source: unknown, data: Record<string, unknown>): unknown;
  abort(): void;
}
const pinned = new WeakSet<Zip>();
/** The earliest date a zip entry holds: a date that says "no date". */
const FIXED_DATE = new Date(Date.UTC(1980, 0, 1));

interface Book {
  workbook: ExcelJS.stream.xlsx.WorkbookWriter;
  /** `p`, or the output's failure (disk full, closed pipe) if that comes first. */
  until<T>(p: Promise<T>): Promise<T>;
  finish(): Promise<void>;
  abandon(): void;
}

/**
 * exceljs is loaded on first use: it takes about 250 ms to load, which every other command
 * would otherwise pay at startup (the registry imports every sink).
 */
async function openBook(out: Output): Promise<Book> {
  const { default: ExcelJS } = await import('exceljs');
  let failure: Error | undefined;
  // Waits in progress, told of a failure. (Not a race against one long-pending promise, which
  // would keep a reaction per wait until the end.)
  const waiting = new Set<(err: Error) => void>();
  const fail = (err: Error) => {
    failure ??= err;
    for (const reject of waiting) reject(failure);
    waiting.clear();
  };
  const until = <T>(p: Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.add(reject);
      p.then(resolve, reject).finally(() => waiting.delete(reject));
    });
  // The zip's bytes go through openOutput, which keeps files atomic; each write waits for the
  // destination, so a slow disk or reader holds the zip stream back.
  const bytes = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, done) {
      out.write(chunk).then(() => done(), done);
    },
  });
  bytes.on('error', fail);
  // Same rows, same bytes (as for every other sink): exceljs stamps the document properties
  // and the zip library every entry with the current time, so both get a fixed date instead.
  // The first entries are added inside exceljs's constructor, through addThemes(), after the
  // zip exists: the override pins the zip's dates there.
  class PinnedWorkbookWriter extends ExcelJS.stream.xlsx.WorkbookWriter {
    override addThemes() {
      const zip = (this as unknown as { zip: Zip }).zip;
      if (!pinned.has(zip)) {
        pinned.add(zip);
        const append = zip.append.bind(zip);
        zip.append = (source, data) => append(source, { ...data, date: FIXED_DATE });
      }
      return super.addThemes();
    }
  }
  const workbook = new PinnedWorkbookWriter({ stream: bytes, useStyles: true, useSharedStrings: false });
  Object.assign(workbook, { created: FIXED_DATE, modified: FIXED_DATE, creator: 'datagen', lastModifiedBy: 'datagen' }); // read at commit
  const zip = (workbook as unknown as { zip: Zip }).zip;
  zip.on('error', fail);
  return {
    workbook,
    until,
    async finish() {
      await until(workbook.commit());
    },
    abandon() {
      fail(new Error('xlsx: abandoned'));
      bytes.destroy();
      try {
        zip.abort();
      } catch {
        // already ended
      }
    },
  };
}

// ------------------------------------------------------------------ sheets

type Cell = number | string | boolean;

interface Column {
  /** In-memory value -> cell value (undefined: an empty cell). */
  cell(v: Value | undefined): Cell | undefined;
  /** One style object per column, shared by its cells (see SheetWriter.write). */
  style: Partial<ExcelJS.Style>;
  width: number;
}

class SheetWriter {
  readonly schema: Schema;
  readonly names: string[];
  private readonly columns: Column[];
  // The whole default font, bold: a font of only <b/> leaves size and face to the reader.
  private readonly headerStyle: Partial<ExcelJS.Style> = { font: { bold: true, size: 11, name: 'Calibri', family: 2, scheme: 'minor', color: { theme: 1 } } };
  /** Shared by every row, for the same reason as the column styles (see write). */
  private readonly rowStyle: Partial<ExcelJS.Style> = {};
  private sheet!: ExcelJS.Worksheet;
  private sheetCount = 0;
  /** Rows in the current sheet, header included. */
  private rowsInSheet = 0;

  constructor(
    private readonly book: Book,
    first: Batch,
    private readonly baseName: string,
    private readonly maxRows: number,
    private readonly autofilter: boolean,
  ) {
    this.schema = first.schema;
    this.names = first.schema.fields.map((f) => f.name);
    if (this.names.length > MAX_COLUMNS) {
      throw new DatagenError('E_OUTPUT', `xlsx: an Excel sheet holds at most ${MAX_COLUMNS.toLocaleString('en-US')} columns, ${tableName(first.schema)} has ${this.names.length.toLocaleString('en-US')}`);
    }
    this.columns = first.schema.fields.map((f) => column(f, first.rows));
    this.newSheet();
  }

  private newSheet(): void {
    this.sheetCount++;
    const suffix = this.sheetCount === 1 ? '' : `_${this.sheetCount}`;
    const name = this.baseName.slice(0, MAX_SHEET_NAME - suffix.length) + suffix;
    this.sheet = this.book.workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1, xSplit: 0, topLeftCell: 'A2', activeCell: 'A2' }] });
    // Column styles also format cells typed into the sheet later; widths from the first rows.
    this.sheet.columns = this.columns.map((c) => ({ width: c.width, style: c.style }));
    const header = this.sheet.addRow(this.names);
    for (let c = 0; c < this.names.length; c++) header.getCell(c + 1).style = this.headerStyle;
    header.commit();
    this.rowsInSheet = 1;
  }

  async write(rows: readonly Record<string, Value>[]): Promise<void> {
    const { names, columns } = this;
    const n = names.length;
    for (let r = 0; r < rows.length; r++) {
      if (this.rowsInSheet === this.maxRows) {
        this.endSheet();
        this.newSheet();
      }
      const row = rows[r]!;
      const xlRow = this.sheet.addRow([]);
      (xlRow as unknown as { style: Partial<ExcelJS.Style> }).style = this.rowStyle; // not in exceljs's types
      for (let c = 0; c < n; c++) {
        const v = columns[c]!.cell(row[names[c]!]);
        if (v === undefined) continue;
        const cell = xlRow.getCell(c + 1);
        cell.value = v;
        // exceljs gives every new row and cell a fresh style object, and finds a style's id
        // by object identity (else by building its XML): sharing one object per column and
        // one for all rows measured 1.7-2x the rows/s.
        cell.style = columns[c]!.style;
      }
      xlRow.commit();
      this.rowsInSheet++;
    }
    await this.drain();
  }

  /**
   * exceljs's sheet stream ignores backpressure: it pushes the sheet's XML into the zip
   * library's input (a PassThrough) however far behind the compressor is. Rows come faster
   * than that when nothing else yields to the event loop, so wait for that input to drain
   * before more rows. Found through exceljs internals (StreamBuf.pipes); if they ever change,
   * this still yields once per batch.
   */
  private async drain(): Promise<void> {
    const input = (this.sheet as unknown as { stream?: { pipes?: unknown[] } }).stream?.pipes?.[0] as
      | (NodeJS.EventEmitter & { _writableState?: { length: number }; writableLength?: number })
      | undefined;
    const pending = () => input?._writableState?.length ?? input?.writableLength ?? 0;
    if (!input || pending() < BACKLOG_BYTES) await this.book.until(new Promise<void>((resolve) => setImmediate(resolve)));
    else await this.book.until(new Promise<void>((resolve) => input.once('drain', () => resolve())));
  }

  private endSheet(): void {
    if (this.autofilter) {
      this.sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: this.rowsInSheet, column: Math.max(1, this.names.length) } };
    }
    this.sheet.commit();
  }

  end(): void {
    this.endSheet();
  }
}

// ------------------------------------------------------------------ columns

/** Cell conversion, number format and width for one field. */
function column(field: Field, sample: readonly Record<string, Value>[]): Column {
  const kind = kindOf(field.type);
  const scale = (field.type as { scale?: number }).scale ?? 0;
  const { cell, numFmt, width } = cellKind(kind, scale);
  // Text columns are as wide as the header or the longest value in the first batch, within bounds.
  let chars = Math.max(field.name.length, width);
  if (kind === 'string') {
    for (let i = 0; i < sample.length && i < WIDTH_SAMPLE_ROWS; i++) {
      const v = sample[i]![field.name];
      if (typeof v === 'string' && v.length > chars) chars = v.length;
    }
  }
  return { cell, style: numFmt ? { numFmt } : {}, width: Math.min(60, chars + 2) };
}

/** A number Excel can show, or the value's text (NaN, Infinity). */
const finite = (v: number): Cell => (Number.isFinite(v) ? v : String(v));
/** A serial within Excel's dates, else the text the other sinks would write. */
const serialOr = (serial: number, text: () => string): Cell => (serial >= MIN_SERIAL && serial < END_SERIAL ? serial : text());

function cellKind(kind: Kind, scale: number): { cell: Column['cell']; numFmt?: string; width: number } {
  // Every converter passes strings (malformed values) and other unexpected types through as they are.
  switch (kind) {
    case 'int':
      // Format 0, not General: General shows an integer of 12 or more digits (an int64 id) in
      // scientific notation, 123456789012 as 1.23457E+11.
      return { cell: (v) => (v === null ? undefined : typeof v === 'number' ? finite(v) : v), numFmt: '0', width: 10 };
    case 'float':
      return { cell: (v) => (v === null ? undefined : typeof v === 'number' ? finite(v) : v), width: 10 };
    case 'decimal':
      return {
        cell: (v) => (v === null ? undefined : typeof v === 'number' ? finite(v) : v),
        numFmt: scale > 0 ? '0.' + '0'.repeat(scale) : '0',
        width: 10,
      };
    case 'date':
      return { cell: (v) => (v === null ? undefined : typeof v === 'number' ? serialOr(v + EPOCH_SERIAL, () => formatDate(v)) : v), numFmt: 'yyyy-mm-dd', width: 10 };
    case 'time':
      return {
        cell: (v) => (v === null ? undefined : typeof v === 'number' ? (v >= 0 && v < 86_400 ? v / 86_400 : formatTime(v)) : v),
        numFmt: 'hh:mm:ss',
        width: 8,
      };
    case 'timestamp':
      // Excel keeps no more than milliseconds: microseconds are truncated (as a cast to
      // timestamp[ms] would), so the cell shows the same .SSS as the other sinks' text.
      return {
        cell: (v) => (v === null ? undefined : typeof v === 'number' ? serialOr(Math.floor(v / 1000) / MS_PER_DAY + EPOCH_SERIAL, () => formatTimestamp(v)) : v),
        numFmt: 'yyyy-mm-dd hh:mm:ss.000',
        width: 23,
      };
    case 'bool':
    case 'string':
      return { cell: (v) => (v === null ? undefined : v), width: 6 };
  }
}

// ------------------------------------------------------------------ sheet names

const BAD_SHEET_CHARS = /[[\]:*?/\\]/;

/** Excel's rules for a sheet name the user gave: refused with the reason. */
function checkSheetName(name: string): void {
  const why =
    name.trim() === ''
      ? 'not empty'
      : name.length > MAX_SHEET_NAME
        ? `at most ${MAX_SHEET_NAME} characters`
        : BAD_SHEET_CHARS.test(name)
          ? 'free of []:*?/\\'
          : name.startsWith("'") || name.endsWith("'")
            ? 'not begin or end with an apostrophe'
            : name.toLowerCase() === 'history'
              ? 'other than History (reserved by Excel)'
              : undefined;
  if (why) throw new DatagenError('E_OPTION', `xlsx: sheet must be ${why}, got ${JSON.stringify(name)}`);
}

/** The table name made a valid sheet name (table names are not bound by Excel's rules). */
function defaultSheetName(schema: Schema): string {
  let name = tableName(schema).replace(new RegExp(BAD_SHEET_CHARS.source, 'g'), '_').replace(/^'+|'+$/g, '').slice(0, MAX_SHEET_NAME);
  if (name.trim() === '' || name.toLowerCase() === 'history') name = name.trim() === '' ? 'data' : `${name}_`;
  return name;
}
