import { defineScenario } from '../src/core/units.js';
import { changeStreamPlan, envelopeSchema } from '../sources/change-stream.js';
import { productsHistory, retailCdcContext, retailCdcOptions } from '../pipelines/retail/cdc.js';

/**
 * The retail dataset's products as a change stream (docs/cdc.md): the snapshot of the base
 * products, then every increment's price changes, one Debezium envelope per change, the same
 * story as `generate retail` and its products_changes files.
 */
export const productsCdc = defineScenario({
  name: 'products_cdc',
  summary: "Change events of retail's products in the Debezium envelope: the snapshot (r), then each increment's price changes (u)",
  description:
    'One event per row of the initial snapshot (the base products in key order), then one per price change of increments 1, 2, ... in the order they happened, ' +
    'as many batches as --rows needs. current_price is a decimal: Debezium encodes it as the base64 bytes of its unscaled value (docs/cdc.md).',
  defaultRows: 100_000,
  examples: ['datagen generate products_cdc --scale 0.01 --rows 1000 --out products_cdc.jsonl', 'datagen pipe products_cdc --scale 0.01 --rows 400 | datagen csv > products_cdc.csv'],
  schema: envelopeSchema('products_cdc', "Change events of retail's products (Debezium envelope)", 'products'),
  rules: [
    'the first events are the snapshot: op r, before null, source.snapshot true (last on its final row), one per base product in product_id order (without the deleted parents products.csv drops)',
    "then each batch's price changes in changed_at order: op u, before and after differ in current_price only; source.batch = k",
    "a batch's events are the rows of products_changes/batch=000k/ of generate retail --increment k with the same seed, scale and options",
    'current_price (decimal(12,4)) is base64 of the unscaled value (1295000 for 129.5), as Debezium encodes decimals by default',
  ],
  options: retailCdcOptions,
  plan: (o, plan) => changeStreamPlan(productsHistory(retailCdcContext('products_cdc', o, plan.seed ?? 42))),
});
