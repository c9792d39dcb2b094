import type { Field, Schema } from 'apache-arrow';
import { keyRecorder, startsFormula, stageOptions } from '../src/anomaly/cell-stage.js';
import { parseCondition, type RowTest } from '../src/anomaly/condition.js';
import { DatagenError } from '../src/core/errors.js';
import { nullLedger, type Ledger } from '../src/anomaly/ledger.js';
import { rateOption } from '../src/core/options.js';
import { blockPicker, forEachPick } from '../src/random/picks.js';
import { Rng } from '../src/random/rng.js';
import { uuid4 } from '../src/random/uuid.js';
import { fieldValues, keyColumns, kindOf, resolveColumns, tableName, type Kind, type Row, type Value } from '../src/core/schema.js';
import type { Batch, StageFn } from '../src/core/stage.js';
import { civilFromDays, daysFromCivil } from '../src/core/temporal.js';
import { defineTransform } from '../src/core/units.js';
import { typo } from './noise.js';

/**
 * Duplicate rows, as data-quality and record-linkage tools see them. Each input row (that
 * matches `when`) gets a duplicate with probability `rate`; the duplicate's kind is one of
 * `kinds`, chosen evenly, so each kind gets rate / kinds.length of the rows:
 *
 *   exact  an exact copy of the row;
 *   key    the same primary key with another row's content: the non-key values of the nearest
 *          earlier input row whose content differs (within 8 rows; otherwise one value of the
 *          row is re-drawn), a duplicate primary key that a uniqueness check must catch;
 *   near   the same entity entered again: 1-3 fields changed the way record linkage sees them
 *          (typo, case, whitespace, abbreviation, name parts swapped or first name as an
 *          initial, two paired columns swapped, a number rounded, day and month swapped) and a
 *          new surrogate key in the first text or integer key column, from a range that the
 *          source's sequential keys do not reach (see freshKeyMaker): a near duplicate's key
 *          collides neither with an input key nor with another near duplicate's.
 *
 * A duplicate is inserted `delay` input rows after its original (uniform in 1..window; 1 is
 * the very next row), so memory stays near window x rate rows; duplicates still pending when
 * the input ends follow the last row. Which rows, which kind, the delay and the changes
 * depend only on (seed, input row index), never on batch boundaries. Input rows are passed on
 * untouched; duplicates are new row objects. The stage emits more rows than it receives, so
 * output batches carry output row indexes, and the ledger records, per inserted row, its
 * output index (`row`), the output index of its original (`before`), `column: '*'` and for
 * near duplicates what differs (`after`, e.g. "customer_id: new key; full_name: typo").
 * Deleting the rows the ledger lists gives back the input, in order.
 */
export const KINDS = ['exact', 'key', 'near'] as const;
export type DuplicateKind = (typeof KINDS)[number];
const LEDGER_KIND: Record<DuplicateKind, string> = { exact: 'duplicate_exact', key: 'duplicate_key', near: 'near_duplicate' };

