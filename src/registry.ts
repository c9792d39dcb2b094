import { extname } from 'node:path';
import { datasets } from '../pipelines/index.js';
import { scenarios } from '../scenarios/index.js';
import { sinks } from '../sinks/index.js';
import { transforms } from '../transforms/index.js';
import { DatagenError } from './core/errors.js';
import { isGzipPath } from './codecs/output.js';
import { closest } from './core/suggest.js';
import type { DatasetDefinition } from './core/dataset.js';
import type { ScenarioDefinition, SinkFactory, TransformFactory } from './core/units.js';

/**
 * Name -> unit, for the CLI and YAML pipelines. The lists live beside the units
 * (scenarios/index.ts, transforms/index.ts, sinks/index.ts): registering a unit is one line there.
 */
type Named = { name: string; aliases?: string[] };

function byName<T extends Named>(units: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const u of units) for (const n of [u.name, ...(u.aliases ?? [])]) map.set(n, u);
  return map;
}

const scenarioMap = byName(scenarios as readonly ScenarioDefinition[]);
const transformMap = byName(transforms as readonly TransformFactory[]);
const sinkMap = byName(sinks as readonly SinkFactory[]);
const datasetMap = byName(datasets as unknown as readonly DatasetDefinition[]);

function find<T extends Named>(map: Map<string, T>, what: string, name: string): T {
  const unit = map.get(name);
  if (unit) return unit;
  const names = [...new Set([...map.values()].map((u) => u.name))];
  const near = closest(name, names); // a typo (lons -> loans), besides names sharing the first letters
  const close = [...new Set([...(near ? [near] : []), ...names.filter((n) => n.startsWith(name.slice(0, 3)) || name.startsWith(n.slice(0, 3)))])];
  const hint = close.length > 0 ? ` Did you mean ${close.join(' or ')}?` : '';
  throw new DatagenError('E_UNKNOWN_UNIT', `unknown ${what} '${name}' (known: ${names.join(', ')}).${hint}`);
}

export const findScenario = (name: string) => find(scenarioMap, 'scenario', name);
export const findTransform = (name: string) => find(transformMap, 'transform', name);
export const findSink = (name: string) => find(sinkMap, 'sink', name);
export const findDataset = (name: string) => find(datasetMap, 'dataset', name);

export const listScenarios = (): readonly ScenarioDefinition[] => scenarios as readonly ScenarioDefinition[];
export const listTransforms = (): readonly TransformFactory[] => transforms as readonly TransformFactory[];
export const listSinks = (): readonly SinkFactory[] => sinks as readonly SinkFactory[];
export const listDatasets = (): readonly DatasetDefinition[] => datasets as unknown as readonly DatasetDefinition[];

/** The sink that writes files with this path's extension (`out.csv` -> csv). */
export function sinkForPath(path: string): SinkFactory {
  const ext = extname(isGzipPath(path) ? path.slice(0, -3) : path).toLowerCase();
  const sink = listSinks().find((s) => s.extensions.includes(ext));
  if (!sink) {
    const known = listSinks().flatMap((s) => s.extensions);
    throw new DatagenError('E_OPTION', `cannot tell the format of ${JSON.stringify(path)} from its extension '${ext}' (known: ${known.join(', ')}, each optionally followed by .gz)`);
  }
  return sink;
}
