import { Flags } from '@oclif/core';
import { Readable } from 'node:stream';
import { arrowIpcSource } from '../../sources/arrow-ipc.js';
import { ndjsonSource } from '../../sources/ndjson.js';
import { DatagenError } from '../errors.js';
import { findScenario } from '../registry.js';
import type { Source } from '../stage.js';

/** Flags of every command that reads rows from stdin. */
export const inputFlags = {
  schema: Flags.string({ description: 'types of NDJSON input rows, by scenario name (default: inferred from the first rows; Arrow IPC input carries its own)' }),
  table: Flags.string({ description: 'table name recorded in the ledger when --schema is not given', default: 'data' }),
};

export type InputFormat = 'ndjson' | 'arrow';

/**
 * Rows from stdin, NDJSON or Arrow IPC: the first bytes tell which. An IPC stream starts with
 * the continuation marker 0xFFFFFFFF, an IPC file with "ARROW1"; anything else is read as
 * NDJSON. The peeked bytes are put back, so the chosen reader sees the whole input.
 */
export async function stdinSource(command: string, flags: { schema?: string; table?: string }): Promise<{ source: Source; format: InputFormat }> {
  if (process.stdin.isTTY) {
    throw new DatagenError('E_NO_INPUT', `${command} reads rows from stdin; pipe some in, e.g. datagen pipe attendance | datagen ${command}`);
  }
  const schema = flags.schema === undefined ? undefined : findScenario(flags.schema).schema;
  const { head, whole } = await peek(process.stdin);
  const format = detectFormat(head);
  const source =
    format === 'arrow'
      ? arrowIpcSource({ input: whole, label: 'stdin', schema })
      : ndjsonSource({ input: whole, label: 'stdin', schema, table: flags.table });
  return { source, format };
}

export function detectFormat(head: Buffer | null): InputFormat {
  if (head && head.length >= 4 && head.readUInt32LE(0) === 0xffffffff) return 'arrow';
  if (head && head.length >= 6 && head.toString('latin1', 0, 6) === 'ARROW1') return 'arrow';
  return 'ndjson';
}

/**
 * The first bytes of a stream (at least 6, when there are that many) and a stream that yields
 * everything, those bytes included, for the reader that is chosen from them.
 */
async function peek(stream: Readable): Promise<{ head: Buffer | null; whole: Readable }> {
  const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let size = 0;
  while (size < 6) {
    const next = await it.next();
    if (next.done) break;
    seen.push(next.value);
    size += next.value.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* seen;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head: size > 0 ? Buffer.concat(seen) : null, whole: Readable.from(all(), { objectMode: false }) };
}
