import type { TableDefinition } from '../../src/core/dataset.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { corruptFk } from '../../transforms/corrupt-fk.js';
import { outliers } from '../../transforms/outliers.js';
import { batchEnd, FK, lineAt, lineFacts, lineIndex, orderAt, ordersThrough, partitionDay, productAt, type RetailOptions } from './shared.js';
import { priceOn } from './changes.js';

/** Where a line's file goes: its order's partition, recomputed from the order key. */
const ORDER_DAY = Symbol('orders_lines.order_day');

/** orders_lines: 1-8 lines per order, in order of order_id, each in its order's partition. */
export const ordersLines: TableDefinition<RetailOptions> = {
  name: 'orders_lines',
  schema: defineTable('orders_lines', 'Order lines: what each order bought, at what price', {
    order_id: { type: types.int64(), min: 1, description: 'the order (orders_header.order_id)', key: true },
    line_number: { type: types.int32(), min: 1, max: 8, description: 'line within the order, 1..lines', key: true },
    product_id: { type: types.int64(), min: 1, description: 'the product (products.product_id; power-law popular)' },
    qty: { type: types.int32(), min: 1, max: 6, description: 'units bought (1 mostly, up to 6)' },
    unit_price: { type: types.decimal(12, 4), min: 1, description: "the product's current price at the time of the order, in AUD" },
    line_discount_pct: { type: types.decimal(5, 4), min: 0, max: 0.5, description: 'discount on the line, 0..0.5 (0.1 = 10%)' },
    tax_pct: { type: types.decimal(5, 4), min: 0, max: 0.1, description: 'GST rate (0.1000; 0 for GST-free grocery)' },
  }),
  rules: [
    '(order_id, line_number) is unique; every order of orders_header has 1..8 lines numbered 1..n',
    "each line is written in its order's partition folder (order_dt=<order's local date>)",
    'product_id refers to an existing product except the ~1% corrupt-fk injects (ledger)',
    'qty >= 1 and unit_price > 0 except the rare negative quantities (0.05%, sign_flip) and zero prices (0.03%, zero) outliers injects (ledger)',
  ],
  rows: (ctx) => lineIndex(ctx)[ctx.rows('orders_header')]!,
  references: { order_id: 'orders_header.order_id', product_id: 'products.product_id' },
  // A late order's lines are late with it (in its old partition).
  increment: (ctx, k) => {
    const index = lineIndex(ctx);
    return { from: index[ordersThrough(ctx, k - 1)]!, to: index[ordersThrough(ctx, k)]!, late: (row) => (row as { [ORDER_DAY]?: number })[ORDER_DAY]! <= batchEnd(ctx, k - 1) };
  },
  plan: (ctx) => {
    const index = lineIndex(ctx);
    return {
      rows(start, count) {
        const rows: Row[] = new Array(count);
        let { orderId, lineNumber } = lineAt(index, start);
        let day = orderAt(ctx, orderId).localDay;
        for (let i = 0; i < count; i++) {
          if (start + i >= index[orderId]!) {
            orderId++;
            lineNumber = 1;
            day = orderAt(ctx, orderId).localDay;
          }
          const { productId, qty } = lineFacts(ctx, orderId, lineNumber, day);
          const product = productAt(ctx, productId);
          const rng = ctx.at('orders_lines', 'price').fork(orderId * 8 + lineNumber);
          const discount = rng.chance(0.75) ? 0 : rng.pick([0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5]);
          const row: Row = {
            order_id: orderId,
            line_number: lineNumber,
            product_id: productId,
            qty,
            // The price of the order's day: after the horizon, increments' price changes apply.
            unit_price: day > ctx.options.end ? priceOn(ctx, productId, day) : product.price,
            line_discount_pct: discount,
            tax_pct: product.category === 'Grocery' ? 0 : 0.1,
          };
          (row as { [ORDER_DAY]?: number })[ORDER_DAY] = day;
          rows[i] = row;
          lineNumber++;
        }
        return rows;
      },
    };
  },
  stages: (ctx) => [
    corruptFk(FK.linesProduct(ctx)),
    outliers({ columns: 'qty', rate: 0.0005, kinds: 'sign_flip', seed: ctx.seed + 22 }),
    outliers({ columns: 'unit_price', rate: 0.0003, kinds: 'zero', seed: ctx.seed + 23 }),
  ],
  output: {
    kind: 'partitioned',
    format: 'csv',
    path: 'orders_lines/',
    file: 'part-{num:04}.csv',
    partition: (row) => [`order_dt=${partitionDay((row as { [ORDER_DAY]?: number })[ORDER_DAY]!)}`],
  },
};
