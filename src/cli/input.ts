import { Flags } from '@oclif/core';
import { ndjsonSource } from '../../sources/ndjson.js';
import { DatagenError } from '../errors.js';
import { findScenario } from '../registry.js';
import type { Source } from '../stage.js';

/** Flags of every command that reads rows from stdin. */
export const inputFlags = {
  schema: Flags.string({ description: "types of the input rows, by scenario name (default: inferred from the first rows)" }),
  table: Flags.string({ description: 'table name recorded in the ledger when --schema is not given', default: 'data' }),
};

export function stdinSource(command: string, flags: { schema?: string; table?: string }): Source {
  if (process.stdin.isTTY) {
    throw new DatagenError('E_NO_INPUT', `${command} reads rows from stdin; pipe some in, e.g. datagen pipe attendance | datagen ${command}`);
  }
  const schema = flags.schema === undefined ? undefined : findScenario(flags.schema).schema;
  return ndjsonSource({ input: process.stdin, label: 'stdin', schema, table: flags.table });
}
