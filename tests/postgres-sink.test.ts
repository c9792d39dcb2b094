import { spawn, spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgres } from '../sinks/postgres.js';
import { scenario } from '../sources/scenario.js';
import { malform } from '../transforms/malform.js';
import { run } from '../src/core/pipeline.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import type { DatagenError } from '../src/core/errors.js';
import type { Batch, Source } from '../src/core/stage.js';
import { BIN, cliEnv, rowsSource, sh, tempDir } from './helpers.js';
import { startPgServer, type PgServer } from './pg-server.js';

/**
 * The PostgreSQL sink against a real server (tests/pg-server.ts starts a private one): types and
 * values read back with SQL, append, refusals, and that a failure leaves nothing behind.
 */
const MALFORMED_YAML = `name: mal
description: a column malformed by default
rows: 300
fields:
  id: { type: int64, key: true, generator: { sequence: { start: 1 } } }
  qty: { type: int32, generator: { uniform: { min: 1, max: 100 } } }
anomalies:
  - malform: { rate: 0.05, columns: [qty] }
`;

const started = await startPgServer();
if (typeof started === 'string') console.warn(`tests/postgres-sink.test.ts skipped: ${started}`);
const server = typeof started === 'string' ? undefined : started;

describe.skipIf(!server)('postgres sink (real server)', () => {
  const srv = server as PgServer;
  let db: pg.Client;
  let dir: string;
  const sql = async <T extends pg.QueryResultRow = Record<string, unknown>>(text: string, params: unknown[] = []) => (await db.query<T>(text, params)).rows;
  const count = async (table: string) => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
  const exists = async (table: string) => (await sql<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]))[0]!.t !== null;
  const columns = (table: string) =>
    sql<{ column_name: string; data_type: string; numeric_precision: number | null; numeric_scale: number | null; is_nullable: string }>(
      `SELECT column_name, data_type, numeric_precision, numeric_scale, is_nullable FROM information_schema.columns
       WHERE table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
  const LOANS_TEXT = ['loan_id', 'customer_id', `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, 'amount::text',
    'interest_rate::text', 'tenure_months::text', 'status', 'product_type', 'branch', 'credit_score_band'];
  /** Every row as its CSV line (nulls empty, timestamps as datagen writes them), in key order, hashed in SQL. */
  const loansDigest = async (table: string) =>
    (
      await sql<{ h: string }>(`SELECT md5(string_agg(concat_ws(',', ${LOANS_TEXT.map((c) => `coalesce(${c}, '')`).join(', ')}), E'\\n' ORDER BY loan_id)) AS h FROM ${table}`)
    )[0]!.h;
  const csvDigest = (file: string) => {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(1).sort();
    return createHash('md5').update(lines.join('\n')).digest('hex');
  };

  beforeAll(async () => {
    db = new pg.Client({ connectionString: srv.url });
    await db.connect();
    dir = tempDir('datagen-pg-test-');
  });
  afterAll(async () => {
    await db?.end();
    srv.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('generate --out postgres://...#loans: the CSV rows, typed columns, NOT NULL keys; appends; refuses other columns', async () => {
    const url = srv.url;
    const r = sh(
      // Three loads side by side (each its own process), each exit status checked.
      `node ${BIN} generate loans --rows 1500 --seed 7 --out loans.csv -q & a=$!; node ${BIN} generate loans --rows 1500 --seed 7 --out '${url}#loans' & b=$!; ` +
        `node ${BIN} pipe loans --rows 1500 --seed 7 -q | node ${BIN} postgres --url '${url}' --table loans_pipe; c=$?; wait $a && wait $b && exit $c`,
      dir,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote 1,500 loans rows to postgres:\/\/datagen:\*\*\*@127\.0\.0\.1:\d+\/datagen_test#loans,/);
    expect(r.stderr).toMatch(/postgres: 1,500 rows to postgres:\/\/datagen:\*\*\*@127\.0\.0\.1:\d+\/datagen_test#loans_pipe,/);
    expect(r.stderr).not.toContain(srv.password);
    expect(await count('loans')).toBe(1500);
    const want = csvDigest(join(dir, 'loans.csv'));
    expect(await loansDigest('loans')).toBe(want);
    expect(await loansDigest('loans_pipe')).toBe(want);
    const cols = await columns('loans');
    const by = Object.fromEntries(cols.map((c) => [c.column_name, c]));
    expect(cols.map((c) => c.column_name)).toEqual(['loan_id', 'customer_id', 'created_at', 'amount', 'interest_rate', 'tenure_months', 'status', 'product_type', 'branch', 'credit_score_band']);
    expect(by.loan_id).toMatchObject({ data_type: 'text', is_nullable: 'NO' });
    expect(by.created_at).toMatchObject({ data_type: 'timestamp with time zone', is_nullable: 'YES' });
    expect(by.interest_rate).toMatchObject({ data_type: 'numeric', numeric_precision: 4, numeric_scale: 1 });
    expect(by.amount!.data_type).toBe('integer');

    // Append: the same columns take more rows; other columns are refused and nothing changes.
    await run(scenario('loans', { rows: 500, seed: 8 }), postgres({ url, table: 'loans' }));
    expect(await count('loans')).toBe(2000);
    await expect(run(scenario('attendance', { rows: 50 }), postgres({ url, table: 'loans' }))).rejects.toThrow(
      /^postgres: table loans exists with other columns \(loan_id text, .*\) than the rows have \(employee_id integer, .*\); nothing was written$/,
    );
    expect(await count('loans')).toBe(2000);
    expect((await columns('loans')).map((c) => c.column_name)).toEqual(cols.map((c) => c.column_name));
  });

  it('every kind gets its type and its exact value back', async () => {
    const schema = defineTable('kinds', 'every kind', {
      id: { type: types.int64(), description: 'key', key: true },
      n32: { type: types.int32(), description: 'int32', nullable: true },
      f: { type: types.float64(), description: 'float', nullable: true },
      d: { type: types.decimal(12, 4), description: 'decimal', nullable: true },
      s: { type: types.string(), description: 'text', nullable: true },
      b: { type: types.bool(), description: 'bool', nullable: true },
      day: { type: types.date(), description: 'date', nullable: true },
      t: { type: types.time(), description: 'time', nullable: true },
      ts: { type: types.timestamp(), description: 'timestamp' },
    });
    const rows: Row[] = [
      { id: 1, n32: -7, f: 0.1, d: 12345678.1234, s: 'tab\there, new\nline, back\\slash', b: true, day: 19_723, t: 3_661, ts: 1_700_000_000_123_456 },
      { id: 2, n32: null, f: null, d: null, s: null, b: null, day: null, t: null, ts: 0 },
      { id: 3, n32: 2_147_483_647, f: -1.5e300, d: -0.0001, s: 'ünïcödé ✓', b: false, day: -1, t: 86_399, ts: -1 },
    ];
    await run(rowsSource(schema, rows, 2), postgres({ url: srv.url, table: 'kinds' }));
    const cols = await columns('kinds');
    expect(cols.map((c) => [c.column_name, c.data_type, c.is_nullable])).toEqual([
      ['id', 'bigint', 'NO'],
      ['n32', 'integer', 'YES'],
      ['f', 'double precision', 'YES'],
      ['d', 'numeric', 'YES'],
      ['s', 'text', 'YES'],
      ['b', 'boolean', 'YES'],
      ['day', 'date', 'YES'],
      ['t', 'time without time zone', 'YES'],
      ['ts', 'timestamp with time zone', 'NO'],
    ]);
    expect(cols.find((c) => c.column_name === 'd')).toMatchObject({ numeric_precision: 12, numeric_scale: 4 });
    // No rows (a scenario still hands over an empty batch with its schema): the table is created, empty.
    await run(scenario('loans', { rows: 0 }), postgres({ url: srv.url, table: 'loans_empty' }));
    expect(await count('loans_empty')).toBe(0);
    const back = await sql(
      `SELECT id::text, n32::text, f::text, d::text, s, b::text, day::text, t::text,
       to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts FROM kinds ORDER BY id`,
    );
    expect(back).toEqual([
      { id: '1', n32: '-7', f: '0.1', d: '12345678.1234', s: 'tab\there, new\nline, back\\slash', b: 'true', day: '2024-01-01', t: '01:01:01', ts: '2023-11-14T22:13:20.123456Z' },
      { id: '2', n32: null, f: null, d: null, s: null, b: null, day: null, t: null, ts: '1970-01-01T00:00:00.000000Z' },
      { id: '3', n32: '2147483647', f: '-1.5e+300', d: '-0.0001', s: 'ünïcödé ✓', b: 'false', day: '1969-12-31', t: '23:59:59', ts: '1969-12-31T23:59:59.999999Z' },
    ]);
  });

  it('a failure midway leaves nothing: a refused value in a later batch, an upstream error, an existing table unchanged', async () => {
    const schema = defineTable('midway', 'two batches', {
      id: { type: types.int32(), description: 'key', key: true },
      amount: { type: types.int32(), description: 'amount', nullable: true },
    });
    const good = Array.from({ length: 1000 }, (_, i) => ({ id: i, amount: i }));
    const bad = [...good, { id: 1000, amount: '12,000' }];
    // 1000 good rows go out in the first batches before the malformed one is met.
    await expect(run(rowsSource(schema, bad, 100), postgres({ url: srv.url, table: 'midway' }))).rejects.toThrow(
      /column amount of midway is integer and cannot hold the value "12,000" \(row 1001\); nothing was written; pass --text-columns/,
    );
    expect(await exists('midway')).toBe(false);
    await run(rowsSource(schema, good, 100), postgres({ url: srv.url, table: 'midway' }));
    expect(await count('midway')).toBe(1000);
    const failing: Source = {
      kind: 'source',
      name: 'failing',
      schema,
      async *batches(): AsyncIterable<Batch> {
        yield { schema, rows: good.slice(0, 500), offset: 0 };
        throw new Error('upstream broke');
      },
    };
    await expect(run(failing, postgres({ url: srv.url, table: 'midway' }))).rejects.toThrow(/upstream broke/);
    await expect(run(rowsSource(schema, bad, 100), postgres({ url: srv.url, table: 'midway' }))).rejects.toThrow(/E_DATABASE|cannot hold/);
    expect(await count('midway')).toBe(1000);
  });

  it('malformed values are refused naming the column and --text-columns, which loads them as text', async () => {
    const url = srv.url;
    await expect(run(scenario('loans', { rows: 2000 }), malform({ rate: 0.02, columns: 'amount' }), postgres({ url, table: 'raw' }))).rejects.toThrow(
      /^postgres: column amount of raw is integer and cannot hold the value ".*" \(row \d+\); nothing was written; pass --text-columns to create such columns as text$/,
    );
    expect(await exists('raw')).toBe(false);
    await run(scenario('loans', { rows: 2000 }), malform({ rate: 0.02, columns: 'amount' }), postgres({ url, table: 'raw', textColumns: true }));
    expect(await count('raw')).toBe(2000);
    const cols = Object.fromEntries((await columns('raw')).map((c) => [c.column_name, c.data_type]));
    expect(cols).toMatchObject({ amount: 'text', loan_id: 'text', created_at: 'timestamp with time zone', interest_rate: 'numeric' });
    const text = await sql<{ n: string }>(`SELECT count(*) AS n FROM raw WHERE amount !~ '^[0-9]+$'`);
    expect(Number(text[0]!.n)).toBeGreaterThan(0);
    // generate takes --text-columns too (a YAML scenario whose default stages malform a column).
    writeFileSync(join(dir, 'mal.yml'), MALFORMED_YAML);
    const g = sh(`node ${BIN} generate ./mal.yml --out '${url}#mal' --text-columns -q`, dir);
    expect(g.status, g.stderr).toBe(0);
    expect(await count('mal')).toBe(300);
    expect((await columns('mal')).map((c) => c.data_type)).toEqual(['bigint', 'text']);
  });

  it('a killed process leaves nothing', async () => {
    const producer = spawn('node', [BIN, 'pipe', 'loans', '--rows', '2000000', '-q'], { env: cliEnv, stdio: ['ignore', 'pipe', 'ignore'] });
    const consumer = spawn('node', [BIN, 'postgres', '--url', srv.url, '--table', 'killed', '-q'], { env: cliEnv, stdio: ['pipe', 'ignore', 'ignore'] });
    producer.stdout.pipe(consumer.stdin);
    consumer.stdin.on('error', () => {});
    try {
      // Wait until COPY is under way, then kill the loader without warning.
      let copying = false;
      for (let i = 0; i < 600 && !copying; i++) {
        const rows = await sql<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY "killed"%' AND state = 'active'`);
        copying = Number(rows[0]!.n) > 0;
        if (!copying) await new Promise((r) => setTimeout(r, 50));
      }
      expect(copying).toBe(true);
    } finally {
      consumer.kill('SIGKILL');
      producer.kill('SIGKILL');
    }
    await new Promise((r) => consumer.once('exit', r));
    expect(await exists('killed')).toBe(false);
  });

  it('a URL without a user logs in as the login name, as libpq does, where $USER and $PGUSER are unset', async () => {
    const login = userInfo().username;
    await sql(`CREATE ROLE ${JSON.stringify(login)} LOGIN PASSWORD '${srv.password}'`);
    await sql(`GRANT ALL ON SCHEMA public TO ${JSON.stringify(login)}`);
    const url = `postgres://:${srv.password}@127.0.0.1:${srv.port}/datagen_test#no_user`;
    const { USER: _user, PGUSER: _pguser, ...env } = cliEnv;
    const r = spawnSync(process.execPath, [BIN, 'generate', 'loans', '--rows', '100', '--out', url, '-q'], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(await count('no_user')).toBe(100);
    expect((await sql<{ owner: string }>(`SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'no_user'`))[0]!.owner).toBe(login);
  });

  it('bad URL, wrong password, unreachable port, no answer, missing database, a dataset: one line each with its code, no password', async () => {
    const wrong = srv.url.replace(srv.password, 'not-the-password');
    const closed = `postgres://datagen:${srv.password}@127.0.0.1:1/datagen_test`;
    const missing = srv.urlFor('no_such_db');
    // A port that accepts connections and never answers: the connection times out (about 5 s).
    const silent = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const silentUrl = `postgres://datagen:${srv.password}@127.0.0.1:${(silent.address() as AddressInfo).port}/datagen_test`;
    const failure = async (url: string) => {
      try {
        await run(scenario('loans', { rows: 10 }), postgres({ url, table: 'loans' }));
      } catch (err) {
        return err as DatagenError;
      }
      throw new Error(`${url}: no error`);
    };
    const errors = await Promise.all([`postgres://datagen:${srv.password}@/x`, wrong, closed, missing, silentUrl].map(failure));
    silent.close();
    expect(errors.map((e) => e.code)).toEqual(['E_OPTION', 'E_DATABASE', 'E_DATABASE', 'E_DATABASE', 'E_DATABASE']);
    const messages = errors.map((e) => e.message);
    for (const m of messages) expect(m).not.toContain(srv.password);
    expect(messages[0]).toMatch(/^postgres: .* is not a (PostgreSQL )?URL; expected postgres:\/\/user:password@host:port\/database#table$/);
    expect(messages[1]).toMatch(/^postgres: PostgreSQL at datagen@127\.0\.0\.1:\d+\/datagen_test refused the login: password authentication failed for user "datagen"$/);
    expect(messages[2]).toMatch(/^postgres: cannot connect to PostgreSQL at datagen@127\.0\.0\.1:1\/datagen_test: connection refused /);
    expect(messages[3]).toMatch(/^postgres: PostgreSQL at datagen@127\.0\.0\.1:\d+\/no_such_db: database "no_such_db" does not exist$/);
    expect(messages[4]).toMatch(/^postgres: cannot connect to PostgreSQL at datagen@127\.0\.0\.1:\d+\/datagen_test: no answer within 5 s$/);

    // What the CLI prints: one line, the code, no stack, no password; a dataset is refused before it writes a folder.
    const cli = sh(`node ${BIN} generate loans --rows 10 --out '${wrong}#loans'; echo "exit=$?" >&2; node ${BIN} generate retail --scale 0.001 --out '${srv.url}'; echo "exit=$?" >&2; ` +
        `node ${BIN} generate loans --format postgres --out loans.csv; echo "exit=$?" >&2`, dir);
    const lines = cli.stderr.trim().split('\n');
    expect(lines, cli.stderr).toHaveLength(6);
    expect(lines[4]).toBe('datagen: generate: PostgreSQL output is named by --out postgres://user:password@host:port/database#table, not "loans.csv" [E_OPTION]');
    expect(lines[5]).not.toBe('exit=0');
    expect(cli.stderr).not.toContain(srv.password);
    expect(lines[0]).toBe(`datagen: ${messages[1]} [E_DATABASE]`);
    expect(lines[1]).toBe('exit=1');
    expect(lines[2]).toMatch(/^datagen: generate retail: a dataset is a folder of tables and cannot go to a PostgreSQL URL yet; .*\[E_OPTION\]$/);
    expect(lines[3]).not.toBe('exit=0');
    expect(existsSync(join(dir, 'postgres:'))).toBe(false);
  });
});
