import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { DatagenError } from '../core/errors.js';
import { withOutput } from '../codecs/output.js';
import { packageRoot, scenarioSchemaPath } from '../core/paths.js';
import { DatagenCommand } from './base.js';

/** `datagen new dataset <name>`: a commented multi-table dataset file that runs as written. */
export default class NewDataset extends DatagenCommand {
  static override summary = 'Write a new dataset (related tables) from the template: YAML (default) or TypeScript (--ts)';
  static override examples = [
    '$ datagen new dataset shop',
    '$ datagen new dataset shop --ts',
    '$ datagen generate ./shop.ts --scale 0.01 --out shop/',
  ];
  static override args = { name: Args.string({ description: 'dataset name: lower case letters, digits and _', required: true }) };
  static override flags = {
    ts: Flags.boolean({ description: 'write a TypeScript dataset instead of YAML' }),
    dir: Flags.string({ description: 'folder to write into', default: '.' }),
    overwrite: Flags.boolean({ description: 'replace the file if it exists' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NewDataset);
    if (!/^[a-z][a-z0-9_]*$/.test(args.name)) {
      throw new DatagenError('E_OPTION', `new dataset: name must be lower case letters, digits and _, starting with a letter, got ${JSON.stringify(args.name)}`);
    }
    const ext = flags.ts ? 'ts' : 'yml';
    const template = join(packageRoot(), 'templates', `dataset.${ext}`);
    if (!existsSync(template)) throw new DatagenError('E_OPTION', `new dataset: no ${ext === 'yml' ? 'YAML' : 'TypeScript'} dataset template in this version; use --ts`);
    const path = join(flags.dir, `${args.name}.${ext}`);
    const text = readFileSync(template, 'utf8').replaceAll('{{name}}', args.name).replaceAll('{{schema}}', scenarioSchemaPath());
    await withOutput({ path, overwrite: flags.overwrite }, (out) => out.write(text)); // an existing file: E_OUTPUT unless --overwrite
    // A path the shell takes as a file, not a registered name: ./ before a relative one.
    const arg = isAbsolute(path) ? path : `./${path.replace(/^\.\//, '')}`;
    process.stderr.write(`datagen: wrote ${path}; next: datagen generate ${arg} --scale 0.01 --out ${args.name}/\n`);
  }
}
