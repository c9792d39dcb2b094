import { Args, Flags } from '@oclif/core';
import { engineOptions } from '../../sources/scenario.js';
import { DatagenError } from '../errors.js';
import { kebab, type OptionsSpec } from '../options.js';
import { findScenario, findSink, findTransform } from '../registry.js';
import { fieldDescription, fieldValues, typeLabel } from '../schema.js';
import { isScenarioFile, loadYamlScenario } from '../yaml-scenario.js';
import { DatagenCommand } from './base.js';

export default class Describe extends DatagenCommand {
  static override summary = 'Show a scenario (schema, rules, options) or a transform or sink (options)';
  static override examples = ['$ datagen describe attendance', '$ datagen describe noise', '$ datagen describe attendance --json', '$ datagen describe ./warehouse_moves.yml'];
  static override args = { name: Args.string({ description: 'scenario, transform or sink name, or a YAML scenario file', required: true }) };
  static override flags = { json: Flags.boolean({ description: 'print JSON instead of text' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Describe);
    const info = describeUnit(args.name);
    process.stdout.write(flags.json ? JSON.stringify(info, null, 2) + '\n' : render(info));
  }
}

interface Described {
  kind: 'scenario' | 'transform' | 'sink';
  name: string;
  summary: string;
  description?: string;
  fields?: Array<{ name: string; type: string; nullable: boolean; key: boolean; description: string; values?: string[] }>;
  rules?: string[];
  options: Array<{ flag: string; type: string; default?: unknown; description: string }>;
  examples: string[];
}

function options(spec: OptionsSpec): Described['options'] {
  return Object.entries(spec).map(([name, s]) => ({ flag: `--${s.flag ?? kebab(name)}`, type: s.type, default: s.default, description: s.description }));
}

export function describeUnit(name: string): Described {
  const attempts = [isScenarioFile(name) ? loadYamlScenario : findScenario, findTransform, findSink];
  for (const find of attempts) {
    let unit;
    try {
      unit = find(name);
    } catch (err) {
      if ((err as DatagenError).code === 'E_SCENARIO_FILE') throw err;
      continue;
    }
    if (unit.unit === 'scenario') {
      return {
        kind: 'scenario',
        name: unit.name,
        summary: unit.summary,
        description: unit.description,
        fields: unit.schema.fields.map((f) => ({
          name: f.name,
          type: typeLabel(f.type),
          nullable: f.nullable,
          key: f.metadata.get('key') === 'true',
          description: fieldDescription(f),
          values: fieldValues(f),
        })),
        rules: unit.rules,
        options: [...options(engineOptions), ...options(unit.options)],
        examples: unit.examples,
      };
    }
    return { kind: unit.unit, name: unit.name, summary: unit.summary, description: unit.description, options: options(unit.options), examples: unit.examples };
  }
  throw new DatagenError('E_UNKNOWN_UNIT', `nothing named '${name}' (see datagen list)`);
}

function render(d: Described): string {
  const lines = [`${d.name} (${d.kind}): ${d.summary}`];
  if (d.description) lines.push('', d.description);
  if (d.fields) {
    lines.push('', 'fields:');
    const w = Math.max(...d.fields.map((f) => f.name.length)) + 2;
    const tw = Math.max(...d.fields.map((f) => f.type.length)) + 2;
    for (const f of d.fields) {
      const flags = [f.key ? 'key' : '', f.nullable ? 'nullable' : ''].filter(Boolean).join(', ');
      const values = f.values ? ` {${f.values.join(', ')}}` : '';
      lines.push(`  ${f.name.padEnd(w)}${f.type.padEnd(tw)}${f.description}${values}${flags ? ` [${flags}]` : ''}`);
    }
  }
  if (d.rules) lines.push('', 'rules:', ...d.rules.map((r) => `  - ${r}`));
  lines.push('', 'options:');
  const w = Math.max(...d.options.map((o) => o.flag.length)) + 2;
  for (const o of d.options) {
    const dflt = o.default === undefined ? '' : ` [default: ${Array.isArray(o.default) ? o.default.join(',') : String(o.default)}]`;
    lines.push(`  ${o.flag.padEnd(w)}${o.description}${dflt}`);
  }
  if (d.examples.length > 0) lines.push('', 'examples:', ...d.examples.map((e) => `  $ ${e}`));
  return lines.join('\n') + '\n';
}
