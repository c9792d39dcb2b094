import { isAscii } from 'node:buffer';
import {
  AsyncByteQueue, DateDay, DateUnit, Decimal, Field, makeData, Precision, RecordBatch, RecordBatchFileWriter, RecordBatchStreamWriter, Schema, Struct, TimeSecond,
  Timestamp, TimeUnit, Type, util, Utf8, type Data, type DataType, type Date_ as DateType, type Dictionary, type Float, type Int,
} from 'apache-arrow';
import { decimalText, textEncoder } from './codec.js';
import { DatagenError } from '../core/errors.js';
import { kindOf, mayHoldText, tableName, TEXT_OF, typeFromLabel, typeLabel, types, type Kind, type Row, type Value } from '../core/schema.js';
import type { Batch } from '../core/stage.js';
import { parseDate, parseTime, parseTimestamp } from '../core/temporal.js';

/**
 * Rows <-> Arrow record batches, column by column into typed arrays.
 *
 * apache-arrow's builders measured about 5x slower than filling the buffers directly, and
 * their Timestamp builder goes through milliseconds (losing microseconds). Here each column
 * is one loop over the rows that writes the value buffer and, only when there are nulls, the
 * validity bitmap. 64-bit and 128-bit integers are written as 32-bit words from the number's
 * high and low halves, which is exact for every safe integer and avoids a BigInt per value.
 */

const TWO_32 = 4294967296;

/**
 * A batch as an Arrow record batch in its storage schema (storageSchema): columns a stage
 * declared text-capable are written as the text of each value, the rest as their type.
 */
