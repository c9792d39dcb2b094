import type { Schema } from 'apache-arrow';
import { textEncoder } from '../codecs/codec.js';
import { DatagenError } from '../core/errors.js';
import { columnNames, kindOf, type Row } from '../core/schema.js';

/**
 * Row conditions for `when` (and delta's `where`): apply a stage only to rows that match.
 *   status=LATE            equal (text form, as written in CSV); `==` is the same as `=`
 *   status=LATE|ABSENT     one of
 *   status!=PRESENT        not equal (none of, with |)
 *   check_in>09:30:00      >, >=, <, <= compare numbers numerically and other kinds by text
 *                          (ISO dates and times order correctly as text)
 *   a=1 && b=2             both;  a=1 || b=2  either;  && binds tighter than || (no parentheses)
 * Nulls match only `col=` (empty) and `!=` tests. Anything else (`===`, `=>`, `<>`, a second
 * condition hidden in a value) is refused with the position, never read as a value that
 * silently matches nothing.
 */
export type RowTest = (row: Row) => boolean;

/** The grammar in one line, for help texts and error messages. */
export const CONDITION_GRAMMAR = 'column OP value with OP one of =, ==, !=, >, >=, <, <=; a|b for one of; join with && (and) or || (or)';

const OPERATOR = /^(==|!=|>=|<=|=|>|<)/;
const COLUMN = /^[A-Za-z_][\w.]*/;

/** `option` names the option in messages: `when` for stages, `where` for delta's delete. */
export function parseCondition(text: string, schema: Schema, owner: string, option = 'when'): RowTest {
  const fail = (what: string, at: number): never => {
    throw new DatagenError('E_OPTION', `${owner}: ${option} ${JSON.stringify(text)}: ${what} at position ${at + 1} (${CONDITION_GRAMMAR})`);
  };
  const anyOf = splitAt(text, '||').map(({ part, at }) => {
    const all = splitAt(part, '&&').map((c) => parseClause(c.part, at + c.at, schema, `${owner}: ${option}`, fail));
    return all.length === 1 ? all[0]! : (row: Row) => all.every((t) => t(row));
  });
  return anyOf.length === 1 ? anyOf[0]! : (row) => anyOf.some((t) => t(row));
}

/** `text` cut at each `sep`, with each part's offset in `text`. */
function splitAt(text: string, sep: string): Array<{ part: string; at: number }> {
  const parts: Array<{ part: string; at: number }> = [];
  let at = 0;
  for (const part of text.split(sep)) {
    parts.push({ part, at });
    at += part.length + sep.length;
  }
  return parts;
}

function parseClause(clause: string, at: number, schema: Schema, prefix: string, fail: (what: string, at: number) => never): RowTest {
  const lead = clause.length - clause.trimStart().length;
  const body = clause.trim();
  if (body === '') return fail('an empty condition', at);
  const column = COLUMN.exec(body)?.[0];
  if (!column) return fail(`a column name expected, got ${JSON.stringify(body)}`, at + lead);
  const afterColumn = body.slice(column.length);
  const opAt = at + lead + column.length + (afterColumn.length - afterColumn.trimStart().length);
  const rest = afterColumn.trimStart();
  const op = OPERATOR.exec(rest)?.[0];
  if (!op) return fail(`an operator expected after '${column}', got ${JSON.stringify(rest)}`, opAt);
  const raw = rest.slice(op.length).trim();
  // `a===b`, `a=>1`, `a<>b`, `a!==b`: an operator this language does not have.
  if (/^[=<>!]/.test(raw)) return fail(`unknown operator '${op}${/^[=<>!]+/.exec(raw)![0]}'`, opAt);

  const field = schema.fields.find((f) => f.name === column);
  if (!field) {
    throw new DatagenError('E_UNKNOWN_COLUMN', `${prefix} names unknown column '${column}' (columns: ${columnNames(schema).join(', ')})`);
  }
  // `a=1 | b=2`: a second condition written with one bar reads as a value; say so.
  const columns = new Set(columnNames(schema));
  for (const item of raw.split('|')) {
    const name = COLUMN.exec(item.trim())?.[0];
    if (name && columns.has(name) && OPERATOR.test(item.trim().slice(name.length).trimStart())) {
      fail(`'${item.trim()}' looks like a second condition inside a value (join conditions with && or ||)`, opAt);
    }
  }
  const kind = kindOf(field.type);
  const numeric = kind === 'int' || kind === 'float' || kind === 'decimal';
  const text = textEncoder(kind);
  const asText = (v: Row[string]) => (v === null ? '' : text(v));
  if (op === '=' || op === '==' || op === '!=') {
    const options = new Set(raw.split('|').map((x) => x.trim()));
    return op === '!=' ? (row) => !options.has(asText(row[column]!)) : (row) => options.has(asText(row[column]!));
  }
  if (raw.includes('|')) fail(`one of (a|b) works with = and != only, got '${op}${raw}'`, opAt);
  if (numeric && !Number.isFinite(Number(raw))) {
    throw new DatagenError('E_OPTION', `${prefix} compares numeric column '${column}' with ${JSON.stringify(raw)}, which is not a number`);
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
