import type { Field, Schema } from 'apache-arrow';
import { textEncoder } from '../src/codecs/codec.js';
import { DatagenError } from '../src/core/errors.js';
import { columnNames, kindOf, tableName, type Kind, type Value } from '../src/core/schema.js';
import { MICROS_PER_DAY, civilFromDays, formatTimestamp } from '../src/core/temporal.js';
import { fileOptions, writeText } from '../src/codecs/text-sink.js';
import { defineSink } from '../src/core/units.js';

/**
 * Raw log text, one line per row, for log-parsing exercises (grep, regex, Logstash/Fluent Bit
 * grok patterns, Spark's own text reader). No header, no quoting.
 *
 * Default layout, when the schema has a timestamp column, a `message` column and maybe a
 * `level` column: log4j's `%d{yy/MM/dd HH:mm:ss} %p %m`, e.g.
 *   24/03/01 09:15:02 INFO TaskSetManager: Finished task 3.0 in stage 2.0 (TID 17) in 532 ms on ...
 * (the timestamp column is `ts` if there is one, else the first timestamp column; the message
 * column is message/msg/text/line, the level column level/severity/loglevel). Any other schema
 * gets every column, space-separated, in schema order.
 *
 * `template` replaces the layout with a template: `{column}` is the column's text, `{{`/`}}` are
 * literal braces. `{column:PATTERN}` formats a timestamp, date or time column with the tokens
 * yyyy yy MM dd HH mm ss SSS (millis) SSSSSS (micros), every other character literal, or `iso`
 * for ISO 8601; `{column:-5}` / `{column:5}` pads to a width, left- or right-aligned (log4j's
 * %-5p). Timestamps without a pattern print as yy/MM/dd HH:mm:ss (UTC), dates as YYYY-MM-DD,
 * times as HH:mm:ss, decimals with their scale.
 *
 * A null prints as `-`. Line breaks inside a value print as the two characters `\n` (or `\r`),
 * so a row is always exactly one line. Values a stage made malformed print as they are.
 */
const DEFAULT_TIME_PATTERN = 'yy/MM/dd HH:mm:ss';
const MESSAGE_NAMES = ['message', 'msg', 'text', 'line'];
const LEVEL_NAMES = ['level', 'severity', 'loglevel', 'log_level'];

export const log = defineSink({
  name: 'log',
  summary: 'Write rows as raw log4j-style text, one line per row (no header, no quoting)',
  description:
    'Default line: "<ts as yy/MM/dd HH:mm:ss> <level> <message>" when the schema has a timestamp and a message column (spark_logs), ' +
    'else every column space-separated. --template takes a template such as "{ts:yyyy-MM-dd HH:mm:ss,SSS} [{level:-5}] {app_id} {message}". ' +
    'Nulls print as "-"; line breaks inside values print as \\n.',
  examples: [
    'datagen generate spark_logs --rows 500000 --out logs/app.log',
    'datagen pipe spark_logs --rows 10000 | datagen log > driver.log',
    'datagen pipe spark_logs --rows 1000 | datagen log --template "{ts:yyyy-MM-dd HH:mm:ss,SSS} {level:-5} [{app_id}] {message}" --out app.log',
  ],
  extensions: ['.log'],
  options: {
    ...fileOptions,
    template: {
      type: 'string',
      description: 'line template: {column}, {column:yyyy-MM-dd HH:mm:ss.SSS} for times, {column:-5} to pad, {{ }} for braces (default: "{ts} {level} {message}" for log-like schemas, else all columns)',
    },
  },
  create(o) {
    // Check the template's syntax now (before any input); its columns are checked per schema.
    if (o.template !== undefined) parseTemplate(o.template);
    return (batches) =>
      writeText(
        o,
        {
          formatter(schema) {
            const line = compileLine(schema, o.template);
            return ({ rows }) => {
              let out = '';
              for (let r = 0; r < rows.length; r++) out += line(rows[r]!) + '\n';
              return out;
            };
          },
        },
        batches,
      );
  },
});

// ------------------------------------------------------------------ templates

type Piece = string | { column: string; spec: string | undefined };

function parseTemplate(template: string): Piece[] {
  const pieces: Piece[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      text += c;
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i + 1);
      if (end < 0) throw new DatagenError('E_OPTION', `log: template has an unclosed { at position ${i}, got ${JSON.stringify(template)}`);
      const body = template.slice(i + 1, end);
      const colon = body.indexOf(':');
      const column = (colon < 0 ? body : body.slice(0, colon)).trim();
      if (column === '') throw new DatagenError('E_OPTION', `log: template has an empty {} at position ${i}, got ${JSON.stringify(template)}`);
      if (text) pieces.push(text);
      text = '';
      pieces.push({ column, spec: colon < 0 ? undefined : body.slice(colon + 1) });
      i = end;
    } else if (c === '}') {
      throw new DatagenError('E_OPTION', `log: template has a lone } at position ${i} (write }} for a brace), got ${JSON.stringify(template)}`);
    } else text += c;
  }
  if (text) pieces.push(text);
  return pieces;
}

/** The columns of the default layout, space-separated (see the header comment). */
export function defaultColumns(schema: Schema): string[] {
  const fields = schema.fields;
  const byName = (names: string[]) => fields.find((f) => names.includes(f.name.toLowerCase()));
  const timeField = fields.find((f) => f.name === 'ts' && kindOf(f.type) === 'timestamp') ?? fields.find((f) => kindOf(f.type) === 'timestamp');
  const message = byName(MESSAGE_NAMES);
  const level = byName(LEVEL_NAMES);
  const cols = timeField && message ? [timeField, level, message].filter((f): f is Field => f !== undefined) : fields;
  return cols.map((f) => f.name);
}