export function toRecordBatch(batch: Batch): RecordBatch {
  const { schema, rows } = batch;
  const storage = storageSchema(schema);
  const table = tableName(schema);
  const columns = columnsOf(schema)(rows);
  const children = storage.fields.map((field, c) => {
    const logical = schema.fields[c]!;
    const column = field === logical ? columns[c]! : asText(logical, columns[c]!);
    return columnData(field, column, batch.offset, table);
  });
  const struct = makeData({ type: new Struct(storage.fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(storage, struct);
}

/**
 * The schema typed formats store: a field marked text-capable (mayHoldText: `malform` may put
 * "12,000" in an int column) becomes a string column whose metadata keeps its logical type
 * (TEXT_OF), so a reader that knows can restore it (fromRecordBatch) and one that does not
 * sees honest text. Every other field is stored as declared. Same schema object, same result.
 */
const storageSchemas = new WeakMap<Schema, Schema>();
export function storageSchema(schema: Schema): Schema {
  let out = storageSchemas.get(schema);
  if (!out) {
    let changed = false;
    const fields = schema.fields.map((f) => {
      if (!mayHoldText(f) || kindOf(f.type) === 'string') return f;
      changed = true;
      const meta = new Map(f.metadata);
      meta.set(TEXT_OF, typeLabel(f.type));
      return new Field(f.name, types.string(), f.nullable, meta);
    });
    out = changed ? new Schema(fields, schema.metadata) : schema;
    storageSchemas.set(schema, out);
  }
  return out;
}

/** A column's values as the text every text format writes for them (strings stay as they are). */
function asText(field: Field, column: readonly Value[]): Value[] {
  const encode = textEncoder(kindOf(field.type), (field.type as { scale?: number }).scale ?? 0);
  return column.map((v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : encode(v)));
}

function columnData(field: Field, column: readonly Value[], offset: number, table: string): Data {
  const n = column.length;
  const name = field.name;
  const kind = kindOf(field.type);
  let nullCount = 0;
  let bitmap: Uint8Array | undefined;
  const markNull = (r: number) => {
    // Arrow and Parquet readers trust a non-nullable field to hold no nulls (parquet-wasm fails
    // on one): a stage that writes nulls declares the column nullable (withNullable).
    if (!field.nullable) {
      throw new DatagenError(
        'E_INPUT',
        `${table}: row ${offset + r} column ${name} is null but the column is declared not nullable ` +
          "(by the table's schema or --schema; a stage that writes nulls marks the column nullable)",
      );
    }
    if (!bitmap) bitmap = new Uint8Array((n + 7) >> 3).fill(0xff);
    bitmap[r >> 3]! &= ~(1 << (r & 7));
    nullCount++;
  };
  const bad = (r: number, v: Value): never => {
    throw new DatagenError(
      'E_INPUT',
      `${table}: row ${offset + r} column ${name} is ${kind} but holds ${JSON.stringify(v)}; ` +
        'a malformed value fits only a text format (csv, jsonl)',
    );
  };
  const type = field.type as DataType;

  switch (kind) {
    case 'string': {
      // Offsets are counted in characters while the column is joined; if the bytes then
      // outnumber the characters some text was not ASCII, and the offsets are redone in bytes.
      const offsets = new Int32Array(n + 1);
      let joined = '';
      for (let r = 0; r < n; r++) {
        offsets[r] = joined.length;
        const v = column[r];
        if (typeof v === 'string') joined += v;
        else if (v === null || v === undefined) markNull(r);
        else joined += String(v);
      }
      offsets[n] = joined.length;
      let bytes: Uint8Array = Buffer.from(joined, 'utf8');
      if (bytes.length !== joined.length) bytes = utf8Offsets(column, offsets, bytes.length);
      return makeData({ type, length: n, nullCount, nullBitmap: bitmap, valueOffsets: offsets, data: bytes } as never);
    }
    case 'bool': {
      const bits = new Uint8Array((n + 7) >> 3);
      for (let r = 0; r < n; r++) {
        const v = column[r];
        if (v === null || v === undefined) markNull(r);
        else if (v === true) bits[r >> 3]! |= 1 << (r & 7);
        else if (v !== false) bad(r, v);
      }
      return makeData({ type, length: n, nullCount, nullBitmap: bitmap, data: bits } as never);
    }
    case 'float': {
      const values = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const v = column[r];
        if (typeof v === 'number') values[r] = v;
        else if (v === null || v === undefined) markNull(r);
        else bad(r, v);
      }
      return makeData({ type, length: n, nullCount, nullBitmap: bitmap, data: values } as never);
    }
    case 'int':
    case 'date':
    case 'time':
    case 'timestamp': {
      const wide = isWide(type);
      const scale = unitScale(type);
      const words = new Int32Array(wide ? 2 * n : n);
      for (let r = 0; r < n; r++) {
        let v = column[r];
        if (scale !== 1 && typeof v === 'number') v = scale > 1 ? v * scale : Math.floor(v * scale);
        if (typeof v === 'number' && Number.isSafeInteger(v)) {
          if (wide) {
            const hi = Math.floor(v / TWO_32);
            words[2 * r] = v - hi * TWO_32; // low word, unsigned; Int32Array wraps it
            words[2 * r + 1] = hi;
          } else if (v >= -2147483648 && v <= 2147483647) words[r] = v;
          else bad(r, v);
        } else if (v === null || v === undefined) markNull(r);
        else bad(r, v);
      }
      const data = wide ? new BigInt64Array(words.buffer) : words;
      return makeData({ type, length: n, nullCount, nullBitmap: bitmap, data } as never);
    }
    case 'decimal': {
      const { scale, precision } = type as Decimal;
      const unit = 10 ** scale;
      const limit = 10 ** precision;
      const words = new Uint32Array(4 * n);
      for (let r = 0; r < n; r++) {
        const v = column[r];
        if (typeof v === 'number') {
          // The same rounding as the CSV/JSON text (codec.decimalText), so every format agrees.
          const unscaled = Math.round(v * unit);
          if (!Number.isSafeInteger(unscaled) || Math.abs(unscaled) >= limit) bad(r, v);
          const hi = Math.floor(unscaled / TWO_32);
          const sign = hi < 0 ? 0xffffffff : 0;
          words[4 * r] = unscaled - hi * TWO_32;
          words[4 * r + 1] = hi >>> 0;
          words[4 * r + 2] = sign;
          words[4 * r + 3] = sign;
        } else if (v === null || v === undefined) markNull(r);
        else bad(r, v);
      }
      return makeData({ type, length: n, nullCount, nullBitmap: bitmap, data: words } as never);
    }
  }
}

/**
 * Rows -> one array per column, in a single pass. The function is generated once per schema so
 * that each property read has a constant name (a monomorphic load); a generic loop over
 * `row[name]` measured about 1.5x slower on loans. Field names are embedded as JSON strings.
 */
const extractors = new WeakMap<Schema, (rows: readonly Row[]) => Value[][]>();
function columnsOf(schema: Schema): (rows: readonly Row[]) => Value[][] {
  let extract = extractors.get(schema);
  if (!extract) {
    const names = schema.fields.map((f) => JSON.stringify(f.name));
    const body =
      `const n = rows.length;\n` +
      names.map((_, c) => `const c${c} = new Array(n);`).join('\n') +
      `\nfor (let r = 0; r < n; r++) {\n  const row = rows[r];\n` +
      names.map((name, c) => `  c${c}[r] = row[${name}];`).join('\n') +
      `\n}\nreturn [${names.map((_, c) => `c${c}`).join(', ')}];`;
    extract = new Function('rows', body) as (rows: readonly Row[]) => Value[][];
    extractors.set(schema, extract);
  }
  return extract;
}

/** 64-bit storage: int64, timestamps, Time64 and millisecond dates. */
function isWide(type: DataType): boolean {
  if (type.typeId === Type.Timestamp) return true;
  if (type.typeId === Type.Date) return (type as DateType).unit === DateUnit.MILLISECOND;
  return (type as { bitWidth?: number }).bitWidth === 64;
}

/**
 * Stored value = engine value x scale. The engine holds days, seconds of the day and
 * microseconds (schema.ts); other Arrow units (Parquet has no seconds TIME, other tools send
 * milliseconds) are converted on the way in and out.
 */
function unitScale(type: DataType): number {
  const unit = (type as { unit?: number }).unit;
  switch (type.typeId) {
    case Type.Date:
      return unit === DateUnit.MILLISECOND ? 86_400_000 : 1;
    case Type.Time:
      return [1, 1e3, 1e6, 1e9][unit ?? 0]!;
    case Type.Timestamp:
      return [1e-6, 1e-3, 1, 1e3][unit ?? 2]!;
    default:
      return 1;
  }
}

/** Encode a column that holds non-ASCII text string by string, rewriting `offsets` in bytes. */
function utf8Offsets(column: readonly Value[], offsets: Int32Array, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const encoder = new TextEncoder();
  let at = 0;
  for (let r = 0; r < column.length; r++) {
    offsets[r] = at;
    const v = column[r];
    if (v !== null && v !== undefined) at += encoder.encodeInto(typeof v === 'string' ? v : String(v), bytes.subarray(at)).written;
  }
  offsets[column.length] = at;
  return bytes;
}

/**
 * Rows of an Arrow record batch, as the engine holds them (see schema.ts for each kind), with
 * the schema they are held in (engineSchema): a text column that stored a text-capable field
 * is that field again, each text decoded back to its value when it is that value's exact text.
 * `label` names the input in errors (a column of a type datagen does not read, an integer it
 * cannot hold exactly).
 */
export function fromRecordBatch(rb: RecordBatch, offset = 0, label = 'input'): Batch {
  const stored = rb.schema as Schema;
  checkReadable(stored, label);
  const schema = engineSchema(stored);
  const n = rb.numRows;
  const columns = stored.fields.map((field, i) => {
    const column: Value[] = new Array(n);
    const storedKind = kindOf(valueType(field.type));
    let at = 0;
    for (const data of rb.getChildAt(i)!.data) {
      readColumn(storedKind, data as Data, column, at, { label, name: field.name, row: offset + at });
      at += data.length;
    }
    const logical = schema.fields[i]!;
    if (storedKind === 'string' && kindOf(logical.type) !== 'string') {
      const decode = textDecoder(kindOf(logical.type), (logical.type as { scale?: number }).scale ?? 0);
      for (let r = 0; r < n; r++) {
        const v = column[r];
        if (typeof v === 'string') column[r] = decode(v);
      }
    }
    return column;
  });
  return { schema, rows: rowBuilder(schema)(columns, n), offset };
}

/** The type of a column's values: a dictionary-encoded column's is its dictionary's. */
function valueType(type: DataType): DataType {
  return type.typeId === Type.Dictionary ? (type as Dictionary).dictionary : type;
}

/**
 * Arrow types whose values datagen holds (schema.ts): every integer and float width, decimals,
 * bool, dates, times, timestamps, text, and text dictionary-encoded. Lists, structs, binary,
 * durations and the like have no engine kind.
 */
function readableType(type: DataType): boolean {
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Decimal:
    case Type.Bool:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Utf8:
    case Type.LargeUtf8:
      return true;
    case Type.Dictionary: {
      const values = (type as Dictionary).dictionary.typeId;
      return values === Type.Utf8 || values === Type.LargeUtf8;
    }
    default:
      return false;
  }
}

export const READABLE_TYPES = 'integers, floats, decimals, bool, dates, times, timestamps, utf8 text (also dictionary-encoded)';

/** Refuses a schema with a column of a type datagen does not read, naming the column and type. */
const readableSchemas = new WeakSet<Schema>();
export function checkReadable(schema: Schema, label: string): void {
  if (readableSchemas.has(schema)) return;
  for (const f of schema.fields) {
    if (!readableType(f.type)) {
      throw new DatagenError('E_INPUT', `${label}: column '${f.name}' has Arrow type ${String(f.type)}, which datagen does not read (supported: ${READABLE_TYPES})`);
    }
  }
  readableSchemas.add(schema);
}

/**
 * The schema rows read from Arrow are held in: a string field carrying TEXT_OF gets its logical
 * type back (metadata kept), and types of other units or widths are named as the engine holds
 * their values (readColumn converts the values): any date is DateDay, any time TimeSecond, any
 * timestamp microseconds (zone kept), any float Float64, LargeUtf8 Utf8. Downstream code (Delta's
 * type mapping, the writers) then sees one spelling per kind, whoever wrote the stream.
 */
const engineSchemas = new WeakMap<Schema, Schema>();
export function engineSchema(stored: Schema): Schema {
  let out = engineSchemas.get(stored);
  if (!out) {
    let changed = false;
    const fields = stored.fields.map((f) => {
      const type = engineType(f);
      if (type === f.type) return f;
      changed = true;
      return new Field(f.name, type, f.nullable, f.metadata);
    });
    out = changed ? new Schema(fields, stored.metadata) : stored;
    engineSchemas.set(stored, out);
  }
  return out;
}

function engineType(field: Field): DataType {
  const t = field.type as DataType;
  switch (t.typeId) {
    case Type.Dictionary:
    case Type.Utf8:
    case Type.LargeUtf8: {
      const label = field.metadata.get(TEXT_OF);
      const logical = label === undefined ? undefined : typeFromLabel(label);
      if (logical) return logical;
      return t instanceof Utf8 ? t : types.string();
    }
    case Type.Int: {
      const { bitWidth, isSigned } = t as Int;
      if (isSigned && (bitWidth === 32 || bitWidth === 64)) return t;
      return bitWidth < 32 ? types.int32() : types.int64();
    }
    case Type.Date:
      return t instanceof DateDay ? t : types.date();
    case Type.Time:
      return t instanceof TimeSecond ? t : types.time();
    case Type.Timestamp: {
      const ts = t as Timestamp;
      if (ts.unit === TimeUnit.MICROSECOND) return t;
      return ts.timezone === 'UTC' ? types.timestamp() : new Timestamp(TimeUnit.MICROSECOND, ts.timezone);
    }
    case Type.Float:
      return (t as Float).precision === Precision.DOUBLE ? t : types.float64();
    case Type.Decimal: {
      // Values are held as numbers exact to 2^53 (readColumn refuses others), whatever the width.
      const { bitWidth, precision, scale } = t as Decimal;
      return bitWidth === 128 ? t : types.decimal(Math.min(precision, 38), scale);
    }
    default:
      return t;
  }
}

/**
 * Text -> the value it is the exact text of (textEncoder's), else the text itself: "2024-02-30"
 * or "12,000" stay text, so a malformed value crosses a typed pipe unchanged.
 */
export function textDecoder(kind: Kind, scale = 0): (text: string) => Value {
  const encode = textEncoder(kind, scale);
  const exact = (text: string, v: Exclude<Value, null> | undefined): Value => (v !== undefined && encode(v) === text ? v : text);
  switch (kind) {
    case 'int':
      return (t) => exact(t, /^-?\d{1,16}$/.test(t) ? Number(t) : undefined);
    case 'float':
      return (t) => exact(t, t === '' ? undefined : Number(t));
    case 'decimal': {
      const fixed = decimalText(scale);
      return (t) => {
        const v = t === '' ? NaN : Number(t);
        return Number.isFinite(v) && fixed(v) === t ? v : t;
      };
    }
    case 'bool':
      return (t) => (t === 'true' ? true : t === 'false' ? false : t);
    case 'date':
      return (t) => exact(t, parseDate(t));
    case 'time':
      return (t) => exact(t, parseTime(t));
    case 'timestamp':
      return (t) => exact(t, parseTimestamp(t));
    case 'string':
      return (t) => t;
  }
}

/**
 * Columns -> row objects with one generated object literal per schema: every row gets the same
 * shape at once instead of growing key by key (measured about 2x faster than keyed stores).
 */
const builders = new WeakMap<Schema, (columns: Value[][], n: number) => Row[]>();
function rowBuilder(schema: Schema): (columns: Value[][], n: number) => Row[] {
  let build = builders.get(schema);
  if (!build) {
    const names = schema.fields.map((f) => JSON.stringify(f.name));
    const body =
      names.map((_, c) => `const c${c} = columns[${c}];`).join('\n') +
      `\nconst rows = new Array(n);\nfor (let r = 0; r < n; r++) rows[r] = { ${names.map((name, c) => `${name}: c${c}[r]`).join(', ')} };\nreturn rows;`;
    build = new Function('columns', 'n', body) as (columns: Value[][], n: number) => Row[];
    builders.set(schema, build);
  }
  return build;
}

/** Where a column's values come from, for errors: the input, the column, the table row of its first value. */
interface ColumnPlace {
  label: string;
  name: string;
  row: number;
}

function readColumn(kind: Kind, data: Data, out: Value[], at: number, place: ColumnPlace): void {
  const n = data.length;
  const o = data.offset;
  const values = data.values as ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
  // Numbers datagen cannot hold exactly (its numbers are doubles) are refused, not rounded.
  const inexact = (i: number, text: string, what: string): never => {
    throw new DatagenError(
      'E_INPUT',
      `${place.label}: row ${place.row + i} column ${place.name} holds ${text}, ${what} beyond 2^53, which datagen cannot hold exactly (its numbers are doubles)`,
    );
  };
  if (data.type.typeId === Type.Dictionary) {
    // The dictionary's texts once, then each value by its index.
    const dict = data.dictionary!;
    const texts: Value[] = new Array(dict.length);
    let k = 0;
    for (const d of dict.data) {
      readColumn('string', d as Data, texts, k, place);
      k += d.length;
    }
    for (let i = 0; i < n; i++) out[at + i] = texts[Number(values[o + i]!)] ?? null;
  } else
    switch (kind) {
      case 'string': {
        // LargeUtf8 has 64-bit offsets (BigInt64Array).
        const raw = data.valueOffsets as Int32Array | BigInt64Array;
        const offsets = raw instanceof BigInt64Array ? Float64Array.from(raw, Number) : raw;
        const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
        // ASCII text (most generated text) is decoded once for the whole column: byte offsets
        // are then character offsets and each value is a substring.
        const ascii = isAscii(bytes);
        const text = ascii ? bytes.toString('latin1') : '';
        for (let i = 0; i < n; i++) out[at + i] = ascii ? text.substring(offsets[o + i]!, offsets[o + i + 1]!) : bytes.toString('utf8', offsets[o + i]!, offsets[o + i + 1]!);
        break;
      }
      case 'bool':
        for (let i = 0; i < n; i++) out[at + i] = (values[(o + i) >> 3]! & (1 << ((o + i) & 7))) !== 0;
        break;
      case 'float': {
        const precision = (data.type as Float).precision;
        if (precision === Precision.DOUBLE) for (let i = 0; i < n; i++) out[at + i] = values[o + i]!;
        // Float16 values are stored as their 16 bits.
        else if (precision === Precision.HALF) for (let i = 0; i < n; i++) out[at + i] = shortest(util.uint16ToFloat64(values[o + i]!), halfUlp);
        else for (let i = 0; i < n; i++) out[at + i] = shortest(values[o + i]!, singleUlp);
        break;
      }
      case 'decimal': {
        // Little-endian two's complement in bitWidth/32 words; exact while the unscaled value is
        // below 2^53 (the words above the second then only repeat its sign).
        const words = new Uint32Array(values.buffer, values.byteOffset, values.byteLength >> 2);
        const { scale, bitWidth } = data.type as Decimal;
        const stride = bitWidth >> 5;
        const unit = 10 ** scale;
        for (let i = 0; i < n; i++) {
          const w = stride * (o + i);
          const hi = stride === 1 ? (words[w]! | 0) < 0 ? -1 : 0 : words[w + 1]! | 0;
          const unscaled = stride === 1 ? words[w]! | 0 : hi * TWO_32 + words[w]!;
          let exact = Number.isSafeInteger(unscaled);
          for (let k = 2; k < stride && exact; k++) exact = words[w + k] === (hi < 0 ? 0xffffffff : 0);
          if (!exact) inexact(i, decimalWords(words, w, stride, scale), 'a decimal whose digits go');
          out[at + i] = unscaled / unit;
        }
        break;
      }
      default: {
        const scale = unitScale(data.type);
        const toEngine = scale === 1 ? (x: number) => x : scale > 1 ? (x: number) => Math.floor(x / scale) : (x: number) => x / scale;
        if (isWide(data.type)) {
          const words = new Int32Array(values.buffer, values.byteOffset, values.byteLength >> 2);
          const unsigned = data.type.typeId === Type.Int && !(data.type as Int).isSigned;
          for (let i = 0; i < n; i++) {
            const w = 2 * (o + i);
            const hi = unsigned ? words[w + 1]! >>> 0 : words[w + 1]!;
            const x = hi * TWO_32 + (words[w]! >>> 0);
            if (Number.isSafeInteger(x)) out[at + i] = toEngine(x);
            else if (kind === 'int') inexact(i, String(unsigned ? BigInt.asUintN(64, wide(words, w)) : wide(words, w)), 'an integer');
            // Nanosecond timestamps pass 2^53 (any date after 1970-04): divided exactly.
            else out[at + i] = scale > 1 ? Number(floorDiv(wide(words, w), BigInt(scale))) : toEngine(x);
          }
        } else for (let i = 0; i < n; i++) out[at + i] = toEngine(values[o + i]!);
      }
    }
  if (data.nullCount > 0) {
    const valid = data.nullBitmap!;
    for (let i = 0; i < n; i++) if ((valid[(o + i) >> 3]! & (1 << ((o + i) & 7))) === 0) out[at + i] = null;
  }
}

/**
 * A narrow float as the double of its shortest decimal: float32 1.1 is 1.100000023841858 as a
 * double, but the number written was 1.1, the shortest decimal nearer to the float32 than
 * half its spacing (`ulp`) there, so it reads back as the same float32.
 */
function shortest(v: number, ulp: (x: number) => number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  // Just below |v|: at a power of two the spacing below is the smaller one.
  const half = ulp(Math.abs(v) * (1 - 1e-9)) / 2;
  for (let p = 1; p < 17; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.abs(d - v) < half) return d;
  }
  return v;
}

