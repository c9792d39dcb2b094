import type { Field, Schema } from 'apache-arrow';
import { cellStage, nonKeyColumns, stageOptions, startsFormula, type CellChange, type CellContext } from '../src/anomaly/cell-stage.js';
import { textEncoder } from '../src/codecs/codec.js';
import { DatagenError } from '../src/core/errors.js';
import { rateOption, parseWeightedKinds } from '../src/core/options.js';
import type { Rng } from '../src/random/rng.js';
import { kindOf, resolveColumns, tableName, typeLabel, type Kind } from '../src/core/schema.js';
import { civilFromDays, daysFromCivil, daysInMonth, formatTime, formatTimestamp, MICROS_PER_DAY } from '../src/core/temporal.js';
import { defineTransform } from '../src/core/units.js';

/**
 * Malformed values: text that a loader or a data-quality check should reject or repair.
 * Each non-null cell of the chosen columns is picked with probability `rate` (cellStage);
 * a picked cell draws one of its column's kinds (evenly, or by `kind=weight`), and the kind
 * draws one of its variants. A malformed value is a string whatever the column's type
 * (writers print it as it is). Ledger kinds, by stage kind:
 *
 *   email      malformed_email
 *   date       date_format · impossible_date · date_placeholder
 *   timestamp  timestamp_format · impossible_timestamp · timestamp_placeholder
 *   time       time_format · impossible_time · time_placeholder
 *   number     thousands_separator · number_with_unit · text_in_number · comma_decimal
 *   phone      malformed_phone
 *   encoding   mojibake · replacement_char
 *   whitespace whitespace
 *   case       wrong_case
 *   json       truncated_json
 *   formula    formula (only when named in `kinds`)
 *
 * Only values still of the column's own type are eligible (a value an earlier stage already
 * made malformed is left alone), and empty text is never changed. Every kind changes every
 * eligible value except `case`, which cannot change text without letters.
 *
 * Each ledger entry also says how a strict typed load of the text into the column's type
 * behaves (`load`, see Load): every spelling below carries its outcome.
 */
export const malform = defineTransform({
  name: 'malform',
  // Each row changed on its own, by its index: worker threads may run it on separate chunks.
  rowLocal: true,
  summary: 'Malformed values by kind: broken emails, impossible dates, numbers with units, mojibake, stray spaces (every change recorded)',
  examples: [
    'datagen pipe customer_360 | datagen malform --rate 0.01 --ledger anomalies.jsonl | datagen csv > customers.csv',
    'datagen pipe bank_transactions | datagen malform --rate 0.005 --columns amount,timestamp | datagen csv > tx.csv',
    'datagen pipe customer_360 | datagen malform --rate 0.02 --kinds whitespace=3,case,encoding --columns full_name,city > out.ndjson',
    'datagen pipe loans | datagen malform --rate 0.001 --kinds formula --columns branch | datagen csv > csv-injection-test.csv',
  ],
  options: {
    rate: rateOption('share of eligible non-null cells to malform, 0..1', 0.01),
    columns: { type: 'list', description: 'columns to malform, comma separated (default: every non-key column that one of the kinds fits)' },
    kinds: {
      type: 'list',
      description:
        'kinds, optionally weighted as kind=weight: email, date, timestamp, time, number, phone, encoding, whitespace, case, json, formula ' +
        '(default: chosen per column from its type and name; formula only when named)',
    },
    ...stageOptions,
  },
  create: (o) => {
    const requested = o.kinds && o.kinds.length > 0 ? parseWeightedKinds('malform', o.kinds, KIND_NAMES) : undefined;
    return (schema, ctx) => {
      const plans = planColumns(schema, o.columns, requested);
      return cellStage('malform', { ...o, columns: [...plans.keys()] }, {
        defaultColumns: () => [...plans.keys()],
        formulas: requested?.has('formula') ?? false,
        writes: 'text',
        change: (cell) => malformCell(cell, plans.get(cell.field.name)!),
      })(schema, ctx);
    };
  },
});

// ---------------------------------------------------------------- how a typed load reads it

