import { Flags, type Command } from '@oclif/core';
import { dataset, datasetRunOptions, DEFAULT_OUT, runDatasetValue } from '../datasets/api.js';
import type { DatasetDefinition } from '../core/dataset.js';
import { join } from 'node:path';
import { LEDGER, MANIFEST, SUMMARY } from '../datasets/run.js';
import { bytes, count, ledgerFileEntries, Progress, progressFlags, type ProgressLine } from './progress.js';
import { DatagenCommand } from './base.js';
import { DatagenError } from '../core/errors.js';
import { isPostgresUrl } from '../../sinks/postgres.js';
import { parseShard } from '../core/shard.js';
import { parseWorkers } from '../scale/pool.js';
import { flagsFor, optionsFromFlags } from './flags.js';
import { existsSync, statSync } from 'node:fs';
import { isDuckdbPath } from '../../sinks/duckdb.js';

/**
 * `datagen generate <dataset>`: one command per dataset, made from its declaration (its own
 * options, e.g. retail's --start/--end, become flags). It writes a folder of tables; progress
 * (a line per table) and the summary go to stderr.
 */
export function generateDatasetCommand(def: DatasetDefinition, file?: string): Command.Class {
  return class extends DatagenCommand {
    static override summary = `Generate the ${def.name} dataset into a folder: ${def.summary}`;
    static override description = def.description;
    static override examples = [
      ...def.examples.filter((e) => e.includes('generate')).map((e) => `$ ${e}`),
      `$ datagen generate ${def.name} --scale 1 --workers auto --out data_raw`,
      `$ datagen generate ${def.name} --scale 100 --shard env/64 --out /mnt/lake/raw   # one of 64 shards (Kubernetes, Slurm); then datagen finish`,
    ];
    static override flags = {
      ...flagsFor(datasetRunOptions),
      ...flagsFor(def.options),
      out: Flags.string({ char: 'o', description: `folder to write the tables, ledger and manifest into [default: ${DEFAULT_OUT}]` }),
      overwrite: Flags.boolean({ description: "replace an earlier run's files in --out (only what this dataset writes there)" }),
      ...progressFlags,
      workers: Flags.string({ description: 'worker threads generating tables side by side (a number, or auto = one per core); the files are the same for any count', default: '1' }),
      increment: Flags.integer({
        description: 'add batch k (1, 2, ...) to the run already in --out: the next days of facts, late rows for earlier days, the dimensions\' changes (docs/increments.md)',
        min: 1,
      }),
      shards: Flags.integer({ description: 'cut every table into this many shards, all written here (the file layout of --shard i/n plus finish)', min: 1 }),
      shard: Flags.string({
        description: 'write only shard i of n (0-based), e.g. 3/64, beside the other shards in --out; env/64 takes i from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID. Then run datagen finish',
      }),
    };

    async run(): Promise<void> {
      const { flags } = await this.parse(this.constructor as Command.Class);
      const value = dataset(def, { ...optionsFromFlags(def.name, datasetRunOptions, flags), ...optionsFromFlags(def.name, def.options, flags) });
      const out = (flags.out as string | undefined) ?? DEFAULT_OUT;
      // Not a folder: without this the URL would become one (and its password a folder name).
      if (isPostgresUrl(out)) throw new DatagenError('E_OPTION', `generate ${def.name}: a dataset is a folder of tables and cannot go to a PostgreSQL URL yet; write a folder (--out ${DEFAULT_OUT}), or load single-table scenarios with --out postgres://...#table`);
      const quiet = Boolean(flags.quiet);
      // A line per table while it runs (drawn on a terminal), then its summary line.
      const p = new Progress({ quiet, progress: Boolean(flags.progress), draw: true });
      const say = (line: string) => p.say(line);
      const n = count;
      const started = performance.now();
      const running = new Map<string, ProgressLine>();
      const workers = parseWorkers(`generate ${def.name}`, flags.workers);
      // --out x.duckdb: every table into one DuckDB file (src/datasets/duckdb-run.ts).
      const toDuckdb = isDuckdbPath(out);
      const shard = flags.shard === undefined ? undefined : parseShard(`generate ${def.name}`, flags.shard as string);
      if (shard && flags.shards !== undefined && flags.shards !== shard.count) {
        throw new DatagenError('E_OPTION', `generate ${def.name}: --shard ${flags.shard as string} and --shards ${flags.shards as number} disagree on the shard count; give one of them`);
      }
      const shards = shard?.count ?? (flags.shards as number | undefined);
      const of = (e: { shard?: number }) => (shards && shards > 1 && e.shard !== undefined ? ` (shard ${e.shard}/${shards})` : '');
      let result: Awaited<ReturnType<typeof runDatasetValue>>;
      try {
        result = await runDatasetValue(value, {
          out,
          overwrite: Boolean(flags.overwrite),
          workers,
          ...(file ? { file } : {}),
          ...(shards !== undefined ? { shards } : {}),
          ...(shard && shard.count > 1 ? { shard: shard.index } : {}),
          ...(flags.increment !== undefined ? { increment: flags.increment as number } : {}),
          onTable(e) {
            const id = `${e.table}${of(e)}`;
            if (e.phase === 'start') {
              // Rows are counted where tables run in this thread (with --workers: the time only).
              running.set(id, p.start(`${def.name}: ${id}`, undefined, workers <= 1));
              return;
            }
            if (e.phase === 'rows') return void running.get(id)?.tick(e.rows ?? 0);
            const line = running.get(id);
            running.delete(id);
            if (line) p.end(line);
            const seconds = e.seconds ?? (line ? (performance.now() - line.started) / 1000 : 0);
            say(`${def.name}: ${id}: ${n(e.rows ?? 0)} rows, ${toDuckdb ? `table ${e.table}` : `${n(e.files ?? 0)} file${e.files === 1 ? '' : 's'}`} (${seconds.toFixed(1)}s)`);
          },
        });
      } catch (err) {
        p.stop();
        throw err;
      }
      if (shard && shard.count > 1) {
        p.stop(`wrote shard ${shard.index}/${shard.count} of ${def.name} to ${out} in ${((performance.now() - started) / 1000).toFixed(1)}s; when every shard is done: datagen finish ${def.name} --shards ${shard.count} --out ${out}`);
        return;
      }
      const rows = result.tables.reduce((s, t) => s + t.rows, 0);
      if (toDuckdb) {
        const size = existsSync(out) ? statSync(out).size : 0;
        p.stop(
          `wrote ${def.name} to ${out} in ${((performance.now() - started) / 1000).toFixed(1)}s: ${result.tables.length} table${result.tables.length === 1 ? '' : 's'}, ${n(rows)} rows; ` +
            `${bytes(size)}, ${n(result.anomalies ?? 0)} anomalies in table _ledger, the run in table _manifest`,
        );
        return;
      }
      const seconds = (performance.now() - started) / 1000;
      if (flags.increment !== undefined) {
        const files = result.files.length;
        p.stop(
          `wrote batch ${flags.increment as number} of ${def.name} to ${out} in ${seconds.toFixed(1)}s: ${n(rows)} rows in ${n(files)} new file${files === 1 ? '' : 's'}; ` +
            `what it added in _batches/${String(flags.increment).padStart(5, '0')}.json, every file in ${MANIFEST}`,
        );
        return;
      }
      // Bytes of the tables' files (from the manifest); anomalies: the entries of the run's ledger.
      const data = result.files.filter((f) => !f.table.startsWith('_')).reduce((s, f) => s + f.bytes, 0);
      const injected = quiet ? 0 : ledgerFileEntries(join(out, LEDGER));
      p.stop(
        `wrote ${def.name} to ${out} in ${seconds.toFixed(1)}s: ${result.tables.length} table${result.tables.length === 1 ? '' : 's'}, ${n(rows)} rows, ${n(result.files.length)} files; ` +
          `${bytes(data)}, ${n(injected)} anomalies in ${SUMMARY}, every file in ${MANIFEST}`,
      );
    }
  };
}
