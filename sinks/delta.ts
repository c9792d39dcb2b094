import { deltaTable, parseCommitTime, DEFAULT_ROWS_PER_FILE } from '../src/delta/table.js';
import { DatagenError } from '../src/core/errors.js';
import { PARQUET_CODECS, type ParquetCodec } from '../src/codecs/parquet-io.js';
import { defineSink } from '../src/core/units.js';

/**
 * A Delta Lake table (a folder of Parquet files and a `_delta_log/`): every run is one new
 * version. The table logic is in src/delta/; docs/delta.md has the details.
 */
export const deltaOptions = {
  path: { type: 'string', flag: 'out', char: 'o', required: true, description: 'table folder (its _delta_log/ is created on the first write)' },
  mode: {
    type: 'string',
    description: 'append (creates the table when missing), overwrite, merge (upsert by --key) or delete (by --where, no input rows)',
    default: 'append',
    choices: ['append', 'overwrite', 'merge', 'delete'],
  },
  key: { type: 'list', description: 'merge: key columns (default: the key columns recorded in the table schema)' },
  where: { type: 'string', description: 'delete: the rows to remove, as a --when condition, e.g. "qty<0"' },
  evolve: { type: 'boolean', description: 'add input columns the table lacks (schema evolution, as mergeSchema); without it they are refused', default: false },
  commitTime: {
    type: 'string',
    flag: 'commit-time',
    description: 'fix commit times for a reproducible table: version v gets this ISO instant + v seconds (default: the clock)',
  },
  rowsPerFile: { type: 'integer', flag: 'rows-per-file', description: 'rows per data file (a new Parquet file after this many)', default: DEFAULT_ROWS_PER_FILE, min: 1 },
  compression: { type: 'string', description: 'Parquet codec of data files', default: 'snappy', choices: PARQUET_CODECS },
  overwrite: { type: 'boolean', description: 'replace the table rows (same as --mode overwrite; earlier versions stay readable)', default: false },
} as const;

export const delta = defineSink({
  name: 'delta',
  summary: 'Write rows to a Delta Lake table folder: create, append, overwrite, merge (upsert by key) or delete',
  description: 'Each run commits one new version to <out>/_delta_log/; earlier versions stay readable (time travel).',
  examples: [
    'datagen generate loans --rows 100000 --format delta --out lake/loans',
    'datagen pipe loans --rows 1000 --seed 9 --ipc | datagen delta --out lake/loans --mode merge --key loan_id',
    'datagen pipe loans --rows 1000 | datagen delta --schema loans --out lake/loans2 --commit-time 2024-01-01T00:00:00Z',
    'datagen delta-delete --out lake/loans --where "status=REJECTED"',
  ],
  extensions: [],
  options: deltaOptions,
  create: (o) => {
    // Checked here, before any input is read.
    const mode = o.overwrite ? 'overwrite' : o.mode;
    if (o.overwrite && o.mode !== 'append' && o.mode !== 'overwrite') throw new DatagenError('E_OPTION', `delta: --overwrite replaces the table, which contradicts --mode ${o.mode}`);
    if (mode === 'delete' && !o.where) throw new DatagenError('E_OPTION', 'delta: --mode delete needs --where, e.g. --where "qty<0"');
    if (mode !== 'delete' && o.where !== undefined) throw new DatagenError('E_OPTION', `delta: --where applies to --mode delete, not ${mode}`);
    if (mode !== 'merge' && o.key !== undefined && o.key.length > 0) throw new DatagenError('E_OPTION', `delta: --key applies to --mode merge, not ${mode}`);
    if (o.commitTime !== undefined) parseCommitTime(o.commitTime);
    const table = deltaTable(o.path, { commitTime: o.commitTime, rowsPerFile: o.rowsPerFile, compression: o.compression as ParquetCodec });
    return async (batches) => {
      switch (mode) {
        case 'append':
          await table.append(batches, { evolve: o.evolve });
          return;
        case 'overwrite':
          await table.overwrite(batches, { evolve: o.evolve });
          return;
        case 'merge':
          await table.merge(batches, { key: o.key, evolve: o.evolve });
          return;
        default:
          for await (const b of batches) {
            if (b.rows.length > 0) throw new DatagenError('E_INPUT', 'delta: --mode delete takes no input rows (datagen delta-delete runs without stdin)');
          }
          await table.delete(o.where!);
      }
    };
  },
});
