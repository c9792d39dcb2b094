import type { Command } from '@oclif/core';
import { listDatasets, listScenarios, listSinks, listTransforms } from '../registry.js';
import { generateDatasetCommand } from './dataset-commands.js';
import Check from './check.js';
import DeltaDelete from './delta-delete.js';
import Describe from './describe.js';
import LedgerSummary from './ledger-summary.js';
import Finish from './finish.js';
import List from './list.js';
import NewScenario from './new-scenario.js';
import NewDataset from './new-dataset.js';
import { GenerateDispatch, generateCommand, PipeDispatch, pipeCommand } from './scenario-commands.js';
import { sinkCommand, transformCommand } from './unit-commands.js';

/**
 * Every command, for oclif's explicit command discovery. Scenario, transform and sink commands
 * are made from the registry, so registering a unit is enough to get its command and --help.
 */
export const COMMANDS: Record<string, Command.Class> = {
  generate: GenerateDispatch,
  pipe: PipeDispatch,
  list: List,
  describe: Describe,
  'new:scenario': NewScenario,
  'new:dataset': NewDataset,
  'ledger:summary': LedgerSummary,
  finish: Finish,
  check: Check,
};
for (const def of listScenarios()) {
  COMMANDS[`generate:${def.name}`] = generateCommand(def);
  COMMANDS[`pipe:${def.name}`] = pipeCommand(def);
}
// A dataset writes a folder, so it has a generate command only (pipe refuses it by name).
for (const def of listDatasets()) COMMANDS[`generate:${def.name}`] = generateDatasetCommand(def);
for (const unit of listTransforms()) COMMANDS[unit.name] = transformCommand(unit);
for (const unit of listSinks()) COMMANDS[unit.name] = sinkCommand(unit);
COMMANDS['delta-delete'] = DeltaDelete;
