import { defineDataset } from '../../src/core/dataset.js';
import { batchWindow } from './changes.js';
import { customers } from './customers.js';
import { customersChanges, productsChanges, storesChanges } from './dimension_changes.js';
import { ordersHeader } from './orders_header.js';
import { events } from './events.js';
import { exchangeRatesTable } from './exchange_rates.js';
import { ordersLines } from './orders_lines.js';
import { products } from './products.js';
import { returns } from './returns.js';
import { shipments } from './shipments.js';
import { sensors } from './sensors.js';
import { retailOptions } from './shared.js';
import { stores } from './stores.js';
import { suppliers } from './suppliers.js';

/**
 * The retail landing zone (shared/specs/retail.md): eleven related tables of a fictional
 * Australian retailer in five formats. Adding a table: one file in this folder plus a line in
 * `tables` below.
 */
export const retail = defineDataset({
  name: 'retail',
  summary: 'Retail landing zone: customers, products, stores, suppliers, orders, lines, events, sensors, exchange rates, shipments, returns',
  description:
    'Eleven related tables of a fictional Australian retailer in CSV, JSONL, XLSX, Parquet and Delta, with referential integrity by construction, ' +
    'documented anomalies recorded in one ledger, and a manifest written last. --scale multiplies every row target (1 = about 13M rows).',
  examples: [
    'datagen generate retail --seed 42 --scale 0.01 --out data_raw',
    'datagen generate retail --scale 0.1 --tables customers,orders_header,orders_lines --out raw',
    'datagen generate retail --seed 42 --scale 0.01 --out data_raw --increment 1   # the next 7 days, late rows, changes',
    'datagen describe retail',
  ],
  options: retailOptions,
  tables: [customers, products, stores, suppliers, ordersHeader, ordersLines, events, sensors, exchangeRatesTable, shipments, returns],
  // --increment k: batch k's days, and the tables only increments write (the dimensions' changes).
  batchDays: batchWindow,
  changes: [customersChanges, productsChanges, storesChanges],
});
