import { withOutput } from '../src/codecs/output.js';
import { PARQUET_BATCH_ROWS, PARQUET_CODECS, parquetPiece, writeParquet, writeParquetPieces, type ParquetCodec } from '../src/codecs/parquet-io.js';
import { fileOptions } from '../src/codecs/text-sink.js';
import { defineSink } from '../src/core/units.js';

/** Parquet with the schema's exact logical types; the writing itself is in src/codecs/parquet-io.ts. */
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
  create: (o) => (batches) =>
    withOutput(o, async (out) => {
      await writeParquet(out, batches, { compression: o.compression as ParquetCodec, dictionary: o.dictionary as 'auto', rowGroupRows: o.rowGroupRows });
    }),
  // Worker threads build the Arrow record batches; this thread runs the wasm writer.
  chunked: (o) => ({
    rowsPerPiece: PARQUET_BATCH_ROWS,
    encoder: (_schema, alloc) => (batch) => {
      const piece = parquetPiece(batch);
      if (!alloc) return piece;
      const room = alloc(piece.length).subarray(0, piece.length);
      room.set(piece);
      return room;
    },
    write: (schema, pieces, done) =>
      withOutput(o, async (out) => {
        await writeParquetPieces(out, schema, pieces, { compression: o.compression as ParquetCodec, dictionary: o.dictionary as 'auto', rowGroupRows: o.rowGroupRows }, done);
      }),
  }),
});
