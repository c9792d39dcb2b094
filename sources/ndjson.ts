import type { Readable } from 'node:stream';
import type { Field, Schema } from 'apache-arrow';
import { jsonDecoder, type JsonDecoder } from '../src/codecs/codec.js';
import { DatagenError } from '../src/core/errors.js';
import { inferSchema } from '../src/codecs/infer.js';
import { columnNames, isJsonField, kindOf, tableName, typeLabel, type Row, type Value } from '../src/core/schema.js';
import type { Batch, Source } from '../src/core/stage.js';

/**
 * Rows from NDJSON text (one JSON object per line), e.g. another datagen process's stdout.
 * Lines are split and parsed by hand in batches: the per-row object streams of the `ndjson`
 * package cost more than the parsing itself, and cannot say which line was broken.
 *
 * Types come from `schema` when given (a scenario's declared schema); otherwise they are
 * inferred from the first batch (see inferSchema).
 */
export interface NdjsonSourceOptions {
  /** Where to read from (default: process.stdin). */
  input?: Readable;
  /** Name used in error messages. */
  label?: string;
  schema?: Schema;
  /** Table name recorded in the ledger when the schema is inferred. */
  table?: string;
  batchSize?: number;
  /** Longest line accepted, in characters (default 64 Mi): a longer one is an error, not a memory blow-up. */
  maxLineLength?: number;
  /**
   * Called at the end of the input with the number of rows read, before the last batch is
   * handed on: throw to refuse an input that ended early (see src/core/stdio-link.ts).
   */
  atEnd?(rows: number): void;
}

export const DEFAULT_MAX_LINE = 64 * 1024 * 1024;

