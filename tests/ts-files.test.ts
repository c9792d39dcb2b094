/**
 * `datagen generate ./x.ts`: TypeScript files from `new scenario --ts` and `new dataset --ts`,
 * written into a folder outside the repository (no node_modules there: `from 'datagen'` must
 * still resolve), run by the printed command through the built CLI; DuckDB checks the
 * dataset's foreign keys. Then --workers (same bytes), and the one-line errors.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, sha256, tempDir } from './helpers.js';

const datagen = (args: string[], cwd: string) => spawnSync(process.execPath, [BIN, ...args], { cwd, env: cliEnv, encoding: 'utf8' });
/** The command a `new` printed on stderr ("next: datagen generate ..."), as argv. */
const printed = (stderr: string) => /next: datagen (.*)$/m.exec(stderr)?.[1]?.split(' ') ?? [];

let dir: string;
beforeAll(() => {
  dir = tempDir('datagen-ts-');
});

describe('TypeScript files from the templates run as printed', () => {
  it('new scenario --ts, then the printed command: 1000 rows', { timeout: 60_000 }, () => {
    const made = datagen(['new', 'scenario', 'stock_moves', '--ts'], dir);
    expect(made.status, made.stderr).toBe(0);
    const next = printed(made.stderr);
    expect(next).toEqual(['generate', './stock_moves.ts', '--rows', '1000', '--out', 'stock_moves.csv']);
    const gen = datagen(next, dir);
    expect(gen.status, gen.stderr).toBe(0);
    const lines = readFileSync(join(dir, 'stock_moves.csv'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(1001);
    expect(lines[0]).toBe('move_id,sku,warehouse,quantity');
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // The scenario's own options are flags, as for a registered one; pipe works too.
    const piped = datagen(['pipe', './stock_moves.ts', '--rows', '3', '--median-quantity', '5'], dir);
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).move_id)).toEqual([1, 2, 3]);
    // --workers: the file is loaded again in each worker; the bytes are a single thread's.
    const one = datagen(['generate', './stock_moves.ts', '--rows', '20000', '--seed', '4', '--out', 'w1.csv'], dir);
    const two = datagen(['generate', './stock_moves.ts', '--rows', '20000', '--seed', '4', '--workers', '2', '--out', 'w2.csv'], dir);
    expect([one.status, two.status], one.stderr + two.stderr).toEqual([0, 0]);
    expect(two.stderr).not.toMatch(/not used/);
    expect(sha256(readFileSync(join(dir, 'w2.csv')))).toBe(sha256(readFileSync(join(dir, 'w1.csv'))));
  });

  it('new dataset --ts, then the printed command: two tables whose keys join (DuckDB); --workers and --tables', { timeout: 60_000 }, async () => {
    const made = datagen(['new', 'dataset', 'shop', '--ts'], dir);
    expect(made.status, made.stderr).toBe(0);
    const next = printed(made.stderr);
    expect(next).toEqual(['generate', './shop.ts', '--scale', '0.01', '--out', 'shop/']);
    const gen = datagen(next, dir);
    expect(gen.status, gen.stderr).toBe(0);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const one = async (sql: string) => (await (await db.runAndReadAll(sql)).getRowObjects())[0]!;
    const customers = `read_csv('${join(dir, 'shop', 'shop_customers.csv')}')`;
    const orders = `read_parquet('${join(dir, 'shop', 'shop_orders.parquet')}')`;
    expect(Number((await one(`SELECT count(*) AS n FROM ${customers}`)).n)).toBe(100);
    expect(Number((await one(`SELECT count(*) AS n FROM ${orders}`)).n)).toBe(300);
    // Every order's customer exists, and ordered after joining.
    const j = await one(`SELECT count(*) AS n, count(c.customer_id) AS found, count(*) FILTER (WHERE o.ordered_at > c.joined_at) AS after FROM ${orders} o LEFT JOIN ${customers} c USING (customer_id)`);
    expect([Number(j.n), Number(j.found), Number(j.after)]).toEqual([300, 300, 300]);
    const ledger = readFileSync(join(dir, 'shop', '_ledger.jsonl'), 'utf8');
    expect(ledger).toMatch(/"stage":"missing"/);
    db.closeSync();

    // --workers: the worker threads load the file themselves; the same files.
    const w = datagen(['generate', './shop.ts', '--scale', '0.01', '--workers', '2', '--out', 'shop2/'], dir);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stderr).not.toMatch(/not used/);
    for (const f of ['shop_customers.csv', 'shop_orders.parquet', '_ledger.jsonl', '_manifest.json']) {
      expect(sha256(readFileSync(join(dir, 'shop2', f))), f).toBe(sha256(readFileSync(join(dir, 'shop', f))));
    }
    const described = datagen(['describe', './shop.ts', '--json'], dir);
    expect(described.status, described.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(described.stdout))).toMatch(/"shop_orders".*"customer_id"/);
    const sub = datagen(['generate', './shop.ts', '--scale', '0.01', '--tables', 'shop_orders', '--clean', '--out', 'shop3/'], dir);
    expect(sub.status, sub.stderr).toBe(0);
    expect(readFileSync(join(dir, 'shop3', 'shop_orders.parquet'))).toEqual(readFileSync(join(dir, 'shop', 'shop_orders.parquet')));
  });
});

