import { Flags, type Command } from '@oclif/core';
import { dataset, datasetRunOptions, DEFAULT_OUT, runDatasetValue } from '../datasets/api.js';
import type { DatasetDefinition } from '../core/dataset.js';
import { MANIFEST, SUMMARY } from '../datasets/run.js';
import { DatagenCommand } from './base.js';
import { flagsFor, optionsFromFlags } from './flags.js';

/**
 * `datagen generate <dataset>`: one command per dataset, made from its declaration (its own
 * options, e.g. retail's --start/--end, become flags). It writes a folder of tables; progress
 * (a line per table) and the summary go to stderr.
 */
export function generateDatasetCommand(def: DatasetDefinition): Command.Class {
  return class extends DatagenCommand {
    static override summary = `Generate the ${def.name} dataset into a folder: ${def.summary}`;
    static override description = def.description;
    static override examples = def.examples.filter((e) => e.includes('generate')).map((e) => `$ ${e}`);
    static override flags = {
      ...flagsFor(datasetRunOptions),
      ...flagsFor(def.options),
      out: Flags.string({ char: 'o', description: `folder to write the tables, ledger and manifest into [default: ${DEFAULT_OUT}]` }),
      overwrite: Flags.boolean({ description: "replace an earlier run's files in --out (only what this dataset writes there)" }),
      quiet: Flags.boolean({ char: 'q', description: 'print no progress or summary on stderr' }),
    };

    async run(): Promise<void> {
      const { flags } = await this.parse(this.constructor as Command.Class);
      const value = dataset(def, { ...optionsFromFlags(def.name, datasetRunOptions, flags), ...optionsFromFlags(def.name, def.options, flags) });
      const out = (flags.out as string | undefined) ?? DEFAULT_OUT;
      const quiet = Boolean(flags.quiet);
      const say = (line: string) => {
        if (!quiet) process.stderr.write(`datagen: ${line}\n`);
      };
      const n = (x: number) => x.toLocaleString('en-US');
      const started = performance.now();
      let tableStarted = started;
      const result = await runDatasetValue(value, {
        out,
        overwrite: Boolean(flags.overwrite),
        onTable(e) {
          if (e.phase === 'start') tableStarted = performance.now();
          else say(`${def.name}: ${e.table}: ${n(e.rows ?? 0)} rows, ${n(e.files ?? 0)} file${e.files === 1 ? '' : 's'} (${((performance.now() - tableStarted) / 1000).toFixed(1)}s)`);
        },
      });
      const rows = result.tables.reduce((s, t) => s + t.rows, 0);
      const seconds = (performance.now() - started) / 1000;
      say(
        `wrote ${def.name} to ${out} in ${seconds.toFixed(1)}s: ${result.tables.length} table${result.tables.length === 1 ? '' : 's'}, ${n(rows)} rows, ${n(result.files.length)} files; ` +
          `anomalies in ${SUMMARY}, every file in ${MANIFEST}`,
      );
    }
  };
}