/**
 * What a strict typed load (a cast of the text to the column's declared type) makes of a
 * malformed value, recorded as `load` in its ledger entry:
 *
 *   rejected        the cast fails: the loader errors, or with a lenient cast the cell is null
 *   accepted_same   the cast succeeds with the original value (a space-padded number)
 *   accepted_other  the cast succeeds with another value: silently wrong data (03-01-24 read
 *                   as the year 3; a timestamp without offset read in the session's zone)
 *   text            the column is text, so the changed text is what is loaded
 *
 * The outcomes are DuckDB's TRY_CAST (tests/malform-load.test.ts checks every entry against
 * it, with a non-UTC session zone); other loaders differ (see docs/anomalies.md).
 */
export type Load = 'rejected' | 'accepted_same' | 'accepted_other' | 'text';
export const LOADS: readonly Load[] = ['rejected', 'accepted_same', 'accepted_other', 'text'];

/** A malformed text and how a typed load reads it. */
type Spelling = readonly [after: string, load: Load];

const change = (kind: string, [after, load]: Spelling): CellChange => ({ kind, after, note: { load } });

/**
 * DuckDB reads `a-b-c` (also with / \ or a space) year first, whatever the digits mean: a
 * month-first `03-01-24` is the date 0003-01-24. The outcome of such a text whose fields
 * are read as (year, month, day), against the original date.
 */
function yearFirst(year: number, month: number, day: number, original: number): Load {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return 'rejected';
  return daysFromCivil(year, month, day) === original ? 'accepted_same' : 'accepted_other';
}

// ---------------------------------------------------------------- kinds and columns

type MalformKind = 'email' | 'date' | 'timestamp' | 'time' | 'number' | 'phone' | 'encoding' | 'whitespace' | 'case' | 'json' | 'formula';

const TEXT: readonly Kind[] = ['string'];
const NUMERIC: readonly Kind[] = ['int', 'float', 'decimal'];
const ALL: readonly Kind[] = ['int', 'float', 'decimal', 'string', 'bool', 'date', 'time', 'timestamp'];

const EMAIL_NAME = /e[-_ ]?mail/i;
const PHONE_NAME = /phone|mobile|msisdn|fax|(^|[^a-z])tel([^a-z]|$)/i;
const JSON_NAME = /json|payload|attributes|metadata|properties/i;

interface KindSpec {
  /** Column types the kind can apply to when the user names the column. */
  applies: readonly Kind[];
  /** Which columns the kind goes to when the user names none (beyond `applies`). */
  fits?: (name: string) => boolean;
  /** Where it applies, for error messages. */
  where: string;
  make(cell: CellContext, column: ColumnPlan): CellChange | undefined;
}

const KINDS: Record<MalformKind, KindSpec> = {
  email: { applies: TEXT, fits: (n) => EMAIL_NAME.test(n), where: 'string columns (by default those named like *email*)', make: (c) => email(c.value as string, c.rng) },
  date: { applies: ['date'], where: 'date columns', make: (c) => date(c.value as number, c.rng) },
  timestamp: { applies: ['timestamp'], where: 'timestamp columns', make: (c) => timestamp(c.value as number, c.rng) },
  time: { applies: ['time'], where: 'time columns', make: (c) => time(c.value as number, c.rng) },
  number: { applies: NUMERIC, where: 'int, float and decimal columns', make: (c, p) => number(c.value as number, p, c.rng) },
  phone: { applies: TEXT, fits: (n) => PHONE_NAME.test(n), where: 'string columns (by default those named like *phone*)', make: (c) => phone(c.value as string, c.rng) },
  encoding: { applies: TEXT, where: 'string columns', make: (c) => encoding(c.value as string, c.rng) },
  whitespace: {
    applies: ['string', 'int', 'float', 'decimal', 'date', 'time', 'timestamp'],
    where: 'string, number, date, time and timestamp columns',
    make: (c, p) => whitespace(c.value, p, c.rng),
  },
  case: { applies: TEXT, where: 'string columns', make: (c) => wrongCase(c.value as string, c.rng) },
  json: { applies: TEXT, fits: (n) => JSON_NAME.test(n), where: 'string columns (by default those named like *json* or *payload*)', make: (c, p) => truncatedJson(c.value as string, p.name, c.rng) },
  // No formula text is a number, date, time or boolean a cast accepts.
  formula: { applies: ALL, where: 'any column', make: (c) => change('formula', [c.rng.pick(FORMULAS), 'rejected']) },
};
const KIND_NAMES = Object.keys(KINDS) as MalformKind[];

