import * as A from 'apache-arrow';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fromRecordBatch } from '../src/codecs/arrow-batch.js';
import type { Row } from '../src/core/schema.js';
import { arrowIpcSource } from '../sources/arrow-ipc.js';

/**
 * Arrow IPC from other writers (pyarrow, DuckDB, Spark): every type datagen holds read exactly
 * or refused naming the row and column, never rounded or read as raw bits; types it does not
 * hold refused by name; concatenated streams read as one table, concatenated files refused.
 * In-process, on IPC bytes apache-arrow builds here.
 */

const streamOf = (columns: Record<string, A.Vector>) => Buffer.from(A.tableToIPC(new A.Table(columns), 'stream'));
const fileOf = (columns: Record<string, A.Vector>) => Buffer.from(A.tableToIPC(new A.Table(columns), 'file'));
/** A vector straight from its value buffer (builders round some of these types). */
const raw = (type: A.DataType, length: number, data: ArrayBufferView, nullBitmap?: Uint8Array) =>
  A.makeVector(A.makeData({ type, length, data, nullBitmap, nullCount: nullBitmap ? -1 : 0 } as never));

/** All rows of IPC bytes through the stdin reader, fed in small chunks (as a pipe does). */
async function read(bytes: Buffer, chunk = 1000): Promise<{ rows: Row[]; offsets: number[] }> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  const rows: Row[] = [];
  const offsets: number[] = [];
  for await (const b of arrowIpcSource({ input: Readable.from(chunks) }).batches()) {
    offsets.push(b.offset);
    rows.push(...b.rows);
  }
  return { rows, offsets };
}
const column = async (bytes: Buffer, name = 'a') => (await read(bytes)).rows.map((r) => r[name]);

describe('Arrow IPC input: numbers exactly or not at all', () => {
  it('float32 and float16 read as the decimals written, not their raw bits or binary expansions', async () => {
    const f32 = A.vectorFromArray([1.1, 0.1, -7.25, 123456.789, 3.4e38, 1e-40, 16777216, NaN, Infinity, null], new A.Float32());
    expect(await column(streamOf({ a: f32 }))).toEqual([1.1, 0.1, -7.25, 123456.79, 3.4e38, 1e-40, 16777216, NaN, Infinity, null]);
    // Float16 bits of 1.5, 2.5, -0.25, 0.1 (0x2E66 = 0.0999755859375), 65504 (the largest), 2^-24 (the smallest)
    const f16 = raw(new A.Float16(), 6, new Uint16Array([0x3e00, 0x4100, 0xb400, 0x2e66, 0x7bff, 0x0001]));
    expect(await column(streamOf({ a: f16 }))).toEqual([1.5, 2.5, -0.25, 0.1, 65500, 6e-8]);
    // Each value is the shortest decimal that is still nearest to the stored float.
    expect(Math.fround(123456.79)).toBe(Math.fround(123456.789));
    expect(A.util.float64ToUint16(6e-8)).toBe(1);
  });

  it('64-bit integers: exact up to 2^53 either side, refused beyond, naming the row, column and exact value', async () => {
    const ok = raw(new A.Int64(), 3, new BigInt64Array([2n ** 53n - 1n, -(2n ** 53n) + 1n, -5n]));
    expect(await column(streamOf({ a: ok }))).toEqual([2 ** 53 - 1, -(2 ** 53) + 1, -5]);
    const uok = raw(new A.Uint64(), 2, new BigUint64Array([2n ** 53n - 1n, 4_000_000_000n]));
    expect(await column(streamOf({ a: uok }))).toEqual([2 ** 53 - 1, 4_000_000_000]);
    const cases: Array<[A.DataType, ArrayBufferView, string]> = [
      [new A.Int64(), new BigInt64Array([1n, 2n ** 53n]), '9007199254740992'],
      [new A.Int64(), new BigInt64Array([1n, -(2n ** 53n)]), '-9007199254740992'],
      [new A.Int64(), new BigInt64Array([1n, 2n ** 60n + 1n]), '1152921504606846977'],
      [new A.Uint64(), new BigUint64Array([1n, 2n ** 63n + 5n]), '9223372036854775813'],
    ];
    for (const [type, data, text] of cases) {
      await expect(read(streamOf({ id: A.vectorFromArray([7, 8], new A.Int32()), big: raw(type, 2, data) }))).rejects.toMatchObject({
        code: 'E_INPUT',
        message: `stdin: row 1 column big holds ${text}, an integer beyond 2^53, which datagen cannot hold exactly (its numbers are doubles)`,
      });
    }
  });

  it('decimals of any width: exact, or refused when their digits pass 2^53', async () => {
    // decimal128(20,2): -1.50 and 12.34 as 128-bit two's complement words
    const words = new Uint32Array([0xffffff6a, 0xffffffff, 0xffffffff, 0xffffffff, 1234, 0, 0, 0]);
    expect(await column(streamOf({ a: raw(new A.Decimal(2, 20, 128), 2, words) }))).toEqual([-1.5, 12.34]);
    const wide = new Uint32Array(16);
    wide.set([150, 0, 0, 0, 0, 0, 0, 0], 0);
    wide.set([0xffffff9c, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], 8);
    const r256 = await read(streamOf({ a: raw(new A.Decimal(2, 40, 256), 2, wide) }));
    expect(r256.rows.map((r) => r.a)).toEqual([1.5, -1]);
    // 2^64 / 100 = 184467440737095516.16: its words above the second are not a sign
    const big = new Uint32Array([1, 0, 0, 0, 0, 0, 1, 0]);
    await expect(read(streamOf({ a: raw(new A.Decimal(2, 38, 128), 2, big) }))).rejects.toMatchObject({
      code: 'E_INPUT',
      message: expect.stringMatching(/^stdin: row 1 column a holds 184467440737095516\.16, a decimal whose digits go beyond 2\^53/),
    });
  });

  it('nanosecond timestamps past 2^53 are divided exactly (floor to the microsecond)', async () => {
    const ns = raw(new A.TimestampNanosecond('UTC'), 3, new BigInt64Array([1_700_000_000_123_456_789n, -1n, 1_700_000_000_123_456_999n]));
    expect(await column(streamOf({ a: ns }))).toEqual([1_700_000_000_123_456, -1, 1_700_000_000_123_456]);
  });
});

