import type { Readable } from 'node:stream';
import type { Schema } from 'apache-arrow';
import { jsonDecoder, type JsonDecoder } from '../src/codec.js';
import { DatagenError } from '../src/errors.js';
import { inferSchema } from '../src/infer.js';
import { columnNames, kindOf, tableName, type Row } from '../src/schema.js';
import type { Batch, Source } from '../src/stage.js';

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
}

export function ndjsonSource(options: NdjsonSourceOptions = {}): Source {
  const input = options.input ?? process.stdin;
  const label = options.label ?? 'stdin';
  const batchSize = options.batchSize ?? 8192;
  return {
    kind: 'source',
    name: 'ndjson',
    schema: options.schema,
    async *batches(): AsyncGenerator<Batch> {
      let schema = options.schema;
      let decoders: Array<[string, JsonDecoder]> | undefined;
      let parsed: Record<string, unknown>[] = [];
      let parsedLines: number[] = [];
      let known: Set<string> | undefined;
      let offset = 0;
      let lineNo = 0;
      let rest = '';

      const toBatch = (): Batch => {
        schema ??= inferSchema(parsed, options.table);
        decoders ??= schema.fields.map((f) => [f.name, jsonDecoder(kindOf(f.type))]);
        const names = columnNames(schema);
        known ??= new Set(names);
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
          for (const [name, decode] of decoders) row[name] = decode(obj[name] ?? null);
          rows[i] = row;
        }
        if (names.length === 0) throw new DatagenError('E_INPUT', `${label}: rows have no columns`);
        const batch = { schema, rows, offset };
        offset += parsed.length;
        parsed = [];
        parsedLines = [];
        return batch;
      };

      const parseLine = (line: string) => {
        lineNo++;
        if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
        if (line.trim() === '') return;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (err) {
          throw new DatagenError('E_INPUT', `${label} line ${lineNo}: not valid JSON (${(err as Error).message}): ${preview(line)}`);
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          throw new DatagenError('E_INPUT', `${label} line ${lineNo}: expected a JSON object per line, got ${preview(line)}`);
        }
        parsed.push(value as Record<string, unknown>);
        parsedLines.push(lineNo);
      };

      input.setEncoding('utf8');
      for await (const chunk of input as AsyncIterable<string>) {
        if (lineNo === 0 && rest === '' && chunk.length > 0 && chunk.charCodeAt(0) === 0xfffd) {
          throw new DatagenError('E_INPUT', `${label}: binary input; expected NDJSON rows (one JSON object per line)`);
        }
        const text = rest + chunk;
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          parseLine(text.slice(start, nl));
          start = nl + 1;
          if (parsed.length >= batchSize) yield toBatch();
        }
        rest = text.slice(start);
      }
      if (rest !== '') parseLine(rest);
      if (parsed.length > 0 || (offset === 0 && schema)) yield toBatch();
    },
  };
}

function preview(line: string): string {
  return JSON.stringify(line.length > 60 ? line.slice(0, 60) + '…' : line);
}
