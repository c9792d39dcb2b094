import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Field, Schema } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, defineTable, kindOf, memoryLedger, scenario, types, type LedgerEntry, type Row } from '../src/index.js';
import { Rng } from '../src/random/rng.js';
import { LOADS, malform, type Load } from '../transforms/malform.js';
import { rowsSource } from './helpers.js';

/*
 * The `load` field of malform's ledger entries, measured: each malformed text is cast to its
 * column's type by DuckDB (TRY_CAST, an independent reader) and compared with the value
 * before. null -> rejected; equal -> accepted_same; another value -> accepted_other; a text
 * column -> text. Every entry's recorded field must equal DuckDB's verdict.
 */

// ---------------------------------------------------------------- a fixture with every type

const table = defineTable('loadable', 'malform-load fixture: every column type, with values on whole hours', {
  id: { type: types.int32(), description: 'row number', key: true },
  qty: { type: types.int32(), description: 'small integer, some negative' },
  views: { type: types.int64(), description: 'large integer' },
  amount: { type: types.decimal(12, 2), description: 'money, some negative, some over 1000' },
  temp_c: { type: types.float64(), description: 'a float with a temperature unit' },
  ratio: { type: types.float64(), description: 'a float in 0..1' },
  day: { type: types.date(), description: 'a date, some before 1970' },
  at: { type: types.timestamp(), description: 'an instant, often on a whole hour' },
  opens: { type: types.time(), description: 'a time of day, often on a whole hour' },
  name: { type: types.string(), description: 'text' },
  email: { type: types.string(), description: 'email address' },
  phone: { type: types.string(), description: 'phone number' },
  payload: { type: types.string(), description: 'JSON text' },
  active: { type: types.bool(), description: 'a flag (formula only)' },
});

function fixtureRows(n: number): Row[] {
  const root = Rng.seeded(17);
  return Array.from({ length: n }, (_, i) => {
    const r = root.fork('row', i);
    const hour = r.int(0, 23);
    return {
      id: i,
      qty: r.int(-50, 5000),
      views: r.int(0, 2_000_000_000) * 1000,
      amount: Math.round((r.chance(0.1) ? -1 : 1) * Math.exp(r.between(0, 13)) * 100) / 100,
      temp_c: Math.round(r.between(-30, 45) * 100) / 100,
      ratio: Math.round(r.float() * 1e4) / 1e4,
      day: r.chance(0.1) ? r.int(-20_000, -1) : r.int(0, 20_500),
      at: (r.int(0, 20_000) * 86_400 + hour * 3600 + (r.chance(0.5) ? 0 : r.int(0, 3599))) * 1_000_000 + (r.chance(0.5) ? 0 : r.int(0, 999_999)),
      opens: hour * 3600 + (r.chance(0.4) ? 0 : r.int(0, 3599)),
      name: r.pick(['Anne-Marie Dubois', 'Zoë', "Seán O'Brien", 'Priya Sharma', 'Lee']),
      email: `user${i}@example.com`,
      phone: `+91 98765 ${String(r.int(0, 99_999)).padStart(5, '0')}`,
      payload: JSON.stringify({ n: i, tags: ['a', 'b'] }),
      active: r.chance(0.5),
    };
  });
}

// ---------------------------------------------------------------- DuckDB's verdict

