import { readFileSync } from 'node:fs';
import type { Field } from 'apache-arrow';
import { cellStage, rejectKind, stageOptions, startsFormula, type CellContext, type CellChange } from '../src/anomaly/cell-stage.js';
import { DatagenError } from '../src/core/errors.js';
import { rateOption } from '../src/core/options.js';
import { Rng } from '../src/random/rng.js';
import { kindOf, type Kind, type Value } from '../src/core/schema.js';
import { defineTransform } from '../src/core/units.js';

const STAGE = 'corrupt-fk';

/** The corruption kinds; the ledger records each as `fk_<kind>`. */
export const FK_KINDS = ['absent', 'wrong_type', 'format', 'deleted'] as const;
export type FkKind = (typeof FK_KINDS)[number];

/**
 * Foreign-key corruption: a share of a foreign-key column's values is replaced by keys that do
 * not join the parent table. The parent's keys are given as a dense range (`1..80000`,
 * `CUST0001..CUST20000`, or `template` + `range`) or as a list (`values`, `valuesFile`).
 *
 * Each non-null cell of the columns is picked with probability `rate` (as every cell stage),
 * and a picked cell gets one of the enabled kinds, uniformly: each kind gets rate / kinds.
 * Every value written is checked against the key set before it is used: `absent`,
 * `wrong_type` and `format` values never equal the text of a valid key; `deleted` values are
 * valid keys from a small fixed set of "deleted parents" (the distinct `after` values of the
 * `fk_deleted` ledger entries), to be dropped from the parent table.
 */
export const corruptFk = defineTransform({
  name: STAGE,
  // Each row changed on its own, by its index: worker threads may run it on separate chunks.
  rowLocal: true,
  summary: 'Point a share of foreign keys at parents that do not exist: absent, wrong type, wrong format, deleted parent (every change recorded)',
  description:
    'Keys of the parent table: --range 1..80000 (integer keys), --range CUST0001..CUST20000 (text keys: prefix, number and zero padding read from the first key), ' +
    "--template 'CUST-{n:05}' --range 1..20000, or --values / --values-file. Each picked cell gets one of --kinds, evenly. " +
    'absent, wrong_type and format values never match a valid key; deleted values are valid keys of a small fixed set of deleted parents ' +
    '(the distinct after values of fk_deleted ledger entries): drop those rows from the parent table to score orphan detection.',
  examples: [
    'datagen pipe loans --rows 60000 --customers 20000 | datagen corrupt-fk --columns customer_id --range CUST0001..CUST20000 --rate 0.02 --ledger anomalies.jsonl > loans.ndjson',
    "datagen pipe bank_transactions --customers 2500 | datagen corrupt-fk --columns customer_id --template 'CUST-{n:05}' --range 1..2500 --kinds absent,deleted --ledger fk.jsonl | datagen csv > tx.csv",
    'datagen pipe attendance --employees 500 | datagen corrupt-fk --columns employee_id --range 1..500 --kinds wrong_type,format --seed 7 | datagen csv > attendance.csv',
    'datagen pipe iot_sensors | datagen corrupt-fk --columns device_id --values-file devices.txt --deleted 2 > sensors.ndjson',
  ],
  options: {
    columns: { type: 'list', required: true, description: 'foreign-key column(s) to corrupt, comma separated (all refer to the same parent keys)' },
    rate: rateOption('share of non-null cells to corrupt, 0..1 (split evenly over the kinds)', 0.01),
    range: {
      type: 'string',
      description: "valid parent keys as first..last: '1..80000' for integer keys, 'CUST0001..CUST20000' for text keys (prefix and zero padding from the first key), or numbers with --template",
    },
    template: { type: 'string', description: "text keys made from a number: {n} is the number, {n:05} zero-pads it to 5 digits, e.g. 'CUST-{n:05}' (with a numeric --range)" },
    values: { type: 'list', description: 'valid parent keys, comma separated (instead of --range)' },
    valuesFile: { type: 'string', description: 'file with the valid parent keys, one per line (instead of --range)' },
    kinds: { type: 'list', description: `corruptions to make, comma separated: ${FK_KINDS.join(', ')}`, default: FK_KINDS },
    deleted: {
      type: 'number',
      description: "deleted parents to point 'deleted' corruptions at: a share of the parent keys (below 1) or a count (1 or more); at least one",
      default: 0.001,
      min: 0,
    },
    ...stageOptions,
  },
  create(o) {
    const kinds = parseKinds(o.kinds);
    const keys = parseKeys(o);
    const pool = kinds.includes('deleted') ? deletedIndexes(o.seed, keys.size, o.deleted) : [];
    const spaces = new Map<Kind, KeySpace>();
    // The key space of a column kind (int: numbers; string: text), with its deleted parents.
    const spaceOf = (field: Field): KeySpace => {
      rejectKind(STAGE, field, ['int', 'string']);
      const kind = kindOf(field.type) as 'int' | 'string';
      let space = spaces.get(kind);
      if (!space) {
        space = keys.space(kind, field.name);
        space.deleted = pool.map((i) => space!.at(i));
        spaces.set(kind, space);
      }
      return space;
    };
    return cellStage(STAGE, o, {
      defaultColumns: () => {
        throw new DatagenError('E_OPTION', `${STAGE}: columns must name the foreign-key column(s), got nothing`);
      },
      check: (field) => void spaceOf(field),
      // wrong_type writes text into an integer key column.
      writes: kinds.includes('wrong_type') ? 'text' : undefined,
      change: (cell) => corrupt(cell, spaces.get(cell.kind)!, kinds),
    });
  },
});

