import { createRequire } from 'node:module';
import { Field, RecordBatchStreamWriter, Schema, tableFromIPC, TimeMillisecond, Type } from 'apache-arrow';
import type * as ParquetWasm from 'parquet-wasm';
import { engineSchema, fromRecordBatch, rechunk, toRecordBatch } from './arrow-batch.js';
import { DatagenError } from '../core/errors.js';
import type { Output } from './output.js';
import { fieldValues } from '../core/schema.js';
import type { Batch } from '../core/stage.js';

/**
 * Parquet through parquet-wasm (Rust's arrow/parquet crates compiled to WebAssembly): exact
 * logical types (INT32/INT64, UTF8, DOUBLE, BOOLEAN, DECIMAL(p,s), DATE, TIMESTAMP(MICROS,
 * UTC-adjusted)), nulls, and row groups flushed as they fill, so memory does not grow with the
 * table. Why this library and not parquetjs: docs/ARCHITECTURE.md. Used by the parquet sink and
 * by the Delta Lake writer.
 *
 * Each batch crosses into WebAssembly as a small Arrow IPC stream; the wasm table is freed as
 * soon as its record batch is taken out (wasm memory is not garbage collected).
 */
export const PARQUET_CODECS = ['snappy', 'zstd', 'gzip', 'brotli', 'lz4', 'none'] as const;
export type ParquetCodec = (typeof PARQUET_CODECS)[number];

export interface ParquetWriteOptions {
  compression?: ParquetCodec;
  /** auto: only columns with a declared value set (and booleans); all; none. */
  dictionary?: 'auto' | 'all' | 'none';
  rowGroupRows?: number;
}

/** Rows per record batch handed to the writer: fixed, so the file's bytes do not depend on the input's batch sizes. */
export const PARQUET_BATCH_ROWS = 8192;

/**
 * Write batches as one Parquet file to `out` (not closed here). A table with no rows is still a
 * file with its schema, as long as one (empty) batch arrives; no batch at all is an error.
 * Returns the number of rows written.
 *
 * Batches are re-chunked to PARQUET_BATCH_ROWS first: arrow-rs cuts pages and row groups where
 * the batches it is given end, so same rows give the same bytes whatever the batch size.
 */
export async function writeParquet(out: Output, batches: AsyncIterable<Batch>, options: ParquetWriteOptions = {}): Promise<number> {
  const input = rechunk(batches, PARQUET_BATCH_ROWS)[Symbol.asyncIterator]();
  const first = await input.next();
  if (first.done) throw new DatagenError('E_INPUT', 'parquet: no rows and no schema to write');
  // The first batch is converted here, before the writer starts: a value its type cannot hold
  // is then the same one-line error as in any later batch.
  const head = parquetPiece(first.value);
  let rows = first.value.rows.length;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    yield head;
    for (;;) {
      const next = await input.next();
      if (next.done) return;
      rows += next.value.rows.length;
      yield parquetPiece(next.value);
    }
  }
  await writeParquetPieces(out, first.value.schema, pieces(), options);
  return rows;
}

/**
 * One record batch (PARQUET_BATCH_ROWS rows, the last fewer) as the Arrow IPC stream the wasm
 * writer takes: the JavaScript half of writing Parquet, which worker threads can do.
 */
export function parquetPiece(batch: Batch): Uint8Array {
  return RecordBatchStreamWriter.writeAll([toRecordBatch({ ...batch, schema: parquetSchema(batch.schema) })]).toUint8Array(true);
}

