import type { Schema } from 'apache-arrow';
import { defineTable, type FieldSpec, types } from '../core/schema.js';
import { parseDate, parseTime, parseTimestamp } from '../core/temporal.js';

/**
 * Guess a schema from parsed JSON rows (the first batch of an NDJSON stream whose producer's
 * schema we were not told). Strings that all parse as dates, times or timestamps get those
 * kinds; numbers that are all integers become int64. Numbers whose text all carries the same
 * count of fraction digits (`12.0`, `3.5`; `1847.00`) become decimal(18, that count), so they
 * are written again as they were read. Columns of objects or arrays are JSON columns. Columns named `id` or `*_id` count as keys. `--schema <scenario>` replaces the guess with the declared schema.
 */
export function inferSchema(rows: readonly Record<string, unknown>[], table = 'data', numberTexts?: ReadonlyMap<string, readonly string[]>): Schema {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  // No prototype: a column may be called __proto__ or constructor.
  const fields: Record<string, FieldSpec> = Object.create(null) as Record<string, FieldSpec>;
  for (const name of names) {
    let nulls = 0;
    let allInt = true;
    let numbers = 0;
    let bools = 0;
    let strings = 0;
    let dates = 0;
    let times = 0;
    let stamps = 0;
    let documents = 0;
    for (const r of rows) {
      const v = r[name];
      if (v === null || v === undefined) nulls++;
      else if (typeof v === 'number') {
        numbers++;
        if (!Number.isInteger(v)) allInt = false;
      } else if (typeof v === 'boolean') bools++;
      else if (typeof v === 'string') {
        strings++;
        if (parseDate(v) !== undefined) dates++;
        else if (parseTime(v) !== undefined) times++;
        else if (parseTimestamp(v) !== undefined) stamps++;
      } else {
        strings++;
        documents++;
      }
    }
    const present = rows.length - nulls;
    let type;
    if (present === 0) type = types.string();
    else if (numbers === present) type = numberType(allInt, numberTexts?.get(name));
    else if (bools === present) type = types.bool();
    else if (dates === present) type = types.date();
    else if (times === present) type = types.time();
    else if (stamps === present) type = types.timestamp();
    else type = types.string();
    fields[name] = {
      type,
      // Objects and arrays: a JSON column, so they are written nested again (FieldSpec.json).
      json: present > 0 && documents === present,
      description: 'inferred from input',
      nullable: true, // a later batch may hold nulls the first did not
      key: name === 'id' || name.endsWith('_id'),
    };
  }
  return defineTable(table, 'schema inferred from NDJSON input', fields);
}

/** int64, decimal(18, s) when every number is written with exactly s > 0 fraction digits, else float64. */
function numberType(allInt: boolean, texts: readonly string[] | undefined) {
  let scale: number | undefined;
  for (const t of texts ?? []) {
    const dot = t.indexOf('.');
    if (dot < 0 || /[eE]/.test(t)) {
      scale = undefined;
      break;
    }
    const s = t.length - dot - 1;
    if (scale === undefined) scale = s;
    else if (scale !== s) {
      scale = undefined;
      break;
    }
  }
  if (scale !== undefined && scale > 0 && scale <= 9) return types.decimal(18, scale);
  return allInt ? types.int64() : types.float64();
}
