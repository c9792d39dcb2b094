import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedPart, renderDatasetDocs, renderScenarioDocs } from '../src/describe.js';
import { findDataset, listScenarios } from '../src/registry.js';
import { docSteps } from './doc-blocks.js';

describe('docs', () => {
  it('docs/scenarios.md is what the declarations say (run `npm run docs` after changing a scenario)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'docs', 'scenarios.md'), 'utf8');
    expect(committed).toBe(renderScenarioDocs());
  });

  it("docs/retail.md's generated part is what the retail declarations say (run `npm run docs` after changing a table)", () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'docs', 'retail.md'), 'utf8');
    expect(generatedPart(committed)).toBe(renderDatasetDocs('retail').trim());
  });

  it('the retail docs have every table, its columns and its references', () => {
    const text = renderDatasetDocs('retail');
    for (const t of findDataset('retail').tables) {
      expect(text).toContain(`### ${t.name}\n`);
      for (const f of t.schema.fields) expect(text).toMatch(new RegExp(`^\\| ${f.name.replace(/\./g, '\\.')} \\|`, 'm'));
      for (const [col, to] of Object.entries(t.references ?? {})) expect(text).toContain(`${col} → ${to}`);
    }
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

describe('what the docs test runs (tests/doc-blocks.ts)', () => {
  const md = [
    'Text with `datagen csv` inline is not run.',
    '',
    '    npm ci                      # not a datagen command',
    '    npx datagen pipe loans --rows 10 \\',
    '      | npx datagen csv > loans.csv   # one command over two lines',
    '    #   loans.csv',
    '',
    '1. A list item:',
    '',
    '       datagen list',
    '',
    '```yaml title="a.yml"',
    'name: a',
    '```',
    '',
    '```sh',
    '$ npx datagen noise --rate 2 < rows.ndjson',
    'datagen: noise: rate must be between 0 and 1, got "2" [E_OPTION]',
    '```',
    '',
    "    import { run } from 'datagen';",
    '',
    '    await run();',
    '',
    'SQL is not run:',
    '',
    '    SELECT 1;',
  ].join('\n');

  it('finds commands with their continuation lines, expected output, files and TypeScript, in order', () => {
    expect(docSteps(md)).toEqual([
      { kind: 'command', line: 4, text: 'npx datagen pipe loans --rows 10 \\\n  | npx datagen csv > loans.csv   # one command over two lines', output: [] },
      { kind: 'command', line: 10, text: 'datagen list', output: [] },
      { kind: 'file', line: 13, name: 'a.yml', text: 'name: a\n' },
      { kind: 'command', line: 17, text: 'npx datagen noise --rate 2 < rows.ndjson', output: ['datagen: noise: rate must be between 0 and 1, got "2" [E_OPTION]'] },
      { kind: 'typescript', line: 21, text: "import { run } from 'datagen';\n\nawait run();\n" },
    ]);
  });
});

describe('doc commands say npx datagen', () => {
  // `npm ci` puts no `datagen` on PATH; inside the clone `npx datagen` is what works (README, Quickstart).
  const root = join(import.meta.dirname, '..');
  const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  it.each(docs)('%s', (doc) => {
    const bare = docSteps(readFileSync(join(root, doc), 'utf8')).flatMap((s) =>
      s.kind === 'command' && /(^|\|\s*)datagen\s/m.test(s.text) ? [`${doc}:${s.line}: ${s.text}`] : [],
    );
    expect(bare).toEqual([]);
  });
});
