import type { Schema } from 'apache-arrow';
import { TextBuilder, textWriter } from '../src/codecs/codec.js';
import { DatagenError } from '../src/core/errors.js';
import { kindOf, type Row } from '../src/core/schema.js';
import { chunkedText, fileOptions, writeText, type TextFormat } from '../src/codecs/text-sink.js';
import { defineSink } from '../src/core/units.js';

/**
 * CSV per RFC 4180: a header row, fields quoted when they hold the delimiter, a quote, CR or
 * LF (or start or end with a blank), quotes doubled. A null is an empty field; an empty string is `""`, so readers such as
 * DuckDB and pandas can tell them apart. Rows end with LF by default (`eol: 'crlf'` for the
 * RFC's CRLF).
 *
 * Formatting is hand-written rather than csv-stringify (see docs/ARCHITECTURE.md): a batch is
 * written as bytes into one reused buffer (src/codecs/codec.ts TextBuilder) by a row loop generated
 * for the schema, with one writer per column chosen up front.
 */
export const csv = defineSink({
  name: 'csv',
  summary: 'Write rows as CSV (RFC 4180) to a file or stdout',
  examples: [
    'datagen pipe attendance --rows 1000 | datagen csv > attendance.csv',
    'datagen pipe attendance | datagen csv --out data/attendance.csv --eol crlf',
    "datagen pipe attendance --rows 1000 | datagen csv --delimiter '\\t' > attendance.tsv",
  ],
  extensions: ['.csv'],
  options: {
    ...fileOptions,
    header: { type: 'boolean', description: 'write a header row', default: true },
    delimiter: {
      type: 'string',
      description: "field separator: one character; '\\t' or tab for a tab, '\\xHH' for a character by its hex code (e.g. '\\x1f'); not a quote or line break",
      default: ',',
    },
    eol: { type: 'string', description: 'line ending', default: 'lf', choices: ['lf', 'crlf'] },
  },
  create: (o) => {
    // Made now, so a bad delimiter fails when the sink is made, before any input is read.
    const format = csvFormat(o);
    return (batches) => writeText(o, format, batches);
  },
  chunked: (o) => chunkedText(o, csvFormat(o)),
});

type CsvOptions = { header: boolean; delimiter: string; eol: string };

function csvFormat(o: CsvOptions): TextFormat {
  const delimiter = parseDelimiter(o.delimiter);
  const eol = o.eol === 'crlf' ? '\r\n' : '\n';
  const special = new RegExp(`["\\r\\n${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`);
  // Leading or trailing blanks are quoted too: some readers trim unquoted fields.
  const padded = (s: string) => s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32;
  const quote = (s: string) => (s === '' ? '""' : special.test(s) || padded(s) ? '"' + s.replaceAll('"', '""') + '"' : s);

  return {
    header: o.header ? (schema: Schema) => schema.fields.map((f) => quote(f.name)).join(delimiter) + eol : undefined,
    formatter(schema) {
      const { text, format } = rowWriter(schema);
      return ({ rows }) => {
        format(rows);
        return text.take();
      };
    },
    bytesFormatter(schema, alloc) {
      const { text, format } = rowWriter(schema);
      return ({ rows }) => {
        format(rows);
        return text.takeBytes(alloc);
      };
    },
  };

  function rowWriter(schema: Schema) {
    const names = schema.fields.map((f) => f.name);
    const writers = schema.fields.map((f) => textWriter(kindOf(f.type), (f.type as { scale?: number }).scale ?? 0));
    const text = new TextBuilder();
    // Latin-1 characters that send a string to `quote`: the delimiter, quote, CR, LF.
    const plain = new Uint8Array(256).fill(1);
    for (const c of ['"', '\r', '\n', delimiter]) if (c.charCodeAt(0) < 256) plain[c.charCodeAt(0)] = 0;
    // Strings can hold anything. They are copied as they are, and the same pass finds out
    // whether they need quotes (or hold a character beyond Latin-1, or the delimiter is
    // one): then the copy is not kept and `quote` decides. charCodeAt is called through
    // String.prototype for the reason given in TextBuilder.append.
    const field = (s: string) => {
      const len = s.length;
      if (len === 0 || String.prototype.charCodeAt.call(s, 0) <= 32 || String.prototype.charCodeAt.call(s, len - 1) <= 32) return text.append(quote(s));
      text.reserve(len);
      const b = text.bytes;
      const p = text.pos;
      let ok = 1;
      let bits = 0; // any character above 0xff shows here
      for (let i = 0; i < len; i++) {
        const c = String.prototype.charCodeAt.call(s, i);
        ok &= plain[c & 0xff]!;
        bits |= c;
        b[p + i] = c;
      }
      if (ok && bits <= 0xff) text.pos = p + len;
      else text.append(quote(s));
    };
    // The row loop is made for this schema, with the column names and writers as
    // constants: `row[names[c]]` across many columns is a megamorphic lookup, and one call
    // site per column lets the compiler inline each column's writer.
    const sep = delimiter.charCodeAt(0) <= 0xff ? `text.byte(${delimiter.charCodeAt(0)});` : 'text.append(delimiter);';
    const cols = names.map((name, c) => `${c > 0 ? sep : ''}
        v = row[${JSON.stringify(name)}];
        if (v !== null && v !== undefined) { if (typeof v === 'string') field(v); else w${c}(v, text); }`);
    const make = new Function('text', 'field', 'delimiter', 'eol', ...names.map((_, c) => `w${c}`), `
      return (rows) => {
        for (let r = 0; r < rows.length; r++) {
          const row = rows[r];
          let v;${cols.join('')}
          text.append(eol);
        }
      };`) as (...args: unknown[]) => (rows: Row[]) => void;
    const format = make(text, field, delimiter, eol, ...writers);
    return { text, format };
  }
}

/**
 * The delimiter as given, or spelt out: a shell cannot easily pass a tab, so `\t`, `tab` and
 * `\xHH` (e.g. `\x1f`, the ASCII unit separator) name one. What would break the container
 * (a quote, CR, LF) or is not one character is refused.
 */
export function parseDelimiter(given: string): string {
  const named = given === '\\t' || given.toLowerCase() === 'tab' ? '\t' : /^\\x[0-9a-f]{2}$/i.test(given) ? String.fromCharCode(parseInt(given.slice(2), 16)) : given;
  if (named.length !== 1 || named === '"' || named === '\n' || named === '\r') {
    throw new DatagenError('E_OPTION', `csv: delimiter must be one character other than a quote or line break (or \\t, tab, \\xHH), got ${JSON.stringify(given)}`);
  }
  return named;
}
