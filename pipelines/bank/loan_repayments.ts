import type { TableDefinition } from '../../src/core/dataset.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { corruptFk } from '../../transforms/corrupt-fk.js';
import { FK, INSTALLMENT_STATUSES, loanAt, repaymentAt, repaymentIndex, scheduleOf, type BankOptions, type Installment } from './shared.js';

/**
 * loan_repayments: the EMI schedule of every APPROVED or CLOSED loan, one row per installment,
 * ordered by loan then installment. Each row recomputes its loan from loan_id (loanAt), so
 * customer, amount, rate and tenure are the loan's own.
 */
export const loanRepayments: TableDefinition<BankOptions> = {
  name: 'loan_repayments',
  schema: defineTable('loan_repayments', 'EMI repayment schedules of the approved and closed loans, one row per installment', {
    loan_id: { type: types.string(), pattern: 'LN\\d{4,}', description: 'the loan (loans.loan_id)', key: true },
    customer_id: { type: types.string(), pattern: 'CUST-\\d{5,}', description: "the loan's customer (loans.customer_id, customers.customer_id)" },
    schedule_date: { type: types.date(), after: 'loans.created_at', description: "due date: disbursement (1-7 days after the loan's created_at) + installment_number months, day clamped to the month end" },
    installment_number: { type: types.int32(), min: 1, max: 60, description: "1..the loan's tenure_months", key: true },
    emi_amount: { type: types.decimal(12, 2), min: 100, max: 900, description: 'installment amount: the EMI, except the last installment, which absorbs rounding' },
    principal_component: { type: types.decimal(12, 2), min: 0, max: 900, description: 'principal repaid by the installment (emi_amount - interest_component)' },
    interest_component: { type: types.decimal(12, 2), min: 0, max: 117, description: "previous remaining principal x the loan's monthly rate, rounded to the cent" },
    remaining_principal: { type: types.decimal(12, 2), min: 0, max: 10000, description: 'principal outstanding after the installment; 0.00 after the last' },
    status: { type: types.string(), description: 'what happened to the installment by the end of the horizon', values: INSTALLMENT_STATUSES },
    is_missed_payment: { type: types.bool(), description: 'true when the due date passed by more than 30 days unpaid (every DEFAULTED, some LATE)' },
  }),
  rules: [
    "only APPROVED and CLOSED loans have rows, exactly tenure_months of them, numbered 1..tenure_months; (loan_id, installment_number) is unique",
    "customer_id, the principal (remaining + principal of installment 1), the rate and the tenure are the loan's (recomputed from loan_id)",
    'EMI = round2(P·r·(1+r)^n / ((1+r)^n − 1)) with r = interest_rate / 1200; principal + interest = emi_amount; remaining_principal reaches 0.00 on the last installment',
    "every schedule_date is after the loan's created_at",
    'installments of APPROVED loans due after the horizon end are SCHEDULED; about 5% of APPROVED loans default and stay DEFAULTED; CLOSED loans have only PAID and LATE',
    'Anomalies (ledger): ~0.2% of loan_id values point at loans that do not exist (corrupt-fk absent)',
  ],
  rows: (ctx) => repaymentIndex(ctx)[ctx.rows('loans')]!,
  references: { loan_id: 'loans.loan_id', customer_id: 'customers.customer_id' },
  plan: (ctx) => {
    const index = repaymentIndex(ctx);
    return {
      rows(start, count) {
        const rows: Row[] = new Array(count);
        if (count === 0) return rows;
        let { loan, installment } = repaymentAt(index, start);
        let facts = loanAt(ctx, loan);
        let schedule: Installment[] = scheduleOf(ctx, loan, facts);
        for (let i = 0; i < count; i++) {
          // Past this loan's last installment: the next loan with a schedule.
          while (start + i >= index[loan]!) {
            loan++;
            installment = 1;
            if (index[loan]! > index[loan - 1]!) {
              facts = loanAt(ctx, loan);
              schedule = scheduleOf(ctx, loan, facts);
            }
          }
          const s = schedule[installment - 1]!;
          rows[i] = {
            loan_id: facts.loanId,
            customer_id: facts.customerId,
            schedule_date: s.scheduleDate,
            installment_number: installment,
            emi_amount: s.emi,
            principal_component: s.principal,
            interest_component: s.interest,
            remaining_principal: s.remaining,
            status: s.status,
            is_missed_payment: s.missed,
          };
          installment++;
        }
        return rows;
      },
    };
  },
  stages: (ctx) => [corruptFk(FK.repaymentsLoan(ctx))],
  output: { kind: 'file', format: 'csv', path: 'loan_repayments.csv' },
};
