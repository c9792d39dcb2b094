import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Scalar } from 'yaml';
import type { DataType, Schema } from 'apache-arrow';
import { DatagenError, type ErrorCode } from '../core/errors.js';
import { parseCondition } from '../anomaly/condition.js';
import { closest } from '../core/suggest.js';
import { fakerLocale } from '../random/faker-data.js';
import { scenarioSchemaPath } from '../core/paths.js';
import { compileExpression, MAX_TEXT_LENGTH, type Compiled, type Resolve } from './expression.js';
import { exponential, logNormal, poisson, truncatedNormal, Weighted, Zipf } from '../random/distributions.js';
import { Pattern } from '../random/pattern.js';
import type { Rng } from '../random/rng.js';
import { findTransform } from '../registry.js';
import { defineTable, kindOf, types, type FieldSpec, type Kind, type Row, type Value } from '../core/schema.js';
import { derivedRules, explicitRules, isRuleAfter } from './field-rules.js';
import { daysFromCivil, formatDate, formatTimestamp, MICROS_PER_DAY, parseDate, parseTime, parseTimestamp } from '../core/temporal.js';
import { defineScenario, type ScenarioDefinition } from '../core/units.js';
import type { Transform } from '../core/stage.js';

/**
 * Scenarios declared in YAML. The file is parsed as data only (the `yaml` package's core
 * schema; any other tag is refused), validated against the published JSON Schema (schemas/scenario.schema.json), and
 * compiled into the same ScenarioDefinition a TypeScript scenario is. Every mistake is one
 * line: `file:line:column: where: problem` with code E_SCENARIO_FILE.
 *
 * The CLI imports this module only when it is given a .yml file: yaml and ajv are not loaded
 * by every command.
 */
const validate = new Ajv({ allErrors: false, strict: false, verbose: true }).compile(JSON.parse(readFileSync(scenarioSchemaPath(), 'utf8')) as object);

export type Gen = (rng: Rng, index: number, row: Row) => Value;
export interface FieldDoc {
  type: string;
  description?: string;
  key?: boolean;
  null_rate?: number;
  /** Required in a scenario; a dataset field may declare `ref:` or `after:` instead. */
  generator?: Record<string, unknown>;
  [more: string]: unknown;
}
/** One table as the file declares it: a scenario file, or one entry of a dataset's `tables:`. */
export interface TableDoc {
  name: string;
  description?: string;
  fields: Record<string, FieldDoc>;
  constraints?: string[];
  anomalies?: Array<Record<string, Record<string, unknown>>>;
}
export interface ScenarioDoc extends TableDoc {
  rows?: number;
}

/** Half of a surrogate pair without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** The YAML core schema's tags: the only ones a scenario file may write. */
const CORE_TAGS = new Set(['!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq']);
/** Largest scenario file read, in bytes: a scenario is a page of YAML, not a data set. */
export const MAX_FILE_BYTES = 1 << 20;
/** Deepest nesting of YAML mappings and lists (the file's own data is 5 levels deep). */
export const MAX_YAML_DEPTH = 64;
/** The `yaml` package's guard against alias expansion ("billion laughs"); its default, stated. */
export const MAX_ALIAS_COUNT = 100;
/** Most fields in a table: a chunk holds 8192 rows of every field in memory. */
export const MAX_FIELDS = 1000;
/** Most characters of text in one row, all string fields together (8192 rows to a chunk). */
export const MAX_ROW_TEXT = 32_768;

export function loadYamlScenario(path: string): ScenarioDefinition {
  return parseYamlScenario(readYamlText(path), path);
}

/** A scenario or dataset file's text: at most MAX_FILE_BYTES of UTF-8. */
export function readYamlText(path: string): string {
  const bytes = readBounded(path);
  if (!isUtf8(bytes)) {
    // The first replacement character in the lenient decoding is where the bytes stop being UTF-8.
    const text = bytes.toString('utf8');
    throw new DatagenError('E_SCENARIO_FILE', `${path}:${lineCol(text, text.indexOf('\uFFFD'))}: not UTF-8 text (a binary file?)`);
  }
  return bytes.toString('utf8');
}