/**
 * The parent keys a corrupt-fk stage with these options points its `deleted` corruptions at:
 * a dataset drops these rows from the parent table in the same run, so the orphans are real.
 * Same options (seed, keys, deleted), same keys, as the stage itself computes them.
 */
export function deletedParentKeys(o: { seed?: number; range?: string; template?: string; values?: string[]; valuesFile?: string; deleted?: number }, kind: 'int' | 'string' = 'int'): Value[] {
  const keys = parseKeys(o);
  const space = keys.space(kind, 'key');
  return deletedIndexes(o.seed ?? 42, keys.size, o.deleted ?? 0.001).map((i) => space.at(i));
}

// ------------------------------------------------------------------ options

function parseKinds(list: string[]): FkKind[] {
  const out: FkKind[] = [];
  for (const raw of list) {
    const k = raw.startsWith('fk_') ? raw.slice(3) : raw;
    if (!(FK_KINDS as readonly string[]).includes(k)) {
      throw new DatagenError('E_OPTION', `${STAGE}: kinds must be some of ${FK_KINDS.join(', ')}, got ${JSON.stringify(raw)}`);
    }
    if (!out.includes(k as FkKind)) out.push(k as FkKind);
  }
  if (out.length === 0) throw new DatagenError('E_OPTION', `${STAGE}: kinds must name at least one of ${FK_KINDS.join(', ')}, got nothing`);
  return out;
}

/** A key made of a number: prefix + number zero-padded to `width` digits + suffix. */
interface Template {
  prefix: string;
  width: number;
  suffix: string;
}

const render = (t: Template, n: number) => t.prefix + String(n).padStart(t.width, '0') + t.suffix;

/** The parent keys as the options give them, before a column says whether they are numbers or text. */
interface Keys {
  size: number;
  space(kind: 'int' | 'string', column: string): KeySpace;
}