export const duplicate = defineTransform({
  name: 'duplicate',
  summary: 'Insert duplicate rows later in the stream: exact copies, duplicate primary keys, near duplicates (typos, swaps, case, abbreviations)',
  description:
    'Each row gets a duplicate with probability rate, of one of the requested kinds (chosen evenly), inserted 1..window rows after it. ' +
    'Near duplicates get a new key and 1-3 changed fields. The ledger lists every inserted row with the output row of its original.',
  examples: [
    'datagen pipe customer_360 --rows 100000 | datagen duplicate --rate 0.002 --key customer_id --near --ledger dups.jsonl | datagen csv > customers.csv',
    'datagen pipe bank_transactions | datagen duplicate --rate 0.01 --window 50 > with_dups.ndjson',
    'datagen pipe loans --rows 10000 | datagen duplicate --rate 0.005 --kinds key,near --columns status,branch --ledger dups.jsonl | datagen csv > loans.csv',
  ],
  options: {
    rate: rateOption('share of input rows that get a duplicate, 0..1', 0.01),
    kinds: { type: 'list', description: 'kinds of duplicate, comma separated: exact, key (same primary key, other content), near (new key, a few fields changed); each duplicated row gets one, evenly', default: ['exact'] },
    near: { type: 'boolean', description: 'also make near duplicates (adds near to --kinds)', default: false },
    key: { type: 'list', description: "primary key column(s) (default: the schema's key columns)" },
    columns: { type: 'list', description: 'columns near duplicates may change (default: every column that is neither a key nor named id or *_id)' },
    window: { type: 'integer', description: 'largest distance, in input rows, between a row and its duplicate (1 = the next row)', default: 1000, min: 1 },
    ...stageOptions,
  },
  create: (o) => {
    const kinds = parseKinds(o.kinds, o.near);
    if (o.columns && o.columns.length > 0 && !kinds.includes('near')) {
      throw new DatagenError('E_OPTION', `duplicate: columns chooses what near duplicates change; add near to kinds (--near), got columns ${JSON.stringify(o.columns.join(','))}`);
    }
    return (schema, ctx) => openDuplicate(schema, ctx.ledger, { ...o, kinds });
  },
});

function parseKinds(list: string[], near: boolean): DuplicateKind[] {
  const out: DuplicateKind[] = [];
  for (const k of [...list, ...(near ? ['near'] : [])]) {
    if (!(KINDS as readonly string[]).includes(k)) throw new DatagenError('E_OPTION', `duplicate: kinds must be ${KINDS.join(', ')}, got ${JSON.stringify(k)}`);
    if (!out.includes(k as DuplicateKind)) out.push(k as DuplicateKind);
  }
  if (out.length === 0) throw new DatagenError('E_OPTION', `duplicate: kinds must name at least one of ${KINDS.join(', ')}, got ${JSON.stringify(list.join(','))}`);
  return out;
}

interface Opts {
  rate: number;
  kinds: DuplicateKind[];
  key: string[] | undefined;
  columns: string[] | undefined;
  window: number;
  seed: number;
  when: string | undefined;
}

/** A duplicate made when its original passed, waiting for its place in the output. */
interface Pending {
  /** Input index of the original. */
  source: number;
  /** Inserted right after input row `at` (source + delay - 1). */
  at: number;
  row: Row;
  kind: DuplicateKind;
  /** What differs, for near duplicates. */
  note: string | null;
  /** Output index of the original, set when it is emitted. */
  original: number;
}

/** Earlier input rows a key duplicate may take its content from. */
const DONORS = 8;

