import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { DatagenError } from '../core/errors.js';
import { finishShards, LEDGER, MANIFEST, SUMMARY } from '../datasets/run.js';
import { findDataset, listDatasets } from '../registry.js';
import { DatagenCommand } from './base.js';
import { bytes, count, ledgerFileEntries, Progress, progressFlags } from './progress.js';
import type { DatasetDefinition } from '../core/dataset.js';
import { isScenarioFile } from '../core/paths.js';
import { isCodeFile, loadUnitFile } from './ts-file.js';

/**
 * `datagen finish <dataset> --shards n --out DIR`: the step after n shard runs (`generate
 * <dataset> --shard i/n`, on any machines, into one shared folder). It checks that every shard
 * completed and that they were made with the same options, then writes what spans shards: the
 * ledger, its summary and the manifest. Nothing is written when a check fails.
 */
export default class Finish extends DatagenCommand {
  static override summary = 'Finish a sharded dataset run: check every shard is there, then write the ledger, its summary and the manifest';
  static override examples = [
    '$ for i in 0 1 2 3; do datagen generate retail --scale 0.01 --shard $i/4 --out raw; done',
    '$ datagen finish retail --shards 4 --out raw',
    '$ datagen finish retail --shards 64 --out /mnt/lake/raw --seed 42 --scale 100',
  ];
  static override args = { dataset: Args.string({ description: 'the dataset the shards belong to: a name (see datagen list), or the YAML or TypeScript file it came from', required: true }) };
  static override flags = {
    shards: Flags.integer({ description: 'how many shards the run was cut into (the n of --shard i/n)', required: true, min: 1 }),
    out: Flags.string({ char: 'o', description: 'the folder the shards wrote into', required: true }),
    seed: Flags.integer({ description: 'check the shards were generated with this seed' }),
    scale: Flags.string({ description: 'check the shards were generated at this scale' }),
    verify: Flags.boolean({ description: "also read every file back and check its sha256 against the shard's record (default: sizes only)" }),
    ...progressFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Finish);
    const def = await datasetNamed(args.dataset);
    const scale = flags.scale === undefined ? undefined : Number(flags.scale);
    if (scale !== undefined && !(scale > 0)) throw new DatagenError('E_OPTION', `finish: --scale must be a number above 0, got ${JSON.stringify(flags.scale)}`);
    const started = performance.now();
    // One line while the shards are checked and joined (the time only: no rows move here).
    const p = new Progress({ quiet: flags.quiet, progress: flags.progress, draw: true });
    p.start(`finish ${def.name}`, undefined, false);
    let result: Awaited<ReturnType<typeof finishShards>>;
    try {
      result = await finishShards(def, flags.out, flags.shards, { seed: flags.seed, scale, verify: flags.verify });
    } catch (err) {
      p.stop();
      throw err;
    }
    if (flags.quiet) return p.stop();
    const rows = result.tables.reduce((n, t) => n + t.rows, 0);
    // Bytes of the tables' files (from the manifest); anomalies: the entries of the ledger just written.
    const data = result.files.filter((f) => !f.table.startsWith('_')).reduce((s, f) => s + f.bytes, 0);
    p.stop(
      `finished ${def.name} in ${flags.out} from ${flags.shards} shards in ${((performance.now() - started) / 1000).toFixed(1)}s: ${result.tables.length} tables, ${count(rows)} rows, ` +
        `${count(result.files.length)} files; ${bytes(data)}, ${count(ledgerFileEntries(join(flags.out, LEDGER)))} anomalies in ${LEDGER} and ${SUMMARY}, every file in ${MANIFEST}`,
    );
  }
}

/** A registered dataset, or the one a YAML or TypeScript file declares (as `generate` read it). */
async function datasetNamed(arg: string): Promise<DatasetDefinition> {
  if (isScenarioFile(arg) || isCodeFile(arg)) {
    const def = isCodeFile(arg) ? (await loadUnitFile(arg)).def : (await import('../yaml/yaml-dataset.js')).loadYamlUnit(arg);
    if (def.unit !== 'dataset') throw new DatagenError('E_OPTION', `finish: ${arg} declares a scenario, not a dataset: a scenario's shards are files of rows, with nothing to finish`);
    return def as DatasetDefinition;
  }
  if (!listDatasets().some((d) => d.name === arg)) {
    throw new DatagenError('E_UNKNOWN_UNIT', `finish: unknown dataset '${arg}' (datasets: ${listDatasets().map((d) => d.name).join(', ')}; or a .yml/.ts file)`);
  }
  return findDataset(arg);
}