/** The file's bytes, reading at most MAX_FILE_BYTES + 1 (a FIFO or /dev/zero has no size to stat). */
function readBounded(path: string): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_FILE_BYTES) {
      throw new DatagenError('E_SCENARIO_FILE', `${path}: larger than ${MAX_FILE_BYTES} bytes (1 MiB), the limit for a scenario file`);
    }
    return buf.subarray(0, n);
  } catch (err) {
    if (err instanceof DatagenError) throw err;
    throw new DatagenError('E_SCENARIO_FILE', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `line:column` (1-based) of a character offset in `text`. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return `${line}:${before.length - before.lastIndexOf('\n')}`;
}

export function parseYamlScenario(text: string, file = 'scenario.yml'): ScenarioDefinition {
  const { data, fail } = readYamlDocument(text, file);
  // A file with tables: is a dataset (yaml-dataset.ts); it has no single table to make.
  if (isDatasetDocument(data)) fail(['tables'], 'this file declares a dataset (tables:), not one table: run it with datagen generate FILE --out FOLDER');
  return compileScenario(data as ScenarioDoc, fail);
}

/** Does a validated document declare a dataset (a `tables:` list) rather than one table? */
export function isDatasetDocument(data: unknown): boolean {
  return typeof data === 'object' && data !== null && 'tables' in data;
}

/**
 * A YAML scenario or dataset file read as data: parsed with the core schema only, checked for
 * the limits above and validated against the JSON Schema. `fail` reports a problem at a path
 * of the document with its `file:line:col`.
 */
export function readYamlDocument(text: string, file = 'scenario.yml'): { data: unknown; fail: Fail } {
  const refuse = (where: string, why: string): never => {
    throw new DatagenError('E_SCENARIO_FILE', `${file}:${where}: ${why}`);
  };
  if (text.length > MAX_FILE_BYTES || Buffer.byteLength(text) > MAX_FILE_BYTES) refuse('1:1', `larger than ${MAX_FILE_BYTES} bytes (1 MiB), the limit for a scenario file`);
  const nul = text.indexOf('\0');
  if (nul >= 0) refuse(lineCol(text, nul), 'contains a NUL byte: not a text file (a binary file?)');
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    // resolveKnownTags: false: YAML 1.1's !!binary, !!set, !!timestamp... are unknown tags too.
    // logLevel 'error': the package never writes a warning to stderr; this loader reports them.
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, resolveKnownTags: false, logLevel: 'error' });
  } catch (err) {
    // The parser recurses per level of nesting; thousands of levels overflow the stack.
    return refuse(deepestLine(text), `nested too deeply to read (${(err as Error).message}); the limit is ${MAX_YAML_DEPTH} levels`);
  }
  const at = (path: Array<string | number>) => {
    let node: unknown = doc.getIn(path, true);
    for (let p = path.slice(0, -1); !node && p.length >= 0; p = p.slice(0, -1)) {
      node = p.length === 0 ? doc.contents : doc.getIn(p, true);
      if (p.length === 0) break;
    }
    return `${file}:${position(node)}`;
  };
  const position = (node: unknown) => {
    const offset = (node as { range?: [number, number] } | undefined)?.range?.[0] ?? 0;
    const { line, col } = lines.linePos(offset);
    return `${line}:${col}`;
  };
  const fail = (path: Array<string | number>, why: string, code: ErrorCode = 'E_SCENARIO_FILE'): never => {
    throw new DatagenError(code, `${at(path)}: ${path.length ? path.join('.') + ': ' : ''}${why}`);
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    if (/call stack/i.test(e.message)) refuse(deepestLine(text), `nested too deeply to read; the limit is ${MAX_YAML_DEPTH} levels`);
    const pos = e.linePos?.[0];
    refuse(`${pos?.line ?? 1}:${pos?.col ?? 1}`, `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  // The parser keeps an unknown tag's text (`!!js/function "..."` reads as a string) and only
  // warns: refused, so a file written for a loader that runs tags never passes as something else.
  const tag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED' || w.code === 'BAD_COLLECTION_TYPE');
  if (tag) {
    const written = text.slice(tag.pos[0], tag.pos[1]);
    const { line, col } = lines.linePos(tag.pos[0]);
    refuse(
      `${line}:${col}`,
      CORE_TAGS.has(written)
        ? `YAML tag ${written} does not fit the value it is on (remove the tag)`
        : `unknown YAML tag ${JSON.stringify(written)}: a scenario file is plain data, tags other than ${[...CORE_TAGS].join(' ')} are not read (remove the tag)`,
    );
  }
  if (doc.contents === null) refuse('1:1', 'empty scenario file: expected a mapping with name: and fields:');
  if (!isMap(doc.contents)) {
    const found = isSeq(doc.contents) ? 'a list' : isScalar(doc.contents) ? `the value ${JSON.stringify(String(doc.contents.value).slice(0, 40))}` : 'an alias';
    refuse(position(doc.contents), `a scenario file is a mapping with name: and fields:, found ${found}`);
  }
  const deep = tooDeep(doc.contents);
  if (deep) refuse(position(deep), `nested more than ${MAX_YAML_DEPTH} levels deep`);
  // `? [a]` or `? { b: 1 }` as a key: toJS would stringify it and print a Node warning on stderr.
  let complexKey: { at: unknown; key: unknown } | undefined;
  visit(doc, {
    Pair: (_k, pair) => {
      const key = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
      if (isCollection(key)) return (complexKey = { at: pair.key, key }), visit.BREAK;
    },
  });
  // "\uD800" in a double-quoted string is half a character: every writer would print U+FFFD.
  let broken: Scalar | undefined;
  visit(doc, { Scalar: (_k, node) => (typeof node.value === 'string' && LONE_SURROGATE.test(node.value) ? ((broken = node), visit.BREAK) : undefined) });
  if (broken) refuse(position(broken), `${shown(broken.value)} holds half of a UTF-16 surrogate pair, not a character (write the character, or \\U and its 8 hex digits)`);
  if (complexKey) refuse(position(complexKey.at), `a key must be a plain name, found ${isSeq(complexKey.key) ? 'a list' : 'a mapping'}`);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    let alias: unknown;
    visit(doc, { Alias: (_k, node) => ((alias = node), visit.BREAK) });
    const why = /excessive alias/i.test((err as Error).message)
      ? `YAML aliases expand too much (a "billion laughs" file?); the limit is ${MAX_ALIAS_COUNT} alias expansions`
      : `YAML aliases: ${(err as Error).message.split('\n')[0]}`;
    return refuse(position(alias), why);
  }
  if (!validate(data)) {
    const e = validate.errors![0]!;
    if (e.propertyName !== undefined) {
      // A key that is not a valid name: point at the key itself, not at its value.
      const parent = pathOf(e);
      const map = parent.length ? doc.getIn(parent, true) : doc.contents;
      const pair = isMap(map) ? map.items.find((p) => isScalar(p.key) && String(p.key.value) === e.propertyName) : undefined;
      throw new DatagenError('E_SCENARIO_FILE', `${file}:${position(pair?.key ?? map)}: ${[...parent, e.propertyName].join('.')}: ${explain(e)}`);
    }
    fail(pathOf(e), explain(e));
  }
  return { data, fail };
}

/** The first node nested deeper than MAX_YAML_DEPTH (walked without recursion). */
function tooDeep(root: unknown): unknown {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!isCollection(node)) continue;
    if (depth > MAX_YAML_DEPTH) return node;
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        stack.push([item.key, depth + 1], [item.value, depth + 1]);
      } else stack.push([item, depth + 1]);
    }
  }
  return undefined;
}

/** Where a file too deep for the parser gets deep: the first place 65 brackets or indents are open. */
function deepestLine(text: string): string {
  let flow = 0;
  const indents: number[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    const indent = /^[ -]*/.exec(line)![0].length;
    if (line.trim() && !line.trimStart().startsWith('#')) {
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '[' || c === '{') flow++;
      else if (c === ']' || c === '}') flow--;
      if (flow > MAX_YAML_DEPTH || indents.length > MAX_YAML_DEPTH) return lineCol(text, offset + i);
    }
    offset += line.length + 1;
  }
  return '1:1';
}

function pathOf(e: ErrorObject): string[] {
  const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'additionalProperties') path.push((e.params as { additionalProperty: string }).additionalProperty);
  return path;
}

function explain(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
    // `{ type: decimal(10,2) }` splits at the comma in YAML's { } style.
    const hint = /^\d+\)$/.test(extra) ? ' — inside { } quote the type: "decimal(10,2)"' : '';
    return `unknown key '${extra}' (allowed: ${allowed.join(', ')})${hint}`;
  }
  if (e.keyword === 'required') return `missing required key '${(e.params as { missingProperty: string }).missingProperty}'`;
  if (e.keyword === 'pattern' && e.instancePath.endsWith('/type') && typeof e.data === 'string' && DECIMAL.test(e.data)) return decimalProblem(e.data)!;
  if (e.keyword === 'pattern' && e.instancePath.endsWith('/type')) return `unknown type ${shown(e.data)} (use int32, int64, float64, string, bool, date, time, timestamp or decimal(p,s))`;
  if (e.propertyName !== undefined) return `${e.instancePath === '/fields' ? 'field name' : 'name'} ${shown(e.propertyName)} is not valid: start with a letter or _, then letters, digits or _`;
  if (e.keyword === 'pattern' && (e.parentSchema as { pattern?: string }).pattern === DATE_PATTERN) return `${shown(e.data)} is not a date or timestamp (write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)`;
  if (e.keyword === 'pattern') {
    const about = (e.parentSchema as { description?: string }).description;
    return `${shown(e.data)} ${e.message ?? 'does not match'}${about ? ` (${about})` : ''}`;
  }
  // A value of the wrong type or out of range: say which value (sizes are said by the message).
  if (['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'enum', 'const', 'multipleOf'].includes(e.keyword)) return `${shown(e.data)} ${e.message ?? e.keyword}`;
  return e.message ?? e.keyword;
}

/** The schema's pattern for dates and timestamps given as text. */
const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}([T ].*)?$';

/** A value from the file, for a message: JSON, cut at 40 characters. */
function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * What a field's type allows: its Arrow type, value kind and, for numbers, the range a value
 * must lie in (int64 and timestamps stop at the exact-integer range of a JS number).
 */
export interface TypeInfo {
  label: string;
  type: DataType;
  kind: Kind;
  lo: number;
  hi: number;
  /** Decimal places kept (decimals only). */
  scale?: number;
}

const SAFE = Number.MAX_SAFE_INTEGER;
const RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [-SAFE, SAFE],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
  date: [daysFromCivil(1, 1, 1), daysFromCivil(9999, 12, 31)],
  time: [0, 86_399],
  timestamp: [-SAFE, SAFE],
};

const DECIMAL = /^decimal\((\d+), ?(\d+)\)$/;

/** What is wrong with a decimal(p,s) type, if anything (Arrow's Decimal128 holds 38 digits). */
function decimalProblem(label: string): string | undefined {
  const [, p, s] = DECIMAL.exec(label)!;
  const [precision, scale] = [Number(p), Number(s)];
  if (!(precision >= 1 && precision <= 38)) return `${label}: precision must be 1 to 38 digits, got ${precision}`;
  if (scale > precision) return `${label}: scale (${scale} decimal places) must be at most the precision (${precision} digits)`;
  return undefined;
}

function typeInfo(label: string, fail: (why: string) => never): TypeInfo {
  const dec = DECIMAL.exec(label);
  if (dec) {
    const [precision, scale] = [Number(dec[1]), Number(dec[2])];
    const problem = decimalProblem(label);
    if (problem) fail(problem);
    const hi = (10 ** precision - 1) / 10 ** scale;
    return { label, type: types.decimal(precision, scale), kind: 'decimal', lo: -hi, hi, scale };
  }
  const type = (types as unknown as Record<string, () => DataType>)[label]!();
  const [lo, hi] = RANGES[label] ?? [NaN, NaN];
  return { label, type, kind: kindOf(type), lo, hi };
}

/** The range of a type, for messages: dates and timestamps also as text. */
function rangeText(t: TypeInfo): string {
  if (t.kind === 'date') return `${formatDate(t.lo)} to ${formatDate(t.hi)}`;
  if (t.kind === 'timestamp') return `${t.lo} to ${t.hi} microseconds, ${formatTimestamp(t.lo)} to ${formatTimestamp(t.hi)}`;
  if (t.kind === 'decimal') return `at most ${t.hi} in absolute value`;
  return `${t.lo} to ${t.hi}`;
}

/**
 * The value as the column holds it (rounded to the type), or undefined when it does not fit.
 * Every generated value passes here: a wrong value is refused naming the field, never written.
 */
function fitter(t: TypeInfo): (v: Value) => Value | undefined {
  const { lo, hi } = t;
  switch (t.kind) {
    case 'string':
      return (v) => (v === null || (typeof v === 'string' && v.length <= MAX_TEXT_LENGTH) ? v : undefined);
    case 'bool':
      return (v) => (v === null || typeof v === 'boolean' ? v : undefined);
    case 'float':
      return (v) => (v === null || (typeof v === 'number' && Number.isFinite(v)) ? v : undefined);
    case 'decimal': {
      const f = 10 ** t.scale!;
      return (v) => {
        if (typeof v !== 'number') return v === null ? v : undefined;
        const r = Math.round(v * f) / f;
        return r >= lo && r <= hi ? r : undefined; // NaN fails both
      };
    }
    default: // int, date, time, timestamp: whole numbers
      return (v) => {
        if (typeof v !== 'number') return v === null ? v : undefined;
        const r = Math.round(v);
        return r >= lo && r <= hi ? r : undefined;
      };
  }
}

/** Why a value does not fit (the message for a value `fitter` refused). */
function misfit(v: Value | undefined, t: TypeInfo): string {
  if (v === undefined) return 'gave no value';
  if (typeof v === 'string' && t.kind === 'string') return `made text of ${v.length} characters; the limit is ${MAX_TEXT_LENGTH}`;
  const shown = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v) : String(v);
  const wanted = t.kind === 'string' ? 'text' : t.kind === 'bool' ? 'true or false' : 'numbers';
  if (typeof v === 'number' && wanted === 'numbers') return `gave ${shown}, outside ${t.label} (${rangeText(t)})`;
  return `gave ${typeof v === 'string' ? 'text ' : ''}${shown}, but ${t.label} fields hold ${wanted}`;
}

/**
 * A value written in the file (`constant`, `choice` values) as the column holds it, or the
 * reason it cannot be one: dates, times and timestamps are ISO text, text must be quoted when
 * YAML would read it as a number.
 */
function literal(v: unknown, t: TypeInfo): { value: Value } | { why: string } {
  if (v === null) return { value: null };
  if (typeof v === 'object') return { why: `${JSON.stringify(v).slice(0, 40)} is not a single value` };
  const shown = JSON.stringify(v);
  let value: Value | undefined;
  switch (t.kind) {
    case 'string':
      if (typeof v !== 'string') return { why: `${shown} is not text (quote it: "${String(v)}")` };
      value = v;
      break;
    case 'bool':
      if (typeof v !== 'boolean') return { why: `${shown} is not true or false` };
      value = v;
      break;
    case 'date':
    case 'time':
    case 'timestamp': {
      const text = String(v);
      value = t.kind === 'date' ? parseDate(text) : t.kind === 'time' ? parseTime(text) : text.length === 10 ? mul(parseDate(text), MICROS_PER_DAY) : parseTimestamp(text);
      const form = t.kind === 'date' ? 'YYYY-MM-DD' : t.kind === 'time' ? 'HH:MM:SS' : 'YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ';
      if (typeof v !== 'string' || value === undefined) return { why: `${shown} is not a ${t.label} (write ${form})` };
      break;
    }
    default: {
      if (typeof v !== 'number') return { why: `${shown} is not a number` };
      if (t.kind === 'int' && !Number.isInteger(v)) return { why: `${shown} is not a whole number` };
      if (t.kind === 'decimal' && Math.round(v * 10 ** t.scale!) / 10 ** t.scale! !== v) return { why: `${shown} has more than ${t.scale} decimal places` };
      value = v;
    }
  }
  const fitted = fitter(t)(value);
  if (fitted !== undefined) return { value: fitted };
  return { why: typeof value === 'string' ? `is ${value.length} characters long; the limit is ${MAX_TEXT_LENGTH}` : `${shown} is outside ${t.label} (${rangeText(t)})` };
}

const mul = (a: number | undefined, b: number) => (a === undefined ? undefined : a * b);

/** The value kinds each generator can make (choice, constant and expression: checked per value). */
const NUMBERS: readonly Kind[] = ['int', 'float', 'decimal', 'date', 'time', 'timestamp'];
const MAKES: Record<string, readonly Kind[]> = {
  sequence: NUMBERS,
  uniform: NUMBERS,
  normal: NUMBERS,
  lognormal: NUMBERS,
  exponential: NUMBERS,
  poisson: NUMBERS,
  zipf: NUMBERS,
  reference: NUMBERS,
  bool: ['bool'],
  date: ['date'],
  timestamp: ['timestamp'],
  pattern: ['string'],
  faker: ['string'],
};
/** Parameters that are values of the field (so must lie in its type's range). */
const VALUE_PARAMS: Record<string, readonly string[]> = {
  sequence: ['start'],
  uniform: ['min', 'max'],
  normal: ['mean', 'min', 'max'],
  lognormal: ['median', 'min', 'max'],
  exponential: ['mean'],
  poisson: ['lambda'],
  zipf: ['n'],
  reference: ['count'],
};

interface CompiledField {
  name: string;
  gen: Gen;
  nullRate: number;
  fit: (v: Value) => Value | undefined;
  type: TypeInfo;
  /** Where the field's generator is, for errors found while generating. */
  fail: (why: string) => never;
}

export type Fail = (path: Array<string | number>, why: string, code?: ErrorCode) => never;

/**
 * A hook for fields a dataset table declares beyond the single-table ones (`ref:`, `after:`, a
 * sequence within a parent): it returns the field's generator, or undefined for an ordinary one.
 */
export type FieldHook = (
  name: string,
  field: FieldDoc,
  type: TypeInfo,
  earlier: string[],
  failAt: (path: Array<string | number>, why: string) => never,
) => { gen: Gen; nullable: boolean } | undefined;

/** One table of a YAML file compiled: its schema, rules, default stages and a row maker. */
export interface CompiledTable {
  schema: Schema;
  rules: string[];
  /** Field names, in order: row() takes one stream per field (and one for its nulls). */
  fields: readonly string[];
  stages?: () => Transform[];
  /** Refuses a sequence whose last value would not fit its type, before the first row. */
  checkRows(total: number): void;
  /** Row `index`, drawn from the given streams, redrawn until the constraints hold. */
  row(index: number, streams: readonly Rng[], nullStreams: readonly Rng[]): Row;
}

/** Keys of a field that are not its generator (what a dataset field declares instead of one is the rest). */
const FIELD_KEYS = new Set(['type', 'description', 'key', 'null_rate', 'pattern', 'min', 'max']);

/** `resolve` gives expressions names besides the fields above (a dataset's parent columns), knowing which fields are above. */
export function compileTable(spec: TableDoc, fail: Fail, hook?: FieldHook, resolve?: (earlier: string[]) => Resolve): CompiledTable {
  const names = Object.keys(spec.fields);
  if (names.length > MAX_FIELDS) fail(['fields', names[MAX_FIELDS]!], `more than ${MAX_FIELDS} fields (the limit for a table)`);
  // Rows are plain objects: `row.__proto__ = v` sets the row's prototype instead of a column, and
  // the NDJSON reader and the anomaly stages would lose such a column. Refused, not dropped.
  if (names.includes('__proto__')) fail(['fields', '__proto__'], "a field cannot be called '__proto__' (rename it, e.g. proto)");
  // No prototype: a field may be called `constructor` or `toString`.
  const fieldSpecs: Record<string, FieldSpec> = Object.create(null) as Record<string, FieldSpec>;
  const fields: CompiledField[] = [];
  const sequences: Array<{ field: CompiledField; start: number; step: number }> = [];
  const shownGen: Record<string, unknown> = {};
  let rowText = 0; // the most text a row can get from patterns and constants
  names.forEach((name, i) => {
    const f = spec.fields[name]!;
    const type = typeInfo(f.type, (why) => fail(['fields', name, 'type'], why));
    const custom = hook?.(name, f, type, names.slice(0, i), (path, why) => fail(['fields', name, ...path], why));
    if (custom) {
      shownGen[name] = f.generator ?? Object.fromEntries(Object.entries(f).filter(([k, v]) => !FIELD_KEYS.has(k) && !(k === 'after' && isRuleAfter(v))));
      fieldSpecs[name] = { type: type.type, description: f.description ?? '', key: f.key, nullable: (f.null_rate ?? 0) > 0 || custom.nullable };
      fields.push({ name, gen: custom.gen, nullRate: f.null_rate ?? 0, fit: fitter(type), type, fail: (why) => fail(['fields', name], why) });
      return;
    }
    if (!f.generator) fail(['fields', name], "missing required key 'generator'");
    shownGen[name] = f.generator;
    const where = ['fields', name, 'generator'];
    const [genKind, params] = Object.entries(f.generator)[0]!;
    const failGen = (why: string) => fail([...where, genKind], why);
    const makes = MAKES[genKind];
    if (makes && !makes.includes(type.kind)) {
      failGen(`a ${genKind} generator makes ${makes === NUMBERS ? 'numbers' : `${makes[0]} values`}, not ${type.label} values`);
    }
    for (const param of VALUE_PARAMS[genKind] ?? []) {
      const v = (params as Record<string, unknown>)[param];
      if (typeof v !== 'number') continue;
      const fits = type.kind === 'decimal' ? Math.abs(v) <= type.hi : v >= type.lo && v <= type.hi;
      if (!fits) fail([...where, genKind, param], `${v} is outside ${type.label} (${rangeText(type)})`);
    }
    let nullable = (f.null_rate ?? 0) > 0 || genKind === 'expression';
    let gen: Gen;
    try {
      gen = generator(genKind, params, names.slice(0, i), type, failGen, (path, why) => fail([...where, genKind, ...path], why), resolve?.(names.slice(0, i)));
    } catch (err) {
      // Checks made by the distributions themselves (weights summing to 0, ...).
      if (err instanceof DatagenError && err.code !== 'E_SCENARIO_FILE') return failGen(err.message);
      throw err;
    }
    rowText += genKind === 'pattern' ? new Pattern(params as string).maxLength : genKind === 'constant' && typeof params === 'string' ? params.length : 0;
    if (rowText > MAX_ROW_TEXT) failGen(`rows would hold up to ${rowText} characters of text with this field; the limit for a row is ${MAX_ROW_TEXT}`);
    if (genKind === 'constant' && params === null) nullable = true;
    if (genKind === 'choice' && ((params as { values: unknown[] }).values).includes(null)) nullable = true;
    fieldSpecs[name] = { type: type.type, description: f.description ?? '', key: f.key, nullable, ...derivedRules(genKind, params, type) };
    const field: CompiledField = { name, gen, nullRate: f.null_rate ?? 0, fit: fitter(type), type, fail: failGen };
    fields.push(field);
    if (genKind === 'sequence') {
      const o = (params ?? {}) as { start?: number; step?: number };
      sequences.push({ field, start: o.start ?? 1, step: o.step ?? 1 });
    }
  });
  const constraints: Array<[string, Compiled, (why: string) => never]> = (spec.constraints ?? []).map((c, i) => {
    const failHere = (why: string) => fail(['constraints', i], why);
    try {
      return [c, compileExpression(c, names, spec.name, resolve?.(names)), failHere];
    } catch (err) {
      return failHere((err as Error).message);
    }
  });
  // The rules `datagen check` tests: explicit keys replace what the generator implies.
  const kinds = new Map(names.map((n) => [n, kindOf(fieldSpecs[n]!.type)]));
  for (const n of names) {
    const f = spec.fields[n]!;
    const given = { pattern: f.pattern, min: f.min, max: f.max, after: isRuleAfter(f.after) ? f.after : undefined };
    const explicit = explicitRules(n, given, { label: f.type, kind: kinds.get(n)! }, kinds, (key, why) => fail(['fields', n, key], why));
    if (given.min !== undefined || given.max !== undefined) {
      delete fieldSpecs[n]!.min;
      delete fieldSpecs[n]!.max;
    }
    Object.assign(fieldSpecs[n]!, explicit);
  }
  const table = defineTable(spec.name, spec.description ?? '', fieldSpecs);
  const anomalies = spec.anomalies ?? [];
  const stageFactories = anomalies.map((a, i) => {
    const [stage, options] = Object.entries(a)[0]!;
    // Option names are looked up with `in` by the option checks: `__proto__` or `constructor`
    // would pass as known options and be ignored. Refused here, naming the key.
    const inherited = Object.keys(options ?? {}).find((k) => k in Object.prototype);
    if (inherited) fail(['anomalies', i, stage, inherited], `unknown option '${inherited}'`);
    let factory: ReturnType<typeof findTransform>;
    try {
      factory = findTransform(stage);
      factory(options as never); // validate now, so a bad stage fails at load time
    } catch (err) {
      return fail(['anomalies', i, stage], (err as Error).message);
    }
    checkStageColumns(options ?? {}, table, spec.name, (path, why, code) => fail(['anomalies', i, stage, ...path], why, code));
    return () => factory(options as never);
  });

  return {
    schema: table,
    fields: names,
    rules: [
      ...names.map((n) => `${n}: ${JSON.stringify(shownGen[n])}${spec.fields[n]!.null_rate ? `, null ${spec.fields[n]!.null_rate! * 100}%` : ''}`),
      ...(spec.constraints ?? []).map((c) => `every row satisfies ${c}`),
    ],
    stages: stageFactories.length > 0 ? () => stageFactories.map((f) => f()) : undefined,
    checkRows(total) {
      for (const { field, start, step } of sequences) {
        const last = start + step * Math.max(0, total - 1);
        if (total > 0 && field.fit(last) === undefined) field.fail(`row ${total - 1} would be ${last}, outside ${field.type.label} (${rangeText(field.type)})`);
      }
    },
    row(index, streams, nullStreams) {
      let row: Row = {};
      for (let attempt = 0; ; attempt++) {
        row = {};
        let text = 0;
        for (let g = 0; g < fields.length; g++) {
          const field = fields[g]!;
          const made = field.gen(streams[g]!, index, row);
          const v = field.fit(made);
          if (v === undefined) field.fail(`row ${index}: ${misfit(made, field.type)}`);
          if (typeof v === 'string') text += v.length;
          const cell = field.nullRate > 0 && nullStreams[g]!.float() < field.nullRate ? null : v!;
          row[field.name] = cell;
        }
        if (text > MAX_ROW_TEXT) fail(['fields'], `row ${index} has ${text} characters of text; the limit for a row is ${MAX_ROW_TEXT}`);
        let broken: [string, Compiled, (why: string) => never] | undefined;
        for (const c of constraints) {
          let ok: Value;
          try {
            ok = c[1](row);
          } catch (err) {
            return c[2](`row ${index}: ${(err as Error).message}`);
          }
          if (!ok) {
            broken = c;
            break;
          }
        }
        if (!broken) return row;
        if (attempt === 100) broken[2](`${JSON.stringify(broken[0])} failed for 100 draws of row ${index}`);
      }
    },
  };
}

/** A validated single-table document as a scenario. */
export function compileScenario(spec: ScenarioDoc, fail: Fail): ScenarioDefinition {
  const t = compileTable(spec, fail);
  return defineScenario({
    name: spec.name,
    summary: spec.description ?? `${spec.name} (from a YAML scenario)`,
    description: spec.description,
    defaultRows: spec.rows ?? 1000,
    examples: [],
    options: {},
    schema: t.schema,
    rules: t.rules,
    defaultStages: t.stages,
    plan(_opts, { rows: total }) {
      // A sequence's last value is known once the row count is: refuse before the first row.
      t.checkRows(total);
      return {
        rows(first, count, rng) {
          const streams = t.fields.map((name) => rng.fork(name));
          const nullStreams = t.fields.map((name) => rng.fork(name, 'null'));
          const out: Row[] = new Array(count);
          for (let i = 0; i < count; i++) out[i] = t.row(first + i, streams, nullStreams);
          return out;
        },
      };
    },
  });
}

/**
 * The columns a stage's options name (`columns`, `key`, `rates`' column=rate, `when`), checked
 * against the scenario's fields when the file loads: a stage would find the mistake only when
 * it opens, without the file and line.
 */
function checkStageColumns(options: Record<string, unknown>, table: Schema, tableName: string, fail: Fail): void {
  const known = new Set(table.fields.map((f) => f.name));
  const listed = `(columns: ${[...known].join(', ')})`;
  // As the option checks read a list: YAML items, or one comma-separated string.
  const items = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : []).map((x) => x.trim());
  for (const option of ['columns', 'key', 'rates']) {
    items(options[option]).forEach((item, j) => {
      const column = option === 'rates' ? item.split('=')[0]!.trim() : item;
      if (column !== '' && !known.has(column)) {
        const path = Array.isArray(options[option]) ? [option, j] : [option];
        const near = closest(column, [...known]);
        fail(path, `unknown column '${column}' in ${tableName} ${listed}${near ? `; did you mean '${near}'?` : ''}`, 'E_UNKNOWN_COLUMN');
      }
    });
  }
  if (typeof options.when === 'string') {
    try {
      parseCondition(options.when, table, 'when');
    } catch (err) {
      const code = err instanceof DatagenError && err.code === 'E_UNKNOWN_COLUMN' ? 'E_UNKNOWN_COLUMN' : 'E_SCENARIO_FILE';
      fail(['when'], (err as Error).message.replace(/^when: /, ''), code);
    }
  }
}

function generator(
  kind: string,
  p: unknown,
  earlier: string[],
  type: TypeInfo,
  fail: (why: string) => never,
  failAt: (path: string[], why: string) => never,
  resolve?: Resolve,
): Gen {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- shapes are guaranteed by the JSON Schema
  const o = (p ?? {}) as Record<string, any>;
  const places = (v: number) => (o.decimals === undefined ? v : Math.round(v * 10 ** o.decimals) / 10 ** o.decimals);
  const clip = (v: number) => Math.min(o.max ?? Infinity, Math.max(o.min ?? -Infinity, v));
  switch (kind) {
    case 'sequence':
      if (o.within !== undefined) failAt(['within'], 'counts within a parent only in a dataset table with per: (this file has one table)');
      return (_r, i) => (o.start ?? 1) + i * (o.step ?? 1);
    case 'choice': {
      const values = (o.values as unknown[]).map((v, i) => {
        const lit = literal(v, type);
        return 'why' in lit ? failAt(['values', String(i)], lit.why) : lit.value;
      });
      if (o.weights && o.weights.length !== values.length) fail(`${values.length} values but ${o.weights.length} weights`);
      const w = new Weighted(values, (o.weights as number[] | undefined) ?? values.map(() => 1));
      return (r) => w.pick(r);
    }
    case 'uniform':
      if (o.max < o.min) fail(`max ${o.max} is below min ${o.min}`);
      return type.kind === 'int' ? (r) => r.int(o.min, o.max) : (r) => places(r.between(o.min, o.max));
    case 'normal':
      return (r) => places(truncatedNormal(r, o.mean, o.sd, o.min ?? -Infinity, o.max ?? Infinity));
    case 'lognormal':
      return (r) => places(clip(logNormal(r, Math.log(o.median), o.sigma)));
    case 'exponential':
      return (r) => places(exponential(r, o.mean));
    case 'poisson':
      return (r) => poisson(r, o.lambda);
    case 'zipf': {
      const z = new Zipf(o.n, o.s);
      return (r) => z.sample(r);
    }
    case 'bool':
      return (r) => r.chance(o.p);
    case 'date': {
      const day = (which: 'start' | 'end') => parseDate(String(o[which]).slice(0, 10)) ?? failAt([which], `${shown(o[which])} is not a date (write YYYY-MM-DD)`);
      const [a, b] = [day('start'), day('end')];
      if (b < a) fail(`start ${o.start} is after end ${o.end}`);
      return (r) => r.int(a, b);
    }
    case 'timestamp': {
      const instant = (which: 'start' | 'end') => {
        const s = String(o[which]);
        const v = s.length === 10 ? mul(parseDate(s), MICROS_PER_DAY) : parseTimestamp(s);
        return v ?? failAt([which], `${shown(o[which])} is not a date or timestamp (write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)`);
      };
      const [a, b] = [instant('start'), instant('end') + (String(o.end).length === 10 ? MICROS_PER_DAY : 1)];
      if (!(b > a)) fail(`start ${o.start} is after end ${o.end}`);
      if (!(a >= type.lo && b - 1 <= type.hi)) fail(`start and end must lie in ${rangeText(type)}`);
      return (r) => a + Math.floor(r.float() * (b - a));
    }
    case 'pattern': {
      let pattern: Pattern;
      try {
        pattern = new Pattern(p as string);
      } catch (err) {
        return fail((err as Error).message);
      }
      return (r) => pattern.sample(r);
    }
    case 'faker': {
      const { path, locale } = typeof p === 'string' ? { path: p, locale: 'en' } : (p as { path: string; locale?: string });
      const faker = fakerLocale(locale ?? 'en');
      if (!faker) fail(`unknown faker locale '${locale}'`);
      let node: unknown;
      try {
        // Own keys only: `constructor.name` or `__proto__` must not walk into Object.prototype.
        node = path.split('.').reduce<unknown>((n, k) => (n !== null && typeof n === 'object' && Object.hasOwn(n, k) ? (n as Record<string, unknown>)[k] : undefined), faker!.definitions);
      } catch {
        node = undefined; // faker's definitions throw for missing keys
      }
      if (node && !Array.isArray(node) && typeof node === 'object') node = Object.values(node).flat();
      if (!Array.isArray(node) || !node.every((x) => typeof x === 'string') || node.length === 0) {
        fail(`'${path}' is not a word list in faker's ${locale ?? 'en'} data (e.g. person.first_name, person.last_name, location.city_name, company.name?)`);
      }
      const words = node as string[];
      return (r) => r.pick(words);
    }
    case 'expression': {
      let compiled: Compiled;
      try {
        compiled = compileExpression(p as string, earlier, 'expression', resolve);
      } catch (err) {
        return fail((err as Error).message.replace(/^expression: expression /, ''));
      }
      return (_r, i, row) => {
        try {
          return compiled(row);
        } catch (err) {
          return fail(`row ${i}: ${(err as Error).message}`); // text grown past its limit
        }
      };
    }
    case 'reference': {
      const z = o.skew ? new Zipf(o.count, o.skew) : undefined;
      return z ? (r) => z.sample(r) : (r) => r.int(1, o.count);
    }
    case 'constant': {
      const lit = literal(p, type);
      if ('why' in lit) fail(lit.why);
      const value = (lit as { value: Value }).value;
      return () => value;
    }
    default:
      return fail(`unknown generator '${kind}'`);
  }
}