function openDuplicate(schema: Schema, ledger: Ledger, o: Opts): StageFn {
  const stage = 'duplicate';
  const table = tableName(schema);
  const fields = new Map(schema.fields.map((f) => [f.name, f]));
  const keys = resolveColumns(schema, o.key, stage, () => keyColumns(schema));
  const keySet = new Set(keys);
  if (o.kinds.includes('key') && keys.length === 0) {
    throw new DatagenError('E_OPTION', `duplicate: kind 'key' needs key columns, and ${table} declares none: name them with key (--key col1,col2)`);
  }
  const contentColumns = schema.fields.map((f) => f.name).filter((c) => !keySet.has(c));
  const near = o.kinds.includes('near') ? nearPlan(schema, keys, o.columns) : undefined;
  const when: RowTest | undefined = o.when ? parseCondition(o.when, schema, stage) : undefined;
  const root = Rng.seeded(o.seed).fork('stage', stage);
  const picks = blockPicker(root.fork('picks'), o.rate);
  const fresh = freshKeyMaker(root.fork('fresh_key'));
  const recording = ledger !== nullLedger && !ledger.countOnly;
  const keyOf = keyRecorder(schema, keys);
  const keepDonors = o.kinds.includes('key');
  /** Copies of the last DONORS input rows of earlier batches (later stages change theirs in place). */
  const recent: Array<{ index: number; row: Row }> = [];
  const pending = new Heap();
  let outOffset = 0;

  const emit = (d: Pending, index: number) => {
    if (!recording) return void ledger.tally?.(1);
    ledger.record({
      stage,
      table,
      row: index,
      ...(keyOf ? { key: keyOf(d.row) } : {}),
      column: '*',
      kind: LEDGER_KIND[d.kind],
      before: d.original,
      after: d.note,
    });
  };

  const make = (index: number, row: Row, rowAt: (i: number) => Row | undefined): Pending => {
    const rng = root.fork('row', index);
    const kind = o.kinds[Math.floor(rng.float() * o.kinds.length)]!;
    const delay = rng.int(1, o.window);
    let copy: Row = { ...row };
    let note: string | null = null;
    if (kind === 'key') copy = keyDuplicate(row, index, rowAt, contentColumns, fields, rng);
    else if (kind === 'near') {
      const notes: Array<[number, string]> = [];
      if (near!.keyColumn !== undefined && row[near!.keyColumn] !== null) {
        copy[near!.keyColumn] = fresh(row[near!.keyColumn]!, near!.keyKind, index, rng);
        notes.push([-1, `${near!.keyColumn}: new key`]);
      }
      nearChanges(copy, near!, rng, notes);
      note = notes.length === 0 ? 'unchanged (no field could change)' : notes.sort((a, b) => a[0] - b[0]).map((n) => n[1]).join('; ');
    }
    return { source: index, at: index + delay - 1, row: copy, kind, note, original: -1 };
  };

  const fn = (batch: Batch): Batch => {
    const rows = batch.rows;
    const first = batch.offset;
    const n = rows.length;
    const end = first + n;
    const rowAt = (i: number): Row | undefined => {
      if (i >= first && i < end) return rows[i - first];
      for (const r of recent) if (r.index === i) return r.row;
      return undefined;
    };
    // Duplicates of this batch's rows, in input order.
    const made: Pending[] = [];
    if (o.rate > 0) {
      forEachPick(picks, first, end, (index) => {
        const row = rows[index - first]!;
        if (!when || when(row)) made.push(make(index, row, rowAt));
      });
    }
    for (const d of made) pending.push(d);
    if (keepDonors) {
      for (let i = Math.max(0, n - DONORS); i < n; i++) recent.push({ index: first + i, row: { ...rows[i]! } });
      if (recent.length > DONORS) recent.splice(0, recent.length - DONORS);
    }

    let m = 0; // next of `made` whose original is not yet placed
    const top = pending.peek();
    if (!top || top.at >= end) {
      // Nothing to insert here: the rows go on as they are, under output indexes.
      for (const d of made) d.original = outOffset + (d.source - first);
      const out = { schema: batch.schema, rows, offset: outOffset };
      outOffset += n;
      return out;
    }
    const out: Row[] = [];
    let cursor = first;
    const copyUpTo = (last: number) => {
      for (; cursor <= last; cursor++) {
        while (m < made.length && made[m]!.source === cursor) made[m++]!.original = outOffset + out.length;
        out.push(rows[cursor - first]!);
      }
    };
    for (let d = pending.peek(); d && d.at < end; d = pending.peek()) {
      pending.pop();
      copyUpTo(d.at);
      emit(d, outOffset + out.length);
      out.push(d.row);
    }
    copyUpTo(end - 1);
    const result = { schema: batch.schema, rows: out, offset: outOffset };
    outOffset += out.length;
    return result;
  };

  return Object.assign(fn, {
    end(): Batch | undefined {
      if (pending.size === 0) return undefined;
      const rows: Row[] = [];
      for (let d = pending.pop(); d; d = pending.pop()) {
        emit(d, outOffset + rows.length);
        rows.push(d.row);
      }
      const out = { schema, rows, offset: outOffset };
      outOffset += rows.length;
      return out;
    },
  });
}

// ---------------------------------------------------------------- choice of rows

