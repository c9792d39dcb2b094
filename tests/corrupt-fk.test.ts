import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startsFormula } from '../src/anomaly/cell-stage.js';
import { toJsonValue } from '../src/codecs/codec.js';
import { memoryLedger, type LedgerEntry } from '../src/anomaly/ledger.js';
import { collect, run } from '../src/core/pipeline.js';
import { kindOf, type Row } from '../src/core/schema.js';
import type { ScenarioDefinition } from '../src/core/units.js';
import { attendance } from '../scenarios/attendance.js';
import { bankTransactions } from '../scenarios/bank_transactions.js';
import { customer360 } from '../scenarios/customer_360.js';
import { iotSensors } from '../scenarios/iot_sensors.js';
import { loans } from '../scenarios/loans.js';
import { csv } from '../sinks/csv.js';
import { scenario } from '../sources/scenario.js';
import { corruptFk, FK_KINDS } from '../transforms/corrupt-fk.js';
import { asDiff, cellDiff, tempDir, withinSamplingError } from './helpers.js';

const ROWS = 100_000;
const RATE = 0.02;
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

const byKind = (entries: LedgerEntry[], kind: string) => entries.filter((e) => e.kind === kind);

/**
 * The same entity, whatever its format: trimmed, upper case, no separators or thousands
 * commas, no leading zeros in numbers. A `format` corruption must normalise to its `before`.
 */
const normalise = (v: unknown) =>
  String(v)
    .trim()
    .toUpperCase()
    .replace(/[-_./:, ]/g, '')
    .replace(/(^|\D)0+(?=\d)/g, '$1');

interface Case {
  name: string;
  def: ScenarioDefinition;
  scenarioOptions: Record<string, unknown>;
  column: string;
  stage: Record<string, unknown>;
  /** The parent's keys as text (what an exact join compares). */
  valid(): Promise<Set<string>>;
  /** A well-formed key of this parent (for `absent`). */
  wellFormed: (v: unknown) => boolean;
  /** Deleted parents to expect (count). */
  deleted: number;
}

const CASES: Case[] = [
  {
    name: 'integer keys: attendance.employee_id, range 1..500',
    def: attendance,
    scenarioOptions: { employees: 500 },
    column: 'employee_id',
    stage: { range: '1..500', deleted: 3 },
    valid: async () => new Set(range(1, 500).map(String)),
    wellFormed: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0,
    deleted: 3,
  },
  {
    name: 'text keys from a range of keys: loans.customer_id, CUST0001..CUST20000',
    def: loans,
    scenarioOptions: { customers: 20_000 },
    column: 'customer_id',
    stage: { range: 'CUST0001..CUST20000' },
    valid: async () => new Set(range(1, 20_000).map((n) => 'CUST' + pad(n, 4))),
    wellFormed: (v) => typeof v === 'string' && /^CUST\d{4,}$/.test(v),
    deleted: 20, // 0.1% of 20,000
  },
  {
    name: 'text keys from a template, checked against the real parent table (customer_360)',
    def: bankTransactions,
    scenarioOptions: { customers: 2500 },
    column: 'customer_id',
    stage: { template: 'CUST-{n:05}', range: '1..2500', deleted: 0.004 },
    // The parent table itself: customer_360 with 2500 rows.
    valid: async () => new Set((await collect(scenario(customer360, { rows: 2500, seed: 1 }))).map((r) => r.customer_id as string)),
    wellFormed: (v) => typeof v === 'string' && /^CUST-\d{5,}$/.test(v),
    deleted: 10,
  },
  {
    name: 'a list of keys: iot_sensors.device_id, values DEV-0001..DEV-0010',
    def: iotSensors,
    scenarioOptions: {},
    column: 'device_id',
    stage: { values: range(1, 10).map((n) => 'DEV-' + pad(n, 4)), deleted: 3 },
    valid: async () => new Set(range(1, 10).map((n) => 'DEV-' + pad(n, 4))),
    wellFormed: (v) => typeof v === 'string' && /^DEV-\d{4}$/.test(v),
    deleted: 3,
  },
];

