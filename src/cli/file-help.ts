import { Help, type Command, type Hook } from '@oclif/core';
import { isScenarioFile } from '../core/paths.js';

/**
 * oclif's `init` hook: `datagen generate ./shop.yml --help` (or a .ts file) shows the help of
 * the command the file makes — its own flags, a dataset's or a scenario's — rather than the
 * help of `generate` itself, which oclif would print before the file is ever read.
 */
const hook: Hook.Init = async function (opts) {
  const verb = opts.id;
  if (verb !== 'generate' && verb !== 'pipe') return;
  const argv = opts.argv;
  const helpAt = argv.findIndex((a) => a === '--help' || a === '-h');
  if (helpAt < 0 || argv.slice(0, helpAt).includes('--')) return;
  const { isCodeFile } = await import('./ts-file.js');
  const file = argv.find((a) => isScenarioFile(a) || isCodeFile(a));
  if (!file) return;
  let command: Command.Class;
  try {
    command = await commandFor(verb, file);
  } catch {
    return; // the file's own error is told when the command runs
  }
  const id = `${verb} ${file}`;
  const flags = Object.fromEntries(Object.entries(command.flags ?? {}).map(([name, f]) => [name, { ...f, name, default: typeof f.default === 'function' ? undefined : f.default }]));
  const cached = {
    id,
    summary: command.summary,
    description: command.description,
    examples: command.examples,
    flags,
    args: {},
    aliases: [],
    hidden: false,
    hiddenAliases: [],
    pluginType: 'core',
    load: async () => command,
  };
  await new Help(opts.config).showCommandHelp(cached as never);
  process.exit(0);
};

async function commandFor(verb: 'generate' | 'pipe', file: string): Promise<Command.Class> {
  const { resolve } = await import('node:path');
  const { generateCommand, pipeCommand } = await import('./scenario-commands.js');
  const { generateDatasetCommand } = await import('./dataset-commands.js');
  const { isCodeFile, loadUnitFile } = await import('./ts-file.js');
  const def = isCodeFile(file) ? (await loadUnitFile(file)).def : (await import('../yaml/yaml-dataset.js')).loadYamlUnit(file);
  if (def.unit === 'dataset') return generateDatasetCommand(def, resolve(file));
  return verb === 'generate' ? generateCommand(def, { file: resolve(file) }) : pipeCommand(def);
}

export default hook;
