import { cellStage, nonKeyColumns, stageOptions } from '../src/anomaly/cell-stage.js';
import { DatagenError } from '../src/core/errors.js';
import { parseDecimal, rateOption } from '../src/core/options.js';
import { defineTransform } from '../src/core/units.js';

/**
 * Missing values: each non-null cell of the chosen columns becomes null with probability
 * `rate`. With `when`, missingness depends on another column's value (missing at random),
 * e.g. check-out times that go missing mostly for WFH rows.
 */
export const missing = defineTransform({
  name: 'missing',
  // Each row changed on its own, by its index: worker threads may run it on separate chunks.
  rowLocal: true,
  summary: 'Blank out values at a rate, per column, optionally only where another column has a value (MAR)',
  examples: [
    'datagen pipe attendance | datagen missing --rate 0.02 --columns check_in,check_out | datagen csv > out.csv',
    "datagen pipe attendance | datagen missing --rate 0.3 --columns check_out --when status=WFH --ledger anomalies.jsonl > out.ndjson",
    'datagen pipe attendance | datagen missing --rates check_in=0.01,check_out=0.05 | datagen csv > out.csv',
  ],
  options: {
    rate: rateOption('share of non-null cells to blank, 0..1', 0.05),
    columns: { type: 'list', description: 'columns to blank, comma separated (default: every non-key column)' },
    rates: { type: 'list', description: "per-column rates as column=rate, e.g. 'amount=0.18,status=0.08' (these columns by default)" },
    ...stageOptions,
  },
  create: (o) =>
    cellStage('missing', { ...o, rates: o.rates && parseRates(o.rates) }, {
      defaultColumns: nonKeyColumns,
      writes: 'null',
      change: () => ({ kind: 'null', after: null }),
    }),
});

function parseRates(items: string[]): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const item of items) {
    const [column, text] = item.split('=');
    const rate = text === undefined ? NaN : (parseDecimal(text) ?? NaN);
    if (!column || text === undefined || text.trim() === '' || !(rate >= 0 && rate <= 1)) {
      throw new DatagenError('E_OPTION', `missing: rates must be column=rate with rate between 0 and 1, got ${JSON.stringify(item)}`);
    }
    rates[column.trim()] = rate;
  }
  return rates;
}
