import { describe, expect, it } from 'vitest';
import { pendingCases, runCases, sample, type HostileCase, type PendingCase } from './hostile-harness.js';

/**
 * Hostile YAML scenario files through `datagen generate ./x.yml`: broken syntax, unknown keys
 * and types, impossible parameters, expressions that try to reach JavaScript, files built to
 * exhaust memory (alias bombs, huge repetitions, deep nesting). Each ends with one
 * E_SCENARIO_FILE line (naming the file) and no output.
 */

const HEAD = 'name: hostile\nfields:\n  id:\n    type: int64\n    key: true\n    generator: { sequence: { start: 1 } }\n';
/** A valid scenario plus `fields` (YAML lines at field level, indented two spaces). */
const withFields = (fields: string, extra = '') => `${HEAD}${fields}${extra}`;
/** One more field `f` of `type` with `generator` (a YAML flow mapping). */
const field = (type: string, generator: string, more = '') => withFields(`  f:\n    type: ${type}\n    generator: ${generator}\n${more}`);

/** Where in the file: path:line:column. */
const AT = /x\.yml:\d+:\d+/;

function yml(name: string, text: string | Buffer, code = 'E_SCENARIO_FILE', message: RegExp = /x\.yml/, command = 'generate ./x.yml --rows 10 --out out.csv'): HostileCase {
  return { name, script: `$D ${command}`, setup: { 'x.yml': text }, code, absent: ['out.csv'], message };
}