/** The kinds a column gets when the user names none. */
function defaults(field: Field): MalformKind[] {
  switch (kindOf(field.type)) {
    case 'string':
      if (EMAIL_NAME.test(field.name)) return ['email'];
      if (PHONE_NAME.test(field.name)) return ['phone'];
      if (JSON_NAME.test(field.name)) return ['json'];
      return ['whitespace', 'case', 'encoding'];
    case 'date':
      return ['date'];
    case 'timestamp':
      return ['timestamp'];
    case 'time':
      return ['time'];
    case 'int':
    case 'float':
    case 'decimal':
      return ['number'];
    default:
      return [];
  }
}

/** Does kind k go to this column when the user names no columns? */
function fitsByDefault(k: MalformKind, field: Field): boolean {
  const kind = kindOf(field.type);
  if (!KINDS[k].applies.includes(kind)) return false;
  if (k === 'whitespace') return kind === 'string'; // numbers and dates only when named
  return KINDS[k].fits?.(field.name) ?? true;
}

interface ColumnPlan {
  name: string;
  kind: Kind;
  scale: number;
  kinds: MalformKind[];
  /** Cumulative weights of `kinds`. */
  cumulative: number[];
  /** Text form of a value of the column's type (for whitespace on numbers and dates). */
  text: (v: number) => string;
  /** Unit spellings for `number_with_unit`, from the column's name. */
  units: readonly Unit[];
}


function planColumns(schema: Schema, columns: string[] | undefined, requested: Map<MalformKind, number> | undefined): Map<string, ColumnPlan> {
  const explicit = columns !== undefined && columns.length > 0;
  const names = resolveColumns(schema, columns, 'malform', () => nonKeyColumns(schema));
  const label = (f: Field) => `'${f.name}' (${typeLabel(f.type)})`;
  const plans = new Map<string, ColumnPlan>();
  const used = new Set<MalformKind>();
  const fields = names.map((n) => schema.fields.find((f) => f.name === n)!);
  for (const field of fields) {
    const kind = kindOf(field.type);
    let kinds: MalformKind[];
    if (requested) {
      const asked = [...requested.keys()];
      kinds = asked.filter((k) => (explicit ? KINDS[k].applies.includes(kind) : fitsByDefault(k, field)));
      if (explicit && kinds.length === 0) {
        throw new DatagenError(
          'E_OPTION',
          `malform: kind${asked.length > 1 ? 's' : ''} ${asked.join(', ')} cannot apply to column ${label(field)}; ${asked.map((k) => `${k} applies to ${KINDS[k].where}`).join('; ')}`,
        );
      }
    } else {
      kinds = defaults(field);
      if (explicit && kinds.length === 0) {
        throw new DatagenError('E_OPTION', `malform: column ${label(field)} has no default kind; name one with kinds (formula applies to any column)`);
      }
    }
    if (kinds.length === 0) continue;
    kinds.forEach((k) => used.add(k));
    let sum = 0;
    const scale = (field.type as { scale?: number }).scale ?? 0;
    plans.set(field.name, {
      name: field.name,
      kind,
      scale,
      kinds,
      cumulative: kinds.map((k) => (sum += requested?.get(k) ?? 1)),
      text: textEncoder(kind, scale) as (v: number) => string,
      units: unitsFor(field.name),
    });
  }
  if (requested) {
    for (const k of requested.keys()) {
      if (used.has(k)) continue;
      const where = explicit ? `column${fields.length > 1 ? 's' : ''} ${fields.map(label).join(', ')}` : `any column of ${tableName(schema)}`;
      throw new DatagenError('E_OPTION', `malform: kind '${k}' cannot apply to ${where}; ${k} applies to ${KINDS[k].where}${explicit ? '' : ' (name the columns)'}`);
    }
  }
  if (plans.size === 0) {
    throw new DatagenError('E_OPTION', `malform: no column of ${tableName(schema)} can be malformed by default (only keys and booleans); name columns and kinds`);
  }
  return plans;
}

/** The column's type of value, as held in memory: only such values are eligible. */
function native(kind: Kind, v: unknown): boolean {
  if (kind === 'string') return typeof v === 'string' && v.length > 0;
  if (kind === 'bool') return typeof v === 'boolean';
  return typeof v === 'number' && Number.isFinite(v);
}

