import type { Command } from '@oclif/core';
import { deltaOptions } from '../../sinks/delta.js';
import { deltaTable } from '../delta/table.js';
import { normalizeOptions } from '../core/options.js';
import { DatagenCommand } from './base.js';
import { flagsFor, optionsFromFlags } from './flags.js';

/**
 * `datagen delta-delete`: a DELETE on a Delta table. A separate command because the `delta`
 * sink command reads rows from stdin, and a delete has none to read.
 */
const options = {
  path: deltaOptions.path,
  where: { ...deltaOptions.where, required: true },
  commitTime: deltaOptions.commitTime,
  rowsPerFile: deltaOptions.rowsPerFile,
  compression: deltaOptions.compression,
} as const;

export default class DeltaDelete extends DatagenCommand {
  static override summary = 'Delete the rows matching a condition from a Delta Lake table (one new version; earlier ones stay readable)';
  static override examples = ['$ datagen delta-delete --out lake/returns --where "qty<0"', '$ datagen delta-delete --out lake/loans --where "status=REJECTED && amount<6000"'];
  static override flags = { ...flagsFor(options) };

  async run(): Promise<void> {
    const { flags } = await this.parse(this.constructor as Command.Class);
    const o = normalizeOptions('delta-delete', options, optionsFromFlags('delta-delete', options, flags));
    const table = deltaTable(o.path, { commitTime: o.commitTime, rowsPerFile: o.rowsPerFile, compression: o.compression as never });
    const r = await table.delete(o.where);
    process.stderr.write(`datagen: deleted ${r.rowsDeleted.toLocaleString('en-US')} rows from ${o.path} (version ${r.version})\n`);
  }
}