describe.each(CASES)('corrupt-fk, $name', (c) => {
  const source = (extra: Record<string, unknown> = {}) => scenario(c.def, { rows: ROWS, seed: 5, ...c.scenarioOptions, ...extra });
  const stage = (extra: Record<string, unknown> = {}) => corruptFk({ columns: [c.column], rate: RATE, seed: 9, ...c.stage, ...extra });
  let clean: Row[];
  let out: Row[];
  let ledger: ReturnType<typeof memoryLedger>;
  let valid: Set<string>;
  beforeAll(async () => {
    valid = await c.valid();
    clean = await collect(source());
    ledger = memoryLedger();
    out = await collect(source(), stage(), { ledger });
  });

  it('starts from clean data: every natural key is valid', () => {
    expect(clean.filter((r) => !valid.has(String(r[c.column]))).length).toBe(0);
  });

  it('corrupts at the requested rate, and each kind at rate / 4, within sampling error', () => {
    const eligible = clean.filter((r) => r[c.column] !== null).length;
    expect(withinSamplingError(ledger.entries.length, eligible, RATE)).toBe(true);
    for (const kind of FK_KINDS) {
      const n = byKind(ledger.entries, 'fk_' + kind).length;
      expect(withinSamplingError(n, eligible, RATE / FK_KINDS.length), `${kind}: ${n} of ${eligible}`).toBe(true);
    }
    expect(new Set(ledger.entries.map((e) => e.kind))).toEqual(new Set(FK_KINDS.map((k) => 'fk_' + k)));
  });

  it('records every change in the ledger, and nothing else', () => {
    expect(ledger.entries.map(asDiff)).toEqual(cellDiff(c.def.schema, clean, out));
    expect(ledger.entries.every((e) => e.stage === 'corrupt-fk' && e.table === c.def.name)).toBe(true);
    expect(ledger.entries.every((e) => e.column === c.column && e.key !== undefined)).toBe(true);
  });

  it('leaves rows that were not picked exactly as they were', () => {
    const touched = new Set(ledger.entries.map((e) => e.row));
    const untouched = clean.flatMap((r, i) => (touched.has(i) ? [] : [[r, out[i]]]));
    for (const [a, b] of untouched) if (JSON.stringify(a) !== JSON.stringify(b)) expect(b).toEqual(a);
  });

  it('absent, wrong_type and format values fail to join the parent keys, on every corrupted row', () => {
    const joining = ledger.entries.filter((e) => e.kind !== 'fk_deleted' && valid.has(String(e.after)));
    expect(joining).toEqual([]);
    // ... and the rows hold those values (not only the ledger)
    for (const e of ledger.entries) if (e.kind !== 'fk_deleted') expect(valid.has(String(out[e.row]![c.column]))).toBe(false);
  });

  it('deleted values are valid keys, all from a small fixed set of deleted parents', async () => {
    const deleted = byKind(ledger.entries, 'fk_deleted');
    expect(deleted.every((e) => valid.has(String(e.after)))).toBe(true);
    // The full deleted set: every picked cell gets a deleted key (rate 1, only that kind).
    const all = memoryLedger();
    await collect(source({ rows: 20_000 }), stage({ rate: 1, kinds: ['deleted'] }), { ledger: all });
    const pool = new Set(all.entries.map((e) => e.after));
    expect(pool.size).toBe(c.deleted);
    for (const e of deleted) expect(pool.has(e.after)).toBe(true);
    // The set depends on the seed and the keys only: another rate, same set; another seed, another set.
    expect(new Set(deleted.map((e) => e.after)).size).toBe(c.deleted);
    const other = memoryLedger();
    await collect(source({ rows: 20_000 }), stage({ rate: 1, kinds: ['deleted'], seed: 10 }), { ledger: other });
    expect(new Set(other.entries.map((e) => e.after))).not.toEqual(pool);
  });

  it('absent values are well-formed keys; wrong_type values have another type; format values are the same entity', () => {
    for (const e of byKind(ledger.entries, 'fk_absent')) expect(c.wellFormed(e.after), String(e.after)).toBe(true);
    for (const e of byKind(ledger.entries, 'fk_wrong_type')) {
      expect(typeof e.after).toBe('string');
      expect(c.wellFormed(e.after), String(e.after)).toBe(false);
      expect(e.after).toMatch(typeof e.before === 'number' ? /^(\d+\.0|ID-\d+|[\da-z]*[a-z][\da-z]*)$/ : /^\d+(\.0)?$/);
    }
    for (const e of byKind(ledger.entries, 'fk_format')) {
      expect(typeof e.after).toBe('string');
      expect(normalise(e.after), `${e.before} -> ${e.after}`).toBe(normalise(e.before));
    }
  });

  it('changes every picked cell: rate 1 changes every non-null cell, for each kind', async () => {
    const rows = await collect(source({ rows: 5000 }));
    const eligible = rows.filter((r) => r[c.column] !== null).length;
    for (const kind of FK_KINDS) {
      const l = memoryLedger();
      await collect(source({ rows: 5000 }), stage({ rate: 1, kinds: [kind] }), { ledger: l });
      expect(l.entries.length, kind).toBe(eligible);
      // Only a lone deleted parent the row already points at falls back to another kind.
      expect(l.entries.filter((e) => e.kind !== 'fk_' + kind).length, kind).toBe(0);
    }
  });

  it('never writes a spreadsheet formula', () => {
    expect(ledger.entries.filter((e) => startsFormula(e.after as string))).toEqual([]);
  });

  it('is reproducible and batch-size independent; another seed corrupts other cells', async () => {
    const again = memoryLedger();
    await collect(source({ batchSize: 1000 }), stage(), { ledger: again });
    expect(again.entries).toEqual(ledger.entries);
    const other = memoryLedger();
    await collect(source(), stage({ seed: 10 }), { ledger: other });
    expect(other.entries.map(asDiff)).not.toEqual(ledger.entries.map(asDiff));
  });
});