function malformCell(cell: CellContext, plan: ColumnPlan): CellChange | undefined {
  if (!native(plan.kind, cell.value)) return undefined;
  const { cumulative, kinds } = plan;
  let k = 0;
  if (kinds.length > 1) {
    const u = cell.rng.float() * cumulative[cumulative.length - 1]!;
    while (u >= cumulative[k]!) k++;
  }
  const kind = kinds[k]!;
  const made = KINDS[kind].make(cell, plan);
  // Only the formula kind may start a text with = + - @ (or tab, CR); the others never do by
  // construction, and this keeps it so even when `formulas` is on for the stage.
  if (!made || made.after === cell.value || (kind !== 'formula' && startsFormula(made.after) && !startsFormula(cell.value))) return undefined;
  // A text column keeps any text: whatever the spelling, it loads as text.
  return plan.kind === 'string' ? { ...made, note: { load: 'text' } } : made;
}

// ---------------------------------------------------------------- helpers

/** One of the candidates that differ from `value`, or undefined. */
function choose(rng: Rng, value: string, candidates: Array<string | undefined>): string | undefined {
  const ok = candidates.filter((c): c is string => c !== undefined && c !== value);
  return ok.length > 0 ? rng.pick(ok) : undefined;
}

/** Code points (never splits a surrogate pair). */
const points = (s: string) => Array.from(s);

