import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, SUMMARIES_ONLY, tempDir } from '../helpers.js';
import { pendingCases, runCases, runScript, type HostileCase, type PendingCase } from './hostile-harness.js';

/**
 * Hostile Arrow IPC on stdin: a real `datagen pipe loans --ipc` stream and a real IPC file, cut
 * at many byte offsets or with garbage where messages should be; streams of types datagen does
 * not read. Each ends with one E_INPUT line and no output: a cut stream is never taken for a
 * shorter table.
 */

let STREAM: Buffer;
let FILE: Buffer;

beforeAll(() => {
  const dir = tempDir('datagen-hostile-ipc-');
  const cli = process.env.DATAGEN_BIN ?? BIN;
  const pipe = spawnSync(process.execPath, [cli, 'pipe', 'loans', '--rows', '3000', '--seed', '1', '--ipc'], { env: cliEnv, maxBuffer: 1 << 26 });
  expect(pipe.status, pipe.stderr?.toString()).toBe(0);
  STREAM = pipe.stdout;
  const gen = spawnSync(process.execPath, [cli, 'generate', 'loans', '--rows', '3000', '--seed', '1', '--out', 'l.arrow', '-q'], { cwd: dir, env: cliEnv });
  expect(gen.status, gen.stderr?.toString()).toBe(0);
  FILE = readFileSync(join(dir, 'l.arrow'));
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

const TARGETS: Record<string, { cmd: string; out: string }> = {
  csv: { cmd: 'csv --out out.csv', out: 'out.csv' },
  jsonl: { cmd: 'jsonl --out out.jsonl', out: 'out.jsonl' },
  parquet: { cmd: 'parquet --out out.parquet', out: 'out.parquet' },
  arrow: { cmd: 'arrow --out out.arrow', out: 'out.arrow' },
  xlsx: { cmd: 'xlsx --out out.xlsx', out: 'out.xlsx' },
  delta: { cmd: 'delta --out tbl', out: 'tbl' },
  'parquet partitioned': { cmd: 'parquet --partition-by status --out parts/', out: 'parts' },
  noise: { cmd: 'noise --rate 0.5 --ledger led.jsonl', out: 'led.jsonl' },
  missing: { cmd: 'missing --rate 0.5 --ledger led.jsonl', out: 'led.jsonl' },
  malform: { cmd: 'malform --rate 0.5 --ledger led.jsonl', out: 'led.jsonl' },
};

function into(target: keyof typeof TARGETS, what: string, input: Buffer, code = 'E_INPUT', message?: RegExp, flags = ''): HostileCase {
  const t = TARGETS[target]!;
  return {
    name: `${what} -> ${target}${flags ? ` ${flags}` : ''}`,
    script: `cat in.bin | $D ${t.cmd}${flags ? ` ${flags}` : ''}`,
    setup: { 'in.bin': input },
    code,
    absent: [t.out],
    message,
  };
}

/** An IPC stream of one column `a` of `type` (built here: datagen never writes these types). */
const streamOf = (vector: A.Vector) => Buffer.from(A.tableToIPC(new A.Table({ a: vector }), 'stream'));

/** Deterministic non-ASCII bytes (an LCG). */
function garbage(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 777;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const MARKER = Buffer.from([0xff, 0xff, 0xff, 0xff]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
/** Length of the stream's first message (the schema): marker, length, flatbuffer, padded to 8. */
const schemaEnd = (s: Buffer) => 8 + s.readInt32LE(4);

function cases(): HostileCase[] {
  const n = STREAM.length;
  const f = FILE.length;
  const out: HostileCase[] = [];
  const CUT = /cut|ended before|not a readable Arrow/;
  // The stream cut at many offsets: inside the marker, the schema, a batch, the end marker.
  for (const at of [4, 6, 7, 8, 9, 100, schemaEnd(STREAM), schemaEnd(STREAM) + 4, 1000, 5000, Math.floor(n / 2), n - 9, n - 8, n - 5, n - 1]) {
    out.push(into('parquet', `stream cut at ${at === Math.floor(n / 2) ? 'half' : at > n - 10 ? `len-${n - at}` : at}`, STREAM.subarray(0, at), 'E_INPUT', CUT));
  }
  // Three bytes of the marker are not yet IPC: read as NDJSON, which they are not either.
  out.push(into('parquet', 'stream cut at 3', STREAM.subarray(0, 3), 'E_INPUT'));
  for (const target of ['csv', 'jsonl', 'arrow', 'xlsx', 'delta', 'parquet partitioned', 'noise', 'missing', 'malform'] as const) {
    out.push(into(target, 'stream cut at half', STREAM.subarray(0, Math.floor(n / 2)), 'E_INPUT', CUT));
  }
  // The IPC file cut before or inside its footer.
  for (const at of [6, 8, 64, Math.floor(f / 2), f - 100, f - 10, f - 6, f - 1]) {
    out.push(into('csv', `file cut at ${at > f - 200 ? `len-${f - at}` : at}`, FILE.subarray(0, at), 'E_INPUT', CUT));
  }
  out.push(into('parquet', 'file cut before its footer', FILE.subarray(0, f - 10), 'E_INPUT', CUT));
  out.push(into('delta', 'file cut before its footer', FILE.subarray(0, f - 10), 'E_INPUT', CUT));
  // Messages that are not messages.
  out.push(into('parquet', 'garbage after the continuation marker', Buffer.concat([MARKER, garbage(2000)]), 'E_INPUT'));
  out.push(into('csv', 'garbage after the continuation marker', Buffer.concat([MARKER, garbage(2000)]), 'E_INPUT'));
  out.push(into('parquet', 'huge metadata length', Buffer.concat([MARKER, int32(0x7fffffff), garbage(64)]), 'E_INPUT'));
  out.push(into('parquet', 'negative metadata length', Buffer.concat([MARKER, int32(-8), garbage(64)]), 'E_INPUT'));
  out.push(into('csv', 'zeroed schema', Buffer.concat([STREAM.subarray(0, 8), Buffer.alloc(schemaEnd(STREAM) - 8), STREAM.subarray(schemaEnd(STREAM))]), 'E_INPUT'));
  out.push(into('csv', 'ARROW1 then garbage', Buffer.concat([Buffer.from('ARROW1\0\0'), garbage(2000)]), 'E_INPUT'));
  out.push(into('csv', 'ARROW1 alone', Buffer.from('ARROW1'), 'E_INPUT'));
  out.push(into('parquet', 'end marker alone', Buffer.concat([MARKER, int32(0)]), 'E_INPUT'));
  out.push(into('parquet', 'schema message only, no end marker', STREAM.subarray(0, schemaEnd(STREAM)), 'E_INPUT', CUT));
  out.push(into('parquet', 'a batch with its body cut', STREAM.subarray(0, schemaEnd(STREAM) + 600), 'E_INPUT', CUT));
  // A stream whose columns are not the declared scenario's.
  out.push(into('parquet', 'stream of loans with --schema attendance', STREAM, 'E_INPUT', /attendance/, '--schema attendance'));
  // Types datagen does not read: refused as an input mistake, naming the column and its type.
  const unsupported: Array<[string, A.Vector]> = [
    ['List', A.vectorFromArray([[1, 2], [3]], new A.List(new A.Field('item', new A.Int32(), true)))],
    ['Struct', A.vectorFromArray([{ x: 1 }], new A.Struct([new A.Field('x', new A.Int32(), true)]))],
    ['Binary', A.vectorFromArray([new Uint8Array([1, 2])], new A.Binary())],
    // A dictionary of text is read as text (below); of numbers, it is not read.
    ['Dictionary', A.vectorFromArray([1, 2, 1], new A.Dictionary(new A.Int32(), new A.Int32()))],
    ['Null', A.vectorFromArray([null, null], new A.Null())],
    ['Duration', A.vectorFromArray([1n, 2n], new A.Duration(A.TimeUnit.SECOND))],
  ];
  for (const [name, vector] of unsupported) {
    out.push(into('parquet', `${name} column`, streamOf(vector), 'E_INPUT', new RegExp(`column 'a' has Arrow type ${escape(String(vector.type))}, which datagen does not read`)));
  }
  // Integers datagen cannot hold exactly (its numbers are doubles): refused, not rounded.
  out.push(into('csv', 'Int64 beyond 2^53', streamOf(A.vectorFromArray([2n ** 60n + 1n], new A.Int64())), 'E_INPUT', /row 0 column a holds 1152921504606846977, an integer beyond 2\^53/));
  out.push(into('delta', 'Int64 beyond 2^53', streamOf(A.vectorFromArray([5n, -(2n ** 53n)], new A.Int64())), 'E_INPUT', /row 1 column a holds -9007199254740992/));
  // A second stream after the first's end marker: read when its columns are the same (below),
  // refused when they are not, or when the bytes after the marker are not a stream.
  out.push(into('csv', 'a second stream of other columns', Buffer.concat([STREAM, streamOf(A.vectorFromArray([1], new A.Int32()))]), 'E_INPUT', /a second Arrow IPC stream follows the first one's end-of-stream marker, with other columns \(column 1 is a Int32/));
  out.push(into('parquet', 'a second stream cut', Buffer.concat([STREAM, STREAM.subarray(0, Math.floor(n / 2))]), 'E_INPUT', CUT));
  out.push(into('csv', 'a newline after the end marker', Buffer.concat([STREAM, Buffer.from('\n')]), 'E_INPUT', /bytes follow the Arrow IPC stream's end-of-stream marker/));
  out.push(into('jsonl', 'garbage after the end marker', Buffer.concat([STREAM, garbage(500)]), 'E_INPUT', /bytes follow the Arrow IPC stream's end-of-stream marker/));
  // Two IPC files: the second's footer describes the first's bytes; refused, not guessed at.
  out.push(into('csv', 'two concatenated files', Buffer.concat([FILE, FILE]), 'E_INPUT', /two files concatenated/));
  out.push(into('delta', 'two concatenated files', Buffer.concat([FILE, FILE]), 'E_INPUT', /two files concatenated/));
  // A merge into a missing table creates it: its key is checked first, so a mistyped key or a
  // key repeated in the input creates nothing.
  out.push(into('delta', 'merge by a key that is not a column', STREAM, 'E_UNKNOWN_COLUMN', /merge key 'nosuch' is not a column of the input/, '--mode merge --key nosuch'));
  out.push(into('delta', 'merge by a key repeated in the input', Buffer.concat([STREAM, STREAM]), 'E_INPUT', /key loan_id="LN0001" more than once \(row 3000\)/, '--mode merge'));
  out.push(into('delta', 'merge with no key', streamOf(A.vectorFromArray([1], new A.Int32())), 'E_OPTION', /merge needs --key/, '--mode merge'));
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Known gaps (not run by npm test; HOSTILE_PENDING=1 runs them). Built lazily: they need the fixtures. */
function pending(): PendingCase[] {
  return [];
}

describe('hostile Arrow IPC input: one line, E_INPUT, no output', () => {
  it('cut streams and files, garbage messages, a stream of another table', async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(45);
    expect(await runCases(all)).toEqual([]);
  }, 600_000);
  it('streams of the same columns one after another are one table; float16 and dictionary text read as values', async () => {
    const dir = tempDir('datagen-hostile-');
    const other = new A.Table({
      h: A.vectorFromArray([1.5, 2.5, -0.25], new A.Float16()),
      d: A.vectorFromArray(['x', 'y', 'x'], new A.Dictionary(new A.Utf8(), new A.Int8())),
    });
    try {
      writeFileSync(join(dir, 'one.bin'), STREAM);
      writeFileSync(join(dir, 'two.bin'), Buffer.concat([STREAM, STREAM]));
      writeFileSync(join(dir, 'other.bin'), A.tableToIPC(other, 'stream'));
      const r = await runScript('cat one.bin | $D csv --out one.csv && cat two.bin | $D csv --out two.csv && $D csv --out other.csv < other.bin', dir);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(SUMMARIES_ONLY); // the sink's summary line, nothing else
      const [header, ...rows] = readFileSync(join(dir, 'one.csv'), 'utf8').trimEnd().split('\n');
      expect(rows).toHaveLength(3000);
      expect(readFileSync(join(dir, 'two.csv'), 'utf8')).toBe([header, ...rows, ...rows].join('\n') + '\n');
      expect(readFileSync(join(dir, 'other.csv'), 'utf8')).toBe('h,d\n1.5,x\n2.5,y\n-0.25,x\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
  it('a whole stream of no rows (schema and end marker) is a valid empty table', async () => {
    const dir = tempDir('datagen-hostile-');
    const empty = Buffer.concat([STREAM.subarray(0, schemaEnd(STREAM)), MARKER, int32(0)]);
    try {
      writeFileSync(join(dir, 'in.bin'), empty);
      const r = await runScript('cat in.bin | $D csv --out out.csv', dir);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(SUMMARIES_ONLY); // the sink's summary line, nothing else
      expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe('loan_id,customer_id,created_at,amount,interest_rate,tenure_months,status,product_type,branch,credit_score_band\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

pendingCases('ipc', pending);
