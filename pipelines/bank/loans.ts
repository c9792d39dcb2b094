import type { TableDefinition } from '../../src/core/dataset.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { corruptFk } from '../../transforms/corrupt-fk.js';
import { missing } from '../../transforms/missing.js';
import { LOAN_DETAIL_FIELDS, LOANS_MISSING } from '../../scenarios/loans.js';
import { FK, loanAt, type BankOptions } from './shared.js';

/** loans: one row per loan application, LN0001.. in creation order, each of an existing customer. */
export const loans: TableDefinition<BankOptions> = {
  name: 'loans',
  schema: defineTable('loans', 'Loan applications of the bank customers', {
    loan_id: { type: types.string(), pattern: 'LN\\d{4,}', description: 'LN + loan number, at least 4 digits (LN0001), in creation order', key: true },
    customer_id: { type: types.string(), pattern: 'CUST-\\d{5,}', description: 'the applicant (customers.customer_id, CUST-00001..); customers apply more than once (power law)' },
    created_at: { type: types.timestamp(), nullable: true, description: 'application time (UTC) in [start, end + 1 day), rising with loan_id before jitter' },
    ...LOAN_DETAIL_FIELDS,
  }),
  rules: [
    'loan_id is LN + the row number padded to 4 digits: unique and in row order',
    'customer_id refers to an existing customer except the ~0.5% corrupt-fk injects (ledger)',
    'amount in {5000, ..., 10000}; interest_rate in {11.0, ..., 14.0}, higher for LOW than HIGH credit bands; tenure_months in {12, 24, 36, 48, 60}',
    'status about 30% REJECTED, 30% PENDING, 20% APPROVED, 20% CLOSED; APPROVED and CLOSED loans have a repayment schedule in loan_repayments',
    `Anomalies (ledger): the loans scenario's missingness (${Object.entries(LOANS_MISSING).map(([c, r]) => `${c} ${Math.round(r * 1000) / 10}%`).join(', ')})`,
  ],
  rows: 300_000,
  minRows: 100,
  references: { customer_id: 'customers.customer_id' },
  plan: (ctx) => ({
    rows(start, count) {
      const rows: Row[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const l = loanAt(ctx, start + i + 1);
        rows[i] = {
          loan_id: l.loanId,
          customer_id: l.customerId,
          created_at: l.createdAt,
          amount: l.amount,
          interest_rate: l.interestRate,
          tenure_months: l.tenure,
          status: l.status,
          product_type: l.productType,
          branch: l.branch,
          credit_score_band: l.band,
        };
      }
      return rows;
    },
  }),
  stages: (ctx) => [
    corruptFk(FK.loansCustomer(ctx)),
    missing({ rates: Object.entries(LOANS_MISSING).map(([c, r]) => `${c}=${r}`), seed: ctx.seed + 42 }),
  ],
  output: { kind: 'file', format: 'parquet', path: 'loans.parquet' },
};
