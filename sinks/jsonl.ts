import { jsonEncoder, textEncoder, TRUNCATE_LINE } from '../src/codecs/codec.js';
import { DatagenError } from '../src/core/errors.js';
import { isJsonField, kindOf, tableName, type Kind, type Value } from '../src/core/schema.js';
import { chunkedText, fileOptions, writeText } from '../src/codecs/text-sink.js';
import { defineSink } from '../src/core/units.js';

/**
 * JSON Lines / NDJSON: one object per row, keys in schema order, nulls written as null.
 * Dates, times and timestamps are ISO strings; decimals are number literals with exactly
 * their scale's digits. A JSON column's text (FieldSpec.json) is written as it is: nested
 * objects, not strings holding JSON. This is also what `datagen pipe` sends between processes. A row the
 * truncate-lines stage marked is written cut short (a deliberately broken line).
 */
export const jsonl = defineSink({
  name: 'jsonl',
  aliases: ['ndjson'],
  summary: 'Write rows as JSON Lines (NDJSON) to a file or stdout',
  examples: ['datagen pipe attendance --rows 1000 | datagen noise | datagen jsonl --out noisy.jsonl', 'datagen generate attendance --rows 1000 --out attendance.ndjson'],
  extensions: ['.jsonl', '.ndjson'],
  options: {
    ...fileOptions,
    lineColumn: {
      type: 'string',
      flag: 'line-column',
      description: 'write this text column, which holds whole JSON documents, as the lines themselves (not wrapped in an object)',
    },
  },
  create: (o) => (batches) => writeText(o, { formatter: o.lineColumn === undefined ? ndjsonFormatter : rawLines(o.lineColumn) }, batches),
  chunked: (o) => chunkedText(o, { formatter: o.lineColumn === undefined ? ndjsonFormatter : rawLines(o.lineColumn) }),
});

/**
 * Lines that are a column's text as it is: a table of JSON documents (events whose shape
 * depends on their type) declared as one string column. A null is written as `null`.
 */
function rawLines(column: string) {
  return (schema: import('apache-arrow').Schema) => {
    if (!schema.fields.some((f) => f.name === column)) {
      throw new DatagenError('E_UNKNOWN_COLUMN', `jsonl: line-column '${column}' is not a column of ${tableName(schema)} (columns: ${schema.fields.map((f) => f.name).join(', ')})`);
    }
    return ({ rows }: { rows: import('../src/core/schema.js').Row[] }) => {
      let out = '';
      for (const row of rows) {
        const v = row[column];
        out += (v === null || v === undefined ? 'null' : String(v)) + '\n';
      }
      return out;
    };
  };
}

/** Characters a JSON string must escape; lone surrogates are left to JSON.stringify too. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * JSON.stringify on every string cell was the largest single cost of writing NDJSON (15% on
 * loans). Most text needs no escaping, and dates, times and timestamps never do: quote those
 * directly and leave the rest to the exact encoder.
 */
function quotedFastPath(kind: Kind, exact: (v: Exclude<Value, null>) => string): (v: Exclude<Value, null>) => string {
  if (kind === 'string') return (v) => (typeof v === 'string' && !NEEDS_ESCAPE.test(v) ? '"' + v + '"' : exact(v));
  if (kind === 'date' || kind === 'time' || kind === 'timestamp') {
    const text = textEncoder(kind);
    return (v) => (typeof v === 'number' ? '"' + text(v) + '"' : exact(v));
  }
  return exact;
}

/**
 * A JSON column's value: its text is the JSON. Text that does not parse (a stage such as
 * noise put a typo in it) is written as a JSON string instead, so the line stays valid.
 */
const jsonText = (v: Exclude<Value, null>): string => (typeof v === 'string' && isJson(v) ? v : JSON.stringify(v));

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export function ndjsonFormatter(schema: import('apache-arrow').Schema) {
  const names = schema.fields.map((f) => f.name);
  const prefixes = names.map((name, i) => (i === 0 ? '{' : ',') + JSON.stringify(name) + ':');
  const encoders = schema.fields.map((f) =>
    isJsonField(f) ? jsonText : quotedFastPath(kindOf(f.type), jsonEncoder(kindOf(f.type), (f.type as { scale?: number }).scale ?? 0)),
  );
  const n = names.length;
  return ({ rows }: { rows: import('../src/core/schema.js').Row[] }) => {
    let out = '';
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const start = out.length;
      for (let c = 0; c < n; c++) {
        const v = row[names[c]!];
        out += prefixes[c]! + (v === null || v === undefined ? 'null' : encoders[c]!(v));
      }
      out += n === 0 ? '{}' : '}';
      const cut = (row as { [TRUNCATE_LINE]?: number })[TRUNCATE_LINE];
      if (cut !== undefined) out = out.slice(0, start + Math.max(1, Math.min(out.length - start - 1, Math.floor((out.length - start) * cut))));
      out += '\n';
    }
    return out;
  };
}
