import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { compileExpression } from '../src/yaml/expression.js';
import { memoryLedger } from '../src/anomaly/ledger.js';
import { collect } from '../src/core/pipeline.js';
import { parseYamlScenario } from '../src/yaml/yaml-scenario.js';
import { scenario } from '../sources/scenario.js';
import { tempDir, withinSamplingError, BIN, cliEnv as env } from './helpers.js';

const datagen = (args: string[], cwd: string) => spawnSync('node', [BIN, ...args], { cwd, env, encoding: 'utf8' });

const GOOD = `
name: orders
rows: 500
fields:
  order_id: { type: int64, key: true, generator: { sequence: { start: 100, step: 2 } } }
  code: { type: string, generator: { pattern: "ORD-[A-Z]{3}\\\\d{4}" } }
  region: { type: string, generator: { choice: { values: [N, S, E], weights: [0.6, 0.3, 0.1] } } }
  qty: { type: int32, generator: { uniform: { min: 1, max: 9 } } }
  price: { type: "decimal(10,2)", generator: { lognormal: { median: 30, sigma: 0.5, min: 1, max: 500 } } }
  total: { type: "decimal(12,2)", generator: { expression: "round(qty * price, 2)" } }
  ordered_on: { type: date, generator: { date: { start: 2024-01-01, end: 2024-03-31 } } }
  shipped_on: { type: date, generator: { expression: "ordered_on + 2" } }
  city: { type: string, null_rate: 0.1, generator: { faker: location.city_name } }
  customer_id: { type: int64, generator: { reference: { table: customers, count: 50, skew: 1.2 } } }
  vip: { type: bool, generator: { bool: { p: 0.2 } } }
constraints:
  - "qty * price >= 5"
anomalies:
  - missing: { rate: 0.05, columns: [region] }
`;