/** The DuckDB type a strict load would declare for the column; undefined for text. */
function duckType(f: Field): string | undefined {
  const t = f.type as { bitWidth?: number; precision?: number; scale?: number };
  switch (kindOf(f.type)) {
    case 'int':
      return ({ 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' } as Record<number, string>)[t.bitWidth!];
    case 'float':
      return t.precision === 0 ? 'FLOAT' : 'DOUBLE'; // Arrow Float: precision 0 half, 1 single, 2 double
    case 'decimal':
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'TIMESTAMPTZ'; // an instant (timestamp[us, UTC])
    case 'bool':
      return 'BOOLEAN';
    default:
      return undefined;
  }
}

/** A malform ledger entry: the common fields and the stage's own `load`. */
type Entry = LedgerEntry & { load?: Load };

interface Measured {
  entry: Entry;
  type: string | undefined;
}

let con: DuckDBConnection;

/** DuckDB's verdict for each entry, in the session time zone `zone`. */
async function verdicts(cells: Measured[], zone: string): Promise<Load[]> {
  await con.run(`SET TimeZone = '${zone}'`);
  await con.run('CREATE OR REPLACE TABLE cells (id INTEGER, type VARCHAR, before VARCHAR, after VARCHAR)');
  const appender = await con.createAppender('cells');
  cells.forEach((c, id) => {
    if (c.type === undefined) return;
    appender.appendInteger(id);
    appender.appendVarchar(c.type);
    appender.appendVarchar(String(c.entry.before));
    appender.appendVarchar(String(c.entry.after));
    appender.endRow();
  });
  appender.closeSync();
  const out: Load[] = cells.map((c) => (c.type === undefined ? 'text' : ('?' as Load)));
  for (const type of new Set(cells.flatMap((c) => (c.type ? [c.type] : [])))) {
    const result = await con.runAndReadAll(
      `SELECT id, TRY_CAST(before AS ${type}) IS NOT NULL AS before_ok, TRY_CAST(after AS ${type}) IS NULL AS rejected,
              TRY_CAST(after AS ${type}) IS NOT DISTINCT FROM TRY_CAST(before AS ${type}) AS same
       FROM cells WHERE type = '${type}'`,
    );
    for (const [id, beforeOk, rejected, same] of result.getRows() as Array<[number, boolean, boolean, boolean]>) {
      // The original value itself must load, or the comparison means nothing.
      expect(beforeOk, `${type} ${String(cells[id]!.entry.before)}`).toBe(true);
      out[id] = rejected ? 'rejected' : same ? 'accepted_same' : 'accepted_other';
    }
  }
  return out;
}

// ---------------------------------------------------------------- the runs

/** What docs/anomalies.md claims each ledger kind can do on a typed or a text column. */
const OUTCOMES: Record<string, Load[]> = {
  malformed_email: ['text'],
  malformed_phone: ['text'],
  mojibake: ['text'],
  replacement_char: ['text'],
  wrong_case: ['text'],
  truncated_json: ['text'],
  whitespace: ['accepted_same', 'rejected', 'text'],
  formula: ['rejected', 'text'],
  date_format: ['accepted_other', 'accepted_same', 'rejected'],
  impossible_date: ['rejected'],
  date_placeholder: ['rejected'],
  timestamp_format: ['accepted_other', 'rejected'],
  impossible_timestamp: ['accepted_other', 'rejected'],
  timestamp_placeholder: ['rejected'],
  time_format: ['accepted_other', 'accepted_same', 'rejected'],
  impossible_time: ['accepted_other', 'rejected'],
  time_placeholder: ['rejected'],
  thousands_separator: ['rejected'],
  number_with_unit: ['rejected'],
  text_in_number: ['rejected'],
  comma_decimal: ['rejected'],
};

/** ISO 8601 without its offset: the spelling whose meaning depends on the session zone. */
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

describe('malform: the recorded load outcome is what DuckDB does', () => {
  const cells: Measured[] = [];
  let measured: Load[];

  beforeAll(async () => {
    con = await (await DuckDBInstance.create(':memory:')).connect();
    const add = async (schema: Schema, run: (ledger: ReturnType<typeof memoryLedger>) => Promise<unknown>) => {
      const ledger = memoryLedger();
      await run(ledger);
      const fields = new Map(schema.fields.map((f) => [f.name, f]));
      for (const entry of ledger.entries) cells.push({ entry, type: duckType(fields.get(entry.column)!) });
    };
    const rows = fixtureRows(1000);
    const all = table.fields.filter((f) => f.name !== 'id').map((f) => f.name);
    const fixture = () => rowsSource(table, rows.map((r) => ({ ...r })));
    // Every cell of every column its default kinds fit; then whitespace and formula everywhere.
    await add(table, (ledger) => collect(fixture(), malform({ rate: 1, seed: 1 }), { ledger }));
    await add(table, (ledger) => collect(fixture(), malform({ rate: 0.3, seed: 2, kinds: ['whitespace', 'formula'], columns: all }), { ledger }));
    // Scenarios as they come, default kinds.
    for (const name of ['attendance', 'bank_transactions', 'loans', 'customer_360']) {
      const source = scenario(name, { rows: 1500, seed: 4 });
      await add(source.schema!, (ledger) => collect(source, malform({ rate: 0.2, seed: 5 }), { ledger }));
    }
    measured = await verdicts(cells, 'Asia/Kolkata');
  }, 120_000);
  afterAll(() => con?.closeSync());

  it('every malform entry records one of the four outcomes; text columns load as text', () => {
    expect(cells.length).toBeGreaterThan(10_000);
    for (const { entry, type } of cells) {
      expect(LOADS, JSON.stringify(entry)).toContain(entry.load);
      expect(entry.load === 'text', JSON.stringify(entry)).toBe(type === undefined);
    }
  });

  it("each entry's load equals DuckDB's TRY_CAST verdict (session zone Asia/Kolkata)", () => {
    // Mismatches grouped by kind, type, outcomes and the text's shape (digits as 9), with an example.
    const wrong = new Map<string, { n: number; example: string }>();
    cells.forEach((c, i) => {
      if (c.entry.load === measured[i]) return;
      const shape = String(c.entry.after).replace(/\d/g, '9').replace(/\u00a0/g, '<nbsp>');
      const key = `${c.entry.kind} ${c.type}: recorded ${c.entry.load}, DuckDB ${measured[i]}: ${shape}`;
      const w = wrong.get(key) ?? { n: 0, example: `${String(c.entry.before)} -> ${String(c.entry.after)}` };
      w.n++;
      wrong.set(key, w);
    });
    expect(Object.fromEntries(wrong)).toEqual({});
  });

  it('each ledger kind shows exactly the outcomes documented for it', () => {
    const seen = new Map<string, Set<Load>>();
    cells.forEach((c, i) => seen.set(c.entry.kind, (seen.get(c.entry.kind) ?? new Set()).add(measured[i]!)));
    expect(Object.fromEntries([...seen].map(([k, s]) => [k, [...s].sort()]))).toEqual(OUTCOMES);
  });

  it('with the session zone UTC, only timestamps written without an offset change: they keep their instant', async () => {
    const utc = await verdicts(cells, 'UTC');
    const changed = cells.flatMap((c, i) => (utc[i] !== measured[i] ? [{ ...c.entry, utc: utc[i] }] : []));
    expect(changed.length).toBeGreaterThan(0);
    for (const e of changed) {
      expect([e.kind, e.load, e.utc], JSON.stringify(e)).toEqual(['timestamp_format', 'accepted_other', 'accepted_same']);
      expect(String(e.after)).not.toMatch(/Z$/);
    }
    // ISO without its offset is exactly the instant in UTC, always
    const iso = cells.flatMap((c, i) => (NO_OFFSET.test(String(c.entry.after)) ? [utc[i]] : []));
    expect(iso.length).toBeGreaterThan(20);
    expect(new Set(iso)).toEqual(new Set(['accepted_same']));
  });
});