/** Pending duplicates, smallest (at, source) first. */
class Heap {
  private items: Pending[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Pending | undefined {
    return this.items[0];
  }
  push(p: Pending): void {
    const a = this.items;
    a.push(p);
    let i = a.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!before(a[i]!, a[up]!)) break;
      [a[i], a[up]] = [a[up]!, a[i]!];
      i = up;
    }
  }
  pop(): Pending | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let s = i;
        if (l < a.length && before(a[l]!, a[s]!)) s = l;
        if (r < a.length && before(a[r]!, a[s]!)) s = r;
        if (s === i) break;
        [a[i], a[s]] = [a[s]!, a[i]!];
        i = s;
      }
    }
    return top;
  }
}
const before = (x: Pending, y: Pending) => x.at < y.at || (x.at === y.at && x.source < y.source);

// ---------------------------------------------------------------- key duplicates

/**
 * Same key, other content: the non-key values of the nearest earlier input row (up to DONORS
 * back) whose non-key values differ from the original's. Without one (the first row, or a
 * run of identical rows), one non-key value of the original is re-drawn instead.
 */
function keyDuplicate(row: Row, index: number, rowAt: (i: number) => Row | undefined, content: string[], fields: Map<string, Field>, rng: Rng): Row {
  const copy: Row = { ...row };
  for (let k = 1; k <= DONORS && index - k >= 0; k++) {
    const donor = rowAt(index - k);
    if (!donor) break;
    if (content.some((c) => donor[c] !== row[c])) {
      for (const c of content) copy[c] = donor[c] ?? null;
      return copy;
    }
  }
  const candidates = content.filter((c) => row[c] !== null && row[c] !== undefined);
  for (let tries = candidates.length; tries > 0; tries--) {
    const c = candidates.splice(rng.int(0, candidates.length - 1), 1)[0]!;
    const field = fields.get(c)!;
    const after = redraw(row[c]!, kindOf(field.type), (field.type as { scale?: number }).scale ?? 0, rng);
    if (after !== undefined && after !== row[c] && !(startsFormula(after) && !startsFormula(row[c]!))) {
      copy[c] = after;
      return copy;
    }
  }
  return copy; // every non-key value null and no donor: nothing can differ
}