function parseKeys(o: { range?: string; template?: string; values?: string[]; valuesFile?: string }): Keys {
  const given = (['range', 'values', 'valuesFile'] as const).filter((k) => o[k] !== undefined);
  if (o.template !== undefined && o.range === undefined) {
    throw new DatagenError('E_OPTION', `${STAGE}: template needs a numeric range (e.g. --range 1..20000), got template ${JSON.stringify(o.template)}${given.length ? ' with ' + given.join(' and ') : ' alone'}`);
  }
  if (given.length === 0) {
    throw new DatagenError('E_OPTION', `${STAGE}: the parent keys are needed: give range (e.g. 1..80000 or CUST0001..CUST20000), values or valuesFile`);
  }
  if (given.length > 1) throw new DatagenError('E_OPTION', `${STAGE}: give one of range, values or valuesFile, got ${given.join(' and ')}`);
  if (o.range !== undefined) return rangeKeys(o.range, o.template === undefined ? undefined : parseTemplate(o.template));
  let values = o.values;
  if (o.valuesFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.valuesFile, 'utf8');
    } catch (err) {
      throw new DatagenError('E_OPTION', `${STAGE}: valuesFile cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}, got ${JSON.stringify(o.valuesFile)}`);
    }
    values = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  }
  const unique = [...new Set(values)];
  if (unique.length === 0) throw new DatagenError('E_OPTION', `${STAGE}: ${o.values ? 'values' : 'valuesFile'} must hold at least one key, got none`);
  return setKeys(unique);
}

function parseTemplate(text: string): Template {
  const m = /^([^{}]*)\{n(?::0(\d{1,2}))?\}([^{}]*)$/.exec(text);
  const fail = () => {
    throw new DatagenError('E_OPTION', `${STAGE}: template must hold one {n} or {n:0W} (W digits, zero-padded), e.g. 'CUST{n:04}', got ${JSON.stringify(text)}`);
  };
  if (!m) return fail();
  const [, prefix, width, suffix] = m;
  // A suffix starting with a digit would make the number's end ambiguous.
  if (/^\d/.test(suffix!)) return fail();
  return { prefix: prefix!, width: width ? Number(width) : 1, suffix: suffix! };
}

/** 'a..b' with whole numbers, or 'CUST0001..CUST20000' (template read from the first key). */
function rangeKeys(text: string, explicit: Template | undefined): Keys {
  const fail = (why: string): never => {
    throw new DatagenError('E_OPTION', `${STAGE}: range must be first..last ${why}, got ${JSON.stringify(text)}`);
  };
  const parts = text.split('..');
  if (parts.length !== 2) fail("(e.g. 1..80000 or CUST0001..CUST20000)");
  const [lo, hi] = parts.map((p) => p.trim()) as [string, string];
  let first: number;
  let last: number;
  let template = explicit;
  const numeric = /^\d+$/.test(lo) && /^\d+$/.test(hi);
  if (numeric) {
    first = Number(lo);
    last = Number(hi);
  } else {
    if (explicit) fail('in plain numbers when a template is given (e.g. 1..20000)');
    const a = /^(.*?)(\d+)(\D*)$/.exec(lo);
    const b = /^(.*?)(\d+)(\D*)$/.exec(hi);
    if (!a || !b) return fail('with whole numbers or keys ending in a number (e.g. 1..80000 or CUST0001..CUST20000)');
    template = { prefix: a[1]!, width: a[2]!.length, suffix: a[3]! };
    first = Number(a[2]);
    last = Number(b[2]);
    if (render(template, last) !== hi) fail(`with both keys in one format (prefix, suffix, zero padding of the first key: ${render(template, last)})`);
  }
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last > 2 ** 52) fail('with numbers below 2^52');
  if (first > last) fail('with first <= last');
  const size = last - first + 1;
  return {
    size,
    space(kind, column) {
      if (kind === 'int' && template) {
        throw new DatagenError('E_OPTION', `${STAGE}: column '${column}' holds integers; range must be plain numbers (e.g. 1..80000) without template, got ${JSON.stringify(text)}`);
      }
      if (kind === 'string' && !template) {
        throw new DatagenError(
          'E_OPTION',
          `${STAGE}: column '${column}' holds text keys; give range as keys (e.g. CUST0001..CUST20000) or add a template (e.g. CUST{n:04}, or {n} for plain digits), got range ${JSON.stringify(text)}`,
        );
      }
      return new RangeSpace(first, last, template);
    },
  };
}

