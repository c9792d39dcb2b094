import type { Schema } from 'apache-arrow';
import { IpcEncoder, rechunk } from '../src/codecs/arrow-batch.js';
import { withOutput } from '../src/codecs/output.js';
import { fileOptions } from '../src/codecs/text-sink.js';
import { defineSink } from '../src/core/units.js';

/**
 * Arrow IPC, typed end to end: decimals, dates and microsecond timestamps stay exact. The file
 * format (`.arrow`, also called Feather v2) has a footer for random access; the stream format
 * (`.arrows`, and stdout) is what `datagen pipe --ipc` sends and every datagen command that
 * reads stdin recognises.
 *
 * Record batches hold --record-batch-rows rows (the last one fewer) whatever batch sizes come
 * in, so the same rows give the same bytes for any --batch-size upstream.
 */
export const arrow = defineSink({
  name: 'arrow',
  aliases: ['ipc'],
  summary: 'Write rows as Arrow IPC (file or stream) to a file or stdout',
  examples: [
    'datagen generate loans --rows 1000000 --out loans.arrow',
    'datagen pipe loans --rows 1000 --ipc | datagen arrow --out loans.arrows',
  ],
  extensions: ['.arrow', '.arrows', '.feather'],
  options: {
    ...fileOptions,
    format: { type: 'string', description: 'IPC file or stream (default: stream for stdout and .arrows, file otherwise)', choices: ['file', 'stream'] },
    recordBatchRows: { type: 'integer', flag: 'record-batch-rows', description: 'rows per record batch (the last one fewer), whatever the input batch size', default: 8192, min: 1 },
  },
  create: (o) => async (batches) => {
    const toStdout = o.path === undefined || o.path === '-';
    const format = o.format ?? (toStdout || o.path!.toLowerCase().endsWith('.arrows') ? 'stream' : 'file');
    await withOutput(o, async (out) => {
      const encoder = new IpcEncoder(format as 'file' | 'stream');
      let schema: Schema | undefined;
      for await (const batch of rechunk(batches, o.recordBatchRows)) {
        schema = batch.schema;
        if (batch.rows.length > 0) await out.write(encoder.encode(batch));
      }
      await out.write(encoder.finish(schema));
    });
  },
});
