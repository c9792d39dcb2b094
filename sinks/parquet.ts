import { withOutput } from '../src/output.js';
import type { Batch } from '../src/stage.js';
import { PARQUET_CODECS, writeParquet, type ParquetCodec } from '../src/parquet-io.js';
import { fileOptions } from '../src/text-sink.js';
import { defineSink } from '../src/units.js';

/**
 * Parquet with the schema's exact logical types; the writing itself is in src/parquet-io.ts.
 *
 * No input at all (an empty stdin: what a failed command before this one leaves in a pipe) has
 * no schema to write: no file is made and nothing is said, as the csv and arrow sinks write an
 * empty output then; the failed command has reported its own error, and `set -o pipefail`
 * makes the pipeline fail with it. An input with a schema and no rows is a file with no rows.
 */
class NoInput extends Error {}
export const parquet = defineSink({
  name: 'parquet',
  summary: 'Write rows as Parquet (typed columns, snappy by default) to a file or stdout',
  examples: [
    'datagen generate loans --rows 1000000 --out loans.parquet',
    'datagen pipe loans --rows 1000000 --ipc | datagen noise --rate 0.01 | datagen parquet --out loans.parquet --compression zstd',
  ],
  extensions: ['.parquet'],
  options: {
    ...fileOptions,
    compression: { type: 'string', description: 'column compression codec', default: 'snappy', choices: PARQUET_CODECS },
    dictionary: {
      type: 'string',
      description: 'dictionary-encode: auto = columns with a declared set of values (and booleans), all, or none',
      default: 'auto',
      choices: ['auto', 'all', 'none'],
    },
    rowGroupRows: { type: 'integer', flag: 'row-group-rows', description: 'rows per row group (each is written when full)', default: 122_880, min: 1 },
  },
  create: (o) => async (batches) => {
    try {
      await withOutput(o, async (out) => {
        const input = batches[Symbol.asyncIterator]();
        const first = await input.next();
        if (first.done) throw new NoInput();
        async function* all(): AsyncGenerator<Batch> {
          yield first.value;
          for (let n = await input.next(); !n.done; n = await input.next()) yield n.value;
        }
        await writeParquet(out, all(), { compression: o.compression as ParquetCodec, dictionary: o.dictionary as 'auto', rowGroupRows: o.rowGroupRows });
      });
    } catch (err) {
      if (!(err instanceof NoInput)) throw err;
    }
  },
});
