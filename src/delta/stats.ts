import { decimalText, textEncoder, type TextEncoder } from '../codecs/codec.js';
import { DatagenError } from '../core/errors.js';
import { kindOf, type Row, type Value } from '../core/schema.js';
import { formatDate, formatTimestamp, parseDate, parseTimestamp } from '../core/temporal.js';
import { textOf, type DeltaField } from './schema.js';

/**
 * Per-file statistics of an `add` action (PROTOCOL.md "Per-file Statistics"): numRecords, and
 * per column nullCount, minValues and maxValues, written as a JSON string. Readers skip files
 * with them, so bounds must be right:
 * - strings compare by code point (UTF-8 byte order, as Spark and Parquet do), not by UTF-16
 *   unit, and are written whole (no prefix truncation, so bounds stay tight);
 * - timestamps are truncated down to milliseconds, as the protocol prescribes
 *   ("2024-03-01T09:15:02.123Z"); readers widen the max by a millisecond;
 * - dates are "YYYY-MM-DD", decimals JSON numbers at their scale;
 * - booleans get only nullCount (Spark collects no bounds for them), and a double column
 *   holding NaN or an infinity gets no bounds in that file (JSON has no such numbers).
 */
export interface FileStats {
  numRecords: number;
  minValues: Record<string, number | string>;
  maxValues: Record<string, number | string>;
  nullCount: Record<string, number>;
}

/** Code point order (UTF-8 byte order) of two strings; JS `<` compares UTF-16 units instead. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800-DFFF) stand for code points above U+FFFF: move them above U+E000-FFFF.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

type Order = 'number' | 'string' | 'none';

function orderOf(type: string): Order {
  if (type === 'boolean') return 'none';
  return type === 'string' ? 'string' : 'number';
}

/** Which in-memory values a column of this Delta type can store. */
function fitsType(type: string): (v: Value) => boolean {
  switch (type) {
    case 'string':
      return (v) => typeof v === 'string';
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'double':
      return (v) => typeof v === 'number';
    case 'integer':
      return (v) => typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    case 'long':
    case 'date':
    case 'timestamp':
      return (v) => typeof v === 'number' && Number.isSafeInteger(v);
  }
  const m = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  const unit = 10 ** Number(m?.[2] ?? 0);
  const limit = 10 ** Number(m?.[1] ?? 38);
  return (v) => {
    if (typeof v !== 'number') return false;
    const scaled = v * unit;
    const n = Math.round(scaled);
    // At most `scale` fraction digits (up to float noise such as 12.34 * 100 = 1233.9999999999998).
    return Number.isSafeInteger(n) && Math.abs(n) < limit && Math.abs(scaled - n) <= 1e-6 * Math.max(1, Math.abs(scaled));
  };
}

/** A stats value as JSON wants it, from the in-memory value. */
function statsFormat(type: string): (v: number | string) => number | string {
  if (type === 'date') return (v) => formatDate(v as number);
  if (type === 'timestamp') return (v) => timestampMillis(v as number);
  const m = /^decimal\(\d+,\s*(\d+)\)$/.exec(type);
  if (m) {
    const text = decimalText(Number(m[1]));
    return (v) => Number(text(v as number));
  }
  return (v) => v;
}

/** ISO-8601 UTC with milliseconds, truncated down (the protocol's timestamp statistics). */
export function timestampMillis(micros: number): string {
  const text = formatTimestamp(Math.floor(micros / 1000) * 1000); // ...:02.123000Z
  return text.slice(0, -4) + 'Z';
}

interface Column {
  name: string;
  type: string;
  nullable: boolean;
  /** True when a non-null value fits the column's type. */
  fits: (v: Value) => boolean;
  order: Order;
  nulls: number;
  bounded: boolean;
  min: number | string | undefined;
  max: number | string | undefined;
  format: (v: number | string) => number | string;
  /** A text-capable column's value -> the text the file holds (textOf in schema.ts). */
  text?: TextEncoder;
}

function textEncoderOf(f: DeltaField): TextEncoder | undefined {
  const logical = textOf(f);
  return logical ? textEncoder(kindOf(logical), (logical as { scale?: number }).scale ?? 0) : undefined;
}

/** Collects one data file's statistics from its rows as they go to the Parquet writer. */
export class StatsCollector {
  private records = 0;
  private readonly columns: Column[];

