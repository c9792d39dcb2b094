import { Flags } from '@oclif/core';
import { listDatasets, listScenarios, listSinks, listTransforms } from '../registry.js';
import { DatagenCommand } from './base.js';

export default class List extends DatagenCommand {
  static override summary = 'List every scenario, dataset (with its tables), transform and sink, one line each';
  static override examples = ['$ datagen list', '$ datagen list --json | jq .scenarios'];
  static override flags = { json: Flags.boolean({ description: 'print JSON instead of text' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(List);
    const groups = {
      scenarios: listScenarios().map((u) => ({ name: u.name, aliases: u.aliases ?? [], summary: u.summary })),
      datasets: listDatasets().map((u) => ({ name: u.name, aliases: [] as string[], summary: u.summary, tables: u.tables.map((t) => t.name) })),
      transforms: listTransforms().map((u) => ({ name: u.name, aliases: u.aliases ?? [], summary: u.summary })),
      sinks: listSinks().map((u) => ({ name: u.name, aliases: u.aliases ?? [], summary: u.summary, extensions: u.extensions })),
    };
    if (flags.json) {
      process.stdout.write(JSON.stringify(groups, null, 2) + '\n');
      return;
    }
    const width = Math.max(...Object.values(groups).flatMap((g) => g.map((u) => u.name.length))) + 2;
    const lines: string[] = [];
    for (const [group, units] of Object.entries(groups)) {
      lines.push(`${group}:`);
      for (const u of units) {
        const aka = u.aliases.length > 0 ? ` (also: ${u.aliases.join(', ')})` : '';
        lines.push(`  ${u.name.padEnd(width)}${u.summary}${aka}`);
        if ('tables' in u) lines.push(`  ${''.padEnd(width)}tables: ${u.tables.join(', ')}`);
      }
      lines.push('');
    }
    process.stdout.write(lines.join('\n'));
  }
}
