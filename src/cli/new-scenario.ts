import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { DatagenError } from '../core/errors.js';
import { withOutput } from '../codecs/output.js';
import { packageRoot, scenarioSchemaPath } from '../core/paths.js';
import { DatagenCommand } from './base.js';

/** `datagen new scenario <name>`: a commented scenario file that runs as written. */
export default class NewScenario extends DatagenCommand {
  static override summary = 'Write a new scenario from the template: YAML (default) or TypeScript (--ts)';
  static override examples = [
    '$ datagen new scenario warehouse_moves',
    '$ datagen generate ./warehouse_moves.yml --rows 50000 --out moves.csv',
    '$ datagen new scenario warehouse_moves --ts --dir src/scenarios',
    '$ datagen new scenario warehouse_moves --overwrite',
  ];
  static override args = { name: Args.string({ description: 'scenario name: lower case letters, digits and _', required: true }) };
  static override flags = {
    ts: Flags.boolean({ description: 'write a TypeScript scenario instead of YAML' }),
    dir: Flags.string({ description: 'folder to write into', default: '.' }),
    // --overwrite as in every other command; --force (its old name) still works, hidden.
    overwrite: Flags.boolean({ description: 'replace the file if it exists', aliases: ['force'] }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NewScenario);
    if (!/^[a-z][a-z0-9_]*$/.test(args.name)) {
      throw new DatagenError('E_OPTION', `new scenario: name must be lower case letters, digits and _, starting with a letter, got ${JSON.stringify(args.name)}`);
    }
    const ext = flags.ts ? 'ts' : 'yml';
    const path = join(flags.dir, `${args.name}.${ext}`);
    const camel = args.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const text = readFileSync(join(packageRoot(), 'templates', `scenario.${ext}`), 'utf8')
      .replaceAll('{{name}}', args.name)
      .replaceAll('{{camel}}', camel)
      .replaceAll('{{schema}}', scenarioSchemaPath());
    await withOutput({ path, overwrite: flags.overwrite }, (out) => out.write(text)); // an existing file: E_OUTPUT unless --overwrite
    // A path the shell takes as a file, not a registered name: ./ before a relative one.
    const arg = isAbsolute(path) ? path : `./${path.replace(/^\.\//, '')}`;
    process.stderr.write(`datagen: wrote ${path}; next: datagen generate ${arg} --rows 1000 --out ${args.name}.csv\n`);
  }
}
