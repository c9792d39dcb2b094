import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { csv, memoryLedger, noise, run, scenario } from '../src/index.js';
import { BIN, sh, tempDir } from './helpers.js';

/**
 * Between processes, rows keep the producer's schema (table, types, keys, decimal scales)
 * without --schema, the NDJSON stays plain JSON lines, and a stream whose producer did not
 * finish is refused (src/core/stdio-link.ts).
 */
const D = `node ${BIN}`;
const ledgerLines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => !('event' in l));

describe('typed NDJSON pipes', () => {
  it('pipe | noise | csv: untouched rows byte-identical, decimals at their scale, ledger names the table and keys', () => {
    const dir = tempDir();
    const r = sh(
      `${D} pipe loans --rows 2000 --clean | ${D} noise --rate 0.01 --ledger l.jsonl | ${D} csv > noisy.csv && ` +
        `${D} pipe loans --rows 2000 --clean | ${D} csv > piped.csv && ${D} generate loans --rows 2000 --clean --out generated.csv -q`,
      dir,
    );
    expect(r.status, r.stderr).toBe(0);
    const piped = readFileSync(join(dir, 'piped.csv'), 'utf8');
    // pipe X | csv is what generate X writes (11.0 stays 11.0, 1847.00 stays 1847.00)
    expect(piped).toBe(readFileSync(join(dir, 'generated.csv'), 'utf8'));
    expect(piped).toMatch(/,\d+\.0,/);
    const entries = ledgerLines(join(dir, 'l.jsonl'));
    expect(entries.length).toBeGreaterThan(50);
    expect(new Set(entries.map((e) => e.table))).toEqual(new Set(['loans']));
    expect(entries.every((e) => Object.keys(e.key as object).join() === 'loan_id')).toBe(true);
    expect(entries.some((e) => e.column === 'loan_id')).toBe(false); // a key is not noise's default
    const changed = new Set(entries.map((e) => e.row as number));
    const before = piped.split('\n');
    const after = readFileSync(join(dir, 'noisy.csv'), 'utf8').split('\n');
    expect(after.length).toBe(before.length);
    for (let i = 1; i < before.length - 1; i++) {
      if (!changed.has(i - 1)) expect(after[i], `row ${i - 1}`).toBe(before[i]);
      else expect(after[i]).not.toBe(before[i]);
    }
    // jittered decimal(4,1) interest rates keep one fraction digit
    for (const e of entries.filter((x) => x.column === 'interest_rate')) expect(String(e.after)).toMatch(/^\d+(\.\d)?$/);
    const rate = after.slice(1, -1).map((l) => l.split(',')[4]!);
    expect(rate.every((v) => /^\d{1,3}\.\d$/.test(v))).toBe(true);
  });

  it('the CLI pipe records the same ledger as the same pipeline in one process (attendance: date is a key)', async () => {
    const dir = tempDir();
    const r = sh(`${D} pipe attendance --rows 3000 --seed 42 | ${D} noise --rate 0.02 --seed 5 --ledger l.jsonl > /dev/null`, dir);
    expect(r.status, r.stderr).toBe(0);
    const ledger = memoryLedger();
    await run(scenario('attendance', { rows: 3000, seed: 42 }), noise({ rate: 0.02, seed: 5 }), csv({ path: join(dir, 'api.csv') }), { ledger });
    const cli = ledgerLines(join(dir, 'l.jsonl'));
    expect(cli.length).toBeGreaterThan(100);
    expect(cli.filter((e) => e.kind === 'date_shift')).toEqual([]);
    expect(cli).toEqual(JSON.parse(JSON.stringify(ledger.entries)));
  });

  it('NDJSON stays plain JSON lines: no header or trailer that jq or DuckDB would read as rows', async () => {
    const dir = tempDir();
    const r = sh(`${D} pipe loans --rows 500 --clean | cat > rows.ndjson && ${D} pipe loans --rows 500 --clean > direct.ndjson`, dir);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(join(dir, 'rows.ndjson'), 'utf8');
    expect(text).toBe(readFileSync(join(dir, 'direct.ndjson'), 'utf8'));
    const lines = text.trim().split('\n');
    expect(lines.length).toBe(500);
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(['loan_id', 'customer_id', 'created_at', 'amount', 'interest_rate', 'tenure_months', 'status', 'product_type', 'branch', 'credit_score_band']);
    const db = await (await DuckDBInstance.create()).connect();
    const rows = (await db.runAndReadAll(`SELECT count(*)::INT AS n, count(DISTINCT loan_id)::INT AS k FROM read_json('${join(dir, 'rows.ndjson')}')`)).getRowObjects();
    expect(rows).toEqual([{ n: 500, k: 500 }]);
  });

  it('NDJSON from elsewhere: inference keeps the fraction digits the text has, and refuses what it cannot keep', () => {
    const dir = tempDir();
    const lines = ['{"id":1,"rate":12.0,"price":1847.00,"x":0.5}', '{"id":2,"rate":3.5,"price":2.25,"x":0.25}', '{"id":3,"rate":7.0,"price":10.10,"x":3}'];
    writeFileSync(join(dir, 'in.ndjson'), '\ufeff' + lines.join('\n') + '\n');
    // cat: a pipe from another program, so no announcement; a BOM at the start is skipped
    const r = sh(`cat in.ndjson | ${D} noise --rate 0 > out.ndjson && cat in.ndjson | ${D} csv > out.csv`, dir);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out.ndjson'), 'utf8')).toBe(lines.join('\n') + '\n');
    expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe('id,rate,price,x\n1,12.0,1847.00,0.5\n2,3.5,2.25,0.25\n3,7.0,10.10,3\n');
    writeFileSync(join(dir, 'big.ndjson'), '{"id":1}\n{"id":12345678901234567890}\n');
    // types are inferred from the first 8,192 rows; a later row the type cannot keep is refused
    const many = Array.from({ length: 8192 }, (_, i) => `{"id":${i + 1},"rate":${i % 50}.5}`);
    writeFileSync(join(dir, 'more.ndjson'), many.join('\n') + '\n{"id":8193,"rate":1.25}\n');
    const big = sh(`cat big.ndjson | ${D} csv --out big.csv`, dir);
    expect(big.status).toBe(1);
    expect(big.stderr).toMatch(/^datagen: stdin line 2: column 'id' holds an integer beyond 2\^53 \(read as 12345678901234567000\) .*\[E_INPUT\]\n$/);
    expect(existsSync(join(dir, 'big.csv'))).toBe(false);
    const more = sh(`cat more.ndjson | ${D} csv --out more.csv`, dir);
    expect(more.stderr).toMatch(/^datagen: stdin line 8193: column 'rate' holds 1\.25, with more than the 1 fraction digits .*\[E_INPUT\]\n$/);
  });

  it('an empty input without a schema is E_NO_INPUT for transforms and sinks alike; a datagen producer of 0 rows gives the header', () => {
    const dir = tempDir();
    for (const cmd of ['csv --out e.csv', 'parquet --out e.parquet', 'noise']) {
      const r = sh(`printf '' | ${D} ${cmd}`, dir);
      expect(r.status, cmd).toBe(1);
      expect(r.stderr, cmd).toMatch(/^datagen: \w+: stdin is empty: no rows and no schema to write .*\[E_NO_INPUT\]\n$/);
    }
    expect(existsSync(join(dir, 'e.csv'))).toBe(false);
    const zero = sh(`${D} pipe loans --rows 0 | ${D} noise | ${D} csv`, dir);
    expect(zero.status, zero.stderr).toBe(0);
    expect(zero.stdout).toBe('loan_id,customer_id,created_at,amount,interest_rate,tenure_months,status,product_type,branch,credit_score_band\n');
  });

  // A producer killed mid-stream: the consumer has seen its announcement and rows, but no end.
  const cut = (ipc: boolean) => () => {
    const dir = tempDir();
    const script = `
      ( ${D} pipe loans --rows 3000000 ${ipc ? '--ipc' : ''} & echo $! > producer.pid; wait ) | ${D} csv --out F.csv 2> consumer.err &
      consumer=$!
      for i in $(seq 1 600); do ls -a | grep -q '^\\.F\\.csv\\.tmp' && break; sleep 0.05; done
      kill -9 $(cat producer.pid)
      wait $consumer; echo "consumer exit $?"`;
    const r = sh(script, dir);
    expect(r.stdout).toContain('consumer exit 1');
    const err = readFileSync(join(dir, 'consumer.err'), 'utf8');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(ipc ? /end-of-stream marker.*\[E_INPUT\]/ : /before its producer \(datagen, pid \d+\) finished.*a cut stream.*\[E_INPUT\]/);
    expect(existsSync(join(dir, 'F.csv'))).toBe(false);
  };
  it('a cut NDJSON stream from a killed datagen producer is refused and nothing is written', cut(false), 60_000);
  it('a cut Arrow IPC stream is refused and nothing is written', cut(true), 60_000);

  it("announcements a consumer never read (a pipe into head or jq) are swept by a later producer once a day old", () => {
    const folder = join(tmpdir(), `datagen-${userInfo().uid}`);
    mkdirSync(folder, { recursive: true });
    const old = join(folder, 'pipe-0-1.json');
    const fresh = join(folder, 'pipe-0-2.json');
    writeFileSync(old, '{}');
    writeFileSync(fresh, '{}');
    utimesSync(old, new Date(Date.now() - 2 * 86_400_000), new Date(Date.now() - 2 * 86_400_000));
    const r = sh(`${D} pipe loans --rows 10 | cat > /dev/null`, tempDir());
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    rmSync(fresh);
  });

  it('a failed upstream stage makes the next stage fail too, not exit 0 with an empty file', () => {
    const dir = tempDir();
    // noise fails on its input (a column of another table) after the producer announced itself
    for (const sink of ['csv --out x.csv', 'parquet --out x.parquet', 'noise | ' + D + ' csv --out x.csv']) {
      const r = sh(`${D} pipe loans --rows 100 -q | ${D} noise --columns nope | ${D} ${sink}; echo "exits \${PIPESTATUS[*]}"`, dir);
      expect(r.stdout).toMatch(/exits 0 1 1( 1)?\n/);
      // only the stage that failed says why: one line, not one per downstream stage
      expect(r.stderr).toMatch(/^datagen: noise: unknown column 'nope' in loans .*\[E_UNKNOWN_COLUMN\]\n$/);
      expect(existsSync(join(dir, 'x.csv')) || existsSync(join(dir, 'x.parquet'))).toBe(false);
    }
  });
});