describe('errors: one line naming the file [E_SCENARIO_FILE]', () => {
  it('missing file, throwing file, syntax error, no default export, a default export of another kind; pipe of a dataset', { timeout: 60_000 }, () => {
    writeFileSync(join(dir, 'throws.ts'), "const x: number = 1;\nif (x) throw new Error('no database here\\nsecond line');\nexport default x;\n");
    writeFileSync(join(dir, 'syntax.ts'), 'export const a: = ;\n');
    writeFileSync(join(dir, 'named.ts'), "import { defineScenario } from 'datagen';\nexport const moves = defineScenario as unknown;\n");
    writeFileSync(join(dir, 'number.mjs'), 'export default 42;\n');
    const cases: Array<[string[], RegExp]> = [
      [['generate', './nope.ts'], /^datagen: \.\/nope\.ts: no such file \[E_SCENARIO_FILE\]$/],
      [['generate', './throws.ts', '--rows', '5'], /^datagen: \.\/throws\.ts: failed to load: no database here \[E_SCENARIO_FILE\]$/],
      [['generate', './syntax.ts'], /^datagen: \.\/syntax\.ts: failed to load: .*syntax\.ts:1:\d+ \[E_SCENARIO_FILE\]$/],
      [['generate', './named.ts'], /^datagen: \.\/named\.ts: no default export; .*export default moves;.* \[E_SCENARIO_FILE\]$/],
      [['generate', './number.mjs'], /^datagen: \.\/number\.mjs: the default export is neither a scenario \(defineScenario\) nor a dataset \(defineDataset\), got number \[E_SCENARIO_FILE\]$/],
      [['pipe', './shop.ts'], /^datagen: pipe: \.\/shop\.ts exports a dataset: .* \[E_OPTION\]$/],
    ];
    // One shell for all cases: a process start costs about half a second.
    const script = cases.map(([args]) => `node ${JSON.stringify(BIN)} ${args.join(' ')} 2>&1 >/dev/null; echo "rc=$?"`).join('\n');
    const out = spawnSync('bash', ['-c', script], { cwd: dir, env: cliEnv, encoding: 'utf8' }).stdout.trimEnd().split('\n');
    expect(out.length).toBe(cases.length * 2);
    cases.forEach(([args, re], k) => {
      expect(out[2 * k], args.join(' ')).toMatch(re);
      expect(out[2 * k + 1], args.join(' ')).toBe('rc=1');
    });
  });
});
