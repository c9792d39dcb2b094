import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import type { Schema } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textEncoder, toJsonValue } from '../src/codecs/codec.js';
import { memoryLedger, type LedgerEntry } from '../src/anomaly/ledger.js';
import { collect, run } from '../src/core/pipeline.js';
import { Rng } from '../src/random/rng.js';
import { defineTable, kindOf, keyColumns, types, type Row } from '../src/core/schema.js';
import type { Source } from '../src/core/stage.js';
import { formatTimestamp, parseDate, parseTime, parseTimestamp } from '../src/core/temporal.js';
import { csv } from '../sinks/csv.js';
import { ndjsonFormatter } from '../sinks/jsonl.js';
import { ndjsonSource } from '../sources/ndjson.js';
import { scenario } from '../sources/scenario.js';
import { customer360 as customer_360 } from '../scenarios/customer_360.js';
import { malform } from '../transforms/malform.js';
import { asDiff, cellDiff, rowsSource, tempDir, withinSamplingError } from './helpers.js';

// ---------------------------------------------------------------- a table with every kind of column

const people = defineTable('people', 'malform fixture: every column type and the names the stage recognises', {
  id: { type: types.int32(), description: 'row number', key: true },
  email: { type: types.string(), description: 'email address', nullable: true },
  phone: { type: types.string(), description: 'phone number' },
  name: { type: types.string(), description: 'full name (some empty, some without letters)' },
  city: { type: types.string(), description: 'city, some non-ASCII' },
  payload: { type: types.string(), description: 'JSON text, sometimes plain text' },
  amount: { type: types.decimal(12, 2), description: 'money, some negative or zero', nullable: true },
  qty: { type: types.int32(), description: 'small integer, some negative' },
  ratio: { type: types.float64(), description: 'a float' },
  signup: { type: types.date(), description: 'a date, some before 1970' },
  seen_at: { type: types.timestamp(), description: 'an instant' },
  opens_at: { type: types.time(), description: 'a time of day' },
  active: { type: types.bool(), description: 'a flag' },
});

const FIRST = ['José', 'Zoë', 'Priya', 'Søren', "Seán", 'Anne-Marie', 'François', 'Lee', 'Mary Ann', 'Łukasz', 'Amit', 'Chloé'];
const LAST = ["O'Brien", 'Müller', 'Sharma', 'Nguyễn', 'Smith', 'García', 'Kowalski', 'Dubois', 'Iyer', 'Ødegaard'];
const CITIES = ['São Paulo', 'Zürich', 'Kraków', 'Mumbai', "Coeur d'Alene", 'Pune', 'Reykjavík', 'New York', 'Stratford - upon - Avon', 'Düsseldorf'];
const PHONES = (r: Rng) => {
  const d = (n: number) => Array.from({ length: n }, () => r.int(0, 9)).join('');
  return r.pick([`+91 ${d(5)} ${d(5)}`, `(555) ${d(3)}-${d(4)}`, d(10), `020-${d(4)}-${d(4)}`, `+44 ${d(4)} ${d(6)}`]);
};

const ROWS = 60_000;
const RATE = 0.05;

function fixtureRows(n: number): Row[] {
  const rows: Row[] = [];
  const root = Rng.seeded(5);
  for (let i = 0; i < n; i++) {
    const r = root.fork('row', i);
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    const u = r.float();
    const name = u < 0.01 ? '' : u < 0.02 ? String(r.int(100, 9999)) : u < 0.05 ? first : `${first} ${last}`;
    const payload = r.chance(0.8)
      ? JSON.stringify({ event: r.pick(['view', 'cart', 'buy']), n: r.int(0, 500), tags: [r.pick(['a', 'b', 'ç']), 'x'], price: Math.round(r.float() * 1e4) / 100 })
      : `free text from ${r.pick(CITIES)}`;
    const amountU = r.float();
    rows.push({
      id: i,
      email: r.chance(0.05) ? null : `${first.toLowerCase().replace(/[^a-z]/g, '')}.${last.toLowerCase().replace(/[^a-z]/g, '')}${i}@${r.pick(['example.com', 'mail.co.uk', 'test.org'])}`,
      phone: PHONES(r),
      name,
      city: r.pick(CITIES),
      payload,
      amount: amountU < 0.05 ? null : amountU < 0.08 ? 0 : Math.round((r.chance(0.1) ? -1 : 1) * Math.exp(r.between(0, 12)) * 100) / 100,
      qty: r.int(-5, 200),
      ratio: Math.round(r.float() * 1e4) / 1e4,
      signup: r.chance(0.05) ? r.int(-3000, -1) : r.int(10_000, 20_000),
      seen_at: r.int(1_600_000_000, 1_750_000_000) * 1_000_000 + r.int(0, 999_999),
      opens_at: r.int(0, 86_399),
      active: r.chance(0.5),
    });
  }
  return rows;
}

