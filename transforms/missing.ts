import { cellStage, nonKeyColumns, stageOptions } from '../src/anomaly.js';
import { rateOption } from '../src/options.js';
import { defineTransform } from '../src/units.js';

/**
 * Missing values: each non-null cell of the chosen columns becomes null with probability
 * `rate`. With `when`, missingness depends on another column's value (missing at random),
 * e.g. check-out times that go missing mostly for WFH rows.
 */
export const missing = defineTransform({
  name: 'missing',
  summary: 'Blank out values at a rate, per column, optionally only where another column has a value (MAR)',
  examples: [
    'datagen pipe attendance | datagen missing --rate 0.02 --columns check_in,check_out | datagen csv > out.csv',
    "datagen pipe attendance | datagen missing --rate 0.3 --columns check_out --when status=WFH --ledger anomalies.jsonl > out.ndjson",
  ],
  options: {
    rate: rateOption('share of non-null cells to blank, 0..1', 0.05),
    columns: { type: 'list', description: 'columns to blank, comma separated (default: every non-key column)' },
    ...stageOptions,
  },
  create: (o) =>
    cellStage('missing', o, {
      defaultColumns: nonKeyColumns,
      change: () => ({ kind: 'null', after: null }),
    }),
});