describe('corrupt-fk options', () => {
  const small = () => scenario('loans', { rows: 3000, seed: 2, customers: 1000 });
  const int = () => scenario('attendance', { rows: 3000, seed: 2, employees: 100 });
  const fails = (f: () => unknown, message: string | RegExp, code = 'E_OPTION') =>
    expect(f).toThrowError(expect.objectContaining({ code, message: typeof message === 'string' ? message : expect.stringMatching(message) }));
  const rejects = (p: Promise<unknown>, message: RegExp, code = 'E_OPTION') => expect(p).rejects.toMatchObject({ code, message: expect.stringMatching(message) });

  it('needs the columns and the parent keys', () => {
    fails(() => corruptFk({ range: '1..10' }), /^corrupt-fk: option 'columns' is required/);
    fails(() => corruptFk({ columns: 'x' }), /^corrupt-fk: the parent keys are needed: give range/);
    fails(() => corruptFk({ columns: 'x', range: '1..3', values: '1,2' }), 'corrupt-fk: give one of range, values or valuesFile, got range and values');
    fails(() => corruptFk({ columns: 'x', template: 'C{n}' }), /^corrupt-fk: template needs a numeric range/);
    fails(() => corruptFk({ columns: 'x', values: [] }), /^corrupt-fk: values must hold at least one key/);
    fails(() => corruptFk({ columns: 'x', valuesFile: '/nonexistent/keys.txt' }), 'corrupt-fk: valuesFile cannot be read: ENOENT, got "/nonexistent/keys.txt"');
  });

  it('rejects a malformed range or template, naming the value', () => {
    for (const bad of ['1-5', '5..1', 'a..b', '1..2..3', '..5', '1.5..3', 'CUST0001..CUST20', 'CUST0001..ACCT0002']) {
      fails(() => corruptFk({ columns: 'x', range: bad }), new RegExp(`^corrupt-fk: range must be first\\.\\.last .*, got ${JSON.stringify(bad).replace(/[.]/g, '\\.')}$`));
    }
    fails(() => corruptFk({ columns: 'x', range: 'C1..C9', template: 'C{n}' }), /range must be first\.\.last in plain numbers when a template is given/);
    for (const bad of ['CUST', 'C{n}{n}', 'C{m}', 'C{n:4}', 'C{n}1']) fails(() => corruptFk({ columns: 'x', range: '1..9', template: bad }), /^corrupt-fk: template must hold one \{n\}/);
  });

  it('rejects unknown kinds, bad rates and bad deleted counts', () => {
    fails(() => corruptFk({ columns: 'x', range: '1..9', kinds: 'absent,orphan' }), 'corrupt-fk: kinds must be some of absent, wrong_type, format, deleted, got "orphan"');
    fails(() => corruptFk({ columns: 'x', range: '1..9', rate: 2 }), 'corrupt-fk: rate must be between 0 and 1, got 2');
    fails(() => corruptFk({ columns: 'x', range: '1..9', deleted: 1.5 }), /^corrupt-fk: deleted must be a share above 0 and below 1, or a whole count, got 1.5$/);
    fails(() => corruptFk({ columns: 'x', range: '1..9', deleted: 0 }), /^corrupt-fk: deleted must be/);
    fails(() => corruptFk({ columns: 'x', range: '1..9', deleted: 10 }), 'corrupt-fk: deleted must be at most the 9 parent keys, got 10');
    expect(() => corruptFk({ columns: 'x', range: '1..9', deleted: 10, kinds: 'absent' })).not.toThrow();
    expect(() => corruptFk({ columns: 'x', range: '1..9', kinds: 'fk_absent' })).not.toThrow();
  });

  it('checks columns against the schema when opened', async () => {
    await rejects(collect(small(), corruptFk({ columns: 'nope', range: 'CUST0001..CUST1000' })), /^corrupt-fk: unknown column 'nope' in loans/, 'E_UNKNOWN_COLUMN');
    await rejects(collect(small(), corruptFk({ columns: 'interest_rate', range: '1..9' })), /^corrupt-fk: column 'interest_rate' is decimal; this stage handles int, string$/);
    await rejects(collect(small(), corruptFk({ columns: 'customer_id', range: '1..1000' })), /^corrupt-fk: column 'customer_id' holds text keys; give range as keys/);
    await rejects(collect(int(), corruptFk({ columns: 'employee_id', range: 'E1..E9' })), /^corrupt-fk: column 'employee_id' holds integers; range must be plain numbers/);
    await rejects(collect(int(), corruptFk({ columns: 'employee_id', values: '1,2,x' })), /^corrupt-fk: column 'employee_id' holds integers; values must be whole numbers, got "x"$/);
  });

  it('reads the keys from a file, one per line, the same as values', async () => {
    const path = join(tempDir(), 'customers.txt');
    const keys = range(1, 1000).map((n) => 'CUST' + pad(n, 4));
    writeFileSync(path, keys.join('\r\n') + '\n\n');
    const a = memoryLedger();
    const b = memoryLedger();
    await collect(small(), corruptFk({ columns: 'customer_id', valuesFile: path, rate: 0.1 }), { ledger: a });
    await collect(small(), corruptFk({ columns: 'customer_id', values: keys, rate: 0.1 }), { ledger: b });
    expect(a.entries.length).toBeGreaterThan(200);
    expect(a.entries).toEqual(b.entries);
    expect(a.entries.filter((e) => e.kind !== 'fk_deleted' && keys.includes(e.after as string))).toEqual([]);
  });

  it('integer keys given as a list: absent keys fall in gaps or past the end', async () => {
    const ids = range(1, 100).filter((n) => n % 3 !== 0); // 66 employees still on the books
    const l = memoryLedger();
    await collect(int(), corruptFk({ columns: 'employee_id', values: ids.map(String), rate: 0.3, kinds: 'absent' }), { ledger: l });
    expect(l.entries.length).toBeGreaterThan(700);
    expect(l.entries.every((e) => typeof e.after === 'number' && !ids.includes(e.after))).toBe(true);
    expect(l.entries.some((e) => (e.after as number) < 100)).toBe(true); // a gap
    expect(l.entries.some((e) => (e.after as number) > 100)).toBe(true); // past the end
  });

  it('only the chosen kinds; only rows matching when; rate 0 changes nothing', async () => {
    const l = memoryLedger();
    await collect(small(), corruptFk({ columns: 'customer_id', range: 'CUST0001..CUST1000', rate: 0.2, kinds: 'format,wrong_type' }), { ledger: l });
    expect(new Set(l.entries.map((e) => e.kind))).toEqual(new Set(['fk_format', 'fk_wrong_type']));
    const clean = await collect(small());
    const w = memoryLedger();
    const out = await collect(small(), corruptFk({ columns: 'customer_id', range: 'CUST0001..CUST1000', rate: 0.5, when: 'status=APPROVED' }), { ledger: w });
    const approved = clean.filter((r) => r.status === 'APPROVED').length;
    expect(withinSamplingError(w.entries.length, approved, 0.5)).toBe(true);
    clean.forEach((r, i) => {
      if (r.status !== 'APPROVED') expect(out[i]).toEqual(r);
    });
    const zero = memoryLedger();
    expect(await collect(small(), corruptFk({ columns: 'customer_id', range: 'CUST0001..CUST1000', rate: 0 }), { ledger: zero })).toEqual(clean);
    expect(zero.entries).toEqual([]);
  });

  it('one deleted parent, already referenced by the row: the cell gets an absent key instead', async () => {
    const l = memoryLedger();
    await collect(int(), corruptFk({ columns: 'employee_id', range: '1..100', rate: 1, kinds: 'deleted', deleted: 1 }), { ledger: l });
    const [key] = new Set(byKind(l.entries, 'fk_deleted').map((e) => e.after));
    expect(l.entries.length).toBe(3000);
    expect(byKind(l.entries, 'fk_absent').every((e) => e.before === key && ((e.after as number) > 100 || (e.after as number) < 1))).toBe(true);
    expect(byKind(l.entries, 'fk_absent').length).toBe(l.entries.filter((e) => e.before === key).length);
  });
});