const clean = fixtureRows(ROWS);
/** A fresh copy of the fixture as a source (stages change rows in place). */
const fixture = (batchSize = 8192, rows = clean): Source => rowsSource(people, rows.map((r) => ({ ...r })), batchSize);

// ---------------------------------------------------------------- helpers


/** Stage kind of each ledger kind (the documented table). */
const STAGE_KIND: Record<string, string> = {
  malformed_email: 'email',
  date_format: 'date',
  impossible_date: 'date',
  date_placeholder: 'date',
  timestamp_format: 'timestamp',
  impossible_timestamp: 'timestamp',
  timestamp_placeholder: 'timestamp',
  time_format: 'time',
  impossible_time: 'time',
  time_placeholder: 'time',
  thousands_separator: 'number',
  number_with_unit: 'number',
  text_in_number: 'number',
  comma_decimal: 'number',
  malformed_phone: 'phone',
  mojibake: 'encoding',
  replacement_char: 'encoding',
  whitespace: 'whitespace',
  wrong_case: 'case',
  truncated_json: 'json',
  formula: 'formula',
};

const hasCase = (s: string) => s.toUpperCase() !== s || s.toLowerCase() !== s;
/** Cells a stage kind can change: non-empty text (with letters, for case), any value otherwise. */
function eligible(rows: Row[], column: string, stageKind: string): number {
  return rows.filter((r) => {
    const v = r[column];
    if (v === null || v === undefined) return false;
    if (typeof v === 'string') return v.length > 0 && (stageKind !== 'case' || hasCase(v));
    return true;
  }).length;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const normalizeSpace = (s: string) => s.replace(/[\s\u00A0]+/g, ' ').trim();

/** What each ledger kind's value must look like. */
function checkValue(e: LedgerEntry, column: string): void {
  const after = e.after as string;
  const before = e.before;
  const where = `${column} ${e.kind} ${JSON.stringify(before)} -> ${JSON.stringify(after)}`;
  expect(typeof after, where).toBe('string');
  expect(/[\t\r\n]/.test(after), where).toBe(false);
  if (e.kind !== 'formula') expect(FORMULA_START.test(after) && !FORMULA_START.test(String(before)), where).toBe(false);
  switch (e.kind) {
    case 'malformed_email':
      expect(/^[^\s@,]+@[^\s@,]+\.[a-z]{2,}$/i.test(after), where).toBe(false);
      break;
    case 'date_format':
    case 'impossible_date':
    case 'date_placeholder':
      expect(parseDate(after), where).toBeUndefined();
      if (e.kind === 'impossible_date') expect(after, where).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      break;
    case 'timestamp_format':
    case 'impossible_timestamp':
    case 'timestamp_placeholder':
      expect(after, where).not.toBe(before);
      // the one variant a lenient reader takes: ISO without its offset
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/.test(after)) expect(parseTimestamp(after), where).toBeUndefined();
      else expect(after + 'Z', where).toBe(before);
      break;
    case 'time_format':
    case 'impossible_time':
    case 'time_placeholder':
      expect(parseTime(after), where).toBeUndefined();
      break;
    case 'thousands_separator':
    case 'number_with_unit':
    case 'text_in_number':
    case 'comma_decimal':
      expect(Number.isNaN(Number(after)), where).toBe(true);
      break;
    case 'malformed_phone':
      expect(after, where).not.toBe(before);
      break;
    case 'mojibake':
      expect(/Ã|Â|â€|ï»¿|Å|Ä|á»/.test(after), where).toBe(true);
      break;
    case 'replacement_char':
      expect(after.includes('\uFFFD'), where).toBe(true);
      break;
    case 'whitespace':
      expect(normalizeSpace(after), where).toBe(normalizeSpace(String(before)));
      break;
    case 'wrong_case':
      expect(after.toLowerCase(), where).toBe((before as string).toLowerCase());
      break;
    case 'truncated_json': {
      expect(() => JSON.parse(after), where).toThrow();
      const whole = (before as string).startsWith('{') ? (before as string) : JSON.stringify({ [column]: before });
      expect(whole.startsWith(after) && after.length < whole.length, where).toBe(true);
      break;
    }
    case 'formula':
      expect(FORMULA_START.test(after), where).toBe(true);
      break;
    default:
      throw new Error(`undocumented ledger kind ${e.kind}`);
  }
}

