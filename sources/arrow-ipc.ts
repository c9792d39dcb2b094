import type { Readable } from 'node:stream';
import { RecordBatch, RecordBatchReader, type Field, type Schema } from 'apache-arrow';
import { checkReadable, fromRecordBatch } from '../src/codecs/arrow-batch.js';
import { DatagenError } from '../src/core/errors.js';
import { columnNames, kindOf, tableName } from '../src/core/schema.js';
import type { Batch, Source } from '../src/core/stage.js';

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
      const trailing = () => new DatagenError('E_INPUT', `${label}: bytes follow the Arrow IPC stream's end-of-stream marker that are not a whole second stream (cut, or not Arrow)`);
      const unreadable = (err: unknown) =>
        ending.ended && !ending.complete() ? cut() : new DatagenError('E_INPUT', `${label}: not a readable Arrow IPC stream (${oneLine(err)})`);
      let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
      try {
        reader = await RecordBatchReader.from(watched);
        // Not closed at the first end-of-stream marker: more streams may follow (below).
        await reader.open({ autoDestroy: false });
      } catch (err) {
        throw unreadable(err);
      }
      let offset = 0;
      // One batch is held back: the end is checked (and atEnd called) before the last batch is
      // handed on, so a sink never takes a cut stream's rows for a whole table.
      let held: Batch | undefined;
      let first: Schema | undefined;
      try {
        // `cat a.arrows b.arrows`: streams of the same columns are read as one table (the reader
        // alone would stop at the first end-of-stream marker and drop the rest unsaid).
        for (let stream = 1; ; stream++) {
          if (reader.schema) {
            if (!first) first = reader.schema;
            else {
              const diff = difference(first, reader.schema);
              if (diff) throw new DatagenError('E_INPUT', `${label}: a second Arrow IPC stream follows the first one's end-of-stream marker, with other columns (${diff})`);
            }
            checkReadable(reader.schema, label);
          }
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
            // A later stream's empty batches add nothing (the first one's stated the schema).
            if (stream > 1 && rb.numRows === 0) continue;
            // A later stream's batches are read in the first one's schema (same columns).
            const batch = fromRecordBatch(stream === 1 ? rb : new RecordBatch(first!, rb.data), offset, label);
            if (offset === 0 && !held && options.schema) check(label, batch.schema, options.schema);
            offset += rb.numRows;
            if (held) yield held;
            // The declared schema carries what a bare stream may lack (key columns, value sets).
            held = options.schema ? { ...batch, schema: options.schema } : batch;
          }
          // A file is read whole, by its footer.
          if (reader.isFile()) {
            checkFileLayout(reader, ending, label);
            break;
          }
          // The reader stopped at an end-of-stream marker or where the bytes ran out. Bytes that
          // remain prove the former: they must be a whole next stream.
          let closed: boolean;
          try {
            closed = (await reader.reset().open()).closed;
          } catch {
            throw trailing();
          }
          if (closed) break;
        }
      } finally {
        await reader.cancel();
      }
      // The reader stops at the end-of-stream marker; when it stopped because the bytes ran out,
      // they must have ended with one.
      if (ending.ended && !ending.complete()) throw ending.markerThenBytes() ? trailing() : cut();
      options.atEnd?.(offset);
      if (held) yield held;
    },
  };
}

const EOS = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
const MAGIC = Buffer.from('ARROW1');
/** Bytes of the input's end kept: an end marker and the few bytes after it the reader ignores. */
const TAIL = 24;

/** Watches a byte stream's first and last bytes, to tell a whole IPC stream or file from a cut one. */
class IpcEnding {
  private head = Buffer.alloc(0);
  /** The last bytes: a file's footer length and magic, a stream's end marker and what follows it. */
  private tail = Buffer.alloc(0);
  size = 0;
  ended = false;

  async *watch(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of input) {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (this.head.length < 6) this.head = Buffer.concat([this.head, bytes.subarray(0, 6 - this.head.length)]);
      this.tail = Buffer.concat([this.tail, bytes.subarray(Math.max(0, bytes.length - TAIL))]);
      this.tail = this.tail.subarray(Math.max(0, this.tail.length - TAIL));
      this.size += bytes.length;
      yield chunk;
    }
    this.ended = true;
  }

  get isFile(): boolean {
    return this.head.equals(MAGIC);
  }

  /** The bytes seen end as a whole stream (end-of-stream marker) or file (footer magic) does. */
  complete(): boolean {
    const last = (k: number) => this.tail.subarray(Math.max(0, this.tail.length - k));
    if (this.isFile) return last(6).equals(MAGIC);
    // The pre-1.0 marker is 4 zero bytes without the continuation word.
    return last(8).equals(EOS) || (this.tail.length >= 4 && last(4).readUInt32LE(0) === 0 && this.head.length >= 4 && this.head.readUInt32LE(0) !== 0xffffffff);
  }

  /**
   * A stream's end-of-stream marker followed by a few bytes, too few for the reader to call them
   * a message (a stray newline): the stream was whole, something was appended.
   */
  markerThenBytes(): boolean {
    const at = this.tail.lastIndexOf(EOS);
    return !this.isFile && at >= 0 && at + EOS.length < this.tail.length;
  }

  /** Where a whole file's footer starts (its length is stored before the closing magic). */
  footerStart(): number | undefined {
    return this.tail.length >= 10 ? this.size - 10 - this.tail.readInt32LE(this.tail.length - 10) : undefined;
  }
}

/**
 * A file's footer describes its batches by offset; its data must end where the footer starts
 * (an end-of-stream marker may sit between). Two files concatenated (`cat a.arrow b.arrow`)
 * have the second's footer, which points into the first file: the reader would read the
 * first file's batches as the second's, or garbage. Such input is refused, not guessed at.
 */
function checkFileLayout(reader: RecordBatchReader, ending: IpcEnding, label: string): void {
  const footer = reader.footer;
  const start = ending.footerStart();
  if (!footer || start === undefined) return;
  let end = 8; // the magic and its padding
  for (const blocks of [footer.dictionaryBatches(), footer.recordBatches()]) {
    for (const b of blocks) end = Math.max(end, Number(b.offset) + b.metaDataLength + Number(b.bodyLength));
  }
  if (footer.numRecordBatches > 0 && (start < end || start - end > EOS.length)) {
    throw new DatagenError('E_INPUT', `${label}: the Arrow IPC file holds ${start - end} bytes its footer does not describe (two files concatenated?); datagen reads one IPC file at a time`);
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

/**
 * Where a later stream's columns differ from the first's (name, type or nullability; metadata
 * may differ), for a message; undefined when they are the same.
 */
function difference(first: Schema, second: Schema): string | undefined {
  const same = (f: Field, g: Field | undefined) => g !== undefined && f.name === g.name && String(f.type) === String(g.type) && f.nullable === g.nullable;
  const i = first.fields.findIndex((f, k) => !same(f, second.fields[k]));
  const at = i < 0 ? first.fields.length : i;
  const show = (f: Field | undefined) => (f ? `${f.name} ${String(f.type)}${f.nullable ? '' : ' not null'}` : 'none');
  if (at === first.fields.length && at === second.fields.length) return undefined;
  return `column ${at + 1} is ${show(second.fields[at])}, in the first stream ${show(first.fields[at])}`;
}
