import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDataset } from '../src/datasets/run.js';
import { datasetContext } from '../src/core/dataset.js';
import { bank } from '../pipelines/bank/index.js';
import { deletedCustomers } from '../pipelines/bank/shared.js';
import { BIN, sh, tempDir, withinSamplingError } from './helpers.js';

/**
 * The bank dataset read back by DuckDB across its files: foreign keys (all valid with --clean;
 * after the default stages, the orphans are exactly the ledger's corrupt-fk entries), every
 * repayment row against its loan, one key format everywhere, the same bytes for the same seed
 * (in process, and with --workers 2 through the CLI), and the single-table bank scenarios
 * unchanged by the dataset.
 */
const SCALE = 0.004;
const SEED = 3;
type Rec = Record<string, string | number | boolean | null>;

let clean: string;
let staged: string;
let con: DuckDBConnection;
let ledger: Array<Record<string, unknown>>;
const q = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson() as Rec[];
const one = async (sql: string) => Number(Object.values((await q(sql))[0]!)[0]);
const manifest = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, '_manifest.json'), 'utf8')) as { files: Array<{ path: string; sha256: string; rows?: number }> }).files
    .map((f) => `${f.path} ${f.sha256}`)
    .sort();

/** Views c, l, r, t, s over one run's files (p = prefix: c_ for clean, s_ for staged). */
async function views(p: string, dir: string): Promise<void> {
  await q(`CREATE VIEW ${p}c AS SELECT * FROM read_csv('${dir}/customers.csv', header=true, types={'customer_id':'VARCHAR'})`);
  await q(`CREATE VIEW ${p}l AS SELECT * FROM read_parquet('${dir}/loans.parquet')`);
  await q(`CREATE VIEW ${p}r AS SELECT * FROM read_csv('${dir}/loan_repayments.csv', header=true, types={'loan_id':'VARCHAR','customer_id':'VARCHAR','schedule_date':'DATE','emi_amount':'DECIMAL(12,2)','principal_component':'DECIMAL(12,2)','interest_component':'DECIMAL(12,2)','remaining_principal':'DECIMAL(12,2)'})`);
  await q(`CREATE VIEW ${p}t AS SELECT * FROM read_json('${dir}/bank_transactions/*/*.jsonl', format='newline_delimited', hive_partitioning=true, columns={transaction_id:'VARCHAR',customer_id:'VARCHAR',timestamp:'TIMESTAMPTZ'})`);
  await q(`CREATE VIEW ${p}s AS SELECT * FROM read_parquet('${dir}/credit_card_spend.parquet')`);
}

