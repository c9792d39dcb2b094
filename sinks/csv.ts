import type { Schema } from 'apache-arrow';
import { textEncoder } from '../src/codec.js';
import { DatagenError } from '../src/errors.js';
import { kindOf } from '../src/schema.js';
import { fileOptions, writeText } from '../src/text-sink.js';
import { defineSink } from '../src/units.js';

/**
 * CSV per RFC 4180: a header row, fields quoted when they hold the delimiter, a quote, CR or
 * LF (or start or end with a blank), quotes doubled. A null is an empty field; an empty string is `""`, so readers such as
 * DuckDB and pandas can tell them apart. Rows end with LF by default (`eol: 'crlf'` for the
 * RFC's CRLF).
 *
 * Formatting is hand-written rather than csv-stringify: per batch, with one encoder per column
 * chosen up front, it measured about 2x faster here (see docs/ARCHITECTURE.md).
 */
export const csv = defineSink({
  name: 'csv',
  summary: 'Write rows as CSV (RFC 4180) to a file or stdout',
  examples: ['datagen pipe attendance --rows 1000 | datagen csv > attendance.csv', 'datagen pipe attendance | datagen csv --out data/attendance.csv --eol crlf'],
  extensions: ['.csv'],
  options: {
    ...fileOptions,
    header: { type: 'boolean', description: 'write a header row', default: true },
    delimiter: { type: 'string', description: 'field separator (one character)', default: ',' },
    eol: { type: 'string', description: 'line ending', default: 'lf', choices: ['lf', 'crlf'] },
  },
  create(o) {
    const delimiter = o.delimiter;
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new DatagenError('E_OPTION', `csv: delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`);
    }
    const eol = o.eol === 'crlf' ? '\r\n' : '\n';
    const special = new RegExp(`["\\r\\n${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`);
    // Leading or trailing blanks are quoted too: some readers trim unquoted fields.
    const padded = (s: string) => s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32;
    const quote = (s: string) => (s === '' ? '""' : special.test(s) || padded(s) ? '"' + s.replaceAll('"', '""') + '"' : s);

    return (batches) =>
      writeText(
        o,
        {
          header: o.header ? (schema: Schema) => schema.fields.map((f) => quote(f.name)).join(delimiter) + eol : undefined,
          formatter(schema) {
            const names = schema.fields.map((f) => f.name);
            const encoders = schema.fields.map((f) => textEncoder(kindOf(f.type), (f.type as { scale?: number }).scale ?? 0));
            const n = names.length;
            return ({ rows }) => {
              let out = '';
              for (let r = 0; r < rows.length; r++) {
                const row = rows[r]!;
                for (let c = 0; c < n; c++) {
                  const v = row[names[c]!];
                  if (c > 0) out += delimiter;
                  // Strings can hold anything; numbers, dates and booleans never need quotes.
                  if (v !== null && v !== undefined) out += typeof v === 'string' ? quote(encoders[c]!(v)) : encoders[c]!(v);
                }
                out += eol;
              }
              return out;
            };
          },
        },
        batches,
      );
  },
});