// ---------------------------------------------------------------- tests

describe('malform: default kinds on every column type', () => {
  let out: Row[];
  let ledger: ReturnType<typeof memoryLedger>;
  const DEFAULTS: Record<string, string[]> = {
    email: ['email'],
    phone: ['phone'],
    name: ['whitespace', 'case', 'encoding'],
    city: ['whitespace', 'case', 'encoding'],
    payload: ['json'],
    amount: ['number'],
    qty: ['number'],
    ratio: ['number'],
    signup: ['date'],
    seen_at: ['timestamp'],
    opens_at: ['time'],
  };
  beforeAll(async () => {
    ledger = memoryLedger();
    out = await collect(fixture(), malform({ rate: RATE, seed: 9 }), { ledger });
  });

  it('picks each column its kinds by type and name (keys and booleans left alone)', () => {
    const kinds = new Map<string, Set<string>>();
    for (const e of ledger.entries) kinds.set(e.column, (kinds.get(e.column) ?? new Set()).add(STAGE_KIND[e.kind] ?? `?${e.kind}`));
    expect(Object.fromEntries([...kinds].map(([c, s]) => [c, [...s].sort()]))).toEqual(Object.fromEntries(Object.entries(DEFAULTS).map(([c, k]) => [c, [...k].sort()])));
  });

  it('changes each column, and each kind within it, at the requested rate', () => {
    for (const [column, kinds] of Object.entries(DEFAULTS)) {
      const entries = ledger.entries.filter((e) => e.column === column);
      if (kinds.length === 1) expect(withinSamplingError(entries.length, eligible(clean, column, kinds[0]!), RATE), column).toBe(true);
      for (const k of kinds) {
        const n = entries.filter((e) => STAGE_KIND[e.kind] === k).length;
        expect(withinSamplingError(n, eligible(clean, column, k), RATE / kinds.length), `${column} ${k}: ${n}`).toBe(true);
      }
    }
  });

  it('records every change in the ledger, and nothing else', () => {
    expect(ledger.entries.map(asDiff)).toEqual(cellDiff(people, clean, out));
    expect(ledger.entries.every((e) => e.stage === 'malform' && e.table === 'people' && e.key?.id === e.row)).toBe(true);
  });

  it('makes values of the documented shape: text, never a formula, never a tab or line break', () => {
    for (const e of ledger.entries) checkValue(e, e.column);
    // every variant family occurs
    const seen = new Set(ledger.entries.map((e) => e.kind));
    expect([...seen].sort()).toEqual(Object.keys(STAGE_KIND).filter((k) => k !== 'formula').sort());
  });

  it('a negative number never becomes text starting with a minus', () => {
    const negatives = ledger.entries.filter((e) => typeof e.before === 'number' && e.before < 0);
    expect(negatives.length).toBeGreaterThan(100);
    for (const e of negatives) expect(String(e.after)).not.toMatch(/^-/);
    expect(negatives.some((e) => /^\(.*\)$/.test(e.after as string))).toBe(true); // money in parentheses
    expect(negatives.some((e) => (e.after as string).startsWith('\u2212'))).toBe(true); // Unicode minus
  });

  it('mojibake reads UTF-8 as Windows-1252', () => {
    const mb = ledger.entries.filter((e) => e.kind === 'mojibake' && /[^\x00-\x7f]/.test(e.before as string));
    expect(mb.length).toBeGreaterThan(50);
    for (const e of mb) expect(e.after).toBe(Buffer.from(e.before as string, 'utf8').toString('latin1').replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!));
    expect(ledger.entries.some((e) => e.before === 'Zürich' && e.after === 'ZÃ¼rich')).toBe(true);
  });

  it('leaves untouched rows as they were', () => {
    const touched = new Set(ledger.entries.map((e) => e.row));
    clean.forEach((r, i) => {
      if (!touched.has(i)) expect(out[i]).toEqual(r);
    });
  });
});