beforeAll(async () => {
  clean = tempDir('datagen-bank-clean-');
  staged = tempDir('datagen-bank-');
  await runDataset(bank, { out: clean, scale: SCALE, seed: SEED, clean: true });
  await runDataset(bank, { out: staged, scale: SCALE, seed: SEED });
  con = await (await DuckDBInstance.create(':memory:')).connect();
  await q(`SET TimeZone='UTC'`);
  await views('c_', clean);
  await views('s_', staged);
  ledger = readFileSync(join(staged, '_ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => !('event' in e));
}, 120_000);
afterAll(() => con?.closeSync());

const CHILDREN = [
  ['l', 'customer_id', 'loans'],
  ['r', 'customer_id', 'loan_repayments'],
  ['t', 'customer_id', 'bank_transactions'],
  ['s', 'customer_id', 'credit_card_spend'],
] as const;

describe('bank dataset: foreign keys', () => {
  it('--clean: every table non-empty, every customer_id and loan_id joins its parent (100%)', async () => {
    const ctx = datasetContext(bank, SEED, SCALE);
    expect(await one(`SELECT count(*) FROM c_c`)).toBe(ctx.rows('customers'));
    for (const [v, column] of CHILDREN) {
      expect(await one(`SELECT count(*) FROM c_${v}`)).toBeGreaterThan(0);
      expect(await one(`SELECT count(*) FROM c_${v} WHERE ${column} IS NULL OR ${column} NOT IN (SELECT customer_id FROM c_c)`)).toBe(0);
    }
    expect(await one(`SELECT count(*) FROM c_r WHERE loan_id NOT IN (SELECT loan_id FROM c_l)`)).toBe(0);
    expect(await one(`SELECT count(*) - count(DISTINCT customer_id) FROM c_c`)).toBe(0);
  });

  it('default stages: the orphans are exactly the corrupt-fk ledger entries, at about the asked rate', async () => {
    const keys = { loans: 'loan_id', bank_transactions: 'transaction_id', credit_card_spend: 'transaction_id' } as const;
    for (const [v, column, table] of CHILDREN) {
      const entries = ledger.filter((e) => e.table === table && e.column === column);
      const orphans = await q(`SELECT * FROM s_${v} WHERE ${column} NOT IN (SELECT customer_id FROM s_c)`);
      expect(orphans.length, table).toBe(entries.length);
      if (table === 'loan_repayments') {
        // A schedule row keeps its loan's customer: never corrupted on its own.
        expect(entries.length).toBe(0);
        continue;
      }
      const key = keys[table];
      expect(orphans.map((o) => `${o[key]} ${o[column]}`).sort()).toEqual(entries.map((e) => `${(e.key as Rec)[key]} ${e.after}`).sort());
      const rows = await one(`SELECT count(*) FROM s_${v}`);
      expect(withinSamplingError(entries.length, rows, 0.005), `${table}: ${entries.length} of ${rows}`).toBe(true);
      expect(entries.every((e) => e.kind === 'fk_absent' || e.kind === 'fk_deleted')).toBe(true);
    }
    const loanEntries = ledger.filter((e) => e.table === 'loan_repayments' && e.column === 'loan_id');
    expect(await one(`SELECT count(*) FROM s_r WHERE loan_id NOT IN (SELECT loan_id FROM s_l)`)).toBe(loanEntries.length);
    expect(withinSamplingError(loanEntries.length, await one(`SELECT count(*) FROM s_r`), 0.002)).toBe(true);
  });

  it('deleted parents: customers.csv lacks exactly the deleted customers; fk_deleted entries point at them', async () => {
    const gone = deletedCustomers(datasetContext(bank, SEED, SCALE));
    expect(gone.size).toBeGreaterThan(0);
    const present = new Set((await q(`SELECT customer_id FROM s_c`)).map((r) => r.customer_id as string));
    const all = new Set((await q(`SELECT customer_id FROM c_c`)).map((r) => r.customer_id as string));
    expect([...all].filter((k) => !present.has(k)).sort()).toEqual([...gone].sort());
    const pointed = ledger.filter((e) => e.kind === 'fk_deleted').map((e) => e.after as string);
    expect(pointed.length).toBeGreaterThan(0);
    expect(pointed.every((k) => gone.has(k))).toBe(true);
  });
});

describe('bank dataset: loan_repayments follows its loan', () => {
  it('every repayment row: customer, amount, rate and tenure of its loan; first due date after created_at', async () => {
    const rows = await q(`SELECT r.loan_id, r.installment_number::INTEGER AS i, r.customer_id = l.customer_id AS same_customer, l.amount, l.interest_rate::DOUBLE AS rate, l.tenure_months AS n,
        r.emi_amount::DOUBLE AS emi, r.principal_component::DOUBLE AS p, r.interest_component::DOUBLE AS interest, r.remaining_principal::DOUBLE AS remaining,
        r.schedule_date > l.created_at::DATE AS after_created, l.status, r.status AS paid
      FROM c_r r JOIN c_l l USING (loan_id) ORDER BY r.loan_id, r.installment_number`);
    expect(rows.length).toBe(await one(`SELECT count(*) FROM c_r`));
    let balance = 0;
    for (const row of rows) {
      expect(row.same_customer, String(row.loan_id)).toBe(true);
      expect(row.after_created).toBe(true);
      expect(['APPROVED', 'CLOSED']).toContain(row.status);
      const r = (row.rate as number) / 1200;
      const n = row.n as number;
      const i = row.i as number;
      if (i === 1) balance = (row.amount as number) * 100;
      // The loan's amount, rate and tenure give this row's interest and (but on the last) its EMI, in cents.
      const interest = Math.round(balance * r);
      const g = Math.pow(1 + r, n);
      const emi = Math.round(((row.amount as number) * 100 * r * g) / (g - 1));
      const principal = i === n ? balance : emi - interest;
      balance -= principal;
      expect([Math.round((row.interest as number) * 100), Math.round((row.p as number) * 100), Math.round((row.remaining as number) * 100)], `${row.loan_id} #${i}`).toEqual([interest, principal, balance]);
      if (i < n) expect(Math.round((row.emi as number) * 100)).toBe(emi);
      if (i === n) expect(row.remaining).toBe(0);
      if (row.status === 'CLOSED') expect(['PAID', 'LATE']).toContain(row.paid);
    }
  });

  it('only APPROVED/CLOSED loans have repayments, exactly tenure_months installments numbered 1..n', async () => {
    expect(await one(`SELECT count(*) FROM c_l WHERE status IN ('APPROVED','CLOSED') AND loan_id NOT IN (SELECT loan_id FROM c_r)`)).toBe(0);
    expect(await one(`SELECT count(DISTINCT loan_id) FROM c_r WHERE loan_id IN (SELECT loan_id FROM c_l WHERE status NOT IN ('APPROVED','CLOSED'))`)).toBe(0);
    const bad = await one(`SELECT count(*) FROM (SELECT loan_id, count(*) AS k, count(DISTINCT installment_number) AS d, min(installment_number) AS lo, max(installment_number) AS hi FROM c_r GROUP BY loan_id)
      JOIN c_l USING (loan_id) WHERE k <> tenure_months OR d <> k OR lo <> 1 OR hi <> k`);
    expect(bad).toBe(0);
    expect(await one(`SELECT count(DISTINCT loan_id) FROM c_r`)).toBeGreaterThan(10);
  });

  it('after the default stages: a valid repayment row disagrees with its loan only where the ledger changed the loan', async () => {
    const changed = new Set(ledger.filter((e) => e.table === 'loans' && e.column === 'customer_id').map((e) => (e.key as Rec).loan_id));
    const mismatched = (await q(`SELECT DISTINCT loan_id FROM s_r JOIN s_l USING (loan_id) WHERE s_r.customer_id <> s_l.customer_id`)).map((r) => r.loan_id);
    expect(mismatched.every((id) => changed.has(id as string))).toBe(true);
  });
});

describe('bank dataset: keys, determinism, scenarios', () => {
  it('one customer key format (CUST-00001) and one loan key format (LN0001) in every table', async () => {
    for (const v of ['c', 'l', 'r', 't', 's']) expect(await one(`SELECT count(*) FROM c_${v} WHERE NOT regexp_full_match(customer_id, 'CUST-[0-9]{5,}')`), v).toBe(0);
    for (const v of ['l', 'r']) expect(await one(`SELECT count(*) FROM c_${v} WHERE NOT regexp_full_match(loan_id, 'LN[0-9]{4,}')`), v).toBe(0);
  });

  it('same seed: the same bytes for every file, in process and with --workers 2 through the CLI; another seed differs', async () => {
    const again = tempDir('datagen-bank-again-');
    await runDataset(bank, { out: again, scale: SCALE, seed: SEED });
    expect(manifest(again)).toEqual(manifest(staged));
    expect(readFileSync(join(again, '_ledger.jsonl'), 'utf8')).toBe(readFileSync(join(staged, '_ledger.jsonl'), 'utf8'));
    const cli = tempDir('datagen-bank-cli-');
    const res = sh(`node ${BIN} generate bank --scale ${SCALE} --seed ${SEED} --workers 2 --out w && node ${BIN} generate bank --scale ${SCALE} --seed ${SEED + 1} --out other`, cli);
    expect(res.status, res.stderr).toBe(0);
    expect(manifest(join(cli, 'w'))).toEqual(manifest(staged));
    expect(manifest(join(cli, 'other'))).not.toEqual(manifest(staged));
  }, 120_000);

  it('the single-table bank scenarios keep their --rows output (bytes pinned when the dataset was added, equal to those before it)', () => {
    const pinned = {
      customer_360: '1124b9f02afe17da1dfe28bda0e57841d0f00c0d81f3000ff8fdfd806035146e',
      loans: '248ee1e89c86745c83cac08c99c74b9104128b23d3ee8c2d649ac3e7de340fce',
      loan_repayments: '86fc74b5241c82e7abb9b9f368dc19684f8674004a501e18652e6569dcf06b50',
      bank_transactions: '68031a6e95622de81457e1ee7cd009318d0696cc58915deb12cde39b6dec4d39',
      credit_card_spend: 'df6b6affd03fce2895bad807578a2fe2ac583b88ff0cacc47a06bcba69bde7a2',
    };
    const dir = tempDir('datagen-bank-scenarios-');
    const script = Object.keys(pinned).map((s) => `node ${BIN} generate ${s} --rows 3000 --seed 7 --out ${s}.csv 2>/dev/null`).join(' && ');
    const res = sh(`${script} && sha256sum *.csv && wc -l *.csv`, dir);
    expect(res.status, res.stderr).toBe(0);
    for (const [s, sha] of Object.entries(pinned)) {
      expect(res.stdout).toContain(`${sha}  ${s}.csv`);
      expect(res.stdout).toContain(`3001 ${s}.csv`);
    }
  }, 120_000);
});
