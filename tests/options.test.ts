import { describe, expect, it } from 'vitest';
import { normalizeOptions, parseDecimal, type OptionsSpec } from '../src/core/options.js';
import { scenario } from '../sources/scenario.js';
import { csv } from '../sinks/csv.js';

/** Option checks shared by every unit (src/core/options.ts), in process: notation, lists, naming. */
const SPEC = {
  rate: { type: 'number', description: 'r', min: 0, max: 1 },
  maxRows: { type: 'integer', description: 'm', min: 1 },
  path: { type: 'string', flag: 'out', description: 'p', nonEmpty: true },
  columns: { type: 'list', description: 'c' },
} as const satisfies OptionsSpec;

const refusal = (raw: Record<string, unknown>, flagNames = false): string => {
  try {
    normalizeOptions('u', SPEC, raw, { flagNames });
  } catch (err) {
    return `${(err as { code: string }).code} ${(err as Error).message}`;
  }
  return 'accepted';
};

describe('numbers: decimal notation only', () => {
  it('parseDecimal takes signs, fractions and exponents, nothing Number() alone would add', () => {
    expect(['1', '+1', '-1', '0.5', '.5', '5.', ' 0.25 ', '1e3', '1E-2', '-2.5e+1'].map(parseDecimal)).toEqual([1, 1, -1, 0.5, 0.5, 5, 0.25, 1000, 0.01, -25]);
    for (const bad of ['0x1', '0b1', '0o7', 'Infinity', '-Infinity', 'NaN', '', ' ', '\t', '1_000', '1e', 'e3', '.', '1..2', '--1', '1e999']) {
      expect(parseDecimal(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('number and integer options refuse hex, binary, octal, Infinity, empty and blank text', () => {
    for (const bad of ['0x1', '0b1', '0o1', 'Infinity', '', '   ']) {
      expect(refusal({ rate: bad }), bad).toBe(`E_OPTION u: rate must be a number, got ${JSON.stringify(bad)}`);
      expect(refusal({ maxRows: bad }), bad).toBe(`E_OPTION u: maxRows must be an integer, got ${JSON.stringify(bad)}`);
    }
    expect(normalizeOptions('u', SPEC, { rate: '5e-1', maxRows: '1e3' })).toMatchObject({ rate: 0.5, maxRows: 1000 });
  });
});

describe('lists and paths', () => {
  it('an empty item in a list is refused, naming the list as given', () => {
    for (const bad of ['a,,b', 'a,', ',a', 'a, ,b']) expect(refusal({ columns: bad })).toBe(`E_OPTION u: columns must be a comma-separated list without empty items, got ${JSON.stringify(bad)}`);
    expect(refusal({ columns: ['a', ''] })).toMatch(/^E_OPTION u: columns must be a comma-separated list without empty items/);
    expect(normalizeOptions('u', SPEC, { columns: ' a , b ' }).columns).toEqual(['a', 'b']);
    expect(normalizeOptions('u', SPEC, { columns: '' }).columns).toEqual([]); // no list given
  });

  it('an empty path is refused (API and sinks)', () => {
    expect(refusal({ path: '' })).toBe('E_OPTION u: path must be a path, not empty, got ""');
    expect(() => csv({ path: '' })).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: 'csv: path must be a path, not empty, got ""' }));
  });
});

describe('messages name the option as the caller spells it', () => {
  it('the key in the API, the flag (kebab-case or its own flag name) from the CLI', () => {
    expect(refusal({ maxRows: '0' })).toBe('E_OPTION u: maxRows must be >= 1, got "0"');
    expect(refusal({ maxRows: '0' }, true)).toBe('E_OPTION u: --max-rows must be >= 1, got "0"');
    expect(refusal({ path: '' }, true)).toBe('E_OPTION u: --out must be a path, not empty, got ""');
    expect(refusal({ columns: 'a,,b' }, true)).toMatch(/^E_OPTION u: --columns must be/);
  });
});

describe('attendance holidays', () => {
  it('refuses days no month has (02-30, 04-31), names the value; takes 02-29 and 12-31', () => {
    for (const bad of ['02-30', '04-31', '06-31', '13-01', '00-10', '01-00', '1-1', '01-01x']) {
      expect(() => scenario('attendance', { rows: 1, holidays: bad }), bad).toThrowError(
        expect.objectContaining({ code: 'E_OPTION', message: `attendance: holidays must be MM-DD days of the calendar, got ${JSON.stringify(bad)}` }),
      );
    }
    expect(() => scenario('attendance', { rows: 1, holidays: '02-29,12-31,01-31' })).not.toThrow();
  });
});
