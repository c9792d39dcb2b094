import type { Readable } from 'node:stream';
import { RecordBatchReader, type RecordBatch, type Schema } from 'apache-arrow';
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
  /** Called at the end of the stream with the rows read: throw to refuse a stream that ended early. */
  atEnd?(rows: number): void;
}

export function arrowIpcSource(options: ArrowIpcSourceOptions = {}): Source {
  const input = options.input ?? process.stdin;
  const label = options.label ?? 'stdin';
  return {
    kind: 'source',
    name: 'arrow-ipc',
    schema: options.schema,
    async *batches(): AsyncGenerator<Batch> {
      // apache-arrow's reader ends quietly where the bytes end, so a cut stream (the writer
      // died, a pipe broke) would read as a shorter table. The input's last bytes are watched
      // instead: a stream ends with its end-of-stream marker, a file with its footer's magic.
      const ending = new IpcEnding();
      const watched = ending.watch(input as AsyncIterable<Uint8Array>);
      const cut = () => new DatagenError('E_INPUT', `${label}: the Arrow IPC ${ending.isFile ? 'file ended before its footer' : 'stream ended before its end-of-stream marker'} (cut stream?)`);
      const unreadable = (err: unknown) =>
        ending.ended && !ending.complete() ? cut() : new DatagenError('E_INPUT', `${label}: not a readable Arrow IPC stream (${oneLine(err)})`);
      let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
      try {
        reader = await RecordBatchReader.from(watched);
        await reader.open();
      } catch (err) {
        throw unreadable(err);
      }
      let offset = 0;
      // One batch is held back: the end is checked (and atEnd called) before the last batch is
      // handed on, so a sink never takes a cut stream's rows for a whole table.
      let held: Batch | undefined;
      const it = (reader as AsyncIterable<RecordBatch>)[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<RecordBatch>;
        try {
          next = await it.next();
        } catch (err) {
          throw unreadable(err);
        }
        if (next.done) break;
        const rb = next.value;
        const batch = fromRecordBatch(rb, offset);
        if (offset === 0 && !held && options.schema) check(label, batch.schema, options.schema);
        offset += rb.numRows;
        if (held) yield held;
        // The declared schema carries what a bare stream may lack (key columns, value sets).
        held = options.schema ? { ...batch, schema: options.schema } : batch;
      }
      // The reader stops at the end-of-stream marker; when it stopped because the bytes ran out,
      // they must have ended with one.
      if (ending.ended && !ending.complete()) throw cut();
      options.atEnd?.(offset);
      if (held) yield held;
    },
  };
}

const EOS = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
const MAGIC = Buffer.from('ARROW1');

/** Watches a byte stream's first and last bytes, to tell a whole IPC stream or file from a cut one. */
class IpcEnding {
  private head = Buffer.alloc(0);
  private tail = Buffer.alloc(0);
  ended = false;

  async *watch(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of input) {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (this.head.length < 6) this.head = Buffer.concat([this.head, bytes.subarray(0, 6 - this.head.length)]);
      this.tail = Buffer.concat([this.tail, bytes.subarray(Math.max(0, bytes.length - 8))]);
      this.tail = this.tail.subarray(Math.max(0, this.tail.length - 8));
      yield chunk;
    }
    this.ended = true;
  }

  get isFile(): boolean {
    return this.head.equals(MAGIC);
  }

  /** The bytes seen end as a whole stream (end-of-stream marker) or file (footer magic) does. */
  complete(): boolean {
    if (this.isFile) return this.tail.length >= 6 && this.tail.subarray(this.tail.length - 6).equals(MAGIC);
    // The pre-1.0 marker is 4 zero bytes without the continuation word.
    return this.tail.equals(EOS) || (this.tail.length >= 4 && this.tail.readUInt32LE(this.tail.length - 4) === 0 && this.head.length >= 4 && this.head.readUInt32LE(0) !== 0xffffffff);
  }
}

function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

function check(label: string, got: Schema, want: Schema): void {
  const g = got.fields.map((f) => `${f.name}:${kindOf(f.type)}`).join(',');
  const w = want.fields.map((f) => `${f.name}:${kindOf(f.type)}`).join(',');
  if (g !== w) {
    throw new DatagenError('E_INPUT', `${label}: the Arrow stream's columns (${columnNames(got).join(', ')}) are not those of ${tableName(want)} (${columnNames(want).join(', ')})`);
  }
}
