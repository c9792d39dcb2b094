import type { Schema } from 'apache-arrow';
import { openOutput } from './output.js';
import type { Batch } from './stage.js';

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
}

/** Where every file sink writes: declared once, so `--out` and `--overwrite` read the same everywhere. */
export const fileOptions = {
  path: { type: 'string', flag: 'out', char: 'o', description: 'file to write (default: stdout); written under a temporary name, renamed when complete; .gz compresses' },
  overwrite: { type: 'boolean', description: 'replace the file if it exists', default: false },
} as const;

export async function writeText(target: { path: string | undefined; overwrite?: boolean }, format: TextFormat, batches: AsyncIterable<Batch>): Promise<void> {
  const out = await openOutput(target.path, { overwrite: target.overwrite });
  try {
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
    await out.close();
  } catch (err) {
    out.abort();
    throw err;
  }
}
