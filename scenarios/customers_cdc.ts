import { defineScenario } from '../src/core/units.js';
import { changeStreamPlan, envelopeSchema } from '../sources/change-stream.js';
import { customersHistory, retailCdcContext, retailCdcOptions } from '../pipelines/retail/cdc.js';

/**
 * The retail dataset's customers as a change stream (docs/cdc.md): the snapshot of the base
 * customers, then every increment's sign-ups, moves, new emails and erasures, one Debezium
 * envelope per change. The same (seed, scale, start, end, increment-days) tell the same story
 * as `generate retail` and its `--increment k` change files.
 */
export const customersCdc = defineScenario({
  name: 'customers_cdc',
  summary: "Change events of retail's customers in the Debezium envelope: the snapshot (r), then each increment's sign-ups (c), updates (u) and erasures (d)",
  description:
    'One event per row of the initial snapshot (the base customers in key order), then one per change of increments 1, 2, ... in the order they happened, ' +
    'as many batches as --rows needs. before/after/source are JSON objects (nested in JSONL, JSON text in CSV, Parquet, Arrow, XLSX). ' +
    'Replayed in order, the events give the customers table of generate retail --clean plus its increments (docs/cdc.md).',
  defaultRows: 100_000,
  examples: [
    'datagen pipe customers_cdc --rows 100000 | datagen jsonl > customers_cdc.jsonl',
    'datagen generate customers_cdc --scale 0.01 --rows 1000 --out cdc.parquet',
    'datagen generate customers_cdc --seed 42 --scale 0.01 --rows 2000 --out cdc.csv   # the story of generate retail --seed 42 --scale 0.01 and its increments',
  ],
  schema: envelopeSchema('customers_cdc', "Change events of retail's customers (Debezium envelope)", 'customers'),
  rules: [
    'the first events are the snapshot: op r, before null, source.snapshot true (last on its final row), one per base customer in customer_id order (the deleted parents of customers.csv were never in the database)',
    "then each batch's changes in changed_at order: c (before null), u (both), d (after null, before the row as it was); source.batch = k, source.ts_ms = changed_at in ms",
    'source.lsn is the event number (1, 2, ...): replaying events in lsn order gives the table after each batch',
    "a batch's events are exactly the rows of customers_changes/batch=000k/ of generate retail --increment k with the same seed, scale and options",
    'transaction is always null',
  ],
  options: retailCdcOptions,
  plan: (o, plan) => changeStreamPlan(customersHistory(retailCdcContext('customers_cdc', o, plan.seed ?? 42))),
});