export function ndjsonSource(options: NdjsonSourceOptions = {}): Source {
  const input = options.input ?? process.stdin;
  const label = options.label ?? 'stdin';
  const batchSize = options.batchSize ?? 8192;
  const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE;
  return {
    kind: 'source',
    name: 'ndjson',
    schema: options.schema,
    async *batches(): AsyncGenerator<Batch> {
      let schema = options.schema;
      let columns: Column[] | undefined;
      let parsed: Record<string, unknown>[] = [];
      let parsedLines: number[] = [];
      // The text of the lines the schema is inferred from: JSON.parse drops what the text says
      // about numbers (12.0 is 12), which inference needs to keep decimals as they were written.
      let texts: string[] | undefined = schema ? undefined : [];
      let known: Set<string> | undefined;
      let offset = 0;
      let lineNo = 0;

      const toBatch = (): Batch => {
        if (!schema) {
          schema = inferSchema(parsed, options.table, numberTexts(texts!, parsed));
          texts = undefined;
        }
        columns ??= schema.fields.map((f) => column(f, !options.schema));
        const names = columnNames(schema);
        known ??= new Set(names);
        if (names.length === 0) throw new DatagenError('E_INPUT', `${label}: rows have no columns`);
        const rows: Row[] = new Array(parsed.length);
        for (let i = 0; i < parsed.length; i++) {
          const obj = parsed[i]!;
          // A column the schema does not have would be dropped without a word: refuse it.
          for (const key in obj) {
            if (!known.has(key)) {
              const why = options.schema ? `not a column of ${tableName(schema)}` : 'not in the first rows, from which the columns were inferred (pass --schema)';
              throw new DatagenError('E_INPUT', `${label} line ${parsedLines[i]}: column '${key}' is ${why}`);
            }
          }
          const row: Row = {};
          for (const c of columns) {
            let v: Value;
            try {
              v = c.decode(Object.hasOwn(obj, c.name) ? obj[c.name] : null);
            } catch (err) {
              if (err instanceof RangeError) throw new DatagenError('E_INPUT', `${label} line ${parsedLines[i]}: column '${c.name}' is nested too deeply`);
              throw err;
            }
            if (c.check && v !== null) {
              const why = c.check(v);
              if (why) throw new DatagenError('E_INPUT', `${label} line ${parsedLines[i]}: column '${c.name}' ${why}`);
            }
            // A column called __proto__ is an own property, not the row's prototype.
            if (c.name === '__proto__') Object.defineProperty(row, c.name, { value: v, enumerable: true, writable: true, configurable: true });
            else row[c.name] = v;
          }
          rows[i] = row;
        }
        const batch = { schema, rows, offset };
        offset += parsed.length;
        parsed = [];
        parsedLines = [];
        return batch;
      };

      const parseLine = (line: string) => {
        lineNo++;
        if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
        if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1); // a UTF-8 BOM, as DuckDB skips it
        if (line.trim() === '') return;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (err) {
          const why = err instanceof RangeError ? 'nested too deeply' : `not valid JSON (${(err as Error).message})`;
          throw new DatagenError('E_INPUT', `${label} line ${lineNo}: ${why}: ${preview(line)}`);
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          throw new DatagenError('E_INPUT', `${label} line ${lineNo}: expected a JSON object per line, got ${preview(line)}`);
        }
        parsed.push(value as Record<string, unknown>);
        parsedLines.push(lineNo);
        texts?.push(line);
      };

      // The unfinished line is kept as pieces and searched only in new text, so a long line
      // costs linear time (joining the text and searching it again per chunk was quadratic).
      let pieces: string[] = [];
      let pending = 0;
      const tooLong = () =>
        new DatagenError('E_INPUT', `${label} line ${lineNo + 1}: longer than ${maxLine.toLocaleString('en-US')} characters (raise --max-line-length if it is meant to be)`);
      // Strict UTF-8: a byte sequence that is not UTF-8 is an error, not a silent U+FFFD.
      const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      const decode = (bytes: Uint8Array | string, more: boolean): string => {
        if (typeof bytes === 'string') return bytes;
        try {
          return utf8.decode(bytes, { stream: more });
        } catch {
          // Which line: the lines read so far, plus those of this chunk before the bad bytes.
          const lenient = new TextDecoder('utf-8').decode(bytes);
          const bad = lenient.indexOf('\ufffd');
          const line = lineNo + 1 + (lenient.slice(0, Math.max(0, bad)).match(/\n/g)?.length ?? 0);
          if (line === 1 && pending === 0 && bad <= 0) throw new DatagenError('E_INPUT', `${label}: binary input; expected NDJSON rows (one JSON object per line)`);
          throw new DatagenError('E_INPUT', `${label} line ${line}: not valid UTF-8 (NDJSON is UTF-8 text)`);
        }
      };
      async function* text(): AsyncGenerator<string> {
        for await (const bytes of input as AsyncIterable<Uint8Array | string>) yield decode(bytes, true);
        const tail = decode(new Uint8Array(0), false);
        if (tail !== '') yield tail;
      }
      for await (const chunk of text()) {
        if (lineNo === 0 && pending === 0 && chunk.length > 0 && chunk.charCodeAt(0) === 0xfffd) {
          throw new DatagenError('E_INPUT', `${label}: binary input; expected NDJSON rows (one JSON object per line)`);
        }
        let start = 0;
        for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
          if (pending + nl - start > maxLine) throw tooLong();
          const piece = chunk.slice(start, nl);
          parseLine(pending === 0 ? piece : pieces.join('') + piece);
          pieces = [];
          pending = 0;
          start = nl + 1;
          if (parsed.length >= batchSize) yield toBatch();
        }
        if (start < chunk.length) {
          pieces.push(chunk.slice(start));
          pending += chunk.length - start;
          if (pending > maxLine) throw tooLong();
        }
      }
      if (pending > 0) {
        try {
          parseLine(pieces.join(''));
        } catch (err) {
          // A last line cut short is most likely a cut stream: say that, when we can tell.
          options.atEnd?.(offset + parsed.length);
          throw err;
        }
      }
      options.atEnd?.(offset + parsed.length);
      if (offset === 0 && parsed.length === 0 && !schema) {
        throw new DatagenError('E_NO_INPUT', `${label} holds no rows (only blank lines): no rows and no schema to write`);
      }
      if (parsed.length > 0 || (offset === 0 && schema)) yield toBatch();
    },
  };
}

interface Column {
  name: string;
  decode: JsonDecoder;
  /** Why a decoded value cannot be kept exactly, or undefined. */
  check?: (v: Value) => string | undefined;
}