/** Billion laughs: each level doubles the one before it nine times. */
function aliasBomb(levels = 9): string {
  let s = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i <= levels; i++) s += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]\n`;
  return `${s}${HEAD}`;
}

const CASES: HostileCase[] = [
  // Not a scenario at all.
  yml('empty file', ''),
  yml('comments only', '# nothing here\n'),
  yml('a list', '- a\n- b\n'),
  yml('a scalar', 'hello\n'),
  yml('binary file', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) & 0xff))),
  yml('NUL bytes', Buffer.from([0, 0, 0, 0x0a])),
  yml('larger than 1 MiB', `${HEAD}# ${'x'.repeat(1100 * 1024)}\n`),
  // Broken syntax.
  yml('unclosed flow mapping', 'name: hostile\nfields: { id: [\n'),
  yml('tab indentation', 'name: hostile\nfields:\n\tid:\n\t\ttype: int64\n'),
  yml('bad indentation', 'name: hostile\nfields:\n  id:\n     type: int64\n   generator: {}\n'),
  yml('duplicate key', `${HEAD}  id:\n    type: int32\n    generator: { sequence: { start: 1 } }\n`),
  yml('two documents', `${HEAD}---\n${HEAD}`),
  yml('deep nesting', `name: hostile\nfields: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`),
  yml('alias bomb', aliasBomb()),
  // Unknown names.
  yml('unknown top-level key', `${HEAD}fieldz: {}\n`, 'E_SCENARIO_FILE', /fieldz/),
  yml('__proto__ as a top-level key', `${HEAD}__proto__: { polluted: true }\n`, 'E_SCENARIO_FILE', /__proto__/),
  yml('unknown field key', field('int32', '{ sequence: { start: 1 } }', '    typo: 1\n'), 'E_SCENARIO_FILE', /typo/),
  yml('unknown type', field('int128', '{ sequence: { start: 1 } }'), 'E_SCENARIO_FILE', AT),
  yml('unknown generator', field('int32', '{ frobnicate: {} }'), 'E_SCENARIO_FILE', /frobnicate/),
  yml('no generator', withFields('  f:\n    type: int32\n'), 'E_SCENARIO_FILE', /generator/),
  yml('two generators', field('int32', '{ sequence: { start: 1 }, uniform: { min: 1, max: 2 } }')),
  yml('invalid scenario name', HEAD.replace('name: hostile', 'name: "Bad Name!"'), 'E_SCENARIO_FILE', /name/),
  yml('invalid field name', withFields('  "bad-name":\n    type: int32\n    generator: { sequence: { start: 1 } }\n'), 'E_SCENARIO_FILE', AT),
  yml('faker path unknown', field('string', '{ faker: nosuch.thing }'), 'E_SCENARIO_FILE', /nosuch/),
  // Types and parameters that cannot be.
  yml('decimal(50,2)', field('decimal(50,2)', '{ uniform: { min: 1, max: 2 } }'), 'E_SCENARIO_FILE', /decimal/),
  yml('decimal(2,5)', field('decimal(2,5)', '{ uniform: { min: 0, max: 0.01 } }'), 'E_SCENARIO_FILE', /decimal/),
  yml('decimal(0,0)', field('decimal(0,0)', '{ uniform: { min: 0, max: 1 } }'), 'E_SCENARIO_FILE', /decimal/),
  yml('int32 max 1e12', field('int32', '{ uniform: { min: 0, max: 1e12 } }'), 'E_SCENARIO_FILE', /int32|max/),
  yml('uniform min above max', field('int32', '{ uniform: { min: 10, max: 1 } }'), 'E_SCENARIO_FILE', /min|max/),
  yml('normal with negative sd', field('float64', '{ normal: { mean: 0, sd: -1 } }'), 'E_SCENARIO_FILE', /sd/),
  yml('choice with more weights than values', field('string', '{ choice: { values: [a, b], weights: [1, 2, 3] } }'), 'E_SCENARIO_FILE', /weights/),
  yml('choice with a negative weight', field('string', '{ choice: { values: [a, b], weights: [1, -1] } }'), 'E_SCENARIO_FILE', /weight/),
  yml('choice of no values', field('string', '{ choice: { values: [] } }'), 'E_SCENARIO_FILE', /values/),
  yml('choice value of another type', field('int32', '{ choice: { values: [1, two] } }'), 'E_SCENARIO_FILE', /two/),
  yml('sequence start 1.5', field('int32', '{ sequence: { start: 1.5 } }'), 'E_SCENARIO_FILE', /start/),
  yml('date start after end', field('date', '{ date: { start: 2024-12-31, end: 2024-01-01 } }'), 'E_SCENARIO_FILE', /start|end/),
  yml('date 2024-13-01', field('date', '{ date: { start: 2024-13-01, end: 2024-12-31 } }'), 'E_SCENARIO_FILE', AT),
  yml('null_rate 2', field('int32', '{ sequence: { start: 1 } }', '    null_rate: 2\n'), 'E_SCENARIO_FILE', /null_rate/),
  yml('reference count 0', field('int64', '{ reference: { table: t, count: 0 } }'), 'E_SCENARIO_FILE', /count/),
  yml('text generator for an int', field('int32', '{ pattern: "[A-Z]{3}" }'), 'E_SCENARIO_FILE', /pattern|int32/),
  // Patterns built to exhaust memory or time.
  yml('pattern with huge repetition', field('string', '{ pattern: "[A-Z]{1000000000}" }'), 'E_SCENARIO_FILE', /pattern/),
  yml('pattern with nested repetition', field('string', '{ pattern: "((a{1000}){1000}){1000}" }'), 'E_SCENARIO_FILE', /pattern/),
  yml('pattern not a pattern', field('string', '{ pattern: "[A-Z" }'), 'E_SCENARIO_FILE', /pattern/),
  // Expressions that are wrong or try to reach JavaScript.
  yml('expression with an unknown function', field('float64', '{ expression: "nosuch(id)" }'), 'E_SCENARIO_FILE', /nosuch/),
  yml('expression calling constructor', field('float64', `{ expression: "constructor('return process')()" }`), 'E_SCENARIO_FILE', /constructor/),
  yml('expression reaching a prototype', field('float64', '{ expression: "id.constructor.constructor" }'), 'E_SCENARIO_FILE'),
  yml('expression __proto__', field('float64', '{ expression: "__proto__" }'), 'E_SCENARIO_FILE', /__proto__/),
  yml('expression naming a missing field', field('float64', '{ expression: "nosuch * 2" }'), 'E_SCENARIO_FILE', /nosuch/),
  yml('expression naming a later field', withFields('  f:\n    type: float64\n    generator: { expression: "g * 2" }\n  g:\n    type: float64\n    generator: { uniform: { min: 1, max: 2 } }\n'), 'E_SCENARIO_FILE', /\bg\b/),
  yml('expression naming itself', field('float64', '{ expression: "f + 1" }'), 'E_SCENARIO_FILE', /\bf\b/),
  yml('expression syntax error', field('float64', '{ expression: "id * (2 +" }'), 'E_SCENARIO_FILE'),
  yml('expression nested 20000 deep', field('float64', `{ expression: "${'('.repeat(20_000)}1${')'.repeat(20_000)}" }`), 'E_SCENARIO_FILE'),
  // Constraints and anomaly stages.
  yml('constraint syntax error', `${HEAD}constraints:\n  - "id >"\n`),
  yml('constraint naming a missing field', `${HEAD}constraints:\n  - "nosuch > 1"\n`, 'E_SCENARIO_FILE', /nosuch/),
  yml('anomaly stage unknown', `${HEAD}anomalies:\n  - frobnicate: { rate: 0.1 }\n`, 'E_SCENARIO_FILE', /frobnicate/),
  yml('anomaly rate 2', `${HEAD}anomalies:\n  - missing: { rate: 2 }\n`, 'E_SCENARIO_FILE', /rate/),
  yml('anomaly column unknown', `${HEAD}anomalies:\n  - missing: { rate: 0.1, columns: [nosuch] }\n`, 'E_UNKNOWN_COLUMN', /nosuch/),
  // YAML tags: a file written for a loader that runs them is refused, naming the tag.
  yml('unknown tag', `${HEAD}description: !!js/function "function () { return 1 }"\n`, 'E_SCENARIO_FILE', /x\.yml:7:14: unknown YAML tag "!!js\/function"/),
  yml('local tag', `${HEAD}description: !shell "rm -rf /"\n`, 'E_SCENARIO_FILE', /x\.yml:7:14: unknown YAML tag "!shell"/),
  yml('python object tag on a mapping', `${HEAD}  f: !!python/object:os.system { type: int32, generator: { constant: 1 } }\n`, 'E_SCENARIO_FILE', /x\.yml:7:6: unknown YAML tag "!!python\/object:os\.system"/),
  yml('YAML 1.1 set tag', `${HEAD}  f:\n    type: string\n    generator: { choice: { values: !!set { a, b } } }\n`, 'E_SCENARIO_FILE', /unknown YAML tag "!!set"/),
  // Keys that are lists or mappings (the parser would print a Node warning on stderr).
  yml('a list as a field name', withFields('  ? [a, b]\n  : { type: int32, generator: { constant: 1 } }\n'), 'E_SCENARIO_FILE', /x\.yml:7:5: a key must be a plain name, found a list \[/),
  yml('an aliased mapping as a key', `${HEAD}description: &m { a: 1 }\nconstraints:\n  *m : 1\n`, 'E_SCENARIO_FILE', /x\.yml:9:3: a key must be a plain name, found a mapping \[/),
  yml('rows beyond exact integers', HEAD.replace('name: hostile\n', 'name: hostile\nrows: 1e30\n'), 'E_SCENARIO_FILE', /x\.yml:2:7: rows: 1e\+30 must be <= 9007199254740991/, 'generate ./x.yml --out out.csv'),
  yml('half a surrogate pair', field('string', '{ constant: "\\uD800" }'), 'E_SCENARIO_FILE', /x\.yml:9:\d+: "\\ud800" holds half of a UTF-16 surrogate pair/),
  // The value named, not just its position.
  yml('unknown type, value named', field('int128', '{ sequence: { start: 1 } }'), 'E_SCENARIO_FILE', /x\.yml:8:11: fields\.f\.type: unknown type "int128"/),
  yml('invalid field name, value named', withFields('  "bad-name":\n    type: int32\n    generator: { sequence: { start: 1 } }\n'), 'E_SCENARIO_FILE', /x\.yml:7:3: fields\.bad-name: field name "bad-name" is not valid/),
  yml('date 2024-13-01, value named', field('date', '{ date: { start: 2024-13-01, end: 2024-12-31 } }'), 'E_SCENARIO_FILE', /x\.yml:9:\d+: fields\.f\.generator\.date\.start: "2024-13-01" is not a date/),
  yml('anomaly column unknown, file named', `${HEAD}anomalies:\n  - missing: { rate: 0.1, columns: [nosuch] }\n`, 'E_UNKNOWN_COLUMN', /x\.yml:8:37: anomalies\.0\.missing\.columns\.0: unknown column 'nosuch'/),
  yml('anomaly when naming an unknown column', `${HEAD}anomalies:\n  - noise: { rate: 0.1, when: "nosuch > 1" }\n`, 'E_UNKNOWN_COLUMN', /x\.yml:8:\d+: anomalies\.0\.noise\.when: .*unknown column 'nosuch'/),
  // The same checks through the other commands that read scenario files.
  yml('pipe of a broken file', 'name: hostile\nfields: { id: [\n', 'E_SCENARIO_FILE', /x\.yml/, 'pipe ./x.yml --rows 10'),
  yml('describe of a broken file', 'name: hostile\nfields: { id: [\n', 'E_SCENARIO_FILE', /x\.yml/, 'describe ./x.yml'),
  yml('pipe of an alias bomb', aliasBomb(), 'E_SCENARIO_FILE', /x\.yml/, 'pipe ./x.yml --rows 10'),
  { name: 'missing file', script: '$D generate ./missing.yml --rows 10 --out out.csv', code: 'E_SCENARIO_FILE', absent: ['out.csv'], message: /missing\.yml/ },
  { name: 'a folder named x.yml', script: 'mkdir x.yml && $D generate ./x.yml --rows 10 --out out.csv', code: 'E_SCENARIO_FILE', absent: ['out.csv'], message: /x\.yml/ },
];

/** Known gaps: not run by npm test (HOSTILE_PENDING=1 runs them). None at the moment. */
export const PENDING: PendingCase[] = [];

describe('hostile YAML scenario files: one E_SCENARIO_FILE line, no output', () => {
  const run = sample(CASES, 2);
  it(`scenario files (${run.length} of ${CASES.length} cases)`, async () => {
    expect(run.length).toBeGreaterThanOrEqual(30);
    expect(await runCases(run)).toEqual([]);
  }, 300_000);
});

pendingCases('yaml', PENDING);
