import { Schema } from 'apache-arrow';
import { dropKeys, type TableDefinition } from '../../src/core/dataset.js';
import { normalizeOptions } from '../../src/core/options.js';
import { formatDate } from '../../src/core/temporal.js';
import { customer360 } from '../../scenarios/customer_360.js';
import { deletedCustomers, type BankOptions } from './shared.js';

/**
 * customers: the customer dimension, made by the customer_360 scenario itself (same columns,
 * same values for the same rows and seed stream), with customers joining between `since` and
 * the day before the horizon starts, so every customer exists before their first loan,
 * transaction or card payment. customer_id is CUST-00001.. in joining order.
 */
export const customers: TableDefinition<BankOptions> = {
  name: 'customers',
  // customer_360's columns under this table's name (the ledger and describe name the table by it).
  schema: new Schema(customer360.schema.fields, new Map([['table', 'customers'], ['description', 'Customer profiles (customer_360): the customer dimension of the bank']])),
  rules: [
    'customer_id is CUST- + the row number (5+ digits), unique: the key every other bank table refers to',
    "customer_since lies in [since, start - 1 day] and never decreases with customer_id; ages are as of the day before start",
    'the columns and rules of the customer_360 scenario (income by age band, products held, risk, churn and engagement scores)',
    'Anomalies (ledger): the customers that loans, bank_transactions and credit_card_spend point at as deleted parents (fk_deleted) are absent',
  ],
  rows: 100_000,
  minRows: 50,
  plan: (ctx) => {
    const o = normalizeOptions('customer_360', customer360.options, { start: formatDate(ctx.options.since), end: formatDate(ctx.options.start - 1) });
    return customer360.plan(o, { rows: ctx.tableRows, rng: ctx.rng });
  },
  // The customers the children's corrupt-fk stages point at as deleted parents are removed.
  stages: (ctx) => [dropKeys('customer_id', [...deletedCustomers(ctx)])],
  output: { kind: 'file', format: 'csv', path: 'customers.csv' },
};
