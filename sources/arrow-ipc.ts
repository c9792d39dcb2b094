import type { Readable } from 'node:stream';
import { RecordBatchReader, type Schema } from 'apache-arrow';
import { fromRecordBatch } from '../src/arrow-batch.js';
import { DatagenError } from '../src/errors.js';
import { columnNames, kindOf, tableName } from '../src/schema.js';
import type { Batch, Source } from '../src/stage.js';

/**
 * Rows from an Arrow IPC stream (or file), e.g. `datagen pipe loans --ipc`. Types are exact:
 * decimals, dates and microsecond timestamps arrive as they left, and the schema's metadata
 * (table name, key columns, descriptions) travels with it.
 */
export interface ArrowIpcSourceOptions {
  input?: Readable;
  label?: string;
  /** A declared schema to check the stream against (by column names and kinds). */
  schema?: Schema;
}

export function arrowIpcSource(options: ArrowIpcSourceOptions = {}): Source {
  const input = options.input ?? process.stdin;
  const label = options.label ?? 'stdin';
  return {
    kind: 'source',
    name: 'arrow-ipc',
    schema: options.schema,
    async *batches(): AsyncGenerator<Batch> {
      let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
      try {
        reader = await RecordBatchReader.from(input as AsyncIterable<Uint8Array>);
        await reader.open();
      } catch (err) {
        throw new DatagenError('E_INPUT', `${label}: not a readable Arrow IPC stream (${(err as Error).message})`);
      }
      let offset = 0;
      let checked = false;
      for await (const rb of reader as AsyncIterable<import('apache-arrow').RecordBatch>) {
        if (!checked && options.schema) check(label, rb.schema, options.schema);
        checked = true;
        const batch = fromRecordBatch(rb, offset);
        offset += rb.numRows;
        // The declared schema carries what a bare stream may lack (key columns, value sets).
        yield options.schema ? { ...batch, schema: options.schema } : batch;
      }
    },
  };
}

function check(label: string, got: Schema, want: Schema): void {
  const g = got.fields.map((f) => `${f.name}:${kindOf(f.type)}`).join(',');
  const w = want.fields.map((f) => `${f.name}:${kindOf(f.type)}`).join(',');
  if (g !== w) {
    throw new DatagenError('E_INPUT', `${label}: the Arrow stream's columns (${columnNames(got).join(', ')}) are not those of ${tableName(want)} (${columnNames(want).join(', ')})`);
  }
}
