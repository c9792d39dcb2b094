import { DatagenError } from '../core/errors.js';
import type { Row, Value } from '../core/schema.js';

/**
 * A small, safe expression language for YAML scenarios (derived fields and constraints).
 * Parsed once into closures; nothing from the file is ever run as JavaScript.
 *
 *   numbers 3.5, strings 'a' or "a", true, false, null, field names (in a dataset also table.column)
 *   + - * / %  (+ joins text when either side is text)   == != < <= > >=   && || !
 *   round(x, places) floor(x) ceil(x) abs(x) min(a, b, ...) max(a, b, ...)
 *   if(cond, then, else) concat(a, b, ...) upper(s) lower(s) coalesce(a, b, ...)
 *
 * Dates are day numbers and timestamps microsecond numbers, so `shipped_on - ordered_on`
 * is a count of days and `ordered_on + 3` is three days later.
 */
export type Compiled = (row: Row) => Value;
/** Names besides the row's fields (a dataset's `orders.order_ts`): a reader of the value, or undefined when unknown. */
export type Resolve = (name: string) => Compiled | undefined;

type Token = { kind: 'num' | 'str' | 'id' | 'op'; text: string; value?: number | string; at: number };

/** Longest expression text, in characters. */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Deepest nesting of parentheses, calls and prefix operators (the parser recurses per level). */
export const MAX_EXPRESSION_DEPTH = 64;
/** Longest text an expression may build (`concat`, `+`, `upper`, `lower`), in characters. */
export const MAX_TEXT_LENGTH = 10_000;

/** Text results are checked as they are made, so `concat(a, a, a, ...)` cannot build gigabytes. */
function text(s: string): string {
  if (s.length > MAX_TEXT_LENGTH) throw new DatagenError('E_OPTION', `expression made text of ${s.length} characters; the limit is ${MAX_TEXT_LENGTH}`);
  return s;
}

// A Map, not an object literal: a name from the file must never reach Object.prototype
// (`constructor(...)`, `toString()`, `__proto__(1)`).
const FUNCTIONS = new Map<string, (args: Value[]) => Value>([
  ['round', ([x, p]) => (typeof x === 'number' ? Math.round(x * 10 ** Number(p ?? 0)) / 10 ** Number(p ?? 0) : null)],
  ['floor', ([x]) => (typeof x === 'number' ? Math.floor(x) : null)],
  ['ceil', ([x]) => (typeof x === 'number' ? Math.ceil(x) : null)],
  ['abs', ([x]) => (typeof x === 'number' ? Math.abs(x) : null)],
  ['min', (xs) => extreme(xs, (a, b) => a < b)],
  ['max', (xs) => extreme(xs, (a, b) => a > b)],
  ['if', ([c, a, b]) => (c ? (a ?? null) : (b ?? null))],
  ['concat', (xs) => text(xs.map((x) => (x === null ? '' : String(x))).join(''))],
  ['upper', ([s]) => (s === null || s === undefined ? null : text(String(s).toUpperCase()))],
  ['lower', ([s]) => (s === null || s === undefined ? null : text(String(s).toLowerCase()))],
  ['coalesce', (xs) => xs.find((x) => x !== null) ?? null],
]);

/** Argument counts [least, most] of the functions that have fixed ones (the others take any). */
const ARITY = new Map<string, [number, number, string]>([
  ['round', [1, 2, 'round(x, places)']],
  ['floor', [1, 1, 'floor(x)']],
  ['ceil', [1, 1, 'ceil(x)']],
  ['abs', [1, 1, 'abs(x)']],
  ['if', [3, 3, 'if(cond, then, else)']],
  ['upper', [1, 1, 'upper(s)']],
  ['lower', [1, 1, 'lower(s)']],
]);

/** min/max as a loop: Math.min(...xs) throws a RangeError for a call with very many arguments. */
function extreme(xs: Value[], better: (a: number, b: number) => boolean): Value {
  if (xs.length === 0) return null;
  let best = Number(xs[0]);
  for (const x of xs) {
    if (x === null) return null;
    const v = Number(x);
    if (Number.isNaN(v)) return NaN;
    if (better(v, best)) best = v;
  }
  return best;
}

