import { Args, Flags } from '@oclif/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDatagenError } from '../core/errors.js';
import { withOutput } from '../codecs/output.js';
import { renderCheckText } from '../check/format.js';
import { DatagenCommand } from './base.js';

/**
 * `datagen check PATH`: does this data still conform to its declaration, and is what is wrong
 * in it exactly what the ledger says was injected? Exit 0 yes, 1 no, 2 bad usage or input.
 */
export default class Check extends DatagenCommand {
  static override summary = 'Check files or a dataset folder against their declared schema, rules and relations, and score what is wrong against the anomaly ledger';
  static override description =
    'Reads a file (csv, jsonl, parquet, arrow, xlsx, or a .duckdb file the duckdb sink wrote), a folder of partitions, a Delta table or a dataset folder (with _manifest.json) through DuckDB. ' +
    'Per column it counts nulls, values not castable to the declared type, values outside the declared set, pattern or range, duplicate keys, ' +
    'FK orphans per relation and time-order violations, and sets each beside the ledger: match (found = injected), extra (found, not injected) or missed (injected, not found). ' +
    'Exit code 0 when the data matches its declaration and ledger, 1 otherwise, 2 on bad usage or unreadable input.';
  static override examples = [
    '$ datagen check raw',
    '$ datagen check raw --report report.html',
    '$ datagen check loans.parquet --schema loans --ledger anomalies.jsonl',
    '$ datagen check loans.csv --schema loans --json | jq ".findings[] | select(.status != \\"ok\\")"',
  ];
  static override args = { path: Args.string({ description: 'a data file, a folder of partitions, a Delta table or a dataset folder', required: true }) };
  static override flags = {
    schema: Flags.string({ description: 'the declaration to check against: a scenario name, dataset.table (retail.customers), or a YAML/TypeScript file (default: the manifest or the file\'s own metadata)' }),
    ledger: Flags.string({ description: 'the anomaly ledger to score against (default: the dataset folder\'s _ledger.jsonl)' }),
    json: Flags.boolean({ description: 'print the result as JSON' }),
    report: Flags.string({ description: 'also write a self-contained HTML report to this file' }),
    overwrite: Flags.boolean({ description: 'replace the --report file if it exists' }),
    all: Flags.boolean({ description: 'list every check, also those that found nothing' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Check);
    // Loaded here, not at start-up: every other command would pay for DuckDB's native module.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const { openCheckInput } = await import('../check/sources.js');
    const { runCheck } = await import('../check/run.js');
    const scratch = mkdtempSync(join(tmpdir(), 'datagen-check-'));
    // DuckDB spills to disk past its memory limit, so a large table is checked in bounded memory
    // (512 MB: 1M loans rows and their ledger check in about 3 s; 4M peak at about 0.9 GB RSS).
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: '512MB', temp_directory: scratch });
    const conn = await instance.connect();
    try {
      const input = await openCheckInput(conn, args.path, { schema: flags.schema, ledger: flags.ledger });
      try {
        const result = await runCheck(conn, input, { profile: flags.report !== undefined });
        if (flags.report) {
          const { renderReport } = await import('../check/report.js');
          const html = renderReport(result);
          await withOutput({ path: flags.report, overwrite: flags.overwrite }, async (out) => {
            await out.write(html);
          });
        }
        process.stdout.write(flags.json ? JSON.stringify(result, null, 2) + '\n' : renderCheckText(result, { all: flags.all }));
        if (flags.report) process.stderr.write(`datagen: wrote the report to ${flags.report}\n`);
        process.exitCode = result.ok ? 0 : 1;
      } finally {
        input.cleanup();
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  // Bad usage and unreadable input exit with 2, so CI can tell "the data is wrong" (1) from "the check could not run".
  override async catch(err: Error & { code?: string; oclif?: { exit?: number } }): Promise<void> {
    await super.catch(err);
    if (isDatagenError(err) || (err.oclif?.exit !== undefined && err.oclif.exit !== 0)) process.exitCode = 2;
  }
}