/** The spacing of float16 values at |x| (10 fraction bits; subnormal below 2^-14). */
const halfUlp = (x: number) => 2 ** (Math.max(Math.floor(Math.log2(x)), -14) - 10);
/** The spacing of float32 values at |x| (23 fraction bits; subnormal below 2^-126). */
const singleUlp = (x: number) => 2 ** (Math.max(Math.floor(Math.log2(x)), -126) - 23);

/** The signed 64-bit integer in words w (low) and w + 1 (high). */
function wide(words: Int32Array, w: number): bigint {
  return (BigInt(words[w + 1]!) << 32n) | BigInt(words[w]! >>> 0);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** The exact text of a decimal of `stride` words (for an error message). */
function decimalWords(words: Uint32Array, w: number, stride: number, scale: number): string {
  let x = 0n;
  for (let k = stride - 1; k >= 0; k--) x = (x << 32n) | BigInt(words[w + k]!);
  x = BigInt.asIntN(32 * stride, x);
  const digits = (x < 0n ? -x : x).toString().padStart(scale + 1, '0');
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return x < 0n ? `-${text}` : text;
}

/**
 * Arrow IPC bytes, batch by batch, from apache-arrow's writers: the writer's output queue is
 * replaced by one that hands each chunk to us as it is written, so bytes can go to a file or
 * pipe with backpressure instead of piling up in the writer.
 */
export class IpcEncoder {
  private readonly chunks: Uint8Array[] = [];
  private started = false;
  private readonly writer: RecordBatchStreamWriter | RecordBatchFileWriter;

  constructor(format: 'stream' | 'file') {
    const chunks = this.chunks;
    const sink = new (class extends AsyncByteQueue {
      override write(value: Uint8Array) {
        if (value.byteLength > 0) chunks.push(value);
      }
    })();
    this.writer = format === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
    this.writer.reset(sink as never);
  }

  /** The bytes of one batch (the first call also carries the schema message). */
  encode(batch: Batch): Uint8Array {
    this.writer.write(toRecordBatch(batch));
    this.started = true;
    return this.take();
  }

  /** The closing bytes (end-of-stream marker, or the file footer). */
  finish(schema?: Schema): Uint8Array {
    // A table with no rows still states its schema.
    if (!this.started && schema) this.writer.write(toRecordBatch({ schema, rows: [], offset: 0 }));
    this.writer.finish();
    return this.take();
  }

  private take(): Uint8Array {
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks.length = 0;
    return out;
  }
}

/**
 * Batches of exactly `size` rows (the last one shorter), whatever sizes come in: typed files
 * cut record batches and row groups at the batch boundaries they are given, so a writer that
 * re-chunks first writes the same bytes for any --batch-size. Rows are not copied, only the
 * arrays holding them; offsets continue from the first batch's. Every batch carries the first
 * batch's schema (a writer states its schema once). An input of empty batches gives one empty
 * batch, so the schema is still known; no input at all gives nothing.
 */
export async function* rechunk(batches: AsyncIterable<Batch>, size: number): AsyncGenerator<Batch> {
  let schema: Schema | undefined;
  let offset = 0;
  let rows: Row[] = [];
  let yielded = false;
  for await (const b of batches) {
    if (!schema) {
      schema = b.schema;
      offset = b.offset;
    } else if (b.schema !== schema && !sameColumns(b.schema, schema)) {
      throw new DatagenError('E_INPUT', `${tableName(schema)}: the columns changed mid-stream (${names(schema)} -> ${names(b.schema)})`);
    }
    const src = b.rows;
    // The common case (batches already of this size) passes the array through.
    if (rows.length === 0 && src.length === size) {
      yield { schema, rows: src, offset };
      offset += size;
      yielded = true;
      continue;
    }
    for (let i = 0; i < src.length; ) {
      const take = Math.min(size - rows.length, src.length - i);
      for (let k = 0; k < take; k++) rows.push(src[i + k]!);
      i += take;
      if (rows.length === size) {
        yield { schema, rows, offset };
        offset += size;
        yielded = true;
        rows = [];
      }
    }
  }
  if (schema && (rows.length > 0 || !yielded)) yield { schema, rows, offset };
}

const names = (schema: Schema) => schema.fields.map((f) => f.name).join(', ');
function sameColumns(a: Schema, b: Schema): boolean {
  return a.fields.length === b.fields.length && a.fields.every((f, i) => f.name === b.fields[i]!.name && f.type.typeId === b.fields[i]!.type.typeId);
}
