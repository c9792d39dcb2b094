import { Args, Flags } from '@oclif/core';
import { describeUnit, renderDescription } from '../describe.js';
import { isScenarioFile } from '../core/paths.js';
import { DatagenCommand } from './base.js';
import { isCodeFile, loadUnitFile } from './ts-file.js';

export default class Describe extends DatagenCommand {
  static override summary = 'Show a scenario (schema, rules, options) or a transform or sink (options)';
  static override examples = ['$ datagen describe attendance', '$ datagen describe noise', '$ datagen describe attendance --json', '$ datagen describe ./warehouse_moves.yml'];
  static override args = { name: Args.string({ description: 'scenario, transform or sink name, or a YAML scenario file', required: true }) };
  static override flags = { json: Flags.boolean({ description: 'print JSON instead of text' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Describe);
    // A .yml file is loaded only when asked for, so other commands never load yaml and ajv.
    const info = isScenarioFile(args.name)
      ? describeUnit((await import('../yaml/yaml-dataset.js')).loadYamlUnit(args.name))
      : isCodeFile(args.name)
        ? describeUnit((await loadUnitFile(args.name)).def) // a TypeScript file's default export
        : describeUnit(args.name);
    process.stdout.write(flags.json ? JSON.stringify(info, null, 2) + '\n' : renderDescription(info));
  }
}

