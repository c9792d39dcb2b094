import { defineDataset } from '../../src/core/dataset.js';
import { bankTransactions } from './bank_transactions.js';
import { creditCardSpend } from './credit_card_spend.js';
import { customers } from './customers.js';
import { loanRepayments } from './loan_repayments.js';
import { loans } from './loans.js';
import { bankOptions } from './shared.js';

/**
 * The bank: the five single-table bank scenarios joined into one dataset. customers (the
 * customer_360 profiles) is the dimension every other table refers to by CUST-00001..; loans
 * belong to customers, loan_repayments follow their loan exactly, transactions and card spend
 * are the customers'. Adding a table: one file in this folder plus a line in `tables` below.
 */
export const bank = defineDataset({
  name: 'bank',
  summary: 'Retail bank: customers, loans, loan repayments, account transactions, credit card spend, all joined on customer_id and loan_id',
  description:
    'Five related tables of an Indian retail bank in CSV, Parquet and JSONL: customer profiles (customer_360), loan applications, ' +
    'EMI schedules of the approved and closed loans, account transactions and card spend. Integrity by construction; ' +
    "each table's documented anomalies and ~0.5% broken foreign keys recorded in one ledger. --scale 1 = 100k customers, about 10.7M rows.",
  examples: ['datagen generate bank --scale 0.1 --seed 7 --out bank/', 'datagen generate bank --scale 0.01 --tables customers,loans,loan_repayments --clean --out bank_clean/', 'datagen describe bank'],
  options: bankOptions,
  tables: [customers, loans, loanRepayments, bankTransactions, creditCardSpend],
});