  constructor(
    fields: readonly DeltaField[],
    private readonly table: string,
  ) {
    this.columns = fields.map((f) => ({
      name: f.name,
      type: f.type,
      nullable: f.nullable,
      fits: fitsType(f.type),
      order: orderOf(f.type),
      nulls: 0,
      bounded: true,
      min: undefined,
      max: undefined,
      format: statsFormat(f.type),
      text: textEncoderOf(f),
    }));
  }

  /** Rows in the table's form; `offset` numbers them in messages. A null in a non-nullable column is refused. */
  add(rows: readonly Row[], offset: number): void {
    for (const c of this.columns) {
      const name = c.name;
      for (let i = 0; i < rows.length; i++) {
        let v: Value | undefined = rows[i]![name];
        if (c.text && v !== null && v !== undefined && typeof v !== 'string') v = c.text(v);
        if (v === null || v === undefined) {
          if (!c.nullable) throw new DatagenError('E_INPUT', `delta: ${this.table}: row ${offset + i} has no value in column ${name}, which is not nullable in the table`);
          c.nulls++;
          continue;
        }
        if (!c.fits(v)) {
          // Checked here because an error thrown inside the Parquet writer's stream loses its code.
          throw new DatagenError(
            'E_INPUT',
            `delta: ${this.table}: row ${offset + i} column ${name} is ${c.type} but holds ${JSON.stringify(v)}; a malformed value fits only a text format (csv, jsonl)`,
          );
        }
        if (c.order === 'number') {
          const n = v as number;
          if (!Number.isFinite(n)) c.bounded = false;
          else {
            if (c.min === undefined || n < (c.min as number)) c.min = n;
            if (c.max === undefined || n > (c.max as number)) c.max = n;
          }
        } else if (c.order === 'string') {
          const t = v as string;
          if (c.min === undefined || compareStrings(t, c.min as string) < 0) c.min = t;
          if (c.max === undefined || compareStrings(t, c.max as string) > 0) c.max = t;
        }
      }
    }
    this.records += rows.length;
  }

  get numRecords(): number {
    return this.records;
  }

  stats(): FileStats {
    const out: FileStats = { numRecords: this.records, minValues: {}, maxValues: {}, nullCount: {} };
    for (const c of this.columns) {
      out.nullCount[c.name] = c.nulls;
      if (c.order === 'none' || !c.bounded || c.min === undefined || c.max === undefined) continue;
      out.minValues[c.name] = c.format(c.min);
      out.maxValues[c.name] = c.format(c.max);
    }
    return out;
  }
}

/** The stats of an add action, or undefined when absent or unreadable (then nothing can be skipped). */
export function parseStats(text: unknown): Partial<FileStats> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const s = JSON.parse(text) as Partial<FileStats>;
    return s && typeof s === 'object' ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A column's [min, max] from a file's stats, in the in-memory form of its values (numbers,
 * or strings for string columns), widened where stats are truncated; undefined when unknown.
 */
export function statsRange(stats: Partial<FileStats> | undefined, field: DeltaField): { min: number | string; max: number | string } | undefined {
  const lo = stats?.minValues?.[field.name];
  const hi = stats?.maxValues?.[field.name];
  if (lo === undefined || hi === undefined || lo === null || hi === null) return undefined;
  const order = orderOf(field.type);
  if (textOf(field)) return undefined; // bounds of the text, not of the values held in memory
  if (order === 'string') return typeof lo === 'string' && typeof hi === 'string' ? { min: lo, max: hi } : undefined;
  if (order === 'none') return undefined;
  if (field.type === 'date') {
    const a = typeof lo === 'string' ? parseDate(lo) : undefined;
    const b = typeof hi === 'string' ? parseDate(hi) : undefined;
    return a !== undefined && b !== undefined ? { min: a, max: b } : undefined;
  }
  if (field.type === 'timestamp') {
    const a = typeof lo === 'string' ? parseTimestamp(lo) : undefined;
    const b = typeof hi === 'string' ? parseTimestamp(hi) : undefined;
    return a !== undefined && b !== undefined ? { min: a, max: b + 999 } : undefined; // max was truncated to ms
  }
  return typeof lo === 'number' && typeof hi === 'number' ? { min: lo, max: hi } : undefined;
}

/** Ordering of a column's in-memory values, as the stats order them. */
export function compareValues(field: DeltaField): (a: number | string, b: number | string) => number {
  if (textOf(field)) return (a, b) => compareStrings(String(a), String(b)); // values or text: only sorted, never bounded
  return orderOf(field.type) === 'string' ? (a, b) => compareStrings(a as string, b as string) : (a, b) => (a as number) - (b as number);
}