/** Compile a template (or the default layout) against a schema into a row -> line function. */
function compileLine(schema: Schema, template: string | undefined): (row: Record<string, Value>) => string {
  const pieces: Piece[] =
    template !== undefined ? parseTemplate(template) : defaultColumns(schema).flatMap((column, i): Piece[] => (i === 0 ? [{ column, spec: undefined }] : [' ', { column, spec: undefined }]));
  const fields = new Map(schema.fields.map((f) => [f.name, f]));
  const parts: Array<string | ((row: Record<string, Value>) => string)> = pieces.map((p) => {
    if (typeof p === 'string') return p;
    const field = fields.get(p.column);
    if (!field) {
      throw new DatagenError('E_UNKNOWN_COLUMN', `log: unknown column '${p.column}' in template, table ${tableName(schema)} (columns: ${columnNames(schema).join(', ')})`);
    }
    const encode = valueEncoder(field, p.spec);
    const name = p.column;
    return (row) => {
      const v = row[name];
      return v === null || v === undefined ? '-' : oneLine(encode(v));
    };
  });
  return (row) => {
    let s = '';
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      s += typeof p === 'string' ? p : p(row);
    }
    return s;
  };
}

const BREAK = /[\r\n]/;
function oneLine(s: string): string {
  return BREAK.test(s) ? s.replace(/\r/g, '\\r').replace(/\n/g, '\\n') : s;
}

function valueEncoder(field: Field, spec: string | undefined): (v: Exclude<Value, null>) => string {
  const kind = kindOf(field.type);
  const scale = (field.type as { scale?: number }).scale ?? 0;
  const pad = spec !== undefined && /^-?\d+$/.test(spec.trim()) ? Number(spec.trim()) : undefined;
  let base: (v: Exclude<Value, null>) => string;
  if (pad !== undefined || spec === undefined) {
    base = kind === 'timestamp' ? temporalEncoder(kind, DEFAULT_TIME_PATTERN) : textEncoder(kind, scale);
  } else if (kind === 'timestamp' || kind === 'date' || kind === 'time') {
    base = temporalEncoder(kind, spec);
  } else {
    throw new DatagenError('E_OPTION', `log: {${field.name}:${spec}} — a pattern needs a timestamp, date or time column, and a width is an integer like -5`);
  }
  if (pad === undefined) return base;
  const width = Math.abs(pad);
  return pad < 0 ? (v) => base(v).padEnd(width) : (v) => base(v).padStart(width);
}

// ------------------------------------------------------------------ time patterns

const TOKENS = ['SSSSSS', 'yyyy', 'SSS', 'yy', 'MM', 'dd', 'HH', 'mm', 'ss'] as const;
type Token = (typeof TOKENS)[number];
const two = (n: number) => (n < 10 ? '0' : '') + n;

/**
 * A timestamp/date/time formatter for a pattern. The date part is cached per day and the
 * text per second, so consecutive log lines cost a lookup and the sub-second digits.
 */
function temporalEncoder(kind: Kind, pattern: string): (v: Exclude<Value, null>) => string {
  if (pattern.trim() === 'iso') {
    const text = textEncoder(kind);
    return kind === 'timestamp' ? (v) => (typeof v === 'number' ? formatTimestamp(v) : String(v)) : text;
  }
  const parts: Array<string | Token> = [];
  let literal = '';
  outer: for (let i = 0; i < pattern.length; ) {
    for (const t of TOKENS) {
      if (pattern.startsWith(t, i)) {
        if (literal) parts.push(literal);
        literal = '';
        parts.push(t);
        i += t.length;
        continue outer;
      }
    }
    literal += pattern[i];
    i++;
  }
  if (literal) parts.push(literal);
  const subSecond = parts.some((p) => p === 'SSS' || p === 'SSSSSS');
  // Text up to (and split around) the sub-second tokens, for one whole second.
  const render = (micros: number): string => {
    const days = Math.floor(micros / MICROS_PER_DAY);
    const rest = micros - days * MICROS_PER_DAY;
    const secs = Math.floor(rest / 1_000_000);
    const frac = rest - secs * 1_000_000;
    const { year, month, day } = civilFromDays(days);
    let s = '';
    for (const p of parts) {
      switch (p) {
        case 'yyyy': s += String(year).padStart(4, '0'); break;
        case 'yy': s += two(((year % 100) + 100) % 100); break;
        case 'MM': s += two(month); break;
        case 'dd': s += two(day); break;
        case 'HH': s += two(Math.floor(secs / 3600)); break;
        case 'mm': s += two(Math.floor(secs / 60) % 60); break;
        case 'ss': s += two(secs % 60); break;
        case 'SSS': s += String(Math.floor(frac / 1000)).padStart(3, '0'); break;
        case 'SSSSSS': s += String(frac).padStart(6, '0'); break;
        default: s += p;
      }
    }
    return s;
  };
  const toMicros =
    kind === 'timestamp' ? (v: number) => v : kind === 'date' ? (v: number) => v * MICROS_PER_DAY : (v: number) => Math.round(v * 1_000_000);
  if (subSecond) return (v) => (typeof v === 'number' && Number.isFinite(v) ? render(toMicros(v)) : String(v));
  let lastSecond = NaN;
  let lastText = '';
  return (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
    const m = toMicros(v);
    const second = Math.floor(m / 1_000_000);
    if (second !== lastSecond) {
      lastSecond = second;
      lastText = render(second * 1_000_000);
    }
    return lastText;
  };
}
