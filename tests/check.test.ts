import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, sh, tempDir, withinSamplingError } from './helpers.js';
import type { CheckResult, Finding } from '../src/check/types.js';

/**
 * `datagen check` end to end: what it finds is what the ledger (read here independently,
 * line by line) says was injected; a change made behind the ledger's back is reported as
 * extra, one undone as missed; bad input exits 2.
 */
const D = `node ${BIN}`;
let dir: string;

interface Run { code: number; stdout: string; stderr: string }
const run = (cmd: string): Run => {
  const r = sh(cmd, dir);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const json = (r: Run): CheckResult => JSON.parse(r.stdout) as CheckResult;
const finding = (res: CheckResult, column: string | null, check: string): Finding => {
  const f = res.findings.find((x) => x.column === column && x.check === check);
  if (!f) throw new Error(`no ${check} finding for ${column}`);
  return f;
};
const ledgerLines = (path: string) =>
  readFileSync(join(dir, path), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === undefined);

beforeAll(() => {
  dir = tempDir('datagen-check-');
  const setup = [
    `${D} generate loans --rows 4000 --seed 3 --out loans.parquet --ledger loans.jsonl -q`,
    `${D} pipe loans --rows 3000 --seed 5 --clean | ${D} malform --rate 0.02 --ledger messy.jsonl | ${D} noise --rate 0.02 --ledger messy.jsonl | ${D} duplicate --rate 0.01 --ledger messy.jsonl | ${D} missing --rate 0.02 --ledger messy.jsonl | ${D} csv > messy.csv`,
    `${D} generate loans --rows 500 --seed 1 --clean --out clean.csv -q`,
  ].join(' && ');
  const r = run(setup);
  if (r.code !== 0) throw new Error(r.stderr);
}, 120_000);

describe('datagen check on a single file', () => {
  it('finds in a Parquet file exactly the nulls the ledger injected, at the configured rates (exit 0)', () => {
    const r = run(`${D} check loans.parquet --ledger loans.jsonl --json`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const res = json(r);
    expect(res.ok).toBe(true);
    const lines = ledgerLines('loans.jsonl');
    for (const [column, rate] of Object.entries({ amount: 0.18, status: 0.08, tenure_months: 0.22 })) {
      const injected = lines.filter((l) => l.column === column && l.after === null).length;
      const f = finding(res, column, 'null');
      expect(f.found).toBe(injected);
      expect(f.injected).toBe(injected);
      expect(f.status).toBe('match');
      expect(f.rate).toBe(rate);
      expect(withinSamplingError(f.found, 4000, rate)).toBe(true);
    }
    expect(finding(res, 'loan_id', 'unique')).toMatchObject({ found: 0, status: 'ok' });
    expect(res.tables).toEqual([expect.objectContaining({ name: 'loans', format: 'parquet', rows: 4000 })]);
  }, 60_000);

  it('explains every malformed, noisy, duplicated and missing value of a CSV pipe by its ledger', () => {
    const r = run(`${D} check messy.csv --schema loans --ledger messy.jsonl --json`);
    expect(r.code, r.stdout.slice(0, 2000)).toBe(0);
    const res = json(r);
    const lines = ledgerLines('messy.jsonl');
    // Duplicates: the exact and key copies are the rows beyond the first per loan_id.
    const copies = lines.filter((l) => l.kind === 'duplicate_exact' || l.kind === 'duplicate_key').length;
    expect(copies).toBeGreaterThan(0);
    expect(finding(res, 'loan_id', 'unique')).toMatchObject({ found: copies, injected: copies, status: 'match' });
    // Something was found by every kind of rule, and each finding is explained.
    for (const [column, check] of [['amount', 'type'], ['amount', 'range'], ['status', 'values'], ['customer_id', 'pattern'], ['created_at', 'type']] as const) {
      const f = finding(res, column, check);
      expect(f.found, `${column} ${check}`).toBeGreaterThan(0);
      expect(f.status, `${column} ${check}`).toBe('match');
      expect(f.examples!.length).toBeGreaterThan(0);
    }
    // The text table says the same in words.
    const text = run(`${D} check messy.csv --schema loans --ledger messy.jsonl`);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^OK: the data matches its declaration and its ledger/m);
    expect(text.stdout).toMatch(/loans\s+status\s+values\s+in \{REJECTED, PENDING, APPROVED, CLOSED\}/);
  }, 60_000);

  it('reports a change the ledger does not know as extra, and an injected change that is gone as missed (exit 1)', () => {
    const csv = readFileSync(join(dir, 'messy.csv'), 'utf8').split('\n');
    const header = csv[0]!.split(',');
    const statusAt = header.indexOf('status');
    const idAt = header.indexOf('loan_id');
    const lines = ledgerLines('messy.jsonl');
    const touched = new Set(lines.map((l) => (l.key as Record<string, string> | undefined)?.loan_id));
    // A row no stage touched: set its status to a value outside the declared set.
    const victim = csv.findIndex((l, i) => i > 0 && l.split(',').length === header.length && !touched.has(l.split(',')[idAt]!) && /^[A-Z]+$/.test(l.split(',')[statusAt]!));
    const cells = csv[victim]!.split(',');
    cells[statusAt] = 'BOGUS';
    csv[victim] = cells.join(',');
    writeFileSync(join(dir, 'tampered.csv'), csv.join('\n'));
    const r = run(`${D} check tampered.csv --schema loans --ledger messy.jsonl --json`);
    expect(r.code).toBe(1);
    const f = finding(json(r), 'status', 'values');
    expect(f.status).toBe('extra');
    expect(f.found).toBe(f.injected! + 1);
    expect(f.examples).toEqual(['BOGUS']); // the unexplained values come first

    // A ledger that claims one more null than the file holds: that null is missed.
    const extraNull = { stage: 'missing', table: 'loans', row: 1, key: { loan_id: cells[idAt] }, column: 'status', kind: 'null', before: 'BOGUS', after: null };
    writeFileSync(join(dir, 'claims.jsonl'), readFileSync(join(dir, 'messy.jsonl'), 'utf8') + JSON.stringify(extraNull) + '\n');
    const m = run(`${D} check tampered.csv --schema loans --ledger claims.jsonl --json`);
    expect(m.code).toBe(1);
    expect(finding(json(m), 'status', 'null')).toMatchObject({ status: 'missed' });
    const text = run(`${D} check tampered.csv --schema loans --ledger claims.jsonl`);
    expect(text.stdout).toMatch(/^NOT OK: 2 of \d+ checks/m);
  }, 60_000);

  it('passes clean data without a ledger, and fails data with anomalies but no ledger', () => {
    const clean = run(`${D} check clean.csv --schema loans`);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^no violations found and none injected$/m);
    const messy = run(`${D} check messy.csv --schema loans --json`);
    expect(messy.code).toBe(1);
    expect(finding(json(messy), 'status', 'values').status).toBe('extra');
    // Nulls in a nullable column are allowed by the declaration.
    expect(finding(json(messy), 'amount', 'null').status).toBe('allowed');
  }, 60_000);

  it('checks a file datagen did not write against a named scenario', () => {
    writeFileSync(
      join(dir, 'export.csv'),
      'loan_id,customer_id,created_at,amount,interest_rate,tenure_months,status,product_type,branch,credit_score_band\n' +
        'LN0001,CUST0001,2024-01-05T10:00:00Z,5000,12.5,24,APPROVED,AUTO,Pokhara,HIGH\n' +
        'LN0002,CUST0002,2024-01-06T11:30:00Z,"7,000",13.0,36,APROVED,HOME,Kathmandu,LOW\n' +
        'LN0002,CUST0003,2024-01-07 09:00,9000,15.5,36,PENDING,,Kathmandu,LOW\n',
    );
    const r = run(`${D} check export.csv --schema loans --json`);
    expect(r.code).toBe(1);
    const res = json(r);
    expect(finding(res, 'amount', 'type')).toMatchObject({ found: 1, status: 'extra', examples: ['7,000'] });
    expect(finding(res, 'status', 'values')).toMatchObject({ found: 1, status: 'extra', examples: ['APROVED'] });
    expect(finding(res, 'interest_rate', 'range')).toMatchObject({ found: 1, examples: ['15.5'] });
    expect(finding(res, 'loan_id', 'unique')).toMatchObject({ found: 1, examples: ['LN0002'] });
    expect(finding(res, 'product_type', 'null')).toMatchObject({ found: 1, status: 'allowed' });
    // '2024-01-07 09:00' is a timestamp DuckDB can read: not a type violation.
    expect(finding(res, 'created_at', 'type').found).toBe(0);
    expect(res.findings.filter((f) => f.status === 'extra').map((f) => `${f.column} ${f.check}`).sort()).toEqual(['amount type', 'interest_rate range', 'loan_id unique', 'status values']);
  }, 60_000);

  it('counts a row whose check_out is before its check_in as a time-order violation', () => {
    const gen = run(`${D} generate attendance --rows 300 --seed 2 --out att.csv -q`);
    expect(gen.code, gen.stderr).toBe(0);
    const lines = readFileSync(join(dir, 'att.csv'), 'utf8').split('\n');
    const head = lines[0]!.split(',');
    const [inAt, outAt] = [head.indexOf('check_in'), head.indexOf('check_out')];
    const victim = lines.findIndex((l, i) => i > 0 && l.split(',')[inAt] !== '' && l.split(',')[outAt] !== '');
    const cells = lines[victim]!.split(',');
    cells[outAt] = '08:00:00';
    lines[victim] = cells.join(',');
    writeFileSync(join(dir, 'att_bad.csv'), lines.join('\n'));
    const res = json(run(`${D} check att_bad.csv --schema attendance --json`));
    expect(finding(res, 'check_out', 'order')).toMatchObject({ rule: 'check_out >= check_in', found: 1, status: 'extra', examples: [`${cells[inAt]} > 08:00:00`] });
    expect(finding(res, 'check_out', 'range')).toMatchObject({ found: 1, status: 'extra' });
    const clean = json(run(`${D} check att.csv --schema attendance --json`));
    expect(finding(clean, 'check_out', 'order')).toMatchObject({ found: 0, status: 'ok' });
    expect(finding(clean, 'check_out', 'order').checked).toBeGreaterThan(100);
  }, 60_000);

  it('checks against a YAML scenario file: its nulls are explained by its ledger, and absent with --clean', () => {
    const r = run(
      `${D} new scenario visits 2> /dev/null && ${D} generate ./visits.yml --rows 300 --out v.csv --ledger v.jsonl -q && ${D} generate ./visits.yml --rows 300 --clean --out v_clean.csv -q`,
    );
    expect(r.code, r.stderr).toBe(0);
    const withLedger = run(`${D} check v.csv --schema ./visits.yml --ledger v.jsonl --json`);
    expect(withLedger.code).toBe(0);
    const res = json(withLedger);
    expect(res.tables[0]).toMatchObject({ name: 'visits', rows: 300, schemaSource: 'visits.yml' });
    const nulls = ledgerLines('v.jsonl').filter((l) => l.after === null).length;
    expect(nulls).toBeGreaterThan(0);
    expect(res.findings.filter((f) => f.check === 'null').reduce((n, f) => n + (f.injected ?? 0), 0)).toBe(nulls);
    // Without its ledger the same nulls break the declaration (not null), so the check fails.
    expect(run(`${D} check v.csv --schema ./visits.yml`).code).toBe(1);
    expect(run(`${D} check v_clean.csv --schema ./visits.yml`).code).toBe(0);
  }, 60_000);

  it('refuses bad input with one line and exit 2', () => {
    mkdirSync(join(dir, 'empty'), { recursive: true });
    writeFileSync(join(dir, 'empty', 'notes.txt'), 'nothing');
    const cases: Array<[string, RegExp]> = [
      [`${D} check nowhere.parquet`, /no such file or folder.*nowhere\.parquet/],
      [`${D} check empty`, /empty.*no data files/],
      [`${D} check clean.csv --schema attendance`, /\[E_SCHEMA\]/],
      [`${D} check clean.csv --schema no_such_scenario`, /no_such_scenario.*\[E_SCHEMA\]/],
      [`${D} check clean.csv`, /pass --schema/],
      [`${D} check clean.csv --schema loans --bogus`, /Nonexistent flag: --bogus/],
    ];
    for (const [cmd, message] of cases) {
      const r = run(cmd);
      expect(r.code, cmd).toBe(2);
      expect(r.stdout, cmd).toBe('');
      expect(r.stderr.trim().split('\n'), cmd).toHaveLength(1);
      expect(r.stderr, cmd).toMatch(message);
      expect(r.stderr, cmd).not.toMatch(/\n\s+at /);
    }
  }, 60_000);
});

