import type { Schema } from 'apache-arrow';
import { kindOf, type Row, type Value } from './schema.js';
import { formatTime } from './temporal.js';
import { DatagenError } from './errors.js';

/**
 * Rows as plain JavaScript values, for code that wants Date objects rather than datagen's
 * in-memory numbers (src/core/schema.ts): a date (days since 1970-01-01) becomes a Date at
 * UTC midnight; a timestamp (microseconds since the epoch, UTC) a Date — to the millisecond,
 * as Date holds no more; a time (seconds since midnight) its 'HH:MM:SS' text, JavaScript having
 * no time-of-day type. Other values are unchanged; so is a string a stage left in a typed
 * column on purpose (malform).
 */
export type JsValue = Value | Date;
export type JsRow = Record<string, JsValue>;

/** `schema`: the rows' schema, or the source they came from (scenario(...)). */
export function toJsRows(rows: readonly Row[], schema: Schema | { schema?: Schema }): JsRow[] {
  const fields = 'fields' in schema ? schema.fields : schema.schema?.fields;
  if (!fields) throw new DatagenError('E_OPTION', 'toJsRows: pass the rows\' schema (or a source that has one)');
  const convert: Array<[string, (v: number) => JsValue]> = [];
  for (const f of fields) {
    const kind = kindOf(f.type);
    if (kind === 'date') convert.push([f.name, (d) => new Date(d * 86_400_000)]);
    else if (kind === 'timestamp') convert.push([f.name, (us) => new Date(Math.floor(us / 1000))]);
    else if (kind === 'time') convert.push([f.name, formatTime]);
  }
  return rows.map((row) => {
    const out: JsRow = { ...row };
    for (const [name, to] of convert) {
      const v = row[name];
      if (typeof v === 'number') out[name] = to(v);
    }
    return out;
  });
}