const errorOf = (text: string) => {
  try {
    parseYamlScenario(text, 'bad.yml');
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('no error');
};

describe('YAML scenarios', () => {
  it('generates every generator kind, with constraints held on every row', async () => {
    const def = parseYamlScenario(GOOD, 'orders.yml');
    const rows = await collect(scenario(def, { rows: 20_000, seed: 5 }));
    expect(rows.length).toBe(20_000);
    rows.forEach((r, i) => {
      expect(r.order_id).toBe(100 + 2 * i);
      expect(r.code).toMatch(/^ORD-[A-Z]{3}\d{4}$/);
      expect(['N', 'S', 'E']).toContain(r.region);
      expect(Number.isInteger(r.qty) && (r.qty as number) >= 1 && (r.qty as number) <= 9).toBe(true);
      expect((r.qty as number) * (r.price as number)).toBeGreaterThanOrEqual(5);
      expect(r.total).toBe(Math.round((r.qty as number) * (r.price as number) * 100) / 100);
      expect(r.shipped_on).toBe((r.ordered_on as number) + 2);
      expect((r.customer_id as number) >= 1 && (r.customer_id as number) <= 50).toBe(true);
    });
    expect(withinSamplingError(rows.filter((r) => r.region === 'N').length, 20_000, 0.6)).toBe(true);
    expect(withinSamplingError(rows.filter((r) => r.city === null).length, 20_000, 0.1)).toBe(true);
    expect(withinSamplingError(rows.filter((r) => r.vip === true).length, 20_000, 0.2)).toBe(true);
    // skew: key 1 is the most popular
    const ones = rows.filter((r) => r.customer_id === 1).length;
    expect(ones).toBeGreaterThan(rows.filter((r) => r.customer_id === 50).length * 5);
  });

  it('is deterministic and applies its anomaly stages by default', async () => {
    const def = parseYamlScenario(GOOD, 'orders.yml');
    const a = await collect(scenario(def, { rows: 3000, seed: 1 }));
    expect(await collect(scenario(def, { rows: 3000, seed: 1 }))).toEqual(a);
    expect(await collect(scenario(def, { rows: 3000, seed: 2 }))).not.toEqual(a);
    const ledger = memoryLedger();
    await collect(scenario(def, { rows: 3000, seed: 1 }), ...def.defaultStages!(), { ledger });
    expect(withinSamplingError(ledger.entries.length, 3000, 0.05)).toBe(true);
    expect(def.schema.fields.map((f) => f.name)).toContain('total');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['YAML syntax', 'name: x\nfields: [1, 2\n', /^bad\.yml:\d+:\d+: not valid YAML/],
    ['missing generator', 'name: x\nfields:\n  a:\n    type: int32\n', /^bad\.yml:4:5: fields\.a: missing required key 'generator'$/],
    ['unknown type', 'name: x\nfields:\n  a: { type: int99, generator: { constant: 1 } }\n', /^bad\.yml:3:14: fields\.a\.type: unknown type "int99" \(use int32, /],
    ['unknown generator', 'name: x\nfields:\n  a:\n    type: int32\n    generator: { gaussian: { mean: 1 } }\n', /^bad\.yml:5:28: fields\.a\.generator\.gaussian: unknown key 'gaussian' \(allowed: sequence, choice/],
    ['bad expression field', 'name: x\nfields:\n  a: { type: int32, generator: { constant: 1 } }\n  b:\n    type: int32\n    generator: { expression: "a + c" }\n', /^bad\.yml:6:30: fields\.b\.generator\.expression: .*unknown field 'c' \(usable here: a\)/],
    ['bad pattern', 'name: x\nfields:\n  a: { type: string, generator: { pattern: "[A-Z" } }\n', /^bad\.yml:3:44: fields\.a\.generator\.pattern: pattern "\[A-Z": unclosed \[/],
    ['bad faker path', 'name: x\nfields:\n  a: { type: string, generator: { faker: person.nothing } }\n', /'person\.nothing' is not a word list/],
    ['unknown stage', 'name: x\nfields:\n  a: { type: int32, generator: { constant: 1 } }\nanomalies:\n  - scramble: { rate: 0.1 }\n', /^bad\.yml:5:15: anomalies\.0\.scramble: unknown transform 'scramble'/],
    ['bad stage option', 'name: x\nfields:\n  a: { type: int32, generator: { constant: 1 } }\nanomalies:\n  - missing: { rate: 3 }\n', /^bad\.yml:5:14: anomalies\.0\.missing: missing: rate must be between 0 and 1, got 3$/],
    ['unquoted decimal in a flow mapping', 'name: x\nfields:\n  a: { type: decimal(10,2), generator: { constant: 1 } }\n', /unknown key '2\)'.*quote the type: "decimal\(10,2\)"/],
    ['uppercase name', 'name: Orders\nfields:\n  a: { type: int32, generator: { constant: 1 } }\n', /^bad\.yml:1:7: name: "Orders" must match pattern "\^\[a-z\]\[a-z0-9_\]\*\$" \(table name: lower case letters, digits and _, starting with a letter\)$/],
    ['field name with a dash (the key is pointed at)', 'name: x\nfields:\n  a: { type: int32, generator: { constant: 1 } }\n  "b-c":\n    type: int32\n    generator: { constant: 1 }\n', /^bad\.yml:4:3: fields\.b-c: field name "b-c" is not valid: start with a letter or _, then letters, digits or _$/],
    ['rows of the wrong type', 'name: x\nrows: many\nfields:\n  a: { type: int32, generator: { constant: 1 } }\n', /^bad\.yml:2:7: rows: "many" must be integer$/],
    ['null_rate above 1', 'name: x\nfields:\n  a: { type: int32, null_rate: 1.5, generator: { constant: 1 } }\n', /^bad\.yml:3:32: fields\.a\.null_rate: 1\.5 must be <= 1$/],
    ['date start not a day', 'name: x\nfields:\n  a: { type: date, generator: { date: { start: 2024-02-30, end: 2024-12-31 } } }\n', /^bad\.yml:3:48: fields\.a\.generator\.date\.start: "2024-02-30" is not a date \(write YYYY-MM-DD\)$/],
    ['date not written as one', 'name: x\nfields:\n  a: { type: date, generator: { date: { start: 2024-01-01, end: 24-12-31 } } }\n', /^bad\.yml:3:65: fields\.a\.generator\.date\.end: "24-12-31" is not a date or timestamp \(write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ\)$/],
    ['date start after end', 'name: x\nfields:\n  a: { type: date, generator: { date: { start: 2024-12-31, end: 2024-01-01 } } }\n', /^bad\.yml:3:39: fields\.a\.generator\.date: start 2024-12-31 is after end 2024-01-01$/],
    ['timestamp end not an instant', 'name: x\nfields:\n  a: { type: timestamp, generator: { timestamp: { start: 2024-01-01, end: "2024-01-01T24:30:00Z" } } }\n', /^bad\.yml:3:75: fields\.a\.generator\.timestamp\.end: "2024-01-01T24:30:00Z" is not a date or timestamp/],
    ['timestamp start after end', 'name: x\nfields:\n  a: { type: timestamp, generator: { timestamp: { start: "2024-01-02T00:00:00Z", end: 2024-01-01 } } }\n', /^bad\.yml:3:49: fields\.a\.generator\.timestamp: start 2024-01-02T00:00:00Z is after end 2024-01-01$/],
    ['unknown tag', 'name: x\nfields:\n  a: { type: string, generator: { constant: !!js/function "function(){}" } }\n', /^bad\.yml:3:45: unknown YAML tag "!!js\/function": a scenario file is plain data, tags other than !!str !!int !!float !!bool !!null !!map !!seq are not read \(remove the tag\)$/],
    ['local tag on a mapping', 'name: x\nfields: !table\n  a: { type: string, generator: { constant: x } }\n', /^bad\.yml:2:9: unknown YAML tag "!table"/],
    ['YAML 1.1 tag', 'name: x\nfields:\n  a: { type: string, generator: { constant: !!binary aGk= } }\n', /^bad\.yml:3:45: unknown YAML tag "!!binary"/],
    ['core tag on the wrong value', 'name: x\nfields:\n  a: { type: int32, generator: { constant: !!int one } }\n', /^bad\.yml:3:44: YAML tag !!int does not fit the value it is on \(remove the tag\)$/],
    ['stage when naming a field wrongly spelled', 'name: x\nfields:\n  a: { type: int32, generator: { constant: 1 } }\nanomalies:\n  - missing: { rate: 0.1, when: "a > 1 &&" }\n', /^bad\.yml:5:33: anomalies\.0\.missing\.when: when "a > 1 &&": an empty condition at position 9 /],
    ['a mapping as a key', 'name: x\nfields:\n  ? { a: 1 }\n  : { type: int32, generator: { constant: 1 } }\n', /^bad\.yml:3:5: a key must be a plain name, found a mapping$/],
    ['rows past exact integers', 'name: x\nrows: 1e16\nfields:\n  a: { type: int32, generator: { constant: 1 } }\n', /^bad\.yml:2:7: rows: 10000000000000000 must be <= 9007199254740991$/],
    ['unknown top-level key', 'name: x\nfeilds: {}\n', /bad\.yml:\d+:\d+: .*(unknown key 'feilds'|missing required key 'fields')/],
  ];
  for (const [what, text, pattern] of bad) {
    it(`names file, line and problem: ${what}`, () => {
      const e = errorOf(text);
      expect(e.code).toBe('E_SCENARIO_FILE');
      expect(e.message).toMatch(pattern);
      expect(e.message.split('\n').length).toBe(1);
    });
  }

  it('names the file and line of an anomaly stage column that is not a field (E_UNKNOWN_COLUMN)', () => {
    const head = 'name: x\nfields:\n  id: { type: int64, key: true, generator: { sequence: {} } }\n  city: { type: string, generator: { constant: q } }\nanomalies:\n';
    const cases: Array<[string, string]> = [
      ['  - missing: { rate: 0.1, columns: [city, cty] }\n', "bad.yml:6:43: anomalies.0.missing.columns.1: unknown column 'cty' in x (columns: id, city); did you mean 'city'?"],
      ['  - missing: { rate: 0.1, columns: "city,nosuch" }\n', "bad.yml:6:36: anomalies.0.missing.columns: unknown column 'nosuch' in x (columns: id, city)"],
      ['  - missing: { rates: [city=0.1, postcode=0.2] }\n', "bad.yml:6:34: anomalies.0.missing.rates.1: unknown column 'postcode' in x (columns: id, city)"],
      ['  - noise: { rate: 0.1 }\n  - duplicate:\n      rate: 0.1\n      key:\n        - ID\n', "bad.yml:10:11: anomalies.1.duplicate.key.0: unknown column 'ID' in x (columns: id, city); did you mean 'id'?"],
      ['  - noise: { rate: 0.1, when: "town = Oslo" }\n', "bad.yml:6:31: anomalies.0.noise.when: when names unknown column 'town' (columns: id, city)"],
    ];
    for (const [stages, message] of cases) {
      const e = errorOf(head + stages);
      expect([e.code, e.message]).toEqual(['E_UNKNOWN_COLUMN', message]);
    }
    // Column names that are fields load, and the stage uses them.
    expect(parseYamlScenario(head + '  - missing: { rates: "city=0.5", when: "id > 1" }\n', 'ok.yml').defaultStages!()).toHaveLength(1);
  });

  it('runs no code from the file: JS-looking values stay data, tags are refused', async () => {
    const def = parseYamlScenario('name: x\nfields:\n  a: { type: string, generator: { constant: "${process.exit(3)}" } }\n  b: { type: string, generator: { constant: !!str 12 } }\n', 'x.yml');
    const rows = await collect(scenario(def, { rows: 2 }));
    expect(rows[0]!.a).toBe('${process.exit(3)}');
    expect(rows[0]!.b).toBe('12'); // a core tag still reads
    expect(errorOf('name: x\nfields:\n  b: { type: string, generator: { constant: !!js/function "function(){}" } }\n').message).toMatch(/unknown YAML tag "!!js\/function"/);
    expect(() => compileExpression('constructor.constructor("return 1")()', ['a'], 't')).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
  });
});

describe('templates: new scenario round trip', () => {
  it('YAML template runs as generated, through the CLI', () => {
    const dir = tempDir();
    const made = datagen(['new', 'scenario', 'warehouse_moves'], dir);
    expect(made.status, made.stderr).toBe(0);
    const text = readFileSync(join(dir, 'warehouse_moves.yml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=.*schemas\/scenario\.schema\.json$/m);
    const gen = datagen(['generate', './warehouse_moves.yml', '--rows', '50000', '--out', 'moves.csv', '--ledger', 'l.jsonl'], dir);
    expect(gen.status, gen.stderr).toBe(0);
    const lines = readFileSync(join(dir, 'moves.csv'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(50_001);
    expect(lines[0]).toBe('move_id,sku,warehouse,quantity,unit_cost,total_cost,moved_at,picker,customer_id');
    expect(readFileSync(join(dir, 'l.jsonl'), 'utf8').length).toBeGreaterThan(0);
    const piped = spawnSync('bash', ['-c', `node ${BIN} pipe ./warehouse_moves.yml --rows 5 --clean | node ${BIN} csv`], { cwd: dir, env, encoding: 'utf8' });
    expect(piped.stdout.split('\n')[1]).toBe(lines[1]);
    expect(datagen(['new', 'scenario', 'warehouse_moves'], dir).stderr).toMatch(/already exists \(pass --overwrite to replace it\) \[E_OUTPUT\]/);
    expect(datagen(['new', 'scenario', 'Bad-Name'], dir).status).toBe(1);
  });

  it('a broken YAML file fails the CLI with one line naming file and line', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'broken.yml'), 'name: x\nfields:\n  a:\n    type: int32\n    generator: { uniform: { min: 1 } }\n');
    const r = datagen(['generate', './broken.yml', '--rows', '5'], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("datagen: ./broken.yml:5:27: fields.a.generator.uniform: missing required key 'max' [E_SCENARIO_FILE]\n");
  });

  it('TypeScript template compiles and runs', async () => {
    const dir = tempDir();
    expect(datagen(['new', 'scenario', 'stock_moves', '--ts', '--dir', dir], dir).status).toBe(0);
    const source = readFileSync(join(dir, 'stock_moves.ts'), 'utf8').replaceAll("from 'datagen'", `from '${join(import.meta.dirname, '..', 'dist', 'src', 'index.js')}'`);
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'stock_moves.mjs'), js);
    const mod = await import(join(dir, 'm', 'stock_moves.mjs'));
    const { collect: run, scenario: src } = await import(join(import.meta.dirname, '..', 'dist', 'src', 'index.js'));
    const rows = await run(src(mod.stockMoves, { rows: 1000, seed: 1 }));
    expect(rows.length).toBe(1000);
    expect(rows[999].move_id).toBe(1000);
  });
});