/** A small, type-keeping change of one value (the fallback content of a key duplicate). */
function redraw(value: Exclude<Value, null>, kind: Kind, scale: number, rng: Rng): Value | undefined {
  if (typeof value === 'string') return typo(value, rng)?.after;
  if (typeof value === 'boolean') return !value;
  const sign = rng.chance(0.5) ? 1 : -1;
  switch (kind) {
    case 'int':
    case 'date':
      return value + sign;
    case 'decimal':
      return Number((value + sign * 10 ** -scale).toFixed(scale));
    case 'float': {
      const places = Math.min(6, decimals(value));
      return Number((value + sign * 10 ** -places).toFixed(places));
    }
    case 'time':
      return value + 60 <= 86399 ? value + 60 : value - 60;
    case 'timestamp':
      return value + sign * 1_000_000;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------- near duplicates

interface NearColumn {
  name: string;
  kind: Kind;
  scale: number;
  /** Relative chance of being the changed field: person names and paired fields first. */
  weight: number;
  person: boolean;
  /** A first/given name column: the whole value can become an initial. */
  firstName: boolean;
  /** A column whose values this one's can be swapped with (first_name <-> last_name, x1 <-> x2). */
  partner?: string;
}

interface NearPlan {
  columns: NearColumn[];
  /** Index of each column in `columns`. */
  position: Map<string, number>;
  /** The key column that gets a new surrogate value (the first text or integer key column). */
  keyColumn?: string;
  keyKind: Kind;
}

const PERSON_NAME = /(^|_)(full|first|last|given|family|middle|customer|person|contact|holder|employee|patient|client)_?name$|^(sur|fore)name$/i;
const FIRST_NAME = /(^|_)(first|given)_?name$|^forename$/i;
const ID_COLUMN = /(^|_)id$/i;

function nearPlan(schema: Schema, keys: string[], requested: string[] | undefined): NearPlan {
  const keySet = new Set(keys);
  const names = resolveColumns(schema, requested, 'duplicate', () => schema.fields.map((f) => f.name).filter((c) => !keySet.has(c) && !ID_COLUMN.test(c)));
  for (const c of requested ?? []) {
    if (keySet.has(c)) throw new DatagenError('E_OPTION', `duplicate: columns must not name key column '${c}'; near duplicates get a new key instead`);
  }
  const columns: NearColumn[] = names.map((name) => {
    const f = schema.fields.find((x) => x.name === name)!;
    const kind = kindOf(f.type);
    const person = kind === 'string' && PERSON_NAME.test(name);
    const closed = fieldValues(f) !== undefined;
    return {
      name,
      kind,
      scale: (f.type as { scale?: number }).scale ?? 0,
      weight: person ? 3 : kind === 'string' ? (closed ? 1 : 2) : 1,
      person,
      firstName: kind === 'string' && FIRST_NAME.test(name),
    };
  });
  // Pairs: <p>first_name / <p>last_name (given/family, forename/surname), and <s>1 / <s>2.
  const byName = new Map(columns.map((c) => [c.name, c]));
  for (const c of columns) {
    if (c.kind !== 'string' || c.partner) continue;
    let other: string | undefined;
    const name = /^(.*?)(first|given)(_?)name$/i.exec(c.name);
    if (name) other = [`${name[1]}last${name[3]}name`, `${name[1]}family${name[3]}name`, `${name[1]}surname`].find((x) => byName.get(x)?.kind === 'string');
    if (/^forename$/i.test(c.name) && byName.get('surname')?.kind === 'string') other = 'surname';
    const numbered = /^(.*?)1$/.exec(c.name);
    if (numbered && byName.get(`${numbered[1]}2`)?.kind === 'string') other = `${numbered[1]}2`;
    if (other) {
      c.partner = other;
      byName.get(other)!.partner = c.name;
      c.weight = byName.get(other)!.weight = 3;
    }
  }
  const keyColumn = keys.find((k) => {
    const kind = kindOf(schema.fields.find((f) => f.name === k)!.type);
    return kind === 'string' || kind === 'int';
  });
  const keyKind = keyColumn ? kindOf(schema.fields.find((f) => f.name === keyColumn)!.type) : 'string';
  if (!keyColumn && columns.length === 0) {
    throw new DatagenError('E_OPTION', `duplicate: near duplicates need a text or integer key column or a column to change; ${schema.fields.map((f) => f.name).join(', ')} offer neither`);
  }
  return { columns, position: new Map(columns.map((c, i) => [c.name, i])), keyColumn, keyKind };
}

/**
 * Change 1 field (60%), 2 (30%) or 3 (10%) of a near duplicate, each a different column picked
 * by weight, with a change that fits its value. Notes are [column position, text].
 */
function nearChanges(row: Row, plan: NearPlan, rng: Rng, notes: Array<[number, string]>): void {
  const u = rng.float();
  const want = u < 0.6 ? 1 : u < 0.9 ? 2 : 3;
  const pool: number[] = [];
  for (let i = 0; i < plan.columns.length; i++) {
    const v = row[plan.columns[i]!.name];
    if (v !== null && v !== undefined) pool.push(i);
  }
  const position = plan.position;
  let made = 0;
  while (made < want && pool.length > 0) {
    let total = 0;
    for (const i of pool) total += plan.columns[i]!.weight;
    let r = rng.float() * total;
    let at = 0;
    while (at < pool.length - 1 && (r -= plan.columns[pool[at]!]!.weight) >= 0) at++;
    const col = plan.columns[pool[at]!]!;
    pool.splice(at, 1);
    const value = row[col.name]!;
    const ops = shuffle(opsFor(col, value, row, pool, position), rng);
    for (const op of ops) {
      if (op === 'swapped_columns') {
        const other = col.partner!;
        const a = row[col.name]!;
        const b = row[other]!;
        row[col.name] = b;
        row[other] = a;
        pool.splice(pool.indexOf(position.get(other)!), 1);
        const [x, y] = position.get(col.name)! < position.get(other)! ? [col.name, other] : [other, col.name];
        notes.push([Math.min(position.get(col.name)!, position.get(other)!), `${x}, ${y}: swapped`]);
        made++;
        break;
      }
      const after = applyOp(op, col, value, rng);
      if (after === undefined || after === value || (startsFormula(after) && !startsFormula(value))) continue;
      row[col.name] = after;
      notes.push([position.get(col.name)!, `${col.name}: ${LABEL[op]}`]);
      made++;
      break;
    }
  }
}

type Op = 'typo' | 'case' | 'whitespace' | 'abbreviation' | 'swapped' | 'initial' | 'swapped_columns' | 'rounded' | 'day_month';
const LABEL: Record<Op, string> = {
  typo: 'typo',
  case: 'case',
  whitespace: 'whitespace',
  abbreviation: 'abbreviation',
  swapped: 'name parts swapped',
  initial: 'initial',
  swapped_columns: 'swapped',
  rounded: 'rounded',
  day_month: 'day and month swapped',
};

function opsFor(col: NearColumn, value: Exclude<Value, null>, row: Row, pool: number[], position: Map<string, number>): Op[] {
  if (typeof value === 'string') {
    if (value.length === 0) return [];
    const ops: Op[] = ['typo', 'whitespace'];
    if (value.toLowerCase() !== value.toUpperCase()) ops.push('case', 'abbreviation'); // abbreviation gives up when no word fits
    const words = value.trim().split(/\s+/).length;
    if (col.person && words >= 2) ops.push('swapped', 'initial');
    else if (col.firstName && /^\p{L}{2}/u.test(value)) ops.push('initial');
    if (col.partner && pool.includes(position.get(col.partner)!) && row[col.partner] !== null && row[col.partner] !== undefined && row[col.partner] !== value) ops.push('swapped_columns');
    return ops;
  }
  if (typeof value !== 'number') return [];
  switch (col.kind) {
    case 'decimal':
    case 'float':
    case 'timestamp':
    case 'time':
      return ['rounded'];
    case 'date':
      return ['day_month'];
    default:
      return [];
  }
}

function applyOp(op: Op, col: NearColumn, value: Exclude<Value, null>, rng: Rng): Value | undefined {
  if (typeof value === 'string') {
    switch (op) {
      case 'typo':
        return typo(value, rng)?.after;
      case 'case':
        return changeCase(value, rng);
      case 'whitespace':
        return whitespace(value, rng);
      case 'abbreviation':
        return abbreviate(value, rng);
      case 'swapped': {
        const words = value.trim().split(/\s+/);
        const last = words.pop()!;
        return rng.chance(0.5) ? `${last} ${words.join(' ')}` : `${last}, ${words.join(' ')}`;
      }
      case 'initial': {
        const words = value.trim().split(/\s+/);
        const initial = [...words[0]!][0]!.toUpperCase() + (rng.chance(0.7) ? '.' : '');
        return [initial, ...words.slice(1)].join(' ');
      }
      default:
        return undefined;
    }
  }
  if (typeof value !== 'number') return undefined;
  if (op === 'rounded') return round(value, col.kind);
  if (op === 'day_month') {
    const { year, month, day } = civilFromDays(value);
    return day <= 12 && day !== month ? daysFromCivil(year, day, month) : undefined;
  }
  return undefined;
}

/** A number entered with less precision: whole units from 10 up, one decimal fewer below, 2 significant digits for whole numbers. */
function round(value: number, kind: Kind): number | undefined {
  if (kind === 'timestamp') {
    const second = value - mod(value, 1_000_000);
    return second !== value ? second : value - mod(value, 60_000_000);
  }
  if (kind === 'time') return value - (value % 60);
  if (!Number.isFinite(value)) return undefined;
  if (!Number.isInteger(value)) {
    if (Math.abs(value) >= 10) return Math.round(value);
    const places = Math.max(0, Math.min(6, decimals(value)) - 1);
    return Number(value.toFixed(places));
  }
  if (Math.abs(value) < 100) return undefined;
  const step = 10 ** (Math.floor(Math.log10(Math.abs(value))) - 1);
  return Math.round(value / step) * step;
}
const mod = (a: number, m: number) => ((a % m) + m) % m;

function decimals(v: number): number {
  const s = String(v);
  const dot = s.indexOf('.');
  return dot < 0 || s.includes('e') ? 0 : s.length - dot - 1;
}

function changeCase(value: string, rng: Rng): string | undefined {
  const title = value.toLowerCase().replace(/(^|[\s\-'(/])(\p{L})/gu, (_, sep: string, c: string) => sep + c.toUpperCase());
  const options = [value.toLowerCase(), value.toUpperCase(), title].filter((v) => v !== value);
  return options.length > 0 ? rng.pick(options) : undefined;
}

function whitespace(value: string, rng: Rng): string {
  const spaces: number[] = [];
  for (let i = 1; i < value.length - 1; i++) if (value[i] === ' ' && value[i - 1] !== ' ') spaces.push(i);
  const choice = rng.int(0, spaces.length > 0 ? 3 : 1);
  if (choice === 0) return value + ' ';
  if (choice === 1) return ' ' + value;
  const at = rng.pick(spaces);
  return choice === 2 ? value.slice(0, at) + '  ' + value.slice(at + 1) : value.slice(0, at) + value.slice(at + 1);
}

// Words as record linkage meets them shortened or spelled out (addresses, titles, companies, jobs).
const SHORT: Record<string, string> = {
  street: 'St', road: 'Rd', avenue: 'Ave', boulevard: 'Blvd', drive: 'Dr', lane: 'Ln', court: 'Ct', place: 'Pl', square: 'Sq',
  terrace: 'Tce', highway: 'Hwy', parkway: 'Pkwy', crescent: 'Cres', circle: 'Cir', apartment: 'Apt', building: 'Bldg', floor: 'Fl',
  suite: 'Ste', north: 'N', south: 'S', east: 'E', west: 'W', saint: 'St', sainte: 'Ste', mount: 'Mt', fort: 'Ft', nagar: 'Ngr',
  company: 'Co', corporation: 'Corp', incorporated: 'Inc', limited: 'Ltd', private: 'Pvt', brothers: 'Bros', international: 'Intl',
  services: 'Svcs', service: 'Svc', department: 'Dept', university: 'Univ', hospital: 'Hosp', general: 'Gen', station: 'Stn',
  centre: 'Ctr', center: 'Ctr', market: 'Mkt', doctor: 'Dr', mister: 'Mr', junior: 'Jr', senior: 'Sr', manager: 'Mgr',
  engineer: 'Engr', engineering: 'Engg', supervisor: 'Supvr', representative: 'Rep', administrator: 'Admin', coordinator: 'Coord',
  associate: 'Assoc', assistant: 'Asst', technician: 'Tech', executive: 'Exec', director: 'Dir', officer: 'Offr', architect: 'Arch',
  developer: 'Dev', specialist: 'Spec', consultant: 'Cons', finance: 'Fin', government: 'Govt', management: 'Mgmt',
};
// Spelled out again (only abbreviations with one reading, and only when capitalised).
const LONG: Record<string, string> = {
  rd: 'Road', ave: 'Avenue', blvd: 'Boulevard', ln: 'Lane', hwy: 'Highway', apt: 'Apartment', bldg: 'Building', mt: 'Mount',
  ft: 'Fort', co: 'Company', corp: 'Corporation', inc: 'Incorporated', ltd: 'Limited', pvt: 'Private', bros: 'Brothers',
  intl: 'International', dept: 'Department', univ: 'University', mgr: 'Manager', jr: 'Junior', govt: 'Government',
  mgmt: 'Management', admin: 'Administrator',
};
const ACRONYMS: Record<string, string> = { HR: 'Human Resources', IT: 'Information Technology' };
const PHRASES: Array<[RegExp, string]> = [
  [/\bhuman resources\b/i, 'HR'],
  [/\binformation technology\b/i, 'IT'],
  [/\bresearch and development\b/i, 'R&D'],
];

/**
 * Shorten a word (Street -> St or St., Manager -> Mgr), spell an abbreviation out (Rd -> Road,
 * HR -> Human Resources) or shorten a phrase (Human Resources -> HR); undefined when no word fits.
 */
function abbreviate(value: string, rng: Rng): string | undefined {
  const found: Array<[start: number, end: number, text: string, short: boolean]> = [];
  for (const [re, short] of PHRASES) {
    const m = re.exec(value);
    if (m) found.push([m.index, m.index + m[0].length, short, false]);
  }
  const words = /\p{L}+\.?/gu;
  for (let m = words.exec(value); m; m = words.exec(value)) {
    const dotted = m[0].endsWith('.');
    const word = dotted ? m[0].slice(0, -1) : m[0];
    const lower = word.toLowerCase();
    const end = m.index + word.length + (dotted ? 1 : 0);
    if (ACRONYMS[word]) found.push([m.index, end, ACRONYMS[word]!, false]);
    else if (!dotted && SHORT[lower]) found.push([m.index, end, matchCase(SHORT[lower]!, word), true]);
    else if (LONG[lower] && /^\p{Lu}/u.test(word) && (word.length > 2 || word !== word.toUpperCase())) found.push([m.index, end, matchCase(LONG[lower]!, word), false]);
  }
  if (found.length === 0) return undefined;
  const [start, end, text, short] = rng.pick(found);
  const dot = short && text !== text.toUpperCase() && rng.chance(0.3) ? '.' : '';
  return value.slice(0, start) + text + dot + value.slice(end);
}

/** The replacement in the source word's case: MANAGER -> MGR, manager -> mgr, Manager -> Mgr. */
function matchCase(text: string, source: string): string {
  if (source.length > 1 && source === source.toUpperCase()) return text.toUpperCase();
  if (source === source.toLowerCase()) return text.toLowerCase();
  return text;
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

// ---------------------------------------------------------------- new keys

/**
 * The surrogate key of a near duplicate: a new record of the same entity gets an id of its
 * own. Integers and digit-suffixed text ids (CUST-00042, LN0001, TXN0000000042) take a
 * number from 1,000,000,000..1,999,999,999 (fits int32), which sequential source ids below
 * 10^9 rows never reach; the number is a scrambled bijection of the original's input index
 * (unique for the first 10^9 input rows, and not readable back to the original). UUIDs get
 * a fresh random version-4 UUID; other text gets the number as a suffix (`-1234567890`).
 */
const FRESH_BASE = 1_000_000_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function freshKeyMaker(rng: Rng): (value: Exclude<Value, null>, kind: Kind, index: number, row: Rng) => Value {
  // index -> (a * index + b) mod 10^9 is a bijection when a is coprime to 10.
  let a = rng.int(100_000_000, 999_999_999);
  while (a % 2 === 0 || a % 5 === 0) a++;
  const b = rng.int(0, FRESH_BASE - 1);
  const aHigh = Math.floor(a / 100_000);
  const aLow = a % 100_000;
  const scramble = (i: number) => {
    const x = i % FRESH_BASE;
    return (((((x * aHigh) % FRESH_BASE) * 100_000) % FRESH_BASE) + ((x * aLow) % FRESH_BASE) + b) % FRESH_BASE;
  };
  return (value, kind, index, row) => {
    const number = FRESH_BASE + scramble(index);
    if (kind === 'int' && typeof value === 'number') return number;
    const text = String(value);
    if (UUID.test(text)) {
      const id = uuid4(row);
      return text === text.toUpperCase() ? id.toUpperCase() : id;
    }
    const m = /^(.*?)\d+$/.exec(text);
    return m ? m[1] + String(number) : `${text}-${number}`;
  };
}