describe('corrupt-fk, joined by DuckDB', () => {
  let con: DuckDBConnection;
  const dir = tempDir();
  beforeAll(async () => {
    con = await (await DuckDBInstance.create(':memory:')).connect();
  });
  afterAll(() => con.closeSync());
  const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson();

  it('text keys: orphans are the corrupted rows, plus the rows of dropped parents', async () => {
    const child = join(dir, 'tx.csv');
    const parent = join(dir, 'customers.csv');
    const ledger = memoryLedger();
    const opts = { rows: 60_000, seed: 4, customers: 2500 };
    await run(scenario(bankTransactions, opts), corruptFk({ columns: 'customer_id', template: 'CUST-{n:05}', range: '1..2500', rate: 0.05, deleted: 5 }), csv({ path: child }), { ledger });
    await run(scenario(customer360, { rows: 2500, seed: 1 }), csv({ path: parent }));
    const dropped = [...new Set(byKind(ledger.entries, 'fk_deleted').map((e) => e.after as string))];
    expect(dropped.length).toBe(5);
    const clean = await collect(scenario(bankTransactions, opts));
    const natural = clean.filter((r, i) => dropped.includes(r.customer_id as string) && !ledger.entries.some((e) => e.row === i)).length;
    const orphans = async (where: string) =>
      Number((await query(`select count(*) n from read_csv('${child}') c anti join (select * from read_csv('${parent}') ${where}) p on c.customer_id = p.customer_id`))[0]!.n);
    expect(await orphans('')).toBe(ledger.entries.length - byKind(ledger.entries, 'fk_deleted').length);
    expect(await orphans(`where customer_id not in (${dropped.map((k) => `'${k}'`).join(',')})`)).toBe(ledger.entries.length + natural);
  });

  it('integer keys: corrupted values make the column text, and none of them joins the parent keys as text', async () => {
    const child = join(dir, 'attendance.csv');
    const ledger = memoryLedger();
    await run(scenario(attendance, { rows: 60_000, seed: 4, employees: 300 }), corruptFk({ columns: 'employee_id', range: '1..300', rate: 0.05, kinds: 'absent,wrong_type,format' }), csv({ path: child }), { ledger });
    const [type] = await query(`select column_type t from (describe select * from read_csv('${child}')) where column_name = 'employee_id'`);
    expect(type!.t).toBe('VARCHAR');
    const parent = `(select range::VARCHAR employee_id from range(1, 301))`;
    const [n] = await query(`select count(*) n from read_csv('${child}') c anti join ${parent} p on c.employee_id = p.employee_id`);
    expect(Number(n!.n)).toBe(ledger.entries.length);
  });
});
