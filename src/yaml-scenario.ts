import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import type { DataType } from 'apache-arrow';
import { DatagenError } from './errors.js';
import { fakerLocale } from './faker-data.js';
import { scenarioSchemaPath } from './paths.js';
import { compileExpression, type Compiled } from './expression.js';
import { exponential, logNormal, poisson, truncatedNormal, Weighted, Zipf } from './random/distributions.js';
import { Pattern } from './random/pattern.js';
import type { Rng } from './random/rng.js';
import { findTransform } from './registry.js';
import { defineTable, kindOf, types, type FieldSpec, type Row, type Value } from './schema.js';
import { MICROS_PER_DAY, parseDate, parseTimestamp } from './temporal.js';
import { defineScenario, type ScenarioDefinition } from './units.js';

/**
 * Scenarios declared in YAML. The file is parsed as data only (the `yaml` package, no custom
 * tags), validated against the published JSON Schema (schemas/scenario.schema.json), and
 * compiled into the same ScenarioDefinition a TypeScript scenario is. Every mistake is one
 * line: `file:line:column: where: problem` with code E_SCENARIO_FILE.
 *
 * The CLI imports this module only when it is given a .yml file: yaml and ajv are not loaded
 * by every command.
 */
const validate = new Ajv({ allErrors: false, strict: false, verbose: true }).compile(JSON.parse(readFileSync(scenarioSchemaPath(), 'utf8')) as object);

type Gen = (rng: Rng, index: number, row: Row) => Value;
interface FieldDoc {
  type: string;
  description?: string;
  key?: boolean;
  null_rate?: number;
  generator: Record<string, unknown>;
}
interface ScenarioDoc {
  name: string;
  description?: string;
  rows?: number;
  fields: Record<string, FieldDoc>;
  constraints?: string[];
  anomalies?: Array<Record<string, Record<string, unknown>>>;
}