function setKeys(values: string[]): Keys {
  return {
    size: values.length,
    space(kind, column) {
      if (kind === 'string') return new TextSetSpace(values);
      const numbers = values.map((v) => {
        const n = Number(v);
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
          throw new DatagenError('E_OPTION', `${STAGE}: column '${column}' holds integers; values must be whole numbers, got ${JSON.stringify(v)}`);
        }
        return n;
      });
      return new IntSetSpace([...new Set(numbers)]);
    },
  };
}

/**
 * Which parent keys are "deleted": `share` of them (below 1) or a count, at least one, chosen
 * by Floyd's algorithm from the stage seed alone, so every process of a pipe agrees.
 */
const MAX_DELETED = 1_000_000;

function deletedIndexes(seed: number, size: number, deleted: number): number[] {
  if (!(deleted > 0) || (deleted >= 1 && !Number.isInteger(deleted))) {
    throw new DatagenError('E_OPTION', `${STAGE}: deleted must be a share above 0 and below 1, or a whole count, got ${deleted}`);
  }
  const count = deleted < 1 ? Math.max(1, Math.round(deleted * size)) : deleted;
  if (count > size) throw new DatagenError('E_OPTION', `${STAGE}: deleted must be at most the ${size} parent keys, got ${deleted}`);
  if (count > MAX_DELETED) throw new DatagenError('E_OPTION', `${STAGE}: deleted must give at most ${MAX_DELETED} parents (${count} of ${size} keys asked), got ${deleted}`);
  const rng = Rng.seeded(seed).fork('deleted-parents', STAGE);
  const chosen = new Set<number>();
  for (let j = size - count; j < size; j++) {
    const t = rng.int(0, j);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

// ------------------------------------------------------------------ key spaces

/** The valid keys of the parent as one column kind holds them (numbers or text). */
abstract class KeySpace {
  /** The deleted parents' keys (set when the column is checked). */
  deleted: Array<number | string> = [];
  abstract readonly size: number;
  /** The valid key number i (0 <= i < size). */
  abstract at(i: number): number | string;
  /** Does the value, written as text, equal a valid key? (what an exact join compares) */
  abstract has(v: Value): boolean;
  /** A well-formed key that is not a valid key. */
  abstract absent(rng: Rng): number | string;
}

/** Dense keys first..last: integers, or text made by a template. */
class RangeSpace extends KeySpace {
  readonly size: number;
  private readonly parse: RegExp | undefined;
  /** How far absent keys reach beyond the range. */
  private readonly reach: number;

  constructor(
    private readonly first: number,
    private readonly last: number,
    private readonly template: Template | undefined,
  ) {
    super();
    this.size = last - first + 1;
    this.reach = Math.max(10, Math.ceil(this.size * 0.1));
    this.parse = template ? new RegExp(`^${escape(template.prefix)}(\\d+)${escape(template.suffix)}$`) : undefined;
  }

  private key(n: number): number | string {
    return this.template ? render(this.template, n) : n;
  }

  at(i: number): number | string {
    return this.key(this.first + i);
  }

  has(v: Value): boolean {
    if (v === null) return false;
    const text = String(v);
    let n: number;
    if (this.template) {
      const m = this.parse!.exec(text);
      if (!m) return false;
      n = Number(m[1]);
      if (render(this.template, n) !== text) return false;
    } else {
      if (!/^(0|[1-9]\d*)$/.test(text)) return false;
      n = Number(text);
    }
    return n >= this.first && n <= this.last;
  }

  absent(rng: Rng): number | string {
    // Mostly just past the last key (parents not loaded yet), sometimes just before the first.
    const below = this.first > 0 && rng.chance(0.2);
    const n = below ? rng.int(Math.max(0, this.first - this.reach), this.first - 1) : this.last + rng.int(1, this.reach);
    return this.key(n);
  }
}

/** Integer keys listed one by one. */
class IntSetSpace extends KeySpace {
  readonly size: number;
  private readonly set: Set<number>;
  private readonly min: number;
  private readonly max: number;
  private readonly reach: number;

  constructor(private readonly values: number[]) {
    super();
    this.size = values.length;
    this.set = new Set(values);
    this.min = values.reduce((a, b) => Math.min(a, b));
    this.max = values.reduce((a, b) => Math.max(a, b));
    this.reach = Math.max(10, Math.ceil((this.max - this.min + 1) * 0.1));
  }

  at(i: number): number {
    return this.values[i]!;
  }

  has(v: Value): boolean {
    if (v === null) return false;
    const text = String(v);
    return /^(0|[1-9]\d*)$/.test(text) && this.set.has(Number(text));
  }

  absent(rng: Rng): number {
    // A gap inside the keys' span half of the time (if one is found quickly), else past the end.
    if (rng.chance(0.5)) {
      for (let attempt = 0; attempt < 8; attempt++) {
        const n = rng.int(this.min, this.max);
        if (!this.set.has(n)) return n;
      }
    }
    return this.max + rng.int(1, this.reach);
  }
}

/** Text keys listed one by one. */
class TextSetSpace extends KeySpace {
  readonly size: number;
  private readonly set: Set<string>;
  /** The largest number any key ends in (-1 if none does): one past it is never a key. */
  private readonly top: number;
  private readonly reach: number;

  constructor(private readonly values: string[]) {
    super();
    this.size = values.length;
    this.set = new Set(values);
    let top = -1;
    for (const v of values) {
      const m = TRAILING_NUMBER.exec(v);
      if (m) top = Math.max(top, Number(m[2]));
    }
    this.top = top;
    this.reach = Math.max(10, Math.ceil(values.length * 0.1));
  }

  at(i: number): string {
    return this.values[i]!;
  }

  has(v: Value): boolean {
    return v !== null && this.set.has(String(v));
  }

  absent(rng: Rng): string {
    // A listed key's shape (prefix, zero padding, suffix) with another number: a gap among the
    // numbers some of the time, else past the largest (never a key). Keys without a number:
    // one letter changed.
    const model = this.values[rng.int(0, this.values.length - 1)]!;
    const m = TRAILING_NUMBER.exec(model);
    if (m) {
      const shape = (n: number) => m[1]! + String(n).padStart(m[2]!.length, '0') + m[3]!;
      if (rng.chance(0.3)) {
        for (let attempt = 0; attempt < 4; attempt++) {
          const candidate = shape(rng.int(0, this.top));
          if (!this.set.has(candidate) && !startsFormula(candidate)) return candidate;
        }
      }
      return shape(this.top + rng.int(1, this.reach));
    }
    const letters = [...model].flatMap((c, i) => (/[a-z]/i.test(c) ? [i] : []));
    for (let attempt = 0; attempt < 16 && letters.length > 0; attempt++) {
      const i = rng.pick(letters);
      const c = model[i]!;
      const alphabet = c === c.toUpperCase() ? 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' : 'abcdefghijklmnopqrstuvwxyz';
      const candidate = model.slice(0, i) + alphabet[rng.int(0, 25)] + model.slice(i + 1);
      if (!this.set.has(candidate) && !startsFormula(candidate)) return candidate;
    }
    // Always ends: the set is finite.
    let candidate = model + 'X';
    while (this.set.has(candidate) || startsFormula(candidate)) candidate += 'X';
    return candidate;
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ------------------------------------------------------------------ corruptions

/** prefix, the last run of digits, and what follows it. */
const TRAILING_NUMBER = /^(.*?)(\d+)(\D*)$/;
/** Separators between a key's prefix and its number. */
const SEPARATORS = '-_./: ';
/** Letters for "12a": no e or x, so no text reads as 1e3 or 0x1 to a lenient number parser. */
const TYPO_LETTERS = 'abcdfghjkmnpqrstuvwyz';

function corrupt(cell: CellContext, space: KeySpace, kinds: readonly FkKind[]): CellChange {
  const { value, rng } = cell;
  const kind = kinds[rng.int(0, kinds.length - 1)]!;
  // A corruption must change the value, must not join a valid key, and must not read as a formula.
  const fails = (v: number | string) => v !== value && String(v) !== String(value) && !space.has(v) && !(typeof v === 'string' && startsFormula(v));
  let candidates: Array<number | string> = [];
  switch (kind) {
    case 'deleted': {
      const pool = space.deleted;
      let i = rng.int(0, pool.length - 1);
      if (pool[i] === value) i = (i + 1) % pool.length;
      if (pool[i] !== value) return { kind: 'fk_deleted', after: pool[i]! };
      break;
    }
    case 'wrong_type':
      candidates = wrongType(value, cell.kind, rng).filter(fails);
      break;
    case 'format':
      candidates = reformat(value, rng).filter(fails);
      break;
    default:
      break;
  }
  if (candidates.length > 0) return { kind: `fk_${kind}`, after: rng.pick(candidates) };
  // absent, or a kind that found nothing for this value (e.g. a format of a key with no
  // letters, digits or separators): a well-formed absent key.
  let after = space.absent(rng);
  while (!fails(after)) after = space.absent(rng);
  return { kind: 'fk_absent', after };
}

/** The entity's number as text: the value itself for an integer, else its last run of digits. */
function entityDigits(value: number | string | boolean): string | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? String(value) : undefined;
  const m = TRAILING_NUMBER.exec(String(value));
  return m ? m[2]!.replace(/^0+(?=\d)/, '') : undefined;
}

/** The same entity written as another type: a float, text in an integer column, a bare number in a text column. */
function wrongType(value: number | string | boolean, kind: Kind, rng: Rng): string[] {
  const digits = entityDigits(value);
  if (digits === undefined) return [];
  if (kind === 'int') {
    const i = rng.int(0, digits.length - 1);
    const typo = digits.length === 1 ? digits + rng.pick([...TYPO_LETTERS]) : digits.slice(0, i) + rng.pick([...TYPO_LETTERS]) + digits.slice(i + 1);
    return [digits + '.0', 'ID-' + digits, typo];
  }
  return [digits, digits + '.0'];
}

/** The same entity in another format: case, zero padding, separator, surrounding space. */
function reformat(value: number | string | boolean, rng: Rng): string[] {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) return [];
    const t = String(value);
    const out = ['0'.repeat(rng.int(1, 3)) + t, ' ' + t, t + ' '];
    if (value >= 1000) out.push(t.replace(/\B(?=(\d{3})+(?!\d))/g, ','));
    return out;
  }
  const s = String(value);
  const out: string[] = [];
  const toggled = s === s.toUpperCase() ? s.toLowerCase() : s.toUpperCase();
  if (toggled !== s) out.push(toggled);
  const m = TRAILING_NUMBER.exec(s);
  if (m) {
    const [, pre, digits, post] = m as unknown as [string, string, string, string];
    if (digits.length > 1 && digits[0] === '0') out.push(pre + digits.replace(/^0+(?=\d)/, '') + post);
    out.push(pre + '0' + digits + post);
    const sep = pre.at(-1);
    if (sep !== undefined && SEPARATORS.includes(sep)) {
      out.push(pre.slice(0, -1) + digits + post);
      out.push(pre.slice(0, -1) + (sep === '-' ? '_' : '-') + digits + post);
    } else if (sep !== undefined && /[a-z]/i.test(sep)) out.push(pre + '-' + digits + post);
  }
  out.push(' ' + s, s + ' ');
  return out;
}