function column(field: Field, inferred: boolean): Column {
  // A JSON column holds the document as text: whatever JSON value the line has there (an
  // object, a string, a number), its text; null stays null.
  if (isJsonField(field)) return { name: field.name, decode: (v) => (v === undefined || v === null ? null : JSON.stringify(v)) };
  const kind = kindOf(field.type);
  const decode = jsonDecoder(kind);
  const finite = (v: Value) => (typeof v === 'number' && !Number.isFinite(v) ? 'holds a number beyond the range of a double (e.g. 1e400)' : undefined);
  if (kind === 'int') {
    // JSON.parse rounds integers beyond 2^53 (12345678901234567890 -> ...000): refuse them.
    return {
      name: field.name,
      decode,
      check: (v) =>
        typeof v !== 'number'
          ? undefined
          : !Number.isInteger(v)
            ? `holds ${v}, not an integer (the column is ${typeLabel(field.type)})`
            : !Number.isSafeInteger(v)
              ? `holds an integer beyond 2^53 (read as ${v}) that cannot be read exactly (quote it as text)`
              : undefined,
    };
  }
  if (kind === 'decimal') {
    // A decimal(p, s) holds its values at scale s with at most p digits; anything else would be
    // rounded or overflow when written: refuse it rather than change it.
    const { scale, precision } = field.type as { scale: number; precision: number };
    const unit = 10 ** scale;
    const limit = 10 ** (precision - scale);
    const why = inferred ? `the ${scale} fraction digits of the first rows, from which its type was inferred (pass --schema)` : `the ${scale} fraction digits of ${typeLabel(field.type)}`;
    return {
      name: field.name,
      decode,
      check: (v) =>
        typeof v !== 'number'
          ? undefined
          : (finite(v) ??
            (Math.round(v * unit) / unit !== v
              ? `holds ${v}, with more than ${why}`
              : Math.abs(v) >= limit
                ? `holds ${v}, more digits than ${typeLabel(field.type)} holds`
                : undefined)),
    };
  }
  if (kind === 'float') return { name: field.name, decode, check: finite };
  return { name: field.name, decode };
}

/**
 * The literal text of each top-level number in the lines (by column), from a small scan of
 * the JSON text: enough for inference to see `12.0` where JSON.parse gives 12.
 */
function numberTexts(lines: readonly string[], parsed: readonly Record<string, unknown>[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < lines.length; i++) {
    const obj = parsed[i]!;
    scanNumbers(lines[i]!, (key, text) => {
      if (typeof obj[key] !== 'number') return;
      let list = out.get(key);
      if (!list) out.set(key, (list = []));
      list.push(text);
    });
  }
  return out;
}

/** Calls `found(key, text)` for each top-level `"key": <number>` of a JSON object's text. */
function scanNumbers(line: string, found: (key: string, text: string) => void): void {
  let i = line.indexOf('{') + 1;
  const n = line.length;
  const ws = () => {
    while (i < n && ' \t\r\n'.includes(line[i]!)) i++;
  };
  const str = (): string => {
    const from = i;
    i++;
    while (i < n && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(line.slice(from, i)) as string;
  };
  const skip = () => {
    // A nested value: step over strings and balanced brackets.
    let depth = 0;
    while (i < n) {
      const c = line[i]!;
      if (c === '"') {
        str();
        if (depth === 0) return;
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) return;
        depth--;
        if (depth === 0) {
          i++;
          return;
        }
      } else if (depth === 0 && c === ',') return;
      i++;
    }
  };
  while (i > 0 && i < n) {
    ws();
    if (line[i] !== '"') return;
    const key = str();
    ws();
    if (line[i] !== ':') return;
    i++;
    ws();
    const c = line[i];
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const from = i;
      while (i < n && /[-+0-9.eE]/.test(line[i]!)) i++;
      found(key, line.slice(from, i));
    } else skip();
    ws();
    if (line[i] !== ',') return;
    i++;
  }
}

function preview(line: string): string {
  return JSON.stringify(line.length > 60 ? line.slice(0, 60) + '…' : line);
}
