import { boundValue, type FieldSpec, type Kind } from '../core/schema.js';
import { formatDate, formatTimestamp, MICROS_PER_DAY, parseDate, parseTimestamp } from '../core/temporal.js';
import { Pattern } from '../random/pattern.js';
import { Rng } from '../random/rng.js';

/**
 * The rules `datagen check` tests for a YAML column (FieldSpec pattern/min/max/values/after):
 * derived from its generator where the generator makes them certain, and the explicit
 * `pattern:`, `min:`, `max:`, `after:` keys of the field, which are checked here with positioned
 * errors (defineTable would refuse them too, but without a file position).
 */
export type Rules = Pick<FieldSpec, 'values' | 'pattern' | 'min' | 'max' | 'after'>;

/** What a field's type is, as far as its rules care. */
export interface RuleType {
  label: string;
  kind: Kind;
  /** Decimal places a decimal column keeps. */
  scale?: number;
}

const NUMERIC = new Set<Kind>(['int', 'float', 'decimal']);

/** `after: shipped_at` (a column of the same row: the order rule), not a dataset's `after: orders.order_ts + 1..72h` (a generator). */
export function isRuleAfter(v: unknown): v is string {
  return typeof v === 'string' && !v.includes('.');
}

/** Rules the generator makes certain (nothing when a rounding or an open end could break them). */
export function derivedRules(kind: string, p: unknown, t: RuleType): Rules {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- shapes are guaranteed by the JSON Schema
  const o = (p ?? {}) as Record<string, any>;
  const numeric = NUMERIC.has(t.kind);
  // A bound survives the generator's rounding (decimals:, a decimal column's scale) only when it is already round.
  const places = Math.min(o.decimals ?? Infinity, t.kind === 'decimal' ? t.scale! : t.kind === 'int' ? 0 : Infinity);
  const round = (v: unknown) => typeof v === 'number' && (places === Infinity || Math.round(v * 10 ** places) / 10 ** places === v);
  const range = (min: unknown, max: unknown): Rules => ({ ...(round(min) ? { min: min as number } : {}), ...(round(max) ? { max: max as number } : {}) });
  switch (kind) {
    case 'sequence':
      if (!numeric || o.within !== undefined) return {};
      return (o.step ?? 1) >= 0 ? range(o.start ?? 1, undefined) : range(undefined, o.start ?? 1);
    case 'uniform':
    case 'normal':
    case 'lognormal':
      return numeric ? range(o.min, o.max) : {};
    case 'exponential':
    case 'poisson':
      return numeric ? { min: 0 } : {};
    case 'zipf':
      return numeric ? range(1, o.n) : {};
    case 'reference':
      return numeric ? range(1, o.count) : {};
    case 'date': {
      const [a, b] = [parseDate(String(o.start).slice(0, 10)), parseDate(String(o.end).slice(0, 10))];
      return a !== undefined && b !== undefined && t.kind === 'date' ? { min: formatDate(a), max: formatDate(b) } : {};
    }
    case 'timestamp': {
      const at = (s: string, end: boolean) => (s.length === 10 ? (parseDate(s) ?? NaN) * MICROS_PER_DAY + (end ? MICROS_PER_DAY - 1 : 0) : parseTimestamp(s));
      const [a, b] = [at(String(o.start), false), at(String(o.end), true)];
      return Number.isFinite(a) && Number.isFinite(b) && t.kind === 'timestamp' ? { min: formatTimestamp(a!), max: formatTimestamp(b!) } : {};
    }
    case 'choice':
    case 'constant': {
      const values = (kind === 'choice' ? (o.values as unknown[]) : [p]).filter((v) => v !== null);
      if (values.length === 0) return {};
      if (t.kind === 'string') return { values: [...new Set(values.map(String))] };
      if (numeric && values.every((v) => typeof v === 'number')) return range(Math.min(...(values as number[])), Math.max(...(values as number[])));
      return {};
    }
    case 'pattern': {
      const pattern = typeof p === 'string' ? patternRegex(p) : undefined;
      return pattern !== undefined && t.kind === 'string' ? { pattern } : {};
    }
    default:
      return {};
  }
}

const CLASS_ESCAPES: Record<string, string> = { d: '0-9', w: 'A-Za-z0-9_', l: 'a-z', u: 'A-Z' };
const ESCAPES: Record<string, string> = { d: '\\d', w: '[A-Za-z0-9_]', l: '[a-z]', u: '[A-Z]' };

/**
 * The regular expression (JS and RE2 alike) for the values of a generator pattern
 * (src/random/pattern.ts), when it uses plain classes of letters and digits; checked against
 * samples of the pattern itself, so a translation that could be wrong is not declared.
 */
