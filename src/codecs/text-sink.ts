import type { Schema } from 'apache-arrow';
import { withOutput } from './output.js';
import type { Batch, ChunkedWrite } from '../core/stage.js';

/**
 * The loop shared by text sinks: open the destination before the first batch (so a bad path
 * fails before any work), write each formatted batch with backpressure, then close — or on
 * any failure remove the partial file.
 */
export interface TextFormat {
  /** Text written once, before the first row (e.g. a CSV header). */
  header?(schema: Schema): string;
  /** Build the formatter once per schema; it turns a batch into text. */
  formatter(schema: Schema): (batch: Batch) => string;
  /** The same text as UTF-8 bytes of their own (worker threads), when the format can make them directly. */
  bytesFormatter?(schema: Schema, alloc?: (bytes: number) => Uint8Array): (batch: Batch) => Uint8Array;
}

/**
 * Partitioned and rolled output (src/codecs/partition.ts): declared once here and spread into
 * fileOptions, so every file sink has them; defineSink does the partitioning.
 */
export const partitionOptions = {
  partitionBy: {
    type: 'list',
    description:
      'write folders key=value/ by these columns, nested in order: column, column:day|month|year (date or timestamp, UTC), or name=column[:transform]; ' +
      'the columns stay in the rows; nulls go to key=__HIVE_DEFAULT_PARTITION__; --out names the folder',
  },
  fileTemplate: { type: 'string', description: 'file names in each folder; {num} or {num:04} counts files from 0 [default: part-{num:04} + the format\'s extension]' },
  maxRows: { type: 'integer', min: 1, description: 'start a new file after this many rows (per folder); --out names the folder' },
  maxBytes: { type: 'integer', min: 1, description: "start a new file before one passes about this many bytes of row text (an estimate: see docs/partitioning.md); --out names the folder" },
  maxOpen: { type: 'integer', min: 1, default: 64, description: 'files open at once when partitioning; the least recently used is closed and its folder continues in a new file' },
} as const;

/** Where every file sink writes: declared once, so `--out` and `--overwrite` read the same everywhere. */
export const fileOptions = {
  path: {
    type: 'string',
    flag: 'out',
    char: 'o',
    nonEmpty: true,
    description:
      'file to write (default: stdout); written under a temporary name, renamed when complete; .gz compresses. ' +
      'A folder of files (part-0000, part-0001, ...) when it ends in / or with --partition-by, --max-rows, --max-bytes or --file-template',
  },
  overwrite: { type: 'boolean', description: 'replace the file if it exists (a folder: its partitioned output)', default: false },
  ...partitionOptions,
} as const;

export async function writeText(target: { path: string | undefined; overwrite?: boolean }, format: TextFormat, batches: AsyncIterable<Batch>): Promise<void> {
  await withOutput(target, async (out) => {
    let schema: Schema | undefined;
    let format1: ((b: Batch) => string) | undefined;
    for await (const batch of batches) {
      if (batch.schema !== schema) {
        if (!schema && format.header) await out.write(format.header(batch.schema));
        schema = batch.schema;
        format1 = format.formatter(schema);
      }
      if (batch.rows.length > 0) await out.write(format1!(batch));
    }
  });
}

/** The same text file from pieces encoded in worker threads (header here, then the pieces in order). */
export function chunkedText(target: { path: string | undefined; overwrite?: boolean }, format: TextFormat): ChunkedWrite {
  return {
    encoder(schema, alloc) {
      if (format.bytesFormatter) return format.bytesFormatter(schema, alloc);
      const formatter = format.formatter(schema);
      const utf8 = new TextEncoder();
      return (batch) => {
        const text = batch.rows.length > 0 ? formatter(batch) : '';
        if (!alloc) return utf8.encode(text);
        const room = alloc(3 * text.length);
        return room.subarray(0, utf8.encodeInto(text, room).written);
      };
    },
    write: (schema, pieces, done) =>
      withOutput(target, async (out) => {
        if (format.header) await out.write(format.header(schema));
        for await (const piece of pieces) {
          if (piece.length > 0) await out.write(piece, done && (() => done(piece)));
          else done?.(piece);
        }
      }),
  };
}