describe('datagen check on a dataset folder', () => {
  it('checks every table of retail against the dataset declaration and its ledger, FK orphans included', () => {
    const gen = run(`${D} generate retail --scale 0.002 --seed 9 --start 2024-01-01 --end 2024-02-29 --out raw -q && ${D} generate retail --scale 0.002 --seed 9 --start 2024-01-01 --end 2024-02-29 --clean --out clean -q`);
    expect(gen.code, gen.stderr).toBe(0);
    const r = run(`${D} check raw --json`);
    const res = json(r);
    const bad = res.findings.filter((f) => f.status === 'extra' || f.status === 'missed');
    expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
    expect(r.code).toBe(0);
    expect(res.dataset).toBe('retail');
    expect(res.tables.map((t) => t.name).sort()).toEqual(['customers', 'events', 'exchange_rates', 'orders_header', 'orders_lines', 'products', 'returns', 'sensors', 'shipments', 'stores', 'suppliers']);
    // The ledger's corrupt-fk entries on orders_lines are found as orphans.
    const lines = ledgerLines('raw/_ledger.jsonl');
    const fk = res.relations.find((x) => x.table === 'orders_lines' && x.column === 'product_id')!;
    expect(fk.parent).toBe('products.product_id');
    expect(fk.orphans).toBe(fk.injected);
    expect(lines.some((l) => l.table === 'orders_lines' && String(l.kind).startsWith('fk_'))).toBe(fk.orphans > 0);
    // Clean data: nothing found, nothing injected, every relation complete.
    const c = run(`${D} check clean --json`);
    expect(c.code).toBe(0);
    const cres = json(c);
    expect(cres.findings.filter((f) => f.found > 0 && f.status !== 'allowed')).toEqual([]);
    expect(cres.relations.length).toBeGreaterThanOrEqual(6);
    expect(cres.relations.every((x) => x.orphans === 0)).toBe(true);

    // The same run written into one DuckDB file (tables, _ledger, _manifest) gives the same findings.
    const db = run(`${D} generate retail --scale 0.002 --seed 9 --start 2024-01-01 --end 2024-02-29 --out raw.duckdb -q && ${D} check raw.duckdb --json`);
    expect(db.code, db.stderr).toBe(0);
    const dres = json(db);
    expect(dres.ledger).toBe('raw.duckdb#_ledger');
    expect(dres.tables.every((t) => t.format === 'duckdb')).toBe(true);
    const strip = (r: CheckResult) => r.findings.map(({ examples: _e, ...f }) => f);
    expect(strip(dres)).toEqual(strip(res));
    expect(dres.relations).toEqual(res.relations);
  }, 180_000);
});
