import type { Field, Schema } from 'apache-arrow';
import { fieldValues, keyColumns, kindOf, typeLabel, type Kind } from '../core/schema.js';
import { duckdbType } from '../codecs/sql.js';
import { sqlIdent as quoteIdent, sqlString as quoteString } from './sql.js';

/**
 * The rules `datagen check` tests, read from a declared schema: nothing here is a second list
 * of rules. A field's type, nullability, key flag and closed set of values are part of every
 * schema; pattern, min, max and after are field metadata set by defineTable (see FieldSpec).
 *
 * Each rule is a SQL predicate over one value, written once and applied twice: to the data
 * (through DuckDB's reading of the files) and to the ledger's `after` values (what a stage
 * wrote), so "found" and "injected" are counted by the same test.
 */

/** The DuckDB type a declared field is cast to (the duckdb sink creates its columns with the same). */
export const duckType = (field: Field): string => duckdbType(field.type);


/** How one value is seen by the predicates: its text, and its value of the declared type (NULL when not castable). */
export interface ValueSql {
  /** NULL when the cell is missing. */
  raw: string;
  text: string;
  typed: string;
}

/** A cell of a relation column, as DuckDB read it with `actualType`. */
export function columnValue(column: string, field: Field, actualType: string): ValueSql {
  const c = quoteIdent(column);
  const target = duckType(field);
  const same = normalizeType(actualType) === normalizeType(target);
  return {
    raw: c,
    text: actualType === 'VARCHAR' ? c : `CAST(${c} AS VARCHAR)`,
    typed: same ? c : `TRY_CAST(${c} AS ${target})`,
  };
}

/**
 * A ledger `after` value (a JSON column) as the same cell: stages record in-memory values
 * (dates as days, times as seconds, timestamps as microseconds since the epoch), or text
 * where they wrote text (malformed values).
 */
export function ledgerValue(json: string, field: Field): ValueSql {
  const kind = kindOf(field.type);
  const target = duckType(field);
  const str = `(${json} ->> '$')`;
  const isText = `json_type(${json}) = 'VARCHAR'`;
  const fromNumber: Partial<Record<Kind, string>> = {
    date: `CAST(DATE '1970-01-01' + CAST(${str} AS INTEGER) AS DATE)`,
    time: `CAST(TIME '00:00:00' + to_seconds(CAST(${str} AS BIGINT)) AS TIME)`,
    timestamp: `CAST(make_timestamp(CAST(${str} AS BIGINT)) AS TIMESTAMPTZ)`,
  };
  const numeric = fromNumber[kind];
  const typed = numeric ? `CASE WHEN ${isText} THEN TRY_CAST(${str} AS ${target}) ELSE TRY(${numeric}) END` : `TRY_CAST(${str} AS ${target})`;
  return {
    raw: `(CASE WHEN ${json} IS NULL OR json_type(${json}) = 'NULL' THEN NULL ELSE ${str} END)`,
    text: numeric ? `CASE WHEN ${isText} THEN ${str} ELSE CAST(${typed} AS VARCHAR) END` : str,
    typed,
  };
}

function normalizeType(t: string): string {
  return t.replace(/\s+/g, '').toUpperCase().replace('TIMESTAMPWITHTIMEZONE', 'TIMESTAMPTZ');
}

/** One single-value rule of one column. */
export interface CellRule {
  check: 'null' | 'type' | 'values' | 'pattern' | 'range';
  column: string;
  /** The rule in words, for the findings table. */
  rule: string;
  /** True when the value breaks the rule. */
  violates(v: ValueSql): string;
  /** Nulls in a nullable column are findings the declaration allows. */
  allowed?: boolean;
}

/** A rule between two columns of one row: `column` is never before `after`. */
export interface OrderRule {
  column: string;
  after: string;
  rule: string;
}

