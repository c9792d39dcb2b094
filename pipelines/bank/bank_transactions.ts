import type { TableDefinition } from '../../src/core/dataset.js';
import { corruptFk } from '../../transforms/corrupt-fk.js';
import { bankTransactions as scenario } from '../../scenarios/bank_transactions.js';
import { FK, istDay, overCustomers, type BankOptions } from './shared.js';

/**
 * bank_transactions: the bank_transactions scenario over the horizon, its customers being the
 * customers table's (CUST-00001..CUST-N, N = customers rows). Partitioned by the day in India.
 */
export const bankTransactions: TableDefinition<BankOptions> = {
  name: 'bank_transactions',
  schema: scenario.schema,
  rules: [
    'the columns and rules of the bank_transactions scenario, over [start, end]',
    'customer_id refers to an existing customer except the ~0.5% corrupt-fk injects (ledger)',
    "each row is written in the folder of its day in India: txn_date=YYYY-MM-DD of timestamp + 05:30",
  ],
  rows: 4_000_000,
  minRows: 500,
  references: { customer_id: 'customers.customer_id' },
  plan: overCustomers(scenario),
  stages: (ctx) => [corruptFk(FK.transactionsCustomer(ctx))],
  output: {
    kind: 'partitioned',
    format: 'jsonl',
    path: 'bank_transactions/',
    file: 'part-{num:04}.jsonl',
    partition: (row) => [`txn_date=${istDay(row.timestamp as number)}`],
  },
};
