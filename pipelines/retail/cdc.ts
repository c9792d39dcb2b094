import { checkScale, datasetContext } from '../../src/core/dataset.js';
import { checkDateRange } from '../../src/core/options.js';
import { formatDate, MICROS_PER_DAY } from '../../src/core/temporal.js';
import { keyedSnapshot, type ChangeHistory } from '../../sources/change-stream.js';
import { customerRow, customers } from './customers.js';
import { baseRow, CustomerReplay, ProductReplay } from './dimension_changes.js';
import { retail } from './index.js';
import { products } from './products.js';
import { deletedParents, retailOptions, type Ctx } from './shared.js';

/**
 * The retail tables with updates as change histories for the change-stream scenarios
 * (customers_cdc, products_cdc; docs/cdc.md): the snapshot is the base table as the source
 * database holds it (no anomaly stages, no deleted parents), the batches are the increments'
 * changes, computed going forward.
 */

/** The options of a retail change stream: the dataset's scale and the options its changes depend on. */
export const retailCdcOptions = {
  scale: { type: 'number', description: "the retail dataset's scale, as generate retail --scale: 1 = 80,000 customers and 25,000 products", default: 1, max: 1000 },
  start: { ...retailOptions.start, description: "first day of retail's horizon (as generate retail --start)" },
  end: { ...retailOptions.end, description: "last day of retail's horizon: the snapshot is taken at midnight after it, increment 1 starts the day after" },
  incrementDays: { ...retailOptions.incrementDays, description: 'days each increment covers (as generate retail --increment-days)' },
} as const;

/** The retail run a stream tells the story of. */
export function retailCdcContext(owner: string, o: { scale: number; start: number; end: number; incrementDays: number }, seed: number): Ctx {
  checkScale(owner, o.scale);
  checkDateRange(owner, o.start, o.end);
  return datasetContext(retail, seed, o.scale, { start: formatDate(o.start), end: formatDate(o.end), incrementDays: o.incrementDays });
}

/** Taken at midnight after the horizon's last day: before any increment's change. */
const snapshotTs = (ctx: Ctx) => (ctx.options.end + 1) * MICROS_PER_DAY;

/** Customers: the base without the deleted parents of orders, then sign-ups, moves, new emails, erasures. */
export function customersHistory(ctx: Ctx): ChangeHistory {
  return {
    table: 'customers',
    rowSchema: customers.schema,
    database: 'retail',
    ...keyedSnapshot(ctx.rows('customers'), deletedParents(ctx, 'ordersCustomer'), (id) => customerRow(ctx, id)),
    snapshotTs: snapshotTs(ctx),
    batches() {
      const replay = new CustomerReplay(ctx);
      return { next: () => replay.next().map((e) => ({ op: e.change.op, ts: e.change.ts, batch: e.change.batch, before: e.before, after: e.after })) };
    },
    lagKey: ctx.at('customers_cdc', 'lag').key,
  };
}

/** Products: the base without the deleted parents of order lines, then price changes. */
export function productsHistory(ctx: Ctx): ChangeHistory {
  return {
    table: 'products',
    rowSchema: products.schema,
    database: 'retail',
    ...keyedSnapshot(ctx.rows('products'), deletedParents(ctx, 'linesProduct'), (id) => baseRow(products, ctx, id)),
    snapshotTs: snapshotTs(ctx),
    batches() {
      const replay = new ProductReplay(ctx);
      return { next: () => replay.next().map((e) => ({ op: 'u' as const, ts: e.change.ts, batch: e.change.batch, before: e.before, after: e.after })) };
    },
    lagKey: ctx.at('products_cdc', 'lag').key,
  };
}
