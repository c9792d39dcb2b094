import type { Schema } from 'apache-arrow';
import { textEncoder } from './codec.js';
import { DatagenError } from './errors.js';
import { columnNames, kindOf, type Row } from './schema.js';

/**
 * Row conditions for `when`: apply a stage only to rows that match.
 *   status=LATE            equal (text form, as written in CSV)
 *   status=LATE|ABSENT     one of
 *   status!=PRESENT        not equal
 *   check_in>09:30:00      >, >=, <, <= compare numbers numerically and other kinds by text
 *                          (ISO dates and times order correctly as text)
 * Conditions can be joined with `&&`. Nulls match only `col=` (empty) and `!=` tests.
 */
export type RowTest = (row: Row) => boolean;

const CLAUSE = /^\s*([A-Za-z_][\w.]*)\s*(!=|>=|<=|=|>|<)\s*(.*?)\s*$/;

export function parseCondition(text: string, schema: Schema, owner: string): RowTest {
  const tests = text.split('&&').map((clause) => parseClause(clause, schema, owner, text));
  return tests.length === 1 ? tests[0]! : (row) => tests.every((t) => t(row));
}

function parseClause(clause: string, schema: Schema, owner: string, whole: string): RowTest {
  const m = CLAUSE.exec(clause);
  if (!m) throw new DatagenError('E_OPTION', `${owner}: when must look like column=value (or !=, >, >=, <, <=), got ${JSON.stringify(whole)}`);
  const [, column, op, raw] = m as unknown as [string, string, string, string];
  const field = schema.fields.find((f) => f.name === column);
  if (!field) {
    throw new DatagenError('E_UNKNOWN_COLUMN', `${owner}: when names unknown column '${column}' (columns: ${columnNames(schema).join(', ')})`);
  }
  const kind = kindOf(field.type);
  const numeric = kind === 'int' || kind === 'float' || kind === 'decimal';
  const text = textEncoder(kind);
  const asText = (v: Row[string]) => (v === null ? '' : text(v));
  if (op === '=' || op === '!=') {
    const options = new Set(raw.split('|'));
    return op === '=' ? (row) => options.has(asText(row[column]!)) : (row) => !options.has(asText(row[column]!));
  }
  if (numeric && !Number.isFinite(Number(raw))) {
    throw new DatagenError('E_OPTION', `${owner}: when compares numeric column '${column}' with ${JSON.stringify(raw)}, which is not a number`);
  }
  const cmp = numeric
    ? (v: Row[string]) => (typeof v === 'number' ? v - Number(raw) : NaN)
    : (v: Row[string]) => (v === null ? NaN : asText(v) < raw ? -1 : asText(v) > raw ? 1 : 0);
  switch (op) {
    case '>':
      return (row) => cmp(row[column]!) > 0;
    case '>=':
      return (row) => cmp(row[column]!) >= 0;
    case '<':
      return (row) => cmp(row[column]!) < 0;
    default:
      return (row) => cmp(row[column]!) <= 0;
  }
}
