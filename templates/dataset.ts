/**
 * {{name}}: a datagen dataset in TypeScript — two related tables written together into a folder.
 *
 * Run it (the file is loaded as it is, types stripped, no build step):
 *   npx datagen generate ./{{name}}.ts --scale 0.01 --out {{name}}/
 *
 * Tables are made chunk by chunk, independently (and so in any order, or in parallel), so a
 * child never looks its parent up: keys are dense (1..N), a child picks a parent by number,
 * and anything it needs from that parent is recomputed from the parent's key with the same
 * stream, `ctx.at(table, attribute).fork(key)`, that the parent drew it from.
 */
import { defineDataset, defineTable, missing, types, type DatasetContext, type Row, type TableDefinition } from 'datagen';

const DAY_US = 86_400_000_000; // timestamps are microseconds since 1970-01-01 UTC
const START_US = Date.UTC(2024, 0, 1) * 1000;

/** When a customer joined: drawn by the customer, recomputed by each of its orders. */
function joinedAt(ctx: DatasetContext, customerId: number): number {
  return START_US + ctx.at('{{name}}_customers', 'joined').fork(customerId).int(0, 180 * DAY_US);
}

const customers: TableDefinition = {
  name: '{{name}}_customers',
  schema: defineTable('{{name}}_customers', 'Customers (the parent table)', {
    customer_id: { type: types.int64(), description: 'customer key, 1..N', key: true },
    name: { type: types.string(), description: 'display name' },
    email: { type: types.string(), description: 'email; about 2% blanked by the default stage', nullable: true },
    joined_at: { type: types.timestamp(), description: 'when the customer joined, in the first half of 2024' },
  }),
  rules: ['customer_id is 1..N', 'joined_at is in 2024-01-01 .. 2024-06-29'],
  rows: 10_000, // at --scale 1; --scale 0.01 makes 100
  minRows: 10,
  plan: (ctx) => ({
    rows(first, count, rng) {
      const out: Row[] = [];
      for (let i = 0; i < count; i++) {
        const id = first + i + 1;
        out.push({ customer_id: id, name: `Customer ${id}`, email: `c${id}.${rng.int(100, 999)}@example.com`, joined_at: joinedAt(ctx, id) });
      }
      return out;
    },
  }),
  // Default anomaly stages (skipped with --clean); every change is recorded in _ledger.jsonl.
  stages: () => [missing({ rate: 0.02, columns: ['email'] })],
  output: { kind: 'file', format: 'csv', path: '{{name}}_customers.csv' },
};

const orders: TableDefinition = {
  name: '{{name}}_orders',
  schema: defineTable('{{name}}_orders', 'Orders (the child table): each refers to a customer', {
    order_id: { type: types.int64(), description: 'order key, 1..N', key: true },
    customer_id: { type: types.int64(), description: 'the customer who ordered ({{name}}_customers.customer_id)' },
    ordered_at: { type: types.timestamp(), description: "after the customer's joined_at" },
    amount: { type: types.float64(), description: 'order total, 5..500' },
  }),
  rules: ['customer_id exists in {{name}}_customers', "ordered_at is after the customer's joined_at"],
  rows: (ctx) => ctx.rows('{{name}}_customers') * 3, // three orders per customer on average
  references: { customer_id: '{{name}}_customers.customer_id' },
  plan: (ctx) => {
    const customerCount = ctx.rows('{{name}}_customers');
    return {
      rows(first, count, rng) {
        const out: Row[] = [];
        for (let i = 0; i < count; i++) {
          const customerId = rng.int(1, customerCount);
          const ordered = joinedAt(ctx, customerId) + rng.int(1, 90 * DAY_US);
          out.push({ order_id: first + i + 1, customer_id: customerId, ordered_at: ordered, amount: rng.int(500, 50_000) / 100 });
        }
        return out;
      },
    };
  },
  output: { kind: 'file', format: 'parquet', path: '{{name}}_orders.parquet' },
};

export default defineDataset({
  name: '{{name}}',
  summary: 'Customers and their orders (edit me)',
  examples: ['datagen generate ./{{name}}.ts --scale 0.01 --out {{name}}/'],
  options: {},
  tables: [customers, orders],
});
