import type { TableDefinition } from '../../src/core/dataset.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { CARRIERS, ordersThrough, shipmentAt, type RetailOptions } from './shared.js';

/** shipments: one per order (shipment k ships order k), in one Parquet file. */
export const shipments: TableDefinition<RetailOptions> = {
  name: 'shipments',
  schema: defineTable('shipments', 'Shipments of orders: carrier, when shipped and delivered, cost', {
    shipment_id: { type: types.int64(), min: 1, description: 'shipment key (1..N)', key: true },
    order_id: { type: types.int64(), min: 1, description: 'the order shipped (orders_header.order_id)' },
    carrier: { type: types.string(), description: 'carrier', values: CARRIERS.map((c) => c.name) },
    shipped_at: { type: types.timestamp(), after: 'orders_header.order_ts', description: 'when it left the warehouse, 2-72 h after the order' },
    delivered_at: { type: types.timestamp(), after: 'shipped_at', description: 'when it arrived; null while in transit', nullable: true },
    ship_cost: { type: types.decimal(12, 2), min: 5.6, max: 25.2, description: 'what shipping cost the retailer, AUD' },
  }),
  rules: [
    'one shipment per order: shipment_id k ships order_id k (every order of orders_header has exactly one)',
    "order_ts < shipped_at < delivered_at (shipped 2-72 h after the order)",
    "delivered_at is null for shipments still in transit at the end of the horizon, and for ~0.2% lost ones",
    "about 6% of deliveries are late: delivered_at > shipped_at + the carrier's SLA (Australia Post and Aramex 96 h, Toll and CouriersPlease 72 h, StarTrack 48 h)",
  ],
  rows: (ctx) => ctx.rows('orders_header'),
  increment: (ctx, k) => ({ from: ordersThrough(ctx, k - 1), to: ordersThrough(ctx, k) }),
  references: { order_id: 'orders_header.order_id' },
  plan: (ctx) => ({
    rows(start, count) {
      const rows: Row[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const s = shipmentAt(ctx, start + i + 1);
        rows[i] = {
          shipment_id: start + i + 1,
          order_id: s.orderId,
          carrier: s.carrier.name,
          shipped_at: s.shippedAt,
          delivered_at: s.deliveredAt ?? null,
          ship_cost: s.cost,
        };
      }
      return rows;
    },
  }),
  output: { kind: 'file', format: 'parquet', path: 'shipments.parquet' },
};