export function compileExpression(source: string, fields: readonly string[], owner: string, resolve?: Resolve): Compiled {
  const fail = (why: string, at?: number): never => {
    const shown = source.length > 80 ? `${source.slice(0, 80)}...` : source;
    throw new DatagenError('E_OPTION', `${owner}: expression ${JSON.stringify(shown)}: ${why}${at === undefined ? '' : ` at position ${at + 1}`}`);
  };
  if (source.length > MAX_EXPRESSION_LENGTH) fail(`is ${source.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH}`);
  const tokens = tokenize(source, fail);
  let depth = 0;
  const nested = <T>(at: number, inner: () => T): T => {
    if (++depth > MAX_EXPRESSION_DEPTH) fail(`nests deeper than ${MAX_EXPRESSION_DEPTH} levels`, at);
    const result = inner();
    depth--;
    return result;
  };
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (text?: string) => {
    const t = tokens[pos];
    if (!t || (text !== undefined && t.text !== text)) fail(`expected ${text ?? 'more'}`, t?.at ?? source.length);
    pos++;
    return t!;
  };
  const binary = (next: () => Compiled, ops: string[]): (() => Compiled) => () => {
    let left = next();
    while (peek() && peek()!.kind === 'op' && ops.includes(peek()!.text)) {
      const op = take().text;
      const l = left;
      const r = next();
      left = (row) => apply(op, l(row), r(row));
    }
    return left;
  };
  const primary = (): Compiled => {
    const t = take();
    if (t.kind === 'num' || t.kind === 'str') {
      const v = t.value!;
      return () => v;
    }
    if (t.kind === 'op' && t.text === '(') {
      const inner = nested(t.at, or);
      take(')');
      return inner;
    }
    if (t.kind === 'op' && (t.text === '-' || t.text === '!')) {
      const inner = nested(t.at, primary);
      return t.text === '-' ? (row) => { const v = inner(row); return typeof v === 'number' ? -v : null; } : (row) => !inner(row);
    }
    if (t.kind === 'id') {
      if (t.text === 'true' || t.text === 'false') {
        const v = t.text === 'true';
        return () => v;
      }
      if (t.text === 'null') return () => null;
      if (peek()?.text === '(') {
        const fn = FUNCTIONS.get(t.text) ?? fail(`unknown function '${t.text}' (known: ${[...FUNCTIONS.keys()].join(', ')})`, t.at);
        take('(');
        const args: Compiled[] = [];
        nested(t.at, () => {
          if (peek()?.text !== ')') {
            args.push(or());
            while (peek()?.text === ',') {
              take(',');
              args.push(or());
            }
          }
        });
        take(')');
        // `if(a)` or `abs(a, b)` would quietly give null or drop an argument: refused here.
        const arity = ARITY.get(t.text);
        if (arity && (args.length < arity[0] || args.length > arity[1])) {
          fail(`${t.text} takes ${arity[0] === arity[1] ? arity[0] : `${arity[0]} or ${arity[1]}`} argument${arity[1] > 1 ? 's' : ''}, ${arity[2]}, got ${args.length}`, t.at);
        }
        return (row) => fn(args.map((a) => a(row)));
      }
      if (!fields.includes(t.text)) {
        const other = resolve?.(t.text);
        if (other) return other;
        fail(`unknown field '${t.text}' (usable here: ${fields.join(', ') || 'none'})`, t.at);
      }
      const name = t.text;
      return (row) => row[name] ?? null;
    }
    return fail(`unexpected '${t.text}'`, t.at);
  };
  const mul = binary(primary, ['*', '/', '%']);
  const add = binary(mul, ['+', '-']);
  const cmp = binary(add, ['==', '!=', '<', '<=', '>', '>=']);
  const and = binary(cmp, ['&&']);
  const or = binary(and, ['||']);
  const compiled = or();
  if (pos < tokens.length) fail(`unexpected '${tokens[pos]!.text}'`, tokens[pos]!.at);
  return compiled;
}

function apply(op: string, a: Value, b: Value): Value {
  switch (op) {
    case '&&':
      return Boolean(a) && Boolean(b);
    case '||':
      return Boolean(a) || Boolean(b);
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
  if (a === null || b === null) return null;
  if (op === '+' && (typeof a === 'string' || typeof b === 'string')) return text(String(a) + String(b));
  if (op === '<') return a < b;
  if (op === '<=') return a <= b;
  if (op === '>') return a > b;
  if (op === '>=') return a >= b;
  const x = Number(a);
  const y = Number(b);
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return y === 0 ? null : x / y;
    default:
      return y === 0 ? null : x % y;
  }
}

function tokenize(src: string, fail: (why: string, at?: number) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    const num = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      if (!Number.isFinite(Number(num[0]))) fail(`number ${num[0]} is beyond the largest float64`, at);
      tokens.push({ kind: 'num', text: num[0], value: Number(num[0]), at });
      i += num[0].length;
      continue;
    }
    // table.column names a parent's column in a dataset table (see Resolve).
    const id = /^[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)?/.exec(src.slice(i));
    if (id) {
      tokens.push({ kind: 'id', text: id[0], at });
      i += id[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) fail('unclosed string', at);
      tokens.push({ kind: 'str', text: src.slice(i, end + 1), value: src.slice(i + 1, end), at });
      i = end + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
      tokens.push({ kind: 'op', text: two, at });
      i += 2;
      continue;
    }
    if ('+-*/%<>()!,'.includes(c)) {
      tokens.push({ kind: 'op', text: c, at });
      i++;
      continue;
    }
    fail(`unexpected '${c}'`, at);
  }
  return tokens;
}