/** Write the pieces (parquetPiece, in order) as one Parquet file to `out`: the wasm half. */
export async function writeParquetPieces(out: Output, schema: Schema, pieces: AsyncIterable<Uint8Array>, options: ParquetWriteOptions = {}, done?: (piece: Uint8Array) => void): Promise<void> {
  const pw = parquetWasm();
  const input = pieces[Symbol.asyncIterator]();
  const first = await input.next();
  if (first.done) throw new DatagenError('E_INPUT', 'parquet: no rows and no schema to write');
  // The wasm writer, given no batch, fails with an error of its own: it gets the first one at once.
  let pending: ParquetWasm.RecordBatch | undefined = toWasmBatch(pw, first.value);
  done?.(first.value);
  const props = writerProperties(pw, schema, options);
  // An error upstream (a broken input line, a value the type cannot hold) must fail the write:
  // the wasm writer would otherwise end the file early and report success. It is kept here,
  // the stream is ended, and the error is thrown once the writer has stopped.
  let failure: unknown;
  const wasmBatches = new ReadableStream<ParquetWasm.RecordBatch>({
    async pull(controller) {
      try {
        if (pending) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        const next = await input.next();
        if (next.done) return controller.close();
        controller.enqueue(toWasmBatch(pw, next.value));
        // The bytes are in wasm memory now: the piece's buffer may be reused.
        done?.(next.value);
      } catch (err) {
        failure = err;
        controller.close();
      }
    },
  });
  try {
    const reader = (await pw.transformParquetStream(wasmBatches, props)).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (failure || done) break;
      await out.write(value as Uint8Array);
    }
  } catch (err) {
    // The writer stopped because the input failed: that failure is the error to report.
    if (failure) throw failure;
    if (err instanceof DatagenError || (err as { code?: string }).code !== undefined) throw err;
    throw new DatagenError('E_OUTPUT', `parquet: the Parquet writer failed: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
  if (failure) throw failure;
}

/** The rows of a Parquet file (whole file in memory: for modest files such as Delta data files). */
export function readParquet(bytes: Uint8Array): { schema: Schema; batches: Batch[] } {
  const table = parquetWasm().readParquet(bytes);
  const arrowTable = tableFromIPC(table.intoIPCStream());
  let offset = 0;
  const batches = arrowTable.batches.map((rb) => {
    const batch = fromRecordBatch(rb, offset);
    offset += rb.numRows;
    return batch;
  });
  return { schema: engineSchema(arrowTable.schema), batches };
}

/**
 * Dictionary encoding pays off for a few distinct values and cost about a third of the write
 * time on unique ones (ids, timestamps; measured on loans), so by default only columns with a
 * declared value set get it. Statistics stay on: readers prune row groups with them.
 */
function writerProperties(pw: typeof ParquetWasm, schema: Schema, o: ParquetWriteOptions): ParquetWasm.WriterProperties {
  const codecs: Record<ParquetCodec, ParquetWasm.Compression> = {
    snappy: pw.Compression.SNAPPY,
    zstd: pw.Compression.ZSTD,
    gzip: pw.Compression.GZIP,
    brotli: pw.Compression.BROTLI,
    lz4: pw.Compression.LZ4_RAW,
    none: pw.Compression.UNCOMPRESSED,
  };
  const dictionary = o.dictionary ?? 'auto';
  let builder = new pw.WriterPropertiesBuilder()
    .setCompression(codecs[o.compression ?? 'snappy'])
    .setMaxRowGroupSize(o.rowGroupRows ?? 122_880)
    .setCreatedBy('datagen')
    .setDictionaryEnabled(dictionary === 'all');
  if (dictionary === 'auto') {
    for (const f of schema.fields) if (fieldValues(f) || f.type.typeId === Type.Bool) builder = builder.setColumnDictionaryEnabled(f.name, true);
  }
  return builder.build();
}

/**
 * Parquet has no TIME in seconds (arrow-rs would write a bare INT32), so time columns go in as
 * milliseconds, Parquet's TIME(MILLIS); the rest of the schema is written as declared.
 */
const parquetSchemas = new WeakMap<Schema, Schema>();
function parquetSchema(schema: Schema): Schema {
  let out = parquetSchemas.get(schema);
  if (!out) {
    const fields = schema.fields.map((f) => (f.type.typeId === Type.Time ? new Field(f.name, new TimeMillisecond(), f.nullable, f.metadata) : f));
    out = new Schema(fields, schema.metadata);
    parquetSchemas.set(schema, out);
  }
  return out;
}

function toWasmBatch(pw: typeof ParquetWasm, ipc: Uint8Array): ParquetWasm.RecordBatch {
  const table = pw.Table.fromIPCStream(ipc);
  try {
    return table.recordBatch(0)!;
  } finally {
    table.free();
  }
}

/** Loaded on first use: the wasm module is 5 MB and most commands never touch Parquet. */
let wasm: typeof ParquetWasm | undefined;
function parquetWasm(): typeof ParquetWasm {
  wasm ??= createRequire(import.meta.url)('parquet-wasm') as typeof ParquetWasm;
  return wasm;
}