export function loadYamlScenario(path: string): ScenarioDefinition {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DatagenError('E_SCENARIO_FILE', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseYamlScenario(text, path);
}

export function parseYamlScenario(text: string, file = 'scenario.yml'): ScenarioDefinition {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (path: Array<string | number>) => {
    let node: unknown = doc.getIn(path, true);
    for (let p = path.slice(0, -1); !node && p.length >= 0; p = p.slice(0, -1)) {
      node = p.length === 0 ? doc.contents : doc.getIn(p, true);
      if (p.length === 0) break;
    }
    const offset = (node as { range?: [number, number] } | undefined)?.range?.[0] ?? 0;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const fail = (path: Array<string | number>, why: string): never => {
    throw new DatagenError('E_SCENARIO_FILE', `${at(path)}: ${path.length ? path.join('.') + ': ' : ''}${why}`);
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new DatagenError('E_SCENARIO_FILE', `${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const data = doc.toJS() as unknown;
  if (!validate(data)) {
    const e = validate.errors![0]!;
    fail(pathOf(e), explain(e));
  }
  const spec = data as ScenarioDoc;
  return compile(spec, fail);
}

function pathOf(e: ErrorObject): string[] {
  const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'additionalProperties') path.push((e.params as { additionalProperty: string }).additionalProperty);
  return path;
}

function explain(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
    // `{ type: decimal(10,2) }` splits at the comma in YAML's { } style.
    const hint = /^\d+\)$/.test(extra) ? ' — inside { } quote the type: "decimal(10,2)"' : '';
    return `unknown key '${extra}' (allowed: ${allowed.join(', ')})${hint}`;
  }
  if (e.keyword === 'required') return `missing required key '${(e.params as { missingProperty: string }).missingProperty}'`;
  if (e.keyword === 'pattern' && e.instancePath.endsWith('/type')) return `unknown type (use int32, int64, float64, string, bool, date, time, timestamp or decimal(p,s))`;
  return e.message ?? e.keyword;
}

function arrowType(t: string): DataType {
  const dec = /^decimal\((\d+), ?(\d+)\)$/.exec(t);
  if (dec) return types.decimal(Number(dec[1]), Number(dec[2]));
  return (types as unknown as Record<string, () => DataType>)[t]!();
}

function compile(spec: ScenarioDoc, fail: (path: Array<string | number>, why: string) => never): ScenarioDefinition {
  const names = Object.keys(spec.fields);
  const fieldSpecs: Record<string, FieldSpec> = {};
  const gens: Array<{ name: string; gen: Gen; nullRate: number; integer: boolean; scale: number | undefined }> = [];
  names.forEach((name, i) => {
    const f = spec.fields[name]!;
    const type = arrowType(f.type);
    const kind = kindOf(type);
    fieldSpecs[name] = { type, description: f.description ?? '', key: f.key, nullable: (f.null_rate ?? 0) > 0 || 'expression' in f.generator };
    const where = ['fields', name, 'generator'];
    const [genKind, params] = Object.entries(f.generator)[0]!;
    const gen = generator(genKind, params, names.slice(0, i), kind, (why) => fail([...where, genKind], why));
    const scale = kind === 'decimal' ? (type as unknown as { scale: number }).scale : undefined;
    gens.push({ name, gen, nullRate: f.null_rate ?? 0, integer: kind === 'int', scale });
  });
  const constraints: Array<[string, Compiled]> = (spec.constraints ?? []).map((c, i) => {
    try {
      return [c, compileExpression(c, names, spec.name)];
    } catch (err) {
      return fail(['constraints', i], (err as Error).message);
    }
  });
  const anomalies = spec.anomalies ?? [];
  const stageFactories = anomalies.map((a, i) => {
    const [stage, options] = Object.entries(a)[0]!;
    try {
      const factory = findTransform(stage);
      factory(options as never); // validate now, so a bad stage fails at load time
      return () => factory(options as never);
    } catch (err) {
      return fail(['anomalies', i, stage], (err as Error).message);
    }
  });

  return defineScenario({
    name: spec.name,
    summary: spec.description ?? `${spec.name} (from a YAML scenario)`,
    description: spec.description,
    defaultRows: spec.rows ?? 1000,
    examples: [],
    options: {},
    schema: defineTable(spec.name, spec.description ?? '', fieldSpecs),
    rules: [
      ...names.map((n) => `${n}: ${JSON.stringify(spec.fields[n]!.generator)}${spec.fields[n]!.null_rate ? `, null ${spec.fields[n]!.null_rate! * 100}%` : ''}`),
      ...(spec.constraints ?? []).map((c) => `every row satisfies ${c}`),
    ],
    defaultStages: stageFactories.length > 0 ? () => stageFactories.map((f) => f()) : undefined,
    plan() {
      return {
        rows(first, count, rng) {
          const streams = gens.map((g) => rng.fork(g.name));
          const nullStreams = gens.map((g) => rng.fork(g.name, 'null'));
          const out: Row[] = new Array(count);
          for (let i = 0; i < count; i++) {
            const index = first + i;
            let row: Row = {};
            for (let attempt = 0; ; attempt++) {
              row = {};
              for (let g = 0; g < gens.length; g++) {
                const { name, gen, nullRate, integer, scale } = gens[g]!;
                let v = gen(streams[g]!, index, row);
                if (typeof v === 'number') v = integer ? Math.round(v) : scale !== undefined ? Math.round(v * 10 ** scale) / 10 ** scale : v;
                row[name] = nullRate > 0 && nullStreams[g]!.float() < nullRate ? null : v;
              }
              const broken = constraints.find(([, c]) => !c(row));
              if (!broken) break;
              if (attempt === 100) throw new DatagenError('E_SCENARIO_FILE', `${spec.name}: constraint ${JSON.stringify(broken[0])} failed for 100 draws of row ${index}`);
            }
            out[i] = row;
          }
          return out;
        },
      };
    },
  });
}

function generator(kind: string, p: unknown, earlier: string[], fieldKind: string, fail: (why: string) => never): Gen {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- shapes are guaranteed by the JSON Schema
  const o = (p ?? {}) as Record<string, any>;
  const places = (v: number) => (o.decimals === undefined ? v : Math.round(v * 10 ** o.decimals) / 10 ** o.decimals);
  const clip = (v: number) => Math.min(o.max ?? Infinity, Math.max(o.min ?? -Infinity, v));
  switch (kind) {
    case 'sequence':
      return (_r, i) => (o.start ?? 1) + i * (o.step ?? 1);
    case 'choice': {
      const values = o.values as unknown[];
      if (o.weights && o.weights.length !== values.length) fail(`${values.length} values but ${o.weights.length} weights`);
      const w = new Weighted(values as Value[], (o.weights as number[] | undefined) ?? values.map(() => 1));
      return (r) => w.pick(r);
    }
    case 'uniform':
      if (o.max < o.min) fail(`max ${o.max} is below min ${o.min}`);
      return fieldKind === 'int' ? (r) => r.int(o.min, o.max) : (r) => places(r.between(o.min, o.max));
    case 'normal':
      return (r) => places(truncatedNormal(r, o.mean, o.sd, o.min ?? -Infinity, o.max ?? Infinity));
    case 'lognormal':
      return (r) => places(clip(logNormal(r, Math.log(o.median), o.sigma)));
    case 'exponential':
      return (r) => places(exponential(r, o.mean));
    case 'poisson':
      return (r) => poisson(r, o.lambda);
    case 'zipf': {
      const z = new Zipf(o.n, o.s);
      return (r) => z.sample(r);
    }
    case 'bool':
      return (r) => r.chance(o.p);
    case 'date': {
      const [a, b] = [parseDate(String(o.start).slice(0, 10)), parseDate(String(o.end).slice(0, 10))];
      if (a === undefined || b === undefined || b < a) fail('start and end must be dates with start <= end');
      return (r) => r.int(a!, b!);
    }
    case 'timestamp': {
      const t = (s: string) => (s.length === 10 ? (parseDate(s) ?? NaN) * MICROS_PER_DAY : (parseTimestamp(s) ?? NaN));
      const [a, b] = [t(String(o.start)), t(String(o.end)) + (String(o.end).length === 10 ? MICROS_PER_DAY : 1)];
      if (!(b > a)) fail('start and end must be dates or timestamps with start <= end');
      return (r) => a + Math.floor(r.float() * (b - a));
    }
    case 'pattern': {
      let pattern: Pattern;
      try {
        pattern = new Pattern(p as string);
      } catch (err) {
        return fail((err as Error).message);
      }
      return (r) => pattern.sample(r);
    }
    case 'faker': {
      const { path, locale } = typeof p === 'string' ? { path: p, locale: 'en' } : (p as { path: string; locale?: string });
      const faker = fakerLocale(locale ?? 'en');
      if (!faker) fail(`unknown faker locale '${locale}'`);
      let node: unknown;
      try {
        node = path.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], faker!.definitions);
      } catch {
        node = undefined; // faker's definitions throw for missing keys
      }
      if (node && !Array.isArray(node) && typeof node === 'object') node = Object.values(node).flat();
      if (!Array.isArray(node) || !node.every((x) => typeof x === 'string') || node.length === 0) {
        fail(`'${path}' is not a word list in faker's ${locale ?? 'en'} data (e.g. person.first_name, person.last_name, location.city_name, company.name?)`);
      }
      const words = node as string[];
      return (r) => r.pick(words);
    }
    case 'expression': {
      let compiled: Compiled;
      try {
        compiled = compileExpression(p as string, earlier, 'expression');
      } catch (err) {
        return fail((err as Error).message.replace(/^expression: expression /, ''));
      }
      return (_r, _i, row) => compiled(row);
    }
    case 'reference': {
      const z = o.skew ? new Zipf(o.count, o.skew) : undefined;
      return z ? (r) => z.sample(r) : (r) => r.int(1, o.count);
    }
    case 'constant':
      return () => p as Value;
    default:
      return fail(`unknown generator '${kind}'`);
  }
}