// An independent table: Windows-1252 0x80-0x9F (undefined bytes stay C1 controls, as in WHATWG).
const CP1252_HIGH = [
  '€', '\x81', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\x8d', 'Ž', '\x8f',
  '\x90', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\x9d', 'ž', 'Ÿ',
];

describe('malform: requested kinds', () => {
  it('splits a column between kinds by weight', async () => {
    const ledger = memoryLedger();
    await collect(fixture(), malform({ rate: 0.1, kinds: ['whitespace=3', 'case'], columns: ['name', 'city'] }), { ledger });
    for (const column of ['name', 'city']) {
      const ws = ledger.entries.filter((e) => e.column === column && e.kind === 'whitespace').length;
      const cs = ledger.entries.filter((e) => e.column === column && e.kind === 'wrong_case').length;
      expect(withinSamplingError(ws, eligible(clean, column, 'whitespace'), 0.075), `${column} whitespace ${ws}`).toBe(true);
      expect(withinSamplingError(cs, eligible(clean, column, 'case'), 0.025), `${column} case ${cs}`).toBe(true);
    }
    expect(new Set(ledger.entries.map((e) => e.kind))).toEqual(new Set(['whitespace', 'wrong_case']));
  });

  it('each named column takes the named kinds that apply to it', async () => {
    const ledger = memoryLedger();
    await collect(fixture(), malform({ rate: 0.05, kinds: ['email', 'number'], columns: ['email', 'qty'] }), { ledger });
    const byColumn = (c: string) => new Set(ledger.entries.filter((e) => e.column === c).map((e) => STAGE_KIND[e.kind]));
    expect(byColumn('email')).toEqual(new Set(['email']));
    expect(byColumn('qty')).toEqual(new Set(['number']));
    expect(withinSamplingError(ledger.entries.filter((e) => e.column === 'qty').length, ROWS, 0.05)).toBe(true);
  });

  it('without named columns, a kind goes to the columns it fits by type and name', async () => {
    const ledger = memoryLedger();
    await collect(fixture(), malform({ rate: 0.02, kinds: ['whitespace', 'phone'] }), { ledger });
    const columns = (k: string) => new Set(ledger.entries.filter((e) => e.kind === k).map((e) => e.column));
    expect(columns('whitespace')).toEqual(new Set(['email', 'phone', 'name', 'city', 'payload'])); // text columns only
    expect(columns('malformed_phone')).toEqual(new Set(['phone']));
  });

  it('whitespace on named number and date columns pads their text, before a minus sign only', async () => {
    const ledger = memoryLedger();
    await collect(fixture(), malform({ rate: 0.2, kinds: ['whitespace'], columns: ['amount', 'signup', 'seen_at', 'opens_at', 'qty'] }), { ledger });
    const fields = new Map(people.fields.map((f) => [f.name, f]));
    for (const e of ledger.entries) {
      const f = fields.get(e.column)!;
      const text = textEncoder(kindOf(f.type), (f.type as { scale?: number }).scale ?? 0)(clean[e.row]![e.column]!);
      expect(normalizeSpace(e.after as string)).toBe(text);
      if (text.startsWith('-')) expect(e.after).toMatch(/^[ \u00A0]+-/);
      expect(e.after).not.toMatch(FORMULA_START);
    }
    expect(withinSamplingError(ledger.entries.filter((e) => e.column === 'qty').length, ROWS, 0.2)).toBe(true);
  });

  it('formula text only when the formula kind is named', async () => {
    const ledger = memoryLedger();
    await collect(fixture(), malform({ rate: 0.05, kinds: ['formula', 'whitespace'], columns: ['name', 'amount'] }), { ledger });
    const formulas = ledger.entries.filter((e) => e.kind === 'formula');
    for (const e of formulas) expect(e.after).toMatch(/^[=+\-@]/);
    for (const e of ledger.entries.filter((x) => x.kind !== 'formula')) expect(e.after).not.toMatch(FORMULA_START);
    expect(withinSamplingError(formulas.filter((e) => e.column === 'amount').length, clean.filter((r) => r.amount !== null).length, 0.025)).toBe(true);
    // formula is never a default kind: no text starts like one anywhere in a default run
    const def = memoryLedger();
    await collect(fixture(), malform({ rate: 0.2 }), { ledger: def });
    expect(def.entries.filter((e) => FORMULA_START.test(String(e.after)) && !FORMULA_START.test(String(e.before)))).toEqual([]);
    expect(def.entries.some((e) => e.column === 'phone' && String(e.before).startsWith('+'))).toBe(true); // a leading + it had stays
  });

  it('truncates JSON mid-token', async () => {
    const ledger = memoryLedger();
    await collect(fixture(), malform({ rate: 0.1, columns: ['payload'] }), { ledger });
    for (const e of ledger.entries) checkValue(e, 'payload');
    const json = ledger.entries.filter((e) => (e.before as string).startsWith('{'));
    expect(json.length).toBeGreaterThan(1000);
    // cuts land inside strings, numbers and after separators alike
    expect(json.some((e) => /"[^"]*[^"]$/.test(e.after as string) && !(e.after as string).endsWith(':'))).toBe(true);
    expect(json.some((e) => /:\s*\d+$/.test(e.after as string))).toBe(true);
  });
});

describe('malform: reproducible and batch-size independent', () => {
  let base: ReturnType<typeof memoryLedger>;
  beforeAll(async () => {
    base = memoryLedger();
    await collect(fixture(), malform({ rate: RATE, seed: 3 }), { ledger: base });
  });

  it('same seed, same changes; another seed, other changes', async () => {
    const again = memoryLedger();
    await collect(fixture(), malform({ rate: RATE, seed: 3 }), { ledger: again });
    expect(again.entries).toEqual(base.entries);
    const other = memoryLedger();
    await collect(fixture(), malform({ rate: RATE, seed: 4 }), { ledger: other });
    expect(other.entries.map(asDiff)).not.toEqual(base.entries.map(asDiff));
  });

  it('batches of 1000, of 777 and the default give the same rows and ledger', async () => {
    const rows = await collect(fixture(), malform({ rate: RATE, seed: 3 }));
    for (const size of [1000, 777]) {
      const l = memoryLedger();
      expect(await collect(fixture(size), malform({ rate: RATE, seed: 3 }), { ledger: l })).toEqual(rows);
      expect(l.entries).toEqual(base.entries);
    }
  });

  it('rate 0 changes nothing; rate 1 changes every eligible cell', async () => {
    const zero = memoryLedger();
    expect(await collect(fixture(), malform({ rate: 0 }), { ledger: zero })).toEqual(clean);
    expect(zero.entries).toEqual([]);
    const all = memoryLedger();
    const small = clean.slice(0, 3000);
    await collect(fixture(8192, small), malform({ rate: 1, columns: ['email', 'amount', 'signup', 'city'] }), { ledger: all });
    expect(all.entries.length).toBe(['email', 'amount', 'signup', 'city'].reduce((n, c) => n + small.filter((r) => r[c] !== null).length, 0));
  });
});

describe('malform on scenarios', () => {
  it('customer_360: every non-key column but the flags, at the rate, ledger == diff', async () => {
    const source = () => scenario('customer_360', { rows: 60_000, seed: 2 });
    const before = await collect(source());
    const ledger = memoryLedger();
    const after = await collect(source(), malform({ rate: 0.01, seed: 5 }), { ledger });
    expect(ledger.entries.map(asDiff)).toEqual(cellDiff(customer_360.schema, before, after));
    const keys = new Set(keyColumns(customer_360.schema));
    const columns = customer_360.schema.fields.filter((f) => !keys.has(f.name) && kindOf(f.type) !== 'bool').map((f) => f.name);
    expect(new Set(ledger.entries.map((e) => e.column))).toEqual(new Set(columns));
    for (const c of columns) {
      const n = ledger.entries.filter((e) => e.column === c).length;
      expect(withinSamplingError(n, before.filter((r) => r[c] !== null).length, 0.01), `${c}: ${n}`).toBe(true);
    }
    for (const e of ledger.entries) checkValue(e, e.column);
    expect(ledger.entries.every((e) => typeof e.key?.customer_id === 'string')).toBe(true);
    if (columns.includes('email')) expect(new Set(ledger.entries.filter((e) => e.column === 'email').map((e) => e.kind))).toEqual(new Set(['malformed_email']));
  });

  it('attendance: only rows matching `when`, times malformed as times', async () => {
    const source = () => scenario('attendance', { rows: 60_000, seed: 7 });
    const before = await collect(source());
    const ledger = memoryLedger();
    const after = await collect(source(), malform({ rate: 0.1, columns: ['check_in'], when: 'status=LATE' }), { ledger });
    const late = before.filter((r) => r.status === 'LATE' && r.check_in !== null).length;
    expect(withinSamplingError(ledger.entries.length, late, 0.1)).toBe(true);
    before.forEach((r, i) => {
      if (r.status !== 'LATE') expect(after[i]).toEqual(r);
    });
    expect(new Set(ledger.entries.map((e) => STAGE_KIND[e.kind]))).toEqual(new Set(['time']));
    for (const e of ledger.entries) checkValue(e, 'check_in');
  });
});

describe('malformed values keep the container well-formed', () => {
  let con: DuckDBConnection;
  let rows: Row[];
  beforeAll(async () => {
    con = await (await DuckDBInstance.create(':memory:')).connect();
    rows = await collect(fixture(8192, clean.slice(0, 20_000)), malform({ rate: 0.3, seed: 1 }));
  });
  afterAll(() => con.closeSync());

  it('CSV: DuckDB reads back every cell as written', async () => {
    const path = join(tempDir(), 'malformed.csv');
    await run(fixture(8192, rows), csv({ path }));
    const columns = people.fields.map((f) => `'${f.name}': 'VARCHAR'`).join(', ');
    const back = (await (await con.runAndReadAll(`select * from read_csv('${path}', header = true, quote = '"', escape = '"', allow_quoted_nulls = false, columns = {${columns}})`)).getRowObjectsJson()) as Array<Record<string, string | null>>;
    expect(back.length).toBe(rows.length);
    const encoders = people.fields.map((f) => [f.name, textEncoder(kindOf(f.type), (f.type as { scale?: number }).scale ?? 0)] as const);
    rows.forEach((r, i) => {
      for (const [c, enc] of encoders) expect(back[i]![c], `${i} ${c}`).toBe(r[c] === null ? null : enc(r[c]!));
    });
  });

  it('NDJSON: a later process reads back every malformed value (timestamps without offset excepted)', async () => {
    const text = ndjsonFormatter(people)({ rows });
    const back = await collect(ndjsonSource({ input: Readable.from([text]), schema: people }));
    const changed = cellDiff(people, rows, back);
    // The reader accepts ISO timestamps without an offset (as UTC): that variant comes back
    // normalised. Everything else survives the hop between processes.
    for (const d of changed) {
      expect(d.column).toBe('seen_at');
      expect(d.before).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
      expect(d.after).toBe(formatTimestamp(parseTimestamp(d.before as string)!));
    }
  });
});

describe('malform: bad options', () => {
  it('rejects a rate outside 0..1 and unknown kinds or weights', () => {
    expect(() => malform({ rate: 2 })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: 'malform: rate must be between 0 and 1, got 2' }));
    expect(() => malform({ rate: -0.5 })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => malform({ kinds: ['emails'] })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: expect.stringContaining('"emails"') }));
    expect(() => malform({ kinds: 'case=0' })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: expect.stringContaining('case=0') }));
    expect(() => malform({ kinds: 'case=lots' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => malform({ colour: 'red' } as never)).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
  });

  it('a named kind that cannot apply to a named column names both', async () => {
    await expect(collect(fixture(8192, clean.slice(0, 10)), malform({ kinds: ['email'], columns: ['qty'] }))).rejects.toMatchObject({
      code: 'E_OPTION',
      message: expect.stringMatching(/email.*'qty' \(int32\)/),
    });
    await expect(collect(fixture(8192, clean.slice(0, 10)), malform({ kinds: ['date', 'case'], columns: ['name', 'city'] }))).rejects.toMatchObject({
      code: 'E_OPTION',
      message: expect.stringMatching(/kind 'date' cannot apply to columns 'name' \(string\), 'city' \(string\); date applies to date columns/),
    });
    await expect(collect(fixture(8192, clean.slice(0, 10)), malform({ columns: ['active'] }))).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringContaining("'active' (bool)") });
    await expect(collect(scenario('attendance', { rows: 10 }), malform({ kinds: ['email'] }))).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringContaining('any column of attendance') });
  });

  it('rejects unknown columns and conditions', async () => {
    await expect(collect(fixture(8192, clean.slice(0, 10)), malform({ columns: ['nope'] }))).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
    await expect(collect(fixture(8192, clean.slice(0, 10)), malform({ when: 'colour=red' }))).rejects.toMatchObject({ code: 'E_UNKNOWN_COLUMN' });
  });
});