/** Insert `what` at a code-point position inside the text (never before the first character). */
function insertInside(s: string, what: string, rng: Rng): string {
  const cp = points(s);
  const at = cp.length < 2 ? cp.length : rng.int(1, cp.length - 1);
  return cp.slice(0, at).join('') + what + cp.slice(at).join('');
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

// ---------------------------------------------------------------- email

function email(v: string, rng: Rng): CellChange | undefined {
  const at = v.indexOf('@');
  const candidates: Array<string | undefined> = [
    insertInside(v, ' ', rng), // space inside
    v + '.', // trailing dot
    v.includes('.') ? v.replaceAll('.', ',') : undefined, // commas for dots
  ];
  if (at >= 0) {
    const dot = v.indexOf('.', at);
    candidates.push(
      v.slice(0, at) + v.slice(at + 1), // missing @
      v.slice(0, at) + '@@' + v.slice(at + 1), // double @@
      v.slice(0, at + 1), // missing domain
      dot > at + 1 ? v.slice(0, dot) : undefined, // missing TLD (user@mail.co.uk -> user@mail)
    );
  }
  const after = choose(rng, v, candidates);
  return after === undefined ? undefined : { kind: 'malformed_email', after };
}

// ---------------------------------------------------------------- phone

const LOOKALIKE: Record<string, string> = { '0': 'O', '1': 'l', '2': 'Z', '5': 'S', '6': 'b', '8': 'B' };
const ODD_SEPARATORS = ['.', '/', '_', ' / ', '..', ' . ', '--'];

function phone(v: string, rng: Rng): CellChange | undefined {
  const cp = points(v);
  const digits = cp.flatMap((c, i) => (c >= '0' && c <= '9' ? [i] : []));
  const candidates: Array<string | undefined> = [];
  const digit = () => String(rng.int(0, 9));
  if (digits.length > 0) {
    const i = rng.pick(digits);
    candidates.push(cp.slice(0, i).join('') + cp.slice(i + 1).join('')); // missing digit
    const j = rng.pick(digits);
    candidates.push(cp.slice(0, j + 1).join('') + digit() + cp.slice(j + 1).join('')); // extra digit
    const k = rng.pick(digits);
    const letter = LOOKALIKE[cp[k]!] ?? rng.pick([...'ABCDEFGHJKLMNPRSTUVWXYZ']);
    candidates.push(cp.slice(0, k).join('') + letter + cp.slice(k + 1).join('')); // a letter for a digit
    // odd separators: the digits regrouped in 2-4s, joined by an unusual separator
    const prefix = cp[0] === '+' ? '+' : '';
    const ds = digits.map((d) => cp[d]!).join('');
    const sep = rng.pick(ODD_SEPARATORS);
    const groups: string[] = [];
    for (let p = 0; p < ds.length; ) {
      const len = rng.int(2, 4);
      groups.push(ds.slice(p, p + len));
      p += len;
    }
    candidates.push(prefix + groups.join(sep));
  } else {
    candidates.push(v + digit());
  }
  const after = choose(rng, v, candidates);
  return after === undefined ? undefined : { kind: 'malformed_phone', after };
}

// ---------------------------------------------------------------- encoding

// Windows-1252 for bytes 0x80-0x9F; the five it leaves undefined map to the C1 control of the
// same number (as WHATWG decoders do). Other bytes are Latin-1, i.e. the code point itself.
const CP1252 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

/** UTF-8 bytes read as Windows-1252: é -> Ã©, ’ -> â€™. */
function mojibake(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += b < 0x80 ? String.fromCharCode(b) : b < 0xa0 ? CP1252[b - 0x80]! : String.fromCharCode(b);
  return out;
}

function encoding(v: string, rng: Rng): CellChange | undefined {
  const cp = points(v);
  const nonAscii = cp.flatMap((c, i) => (c.charCodeAt(0) > 0x7f ? [i] : []));
  if (rng.chance(0.5)) {
    if (nonAscii.length > 0) return { kind: 'mojibake', after: mojibake(v) };
    // ASCII text: what the characters an editor or export would have put there become when
    // read back as Windows-1252 — a non-breaking space (Â ), a typographic apostrophe (â€™)
    // or dash (â€“), a byte-order mark at the start (ï»¿).
    const candidates = [mojibake('\uFEFF') + v];
    const inner = v.indexOf(' ', 1);
    if (inner > 0 && inner < v.length - 1) candidates.push(v.slice(0, inner) + mojibake(NBSP) + v.slice(inner + 1));
    if (v.includes("'")) candidates.push(v.replace("'", mojibake('’')));
    if (v.includes(' - ')) candidates.push(v.replace(' - ', ' ' + mojibake('–') + ' '));
    return { kind: 'mojibake', after: rng.pick(candidates) };
  }
  const letters = cp.flatMap((c, i) => (c.trim() !== '' ? [i] : []));
  const pool = nonAscii.length > 0 ? nonAscii : letters.length > 0 ? letters : cp.map((_, i) => i);
  const i = rng.pick(pool);
  const after = cp.slice(0, i).join('') + '\uFFFD' + cp.slice(i + 1).join('');
  return after === v ? undefined : { kind: 'replacement_char', after };
}

// ---------------------------------------------------------------- whitespace and case

const NBSP = '\u00A0';

// Casts to numbers, dates, times and timestamps skip ASCII spaces around the text, but not a
// non-breaking space; except that date and time casts ignore whatever follows a complete
// date or time. (Text columns: every spelling loads as text, see malformCell.)
const PADDED: Load = 'accepted_same';

function whitespace(value: CellContext['value'], plan: ColumnPlan, rng: Rng): CellChange | undefined {
  const text = typeof value === 'string' ? value : plan.text(value as number);
  const lead: Spelling[] = [[' ' + text, PADDED], ['  ' + text, PADDED], [NBSP + text, 'rejected']];
  // A negative number's text starts with '-': padding goes before it, never after alone.
  if (typeof value !== 'string' && text.startsWith('-')) return change('whitespace', rng.pick(lead));
  const trailingNbsp: Load = plan.kind === 'date' || plan.kind === 'time' ? 'accepted_same' : 'rejected';
  const groups: Spelling[][] = [lead, [[text + ' ', PADDED], [text + '  ', PADDED], [text + NBSP, trailingNbsp]]];
  const inner: number[] = [];
  const cp = points(text);
  cp.forEach((c, i) => {
    if (c === ' ' && i > 0 && i < cp.length - 1) inner.push(i);
  });
  // Only text has inner spaces (no number, date, time or timestamp text does).
  if (inner.length > 0) {
    const i = rng.pick(inner);
    groups.push([[cp.slice(0, i).join('') + '  ' + cp.slice(i + 1).join(''), 'text']]); // doubled inner space
    groups.push([[cp.slice(0, i).join('') + NBSP + cp.slice(i + 1).join(''), 'text']]); // non-breaking space
  }
  return change('whitespace', rng.pick(rng.pick(groups)));
}

function wrongCase(v: string, rng: Rng): CellChange | undefined {
  const upper = v.toUpperCase();
  const lower = v.toLowerCase();
  if (upper === v && lower === v) return undefined; // no letters with case
  let random = '';
  for (let attempt = 0; attempt < 4 && (random === '' || random === v); attempt++) {
    random = points(v)
      .map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase()))
      .join('');
  }
  const title = lower.replace(/(^|[\s\-'’(/])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase());
  const after = choose(rng, v, [upper, lower, random, title]);
  return after === undefined ? undefined : { kind: 'wrong_case', after };
}

// ---------------------------------------------------------------- json

/**
 * A JSON text cut short, mid-token: the value itself when it is a JSON object or array,
 * otherwise the record `{"<column>": value}` a JSON writer would have made of it.
 */
function truncatedJson(v: string, column: string, rng: Rng): CellChange | undefined {
  const trimmed = v.trimStart();
  let text = JSON.stringify({ [column]: v });
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      JSON.parse(v);
      text = v;
    } catch {
      // not JSON: wrap it
    }
  }
  for (let attempt = 0; attempt < 8; attempt++) {
    let cut = rng.int(1, text.length - 1);
    const c = text.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--; // never split a surrogate pair
    const after = text.slice(0, cut);
    if (after.trim() !== '' && !parses(after)) return { kind: 'truncated_json', after };
  }
  return { kind: 'truncated_json', after: text.slice(0, text.length - 1) };
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- formula

/** Spreadsheet formula text (OWASP CSV injection examples); only when `formula` is named. */
const FORMULAS = [
  '=1+2',
  '=SUM(1,2)',
  '@SUM(A1:A10)',
  '+1+1',
  '-1+2',
  '=HYPERLINK("https://example.com","details")',
  "+cmd|' /C calc'!A0",
  "=cmd|' /C calc'!A0",
  "@SUM(1+9)*cmd|' /C calc'!A0",
];

// ---------------------------------------------------------------- dates and times

const DATE_PLACEHOLDERS = ['N/A', '0000-00-00', '00/00/0000', 'TBD', 'unknown', '?'];
const TIMESTAMP_PLACEHOLDERS = ['N/A', '0000-00-00 00:00:00', '0000-00-00T00:00:00Z', 'TBD', 'unknown'];
const TIME_PLACEHOLDERS = ['N/A', '99:99:99', '??:??', 'TBD', 'unknown'];

const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/** Dates that do not exist, keeping the year (and month where it can). */
function impossibleDates(days: number): string[] {
  const { year, month, day } = civilFromDays(days);
  const y = String(year).padStart(4, '0');
  const mm = pad2(month);
  const dd = pad2(day);
  const out = [`${y}-02-30`, `${y}-${mm}-${daysInMonth(year, month) === 31 ? 32 : daysInMonth(year, month) + 1}`, `${y}-13-${dd}`, `${y}-00-${dd}`, `${y}-${mm}-00`];
  if (!isLeap(year)) out.push(`${y}-02-29`);
  return out;
}

function date(days: number, rng: Rng): CellChange | undefined {
  const { year, month, day } = civilFromDays(days);
  const y = String(year).padStart(4, '0');
  const mm = pad2(month);
  const dd = pad2(day);
  const yy = y.slice(-2);
  switch (rng.int(0, 2)) {
    case 0: {
      const formats: Spelling[] = [
        [`${dd}/${mm}/${y}`, 'rejected'], // read year first, and a day has at most two digits
        [`${mm}/${dd}/${y}`, 'rejected'],
        [`${mm}-${dd}-${yy}`, yearFirst(month, day, Number(yy), days)], // 03-01-24 -> 0003-01-24; 03-13-24 rejected
        [`${y}/${mm}/${dd}`, yearFirst(year, month, day, days)], // the same date
        [`${dd}.${mm}.${y}`, 'rejected'],
        [`${y}${mm}${dd}`, 'rejected'],
        [`${day} ${MONTHS[month - 1]} ${y}`, 'rejected'],
        [`${MONTH_NAMES[month - 1]} ${day}, ${y}`, 'rejected'],
      ];
      if (days >= 0) formats.push([String(days * 86400), 'rejected']); // epoch seconds as text
      return change('date_format', rng.pick(formats));
    }
    case 1:
      return change('impossible_date', [rng.pick(impossibleDates(days)), 'rejected']);
    default:
      return change('date_placeholder', [rng.pick(DATE_PLACEHOLDERS), 'rejected']);
  }
}

function timestamp(micros: number, rng: Rng): CellChange | undefined {
  const days = Math.floor(micros / MICROS_PER_DAY);
  const iso = formatTimestamp(micros); // 2024-03-01T09:15:02.123456Z
  const ymd = iso.slice(0, 10);
  const hms = iso.slice(11, 19);
  const [y, mm, dd] = ymd.split('-') as [string, string, string];
  const [hh, mi, ss] = hms.split(':') as [string, string, string];
  // A text without an offset is read in the loader's session time zone: another instant
  // unless that zone is UTC. A date read year first (see yearFirst) is another date.
  const mdy = yearFirst(Number(mm), Number(dd), Number(y.slice(-2)), days) === 'rejected' ? 'rejected' : 'accepted_other';
  switch (rng.int(0, 2)) {
    case 0: {
      const formats: Spelling[] = [
        [`${dd}/${mm}/${y} ${hms}`, 'rejected'],
        [`${mm}-${dd}-${y.slice(-2)} ${hh}:${mi}`, mdy],
        [iso.slice(0, -1), 'accepted_other'], // no offset
        [`${y}/${mm}/${dd} ${hms}`, 'accepted_other'], // wrong separators, no offset, no fraction
        [`${ymd}T${hh}.${mi}.${ss}Z`, 'rejected'],
      ];
      if (micros >= 0) formats.push([String(Math.floor(micros / 1_000_000)), 'rejected']); // epoch seconds as text
      return change('timestamp_format', rng.pick(formats));
    }
    case 1: {
      const frac = iso.slice(19);
      const badDate = rng.pick(impossibleDates(days));
      const hour = 24 + rng.int(0, 5);
      const minute = 60 + rng.int(0, 9);
      const options: Spelling[] = [
        [`${badDate}T${hms}${frac}`, 'rejected'],
        // 24:00:00 exactly is accepted as midnight of the next day
        [`${ymd}T${hour}:${mi}:${ss}${frac}`, hour === 24 && mi === '00' && ss === '00' && /^\.0*Z$/.test(frac) ? 'accepted_other' : 'rejected'],
        [`${ymd}T${hh}:${minute}:${ss}${frac}`, 'rejected'],
      ];
      return change('impossible_timestamp', rng.pick(options));
    }
    default:
      return change('timestamp_placeholder', [rng.pick(TIMESTAMP_PLACEHOLDERS), 'rejected']);
  }
}

function time(seconds: number, rng: Rng): CellChange | undefined {
  const text = formatTime(seconds);
  const [hh, mi, ss] = text.split(':') as [string, string, string];
  const h = Number(hh);
  switch (rng.int(0, 2)) {
    case 0: {
      const h12 = h % 12 === 0 ? 12 : h % 12;
      const ampm = h < 12 ? 'AM' : 'PM';
      const formats: Spelling[] = [
        [`${h12}:${mi} ${ampm}`, 'rejected'],
        // The cast reads h:mm:ss and ignores whatever follows: 9:15:00 PM is 09:15:00.
        [`${h12}:${mi}:${ss} ${ampm}`, h12 === h ? 'accepted_same' : 'accepted_other'],
        [`${hh}.${mi}.${ss}`, 'rejected'],
        [`${hh}${mi}${ss}`, 'rejected'],
        [`${hh}:${mi}`, ss === '00' ? 'accepted_same' : 'accepted_other'], // the seconds are lost
        [`${h}h${mi}`, 'rejected'],
      ];
      return change('time_format', rng.pick(formats));
    }
    case 1: {
      const hour = 24 + rng.int(0, 5);
      const minute = 60 + rng.int(0, 9);
      const second = 60 + rng.int(1, 9);
      const options: Spelling[] = [
        [`${hour}:${mi}:${ss}`, hour === 24 && mi === '00' && ss === '00' ? 'accepted_other' : 'rejected'], // TIME holds 24:00:00
        [`${hh}:${minute}:${ss}`, 'rejected'],
        [`${hh}:${mi}:${second}`, 'rejected'],
      ];
      return change('impossible_time', rng.pick(options));
    }
    default:
      return change('time_placeholder', [rng.pick(TIME_PLACEHOLDERS), 'rejected']);
  }
}

// ---------------------------------------------------------------- numbers

interface Unit {
  /** The amount as written with the unit. */
  write(amount: string): string;
  /** Money is negative in parentheses (accounting); other quantities with a Unicode minus. */
  money: boolean;
}

const money = (f: (a: string) => string): Unit => ({ write: f, money: true });
const suffix = (s: string): Unit => ({ write: (a) => a + s, money: false });

const MONEY_NAME = /amount|price|income|salary|balance|fee|cost|spend|revenue|payment|paid|total|limit|inr|usd|aud|eur/i;
const UNIT_RULES: Array<[RegExp, Unit[]]> = [
  [MONEY_NAME, [money((a) => '$' + a), money((a) => a + ' USD'), money((a) => '₹' + a), money((a) => 'Rs. ' + a), money((a) => 'INR ' + a), money((a) => a + ' AUD')]],
  [/temp/i, [suffix(' °C'), suffix('C'), suffix('°F')]],
  [/humid|pct|percent|rate|ratio/i, [suffix('%'), suffix(' %')]],
  [/weight|mass|kg/i, [suffix(' kg'), suffix('kg'), suffix(' lbs')]],
  [/(^|_)age($|_)|years/i, [suffix(' years'), suffix(' yrs')]],
  [/month/i, [suffix(' months'), suffix(' mo')]],
  [/day/i, [suffix(' days'), suffix('d')]],
  [/(^|_)mv($|_)|volt/i, [suffix(' mV'), suffix('mV')]],
  [/dist|km/i, [suffix(' km'), suffix('km')]],
  [/score/i, [suffix(' pts'), suffix('/1')]],
];
const DEFAULT_UNITS = [suffix(' kg'), suffix(' units'), suffix(' pcs')];

function unitsFor(name: string): readonly Unit[] {
  return UNIT_RULES.find(([re]) => re.test(name))?.[1] ?? DEFAULT_UNITS;
}

const NUMBER_PLACEHOLDERS = ['N/A', 'n/a', '?', 'unknown', 'TBD', 'none', '—'];
const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

function words(n: number): string {
  if (n < 20) return ONES[n]!;
  return TENS[Math.floor(n / 10)]! + (n % 10 ? '-' + ONES[n % 10]! : '');
}

/** Group the integer part of a plain decimal text: 1234567.5 -> 1,234,567.5 (or Indian 12,34,567.5). */
function group(text: string, sep: string, indian = false): string {
  const dot = text.indexOf('.');
  const int = dot < 0 ? text : text.slice(0, dot);
  const rest = dot < 0 ? '' : text.slice(dot);
  let out = int.slice(-3);
  let i = int.length - 3;
  const step = indian ? 2 : 3;
  for (; i > 0; i -= step) out = int.slice(Math.max(0, i - step), i) + sep + out;
  return out + rest;
}

/** Every number spelling is rejected by a cast: separators, units, words, a comma for the point. */
function number(v: number, plan: ColumnPlan, rng: Rng): CellChange | undefined {
  const negative = v < 0;
  const abs = Math.abs(v);
  // The plain text of |v|: decimals at their scale, other numbers as JavaScript writes them.
  const a = plan.kind === 'decimal' ? abs.toFixed(plan.scale) : String(abs);
  // Never a text that starts with '-': a negative amount is written in parentheses or with
  // a Unicode minus sign (U+2212), both common in exported reports.
  const sign = (s: string, isMoney = false) => (!negative ? s : isMoney ? `(${s})` : '\u2212' + s);
  const choices = ['unit', 'text', 'comma'];
  if (abs >= 1000 && !a.includes('e')) choices.push('thousands');
  switch (rng.pick(choices)) {
    case 'thousands': {
      const style = rng.int(0, 3);
      const after = style === 0 ? group(a, ',') : style === 1 ? group(a, ' ') : style === 2 ? group(a, "'") : group(a, ',', true);
      return change('thousands_separator', [sign(after), 'rejected']);
    }
    case 'unit': {
      const unit = rng.pick(plan.units);
      return change('number_with_unit', [sign(unit.write(a), unit.money), 'rejected']);
    }
    case 'text': {
      const after = Number.isInteger(v) && abs <= 99 && rng.chance(0.5) ? (negative ? 'minus ' : '') + words(abs) : rng.pick(NUMBER_PLACEHOLDERS);
      return change('text_in_number', [after, 'rejected']);
    }
    default: {
      let after: string;
      if (a.includes('e')) after = a.includes('.') ? a.replace('.', ',') : a.replace('e', ',0e');
      else if (!a.includes('.')) after = a + ',' + (plan.kind === 'decimal' || plan.kind === 'float' ? '0' : '00');
      else after = abs >= 1000 && rng.chance(0.5) ? group(a, '.').replace(/\.(\d*)$/, ',$1') : a.replace('.', ',');
      return change('comma_decimal', [sign(after), 'rejected']);
    }
  }
}
