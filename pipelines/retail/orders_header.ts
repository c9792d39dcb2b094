import type { TableDefinition } from '../../src/core/dataset.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { corruptFk } from '../../transforms/corrupt-fk.js';
import { duplicate } from '../../transforms/duplicate.js';
import { batchEnd, FK, orderAt, ordersThrough, partitionDay, PAYMENTS, type RetailOptions } from './shared.js';

const COUPONS = ['WELCOME10', 'SPRING15', 'EOFY20', 'VIP25', 'FREESHIP', 'BLACKFRI30', 'XMAS10', 'BOXING20'];

/** orders_header: one row per order, ids rising with time; partitioned by the order's local date. */
export const ordersHeader: TableDefinition<RetailOptions> = {
  name: 'orders_header',
  schema: defineTable('orders_header', 'Sales orders: who bought, where, when and how they paid', {
    order_id: { type: types.int64(), min: 1, description: 'order key (1..N, rising with time)', key: true },
    order_ts: { type: types.timestamp(), description: 'when the order was placed (UTC instant)' },
    order_dt_local: { type: types.date(), description: "the order's date in its store's time zone" },
    customer_id: { type: types.int64(), min: 1, description: 'the customer (customers.customer_id; power-law popular)' },
    store_id: { type: types.int64(), min: 1, description: 'the store (stores.store_id)' },
    channel: { type: types.string(), description: "web, app (web stores) or pos (physical stores)", values: ['web', 'app', 'pos'] },
    payment_method: { type: types.string(), description: 'how the order was paid', values: PAYMENTS.items },
    coupon_code: { type: types.string(), values: COUPONS, description: 'coupon used, null for most orders', nullable: true },
    shipping_fee: { type: types.decimal(12, 2), min: 0, max: 19.95, description: 'shipping charged (0 for pos)' },
    currency: { type: types.string(), values: ['AUD'], description: 'currency of the amounts (AUD)' },
  }),
  rules: [
    'order_id is 1..N without gaps; order_ts rises with order_id day by day (weekends, late November and December busier)',
    "order_dt_local is order_ts's date in the store's state time zone (standard time)",
    'customer_id and store_id refer to existing rows, except the ~1% corrupt-fk injects (ledger)',
    'pos orders have shipping_fee 0.00; web and app orders 0.00 or 5.95-19.95',
    '0.05% of orders appear twice (exact duplicates placed a few days later, so in another partition file)',
  ],
  rows: 1_000_000,
  minRows: 200,
  references: { customer_id: 'customers.customer_id', store_id: 'stores.store_id' },
  // Late arrivals: orders of the batch dated before it (isLateOrder), each old day a new file.
  increment: (ctx, k) => ({ from: ordersThrough(ctx, k - 1), to: ordersThrough(ctx, k), late: (row) => (row.order_dt_local as number) <= batchEnd(ctx, k - 1) }),
  plan: (ctx) => ({
    rows(start, count) {
      const rows: Row[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const o = orderAt(ctx, start + i + 1);
        const rng = ctx.at('orders_header', 'payment').fork(o.orderId);
        const fee = o.channel === 'pos' || rng.chance(0.3) ? 0 : rng.pick([5.95, 7.95, 9.95, 12.95, 19.95]);
        rows[i] = {
          order_id: o.orderId,
          order_ts: o.ts,
          order_dt_local: o.localDay,
          customer_id: o.customerId,
          store_id: o.storeId,
          channel: o.channel,
          payment_method: o.channel === 'pos' ? (rng.chance(0.2) ? 'cash' : PAYMENTS.pick(rng)) : PAYMENTS.pick(rng) === 'cash' ? 'card' : PAYMENTS.pick(rng),
          coupon_code: rng.chance(0.12) ? rng.pick(COUPONS) : null,
          shipping_fee: fee,
          currency: 'AUD',
        };
      }
      return rows;
    },
  }),
  stages: (ctx) => {
    const perDay = ctx.rows('orders_header') / (ctx.options.end - ctx.options.start + 1);
    return [
      corruptFk(FK.ordersCustomer(ctx)),
      corruptFk(FK.ordersStore(ctx)),
      duplicate({ rate: 0.0005, kinds: 'exact', window: Math.max(50, Math.ceil(perDay * 4)), seed: ctx.seed + 13 }),
    ];
  },
  output: { kind: 'partitioned', format: 'csv', path: 'orders_header/', file: 'part-{num:04}.csv', partition: (row) => [`order_dt=${partitionDay(row.order_dt_local as number)}`] },
};