describe('Arrow IPC input: text encodings other writers use', () => {
  it('dictionary-encoded and large (64-bit offset) text read as strings, nulls kept', async () => {
    const dict = A.vectorFromArray(['a', 'bé', null, 'a'], new A.Dictionary(new A.Utf8(), new A.Int32()));
    const large = A.vectorFromArray(['x', 'yé', null, ''], new A.LargeUtf8());
    const { rows } = await read(streamOf({ d: dict, l: large }));
    expect(rows).toEqual([
      { d: 'a', l: 'x' },
      { d: 'bé', l: 'yé' },
      { d: null, l: null },
      { d: 'a', l: '' },
    ]);
  });

  it('a dictionary column is held as utf8 text (the writers see one spelling of text)', () => {
    const table = new A.Table({ d: A.vectorFromArray(['x', 'y'], new A.Dictionary(new A.Utf8(), new A.Int8())) });
    const batch = fromRecordBatch(table.batches[0]!, 0, 'in');
    expect(String(batch.schema.fields[0]!.type)).toBe('Utf8');
  });

  it('a column of a type datagen does not hold is refused by name and type', async () => {
    const list = A.vectorFromArray([[1, 2], [3]], new A.List(new A.Field('item', new A.Int32(), true)));
    await expect(read(streamOf({ id: A.vectorFromArray([1, 2], new A.Int32()), tags: list }))).rejects.toMatchObject({
      code: 'E_INPUT',
      message: expect.stringMatching(/^stdin: column 'tags' has Arrow type List<Int32>, which datagen does not read \(supported: .*utf8/),
    });
    // A stream of no rows states its schema: refused just the same.
    const empty = new A.Table({ s: A.vectorFromArray([], new A.Struct([new A.Field('x', new A.Int32(), true)])) });
    await expect(read(Buffer.from(A.tableToIPC(empty, 'stream')))).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining("column 's' has Arrow type Struct<{x:Int32}>") });
    // Dictionary-encoded numbers are not text.
    const dictInt = A.vectorFromArray([1, 2], new A.Dictionary(new A.Int32(), new A.Int32()));
    await expect(read(streamOf({ n: dictInt }))).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining("column 'n' has Arrow type Dictionary<Int32, Int32>") });
  });
});

describe('Arrow IPC input: more than one stream or file', () => {
  const a = () => streamOf({ id: A.vectorFromArray([1, 2, 3], new A.Int32()), s: A.vectorFromArray(['x', 'y', 'z'], new A.Utf8()) });
  const b = () => streamOf({ id: A.vectorFromArray([4, 5], new A.Int32()), s: A.vectorFromArray(['v', 'w'], new A.Utf8()) });

  it('streams of the same columns, one after another, read as one table (offsets continue)', async () => {
    for (const chunk of [7, 1000, 1 << 20]) {
      const { rows, offsets } = await read(Buffer.concat([a(), b(), a()]), chunk);
      expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 1, 2, 3]);
      expect(offsets).toEqual([0, 3, 5]);
    }
  });

  it('a second stream of other columns, bytes after the end marker, or a cut second stream: refused', async () => {
    const other = streamOf({ id: A.vectorFromArray([4n], new A.Int64()), s: A.vectorFromArray(['v'], new A.Utf8()) });
    await expect(read(Buffer.concat([a(), other]))).rejects.toMatchObject({
      code: 'E_INPUT',
      message: "stdin: a second Arrow IPC stream follows the first one's end-of-stream marker, with other columns (column 1 is id Int64, in the first stream id Int32)",
    });
    // A stray byte or a few (too few for the reader to call a message) and longer garbage, fed
    // in tiny chunks or all at once.
    for (const [tail, chunk] of [Buffer.from('\n'), Buffer.from('{"id": 4}\n'), Buffer.alloc(64, 0xab)].flatMap((t) => [[t, 3], [t, 1 << 20]] as const)) {
      await expect(read(Buffer.concat([a(), tail]), chunk)).rejects.toMatchObject({
        code: 'E_INPUT',
        message: "stdin: bytes follow the Arrow IPC stream's end-of-stream marker that are not a whole second stream (cut, or not Arrow)",
      });
    }
    const second = b();
    await expect(read(Buffer.concat([a(), second.subarray(0, second.length - 20)]))).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('cut') });
  });

  it('one IPC file reads; two files concatenated are refused (the second footer points into the first)', async () => {
    const f1 = fileOf({ id: A.vectorFromArray([1, 2, 3], new A.Int32()) });
    expect(await column(f1, 'id')).toEqual([1, 2, 3]);
    await expect(read(Buffer.concat([f1, f1]))).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('two files concatenated?') });
  });
});
