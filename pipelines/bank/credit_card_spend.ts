import type { TableDefinition } from '../../src/core/dataset.js';
import { corruptFk } from '../../transforms/corrupt-fk.js';
import { creditCardSpend as scenario } from '../../scenarios/credit_card_spend.js';
import { FK, overCustomers, type BankOptions } from './shared.js';

/**
 * credit_card_spend: the credit_card_spend scenario over the horizon, its card holders being
 * the customers table's (CUST-00001..CUST-N). One Parquet file.
 */
export const creditCardSpend: TableDefinition<BankOptions> = {
  name: 'credit_card_spend',
  schema: scenario.schema,
  rules: [
    'the columns and rules of the credit_card_spend scenario, over [start, end]',
    'customer_id refers to an existing customer except the ~0.5% corrupt-fk injects (ledger); each card_id belongs to one customer',
  ],
  rows: 2_000_000,
  minRows: 300,
  references: { customer_id: 'customers.customer_id' },
  plan: overCustomers(scenario),
  stages: (ctx) => [corruptFk(FK.cardsCustomer(ctx))],
  output: { kind: 'file', format: 'parquet', path: 'credit_card_spend.parquet' },
};
