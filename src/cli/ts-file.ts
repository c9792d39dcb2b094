import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatagenError } from '../core/errors.js';
import type { DatasetDefinition } from '../core/dataset.js';
import type { ScenarioDefinition } from '../core/units.js';

/**
 * `datagen generate ./x.ts`: loads a TypeScript (or JavaScript) file that default-exports a
 * scenario (defineScenario) or a dataset (defineDataset).
 *
 * Node 20 cannot import .ts itself, so the file goes through jiti: it strips the types (no
 * type check: run `tsc --noEmit` for that) and caches the result (node_modules/.cache/jiti,
 * else the temp folder). `import ... from 'datagen'` in the file is aliased to this very
 * package's API, so it resolves wherever the file lives (a folder without node_modules, a
 * clone) and the file's units are the same objects the CLI runs.
 */

/** True when a CLI argument names a TypeScript or JavaScript file rather than a registered unit. */
export function isCodeFile(arg: string): boolean {
  return /\.(m?ts|m?js)$/i.test(arg);
}

export type UnitFromFile = { kind: 'scenario'; def: ScenarioDefinition } | { kind: 'dataset'; def: DatasetDefinition };

/** This package's API entry: dist/src/index.js when compiled, src/index.ts under vitest. */
function apiEntry(): string {
  const src = join(dirname(fileURLToPath(import.meta.url)), '..');
  const js = join(src, 'index.js');
  return existsSync(js) ? js : join(src, 'index.ts');
}

/** The error's first line; a syntax error's position (jiti puts it on the next line) is kept. */
const firstLine = (err: unknown): string => {
  const lines = String((err as Error)?.message ?? err).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const first = lines[0] ?? 'unknown error';
  const at = lines.slice(1).find((l) => /:\d+:\d+$/.test(l));
  return at && !/:\d+:\d+/.test(first) ? `${first} at ${at}` : first;
};

/** Loads the file and returns the scenario or dataset it default-exports; one-line E_SCENARIO_FILE otherwise. */
export async function loadUnitFile(file: string): Promise<UnitFromFile> {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) throw new DatagenError('E_SCENARIO_FILE', `${file}: no such file`);
  const { createJiti } = await import('jiti');
  // interopDefault off: a file without a default export must not pass its namespace off as one.
  const jiti = createJiti(import.meta.url, { alias: { datagen: apiEntry() }, interopDefault: false });
  let mod: Record<string, unknown>;
  try {
    mod = (await jiti.import(path)) as Record<string, unknown>;
  } catch (err) {
    throw new DatagenError('E_SCENARIO_FILE', `${file}: failed to load: ${firstLine(err)}`);
  }
  const value = mod?.default as { unit?: unknown } | undefined;
  if (value === undefined) {
    const named = Object.keys(mod ?? {}).filter((k) => k !== 'default');
    const hint = named.length > 0 ? ` (it exports ${named.join(', ')}; add e.g. \`export default ${named[0]};\`)` : '';
    throw new DatagenError('E_SCENARIO_FILE', `${file}: no default export; export default a defineScenario(...) or defineDataset(...) value${hint}`);
  }
  if (value?.unit === 'scenario') return { kind: 'scenario', def: value as ScenarioDefinition };
  if (value?.unit === 'dataset') return { kind: 'dataset', def: value as DatasetDefinition };
  const what = value === null ? 'null' : (value as { kind?: unknown }).kind === 'dataset' ? 'a dataset(...) value (export the defineDataset(...) definition instead)' : typeof value;
  throw new DatagenError('E_SCENARIO_FILE', `${file}: the default export is neither a scenario (defineScenario) nor a dataset (defineDataset), got ${what}`);
}

/** A scenario from a file (a worker of --workers loads the file again by its path). */
export async function loadScenarioFile(file: string): Promise<ScenarioDefinition> {
  const unit = await loadUnitFile(file);
  if (unit.kind !== 'scenario') throw new DatagenError('E_SCENARIO_FILE', `${file}: exports a dataset, not a scenario`);
  return unit.def;
}
