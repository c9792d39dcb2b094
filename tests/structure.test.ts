import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The engine under src/ is grouped by concern, and the lower layers import nothing above
 * them: core, codecs, anomaly, delta and random never load a unit (sources/, transforms/,
 * sinks/, scenarios/, pipelines/), the registry, the CLI, the dataset runner or the public
 * index. Only the wiring (src/index.ts, registry.ts, describe.ts, ledger-summary.ts,
 * datasets/, yaml/, scale/, check/, cli/) may. Type-only imports are allowed: they vanish at run time.
 */
const root = join(import.meta.dirname, '..');
const LOWER = ['core', 'codecs', 'anomaly', 'delta', 'random'];
const ABOVE = /^(sources|transforms|sinks|scenarios|pipelines)\/|^src\/(cli|check|datasets|yaml|scale)\/|^src\/(index|registry|describe|ledger-summary)\.js$/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('layers', () => {
  it('core, codecs, anomaly, delta and random import nothing above them (run-time imports)', () => {
    const offending: string[] = [];
    for (const layer of LOWER) {
      for (const file of files(join(root, 'src', layer))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/^\s*(import|export)\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/gm)) {
          const spec = m[2] ?? m[3]!;
          const target = relative(root, join(file, '..', spec)).split('\\').join('/');
          if (ABOVE.test(target)) offending.push(`${relative(root, file)} -> ${target}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('src/ holds only the wiring at its top level; the rest is in folders by concern', () => {
    const top = readdirSync(join(root, 'src')).sort();
    expect(top).toEqual(['anomaly', 'check', 'cli', 'codecs', 'core', 'datasets', 'delta', 'describe.ts', 'index.ts', 'ledger-summary.ts', 'random', 'registry.ts', 'scale', 'yaml']);
  });
});

describe('start-up', () => {
  // Every command loads the registry (all sinks) at start-up; a native database client there
  // cost every command about 0.15 s. They are imported where they are used, with import().
  it('no module outside src/check/ imports @duckdb/node-api or pg statically (type-only imports are fine)', () => {
    const offending: string[] = [];
    for (const dir of ['src', 'sinks', 'sources', 'transforms', 'scenarios', 'pipelines']) {
      for (const file of files(join(root, dir))) {
        if (relative(root, file).startsWith(join('src', 'check'))) continue;
        const text = readFileSync(file, 'utf8');
        if (/^\s*import\s+(?!type\b)[^;]*?from\s+'(@duckdb\/node-api|pg|pg-copy-streams)'/m.test(text)) offending.push(relative(root, file));
      }
    }
    expect(offending).toEqual([]);
  });
});
