import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root folder (where package.json, schemas/ and templates/ live), found from
 * this file whether it runs compiled (dist/src/) or from source under vitest (src/).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('datagen: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** The published JSON Schema of YAML scenario files. */
export const scenarioSchemaPath = (): string => join(packageRoot(), 'schemas', 'scenario.schema.json');

/** True when a CLI argument names a scenario file rather than a registered scenario. */
export function isScenarioFile(arg: string): boolean {
  return /\.(ya?ml)$/i.test(arg);
}
