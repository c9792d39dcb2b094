import { Flags } from '@oclif/core';
import { integerFlag } from './flags.js';
import { Readable } from 'node:stream';
import { arrowIpcSource } from '../../sources/arrow-ipc.js';
import { DEFAULT_MAX_LINE, ndjsonSource } from '../../sources/ndjson.js';
import { stdinLink } from '../core/stdio-link.js';
import { randomUUID } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { DatagenError } from '../core/errors.js';
import { findScenario } from '../registry.js';
import type { Source } from '../core/stage.js';

/** Flags of every command that reads rows from stdin. */
export const inputFlags = {
  schema: Flags.string({
    description: "types of NDJSON input rows, by scenario name (default: the producer's schema when a datagen command pipes in, else inferred from the first rows; Arrow IPC input carries its own)",
  }),
  table: Flags.string({ description: 'table name recorded in the ledger when the schema is inferred', default: 'data' }),
  'max-line-length': integerFlag('max-line-length', { description: 'longest NDJSON input line accepted, in characters', default: DEFAULT_MAX_LINE, min: 1 }),
};

export type InputFormat = 'ndjson' | 'arrow';

export interface StdinInput {
  source: Source;
  format: InputFormat;
  /** The run id of the pipe this process is part of (the producer's, when it told us). */
  run: string;
}

/**
 * Rows from stdin, NDJSON or Arrow IPC: the first bytes tell which. An IPC stream starts with
 * the continuation marker 0xFFFFFFFF, an IPC file with "ARROW1"; anything else is read as
 * NDJSON. The peeked bytes are put back, so the chosen reader sees the whole input.
 *
 * When a datagen command pipes in, it has announced its schema and run out of band (see
 * src/core/stdio-link.ts): NDJSON rows get the producer's exact types, and a stream whose producer
 * did not finish is refused at its end, so no sink commits a cut stream.
 */
export async function stdinSource(command: string, flags: { schema?: string; table?: string; 'max-line-length'?: number }): Promise<StdinInput> {
  if (process.stdin.isTTY) {
    throw new DatagenError('E_NO_INPUT', `${command} reads rows from stdin; pipe some in, e.g. npx datagen pipe attendance | npx datagen ${command}`);
  }
  if (stdinIsFolder()) throw new DatagenError('E_INPUT', `${command}: stdin is a folder; pipe rows in or redirect a file (< rows.ndjson)`);
  const declared = flags.schema === undefined ? undefined : findScenario(flags.schema).schema;
  const { head, whole } = await peek(process.stdin);
  const link = stdinLink();
  if (!head && link?.failedEarly()) throw new DatagenError('E_UPSTREAM', `${command}: the command before it in the pipe failed`);
  if (!head && !link?.schema && !declared) {
    throw new DatagenError('E_NO_INPUT', `${command}: stdin is empty: no rows and no schema to write (pipe rows in, e.g. npx datagen pipe attendance | npx datagen ${command})`);
  }
  const format = detectFormat(head);
  const atEnd = (rows: number) => {
    if (!link) return;
    const end = link.end();
    if (end?.failed) throw new DatagenError('E_UPSTREAM', `${command}: the command before it in the pipe failed`);
    if (!end) {
      throw new DatagenError('E_INPUT', `stdin: the stream ended before its producer (datagen, pid ${link.announcement.pid}) finished, after ${rows.toLocaleString('en-US')} rows: a cut stream; nothing written`);
    }
    if (end.rows !== rows) {
      throw new DatagenError('E_INPUT', `stdin: ${rows.toLocaleString('en-US')} rows arrived of the ${end.rows.toLocaleString('en-US')} its producer (pid ${link.announcement.pid}) wrote; nothing written`);
    }
  };
  const source =
    format === 'arrow'
      ? arrowIpcSource({ input: whole, label: 'stdin', schema: declared, atEnd })
      : ndjsonSource({ input: whole, label: 'stdin', schema: declared ?? link?.schema, table: flags.table, maxLineLength: flags['max-line-length'], atEnd });
  return { source, format, run: link?.announcement.run ?? newRunId() };
}

/** A run id: which stages wrote a ledger's lines together (not data, so not seeded). */
export function newRunId(): string {
  return randomUUID();
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

function stdinIsFolder(): boolean {
  try {
    return fstatSync(0).isDirectory();
  } catch {
    return false;
  }
}