export function patternRegex(src: string): string | undefined {
  if (/[\uD800-\uDFFF]/.test(src)) return undefined;
  let out = '';
  for (let i = 0; i < src.length; ) {
    const c = src[i]!;
    if (c === '[') {
      const end = src.indexOf(']', i + 1);
      const body = end < 0 ? '' : src.slice(i + 1, end);
      if (!/^(?:[A-Za-z0-9](?:-[A-Za-z0-9])?|\\[dwlu]| |_)+$/.test(body)) return undefined;
      out += '[' + body.replace(/\\([dwlu])/g, (_m, e: string) => CLASS_ESCAPES[e]!) + ']';
      i = end + 1;
    } else if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) return undefined;
      out += ESCAPES[e] ?? e.replace(/[.^$|?*+()[\]{}\\/]/, '\\$&');
      i += 2;
    } else if (c === '{') {
      const end = src.indexOf('}', i);
      if (end < 0) return undefined;
      out += src.slice(i, end + 1);
      i = end + 1;
    } else {
      out += c === '?' ? '?' : c.replace(/[.^$|*+()[\]\\/]/, '\\$&');
      i++;
    }
  }
  let made: Pattern;
  let re: RegExp;
  try {
    made = new Pattern(src);
    re = new RegExp(`^(?:${out})$`);
  } catch {
    return undefined;
  }
  const rng = Rng.seeded(1);
  for (let k = 0; k < 64; k++) if (!re.test(made.sample(rng))) return undefined;
  return out;
}

/** A bound written in the file as the column holds it in the declaration (numbers, or ISO text). */
function boundOf(v: unknown, t: RuleType): number | string | undefined {
  if (typeof v === 'number' && NUMERIC.has(t.kind)) return v;
  if (typeof v !== 'string') return undefined;
  // A timestamp bound may be a day (its midnight, UTC).
  const text = t.kind === 'timestamp' && v.length === 10 ? `${v}T00:00:00Z` : v;
  return boundValue(t.kind, text) === undefined ? undefined : text;
}

const BOUND_FORM: Partial<Record<Kind, string>> = { date: 'YYYY-MM-DD', time: 'HH:MM:SS', timestamp: 'YYYY-MM-DDTHH:MM:SSZ' };

/**
 * The explicit rule keys of a field, checked: a pattern that compiles (and means the same in
 * DuckDB), bounds of the column's kind with min <= max, an `after` naming another column whose
 * values can be ordered against this one's. `columns` are the table's fields and their kinds.
 */
export function explicitRules(
  name: string,
  f: { pattern?: unknown; min?: unknown; max?: unknown; after?: unknown },
  t: RuleType,
  columns: ReadonlyMap<string, Kind>,
  fail: (key: string, why: string) => never,
): Rules {
  const rules: Rules = {};
  if (f.pattern !== undefined) {
    const pattern = String(f.pattern);
    try {
      new RegExp(`^(?:${pattern})$`);
    } catch (err) {
      fail('pattern', `${JSON.stringify(pattern)} is not a regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
    if (/\(\?[=!<]|\\[1-9]/.test(pattern)) fail('pattern', `${JSON.stringify(pattern)} uses a lookaround or backreference (datagen check runs patterns in DuckDB, which has neither)`);
    rules.pattern = pattern;
  }
  for (const side of ['min', 'max'] as const) {
    if (f[side] === undefined) continue;
    if (t.kind === 'string' || t.kind === 'bool') fail(side, `a ${t.label} column has no ${side} (bounds are for numbers, dates, times and timestamps)`);
    const b = boundOf(f[side], t);
    if (b === undefined) fail(side, `${JSON.stringify(f[side])} is not a ${t.label} bound (write ${BOUND_FORM[t.kind] ?? 'a number'})`);
    rules[side] = b;
  }
  if (rules.min !== undefined && rules.max !== undefined && boundValue(t.kind, rules.min)! > boundValue(t.kind, rules.max)!) {
    fail('max', `${JSON.stringify(f.max)} is below min ${JSON.stringify(f.min)}`);
  }
  if (f.after !== undefined) {
    const other = String(f.after);
    const kind = columns.get(other);
    if (other === name || kind === undefined) fail('after', `'${other}' is not another field of this table (fields: ${[...columns.keys()].join(', ')})`);
    const family = (k: Kind) => (NUMERIC.has(k) ? 'number' : k === 'date' || k === 'timestamp' ? 'instant' : k === 'time' ? 'time' : undefined);
    if (family(t.kind) === undefined || family(t.kind) !== family(kind!)) fail('after', `a ${t.label} field cannot be ordered after ${other} (a ${kind} field)`);
    rules.after = other;
  }
  return rules;
}
