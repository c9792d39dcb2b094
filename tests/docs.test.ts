import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderScenarioDocs } from '../src/describe.js';
import { listScenarios } from '../src/registry.js';

describe('docs', () => {
  it('docs/scenarios.md is what the declarations say (run `npm run docs` after changing a scenario)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'docs', 'scenarios.md'), 'utf8');
    expect(committed).toBe(renderScenarioDocs());
  });

  it('has a section, a field table and examples for every scenario', () => {
    const text = renderScenarioDocs();
    for (const def of listScenarios()) {
      expect(text).toContain(`## ${def.name}\n`);
      for (const f of def.schema.fields) expect(text).toMatch(new RegExp(`^\\| ${f.name} \\|`, 'm'));
      expect(def.examples.some((e) => e.startsWith(`datagen generate ${def.name}`))).toBe(true);
    }
  });
});