/** Field metadata as rules (the keys defineTable writes; absent keys mean no rule). */
export function metaRules(field: Field): { pattern?: string; min?: string; max?: string; after?: string } {
  const m = field.metadata;
  const unjson = (v: string | undefined) => (v === undefined ? undefined : String(JSON.parse(v)));
  const parse = (key: string): string | undefined => {
    const v = m.get(key);
    if (v === undefined) return undefined;
    try {
      return unjson(v);
    } catch {
      return v;
    }
  };
  return { pattern: m.get('pattern'), min: parse('min'), max: parse('max'), after: m.get('after') };
}

export function cellRules(field: Field): CellRule[] {
  const name = field.name;
  const type = duckType(field);
  const kind = kindOf(field.type);
  const rules: CellRule[] = [
    {
      check: 'null',
      column: name,
      rule: field.nullable ? 'nullable' : 'not null',
      allowed: field.nullable,
      violates: (v) => `${v.raw} IS NULL`,
    },
  ];
  if (kind !== 'string') {
    rules.push({ check: 'type', column: name, rule: `castable to ${typeLabel(field.type)}`, violates: (v) => `(${v.raw} IS NOT NULL AND ${v.typed} IS NULL)` });
  }
  const values = fieldValues(field);
  if (values && values.length > 0) {
    const list = values.map(quoteString).join(', ');
    const shown = values.length > 8 ? `${values.slice(0, 8).join(', ')}, ... (${values.length})` : values.join(', ');
    rules.push({ check: 'values', column: name, rule: `in {${shown}}`, violates: (v) => `(${v.typed} IS NOT NULL AND CAST(${v.typed} AS VARCHAR) NOT IN (${list}))` });
  }
  const { pattern, min, max } = metaRules(field);
  if (pattern) {
    rules.push({ check: 'pattern', column: name, rule: `matches ${pattern}`, violates: (v) => `(${v.typed} IS NOT NULL AND NOT regexp_full_match(${v.text}, ${quoteString(pattern)}))` });
  }
  if (min !== undefined || max !== undefined) {
    const parts: string[] = [];
    if (min !== undefined) parts.push(`%v < CAST(${quoteString(min)} AS ${type})`);
    if (max !== undefined) parts.push(`%v > CAST(${quoteString(max)} AS ${type})`);
    const words = min !== undefined && max !== undefined ? `in [${min}, ${max}]` : min !== undefined ? `>= ${min}` : `<= ${max}`;
    rules.push({ check: 'range', column: name, rule: words, violates: (v) => `(${parts.map((p) => p.replaceAll('%v', () => v.typed)).join(' OR ')})` });
  }
  return rules;
}

export function orderRules(schema: Schema): OrderRule[] {
  const names = new Set(schema.fields.map((f) => f.name));
  const out: OrderRule[] = [];
  for (const f of schema.fields) {
    const after = metaRules(f).after;
    if (after && names.has(after)) out.push({ column: f.name, after, rule: `${f.name} >= ${after}` });
  }
  return out;
}

/**
 * The key a row is known by in the ledger (its declared key columns, as text joined by a unit
 * separator), or undefined when the table has no key or a key whose text differs between the
 * ledger and the files (temporal keys: microseconds there, ISO text here).
 */
export function keyOf(schema: Schema): { columns: string[]; data(types: Map<string, string>): string; ledger(json: string): string } | undefined {
  const columns = keyColumns(schema);
  if (columns.length === 0) return undefined;
  const fields = new Map(schema.fields.map((f) => [f.name, f]));
  if (columns.some((c) => !['int', 'string'].includes(kindOf(fields.get(c)!.type)))) return undefined;
  const join = (parts: string[]) => (parts.length === 1 ? parts[0]! : `concat_ws(chr(31), ${parts.join(', ')})`);
  return {
    columns,
    data: (types) => join(columns.map((c) => (types.get(c) === 'VARCHAR' ? quoteIdent(c) : `CAST(${quoteIdent(c)} AS VARCHAR)`))),
    ledger: (json) => join(columns.map((c) => `(${json} ->> ${quoteString(`$.${JSON.stringify(c)}`)})`)),
  };
}
