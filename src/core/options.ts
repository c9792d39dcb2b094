import { DatagenError } from './errors.js';
import { formatDate, parseDate } from './temporal.js';

/**
 * Every unit declares its options once, as data. The same declaration validates options in
 * the TypeScript API, becomes the CLI's flags (with help text), and feeds `describe`.
 * Normalising happens here and only here, so every unit reports mistakes the same way:
 * `<unit>: <option> must be ..., got <value>` with code E_OPTION.
 */
interface Common {
  description: string;
  /** CLI flag name when it differs from the kebab-case option name (e.g. path -> out). */
  flag?: string;
  char?: string;
  required?: boolean;
}
export type OptionSpec =
  | (Common & { type: 'number'; default?: number; min?: number; max?: number })
  | (Common & { type: 'integer'; default?: number; min?: number; max?: number })
  | (Common & { type: 'string'; default?: string; choices?: readonly string[]; nonEmpty?: boolean })
  | (Common & { type: 'boolean'; default?: boolean })
  | (Common & { type: 'list'; default?: readonly string[] })
  | (Common & { type: 'date'; default?: string });
export type OptionsSpec = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'number' | 'integer' | 'date'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'list'
      ? string[]
      : string;
type HasValue<S> = S extends { default: unknown } ? true : S extends { required: true } ? true : false;

/** The normalised options a unit's factory receives. */
export type Options<S extends OptionsSpec> = {
  [K in keyof S]: HasValue<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};
/** What a caller may pass: every option optional (required ones are checked at run time). */
export type OptionsInput<S extends OptionsSpec> = {
  [K in keyof S]?: S[K]['type'] extends 'list' ? string[] | string : S[K]['type'] extends 'date' ? string : ValueOf<S[K]> | string;
};

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** The CLI flag of an option: `flag`, else the kebab-case of its key. */
export function flagOf(name: string, spec: OptionSpec): string {
  return spec.flag ?? kebab(name);
}

export interface NormalizeSettings {
  /** Name options in messages by their CLI flag (`--max-rows`) instead of their key (`maxRows`). */
  flagNames?: boolean;
}

export function normalizeOptions<S extends OptionsSpec>(owner: string, spec: S, raw: Record<string, unknown> = {}, settings: NormalizeSettings = {}): Options<S> {
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(spec, key) && raw[key] !== undefined) {
      throw new DatagenError('E_OPTION', `${owner}: unknown option '${key}' (options: ${Object.keys(spec).join(', ') || 'none'})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) {
    const given = raw[name];
    const label = settings.flagNames ? `--${flagOf(name, s)}` : name;
    if (given === undefined || given === null) {
      if (s.required) throw new DatagenError('E_OPTION', `${owner}: option ${settings.flagNames ? label : `'${label}'`} is required (${s.description})`);
      out[name] = s.type === 'date' && s.default !== undefined ? parseDate(s.default) : s.default;
      continue;
    }
    out[name] = normalizeOne(owner, label, s, given);
  }
  return out as Options<S>;
}

/**
 * Decimal notation only: optional sign, digits with an optional fraction, optional exponent.
 * Number() alone would also take 0x1, 0b1, 0o7, Infinity and blanks.
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A number written in decimal notation (surrounding blanks allowed), else undefined. */
export function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function normalizeOne(owner: string, name: string, s: OptionSpec, given: unknown): unknown {
  const fail = (want: string): never => {
    throw new DatagenError('E_OPTION', `${owner}: ${name} must be ${want}, got ${JSON.stringify(given)}`);
  };
  switch (s.type) {
    case 'number':
    case 'integer': {
      const n = typeof given === 'number' ? given : typeof given === 'string' ? (parseDecimal(given) ?? NaN) : NaN;
      if (!Number.isFinite(n)) fail(s.type === 'integer' ? 'an integer' : 'a number');
      if (s.type === 'integer' && !Number.isSafeInteger(n)) fail('an integer');
      if (s.min !== undefined && n < s.min) fail(s.max !== undefined ? `between ${s.min} and ${s.max}` : `>= ${s.min}`);
      if (s.max !== undefined && n > s.max) fail(s.min !== undefined ? `between ${s.min} and ${s.max}` : `<= ${s.max}`);
      return n;
    }
    case 'boolean':
      if (typeof given === 'boolean') return given;
      if (given === 'true' || given === 'false') return given === 'true';
      return fail('true or false');
    case 'string':
      if (typeof given !== 'string') fail('a string');
      if (s.choices && !s.choices.includes(given as string)) fail(`one of ${s.choices.join(', ')}`);
      if (s.nonEmpty && (given as string).trim() === '') fail('a path, not empty');
      return given;
    case 'list': {
      const list = Array.isArray(given) ? given : typeof given === 'string' ? given.split(',') : fail('a list of names');
      const items = (list as unknown[]).map((x) => String(x).trim());
      // `a,,b` or `a,` is a slip (a missing name), not a shorter list: say so. A single empty
      // value (--columns '') stays an empty list.
      if (items.length > 1 && items.includes('')) fail('a comma-separated list without empty items');
      return items.filter((x) => x !== '');
    }
    case 'date': {
      const days = typeof given === 'string' ? parseDate(given) : undefined;
      if (days === undefined) fail('a date as YYYY-MM-DD');
      return days;
    }
  }
}

/** A rate in [0, 1]: the same spec for every anomaly stage. */
export function rateOption(description: string, dflt: number) {
  return { type: 'number' as const, description, default: dflt, min: 0, max: 1 };
}

/**
 * A `kinds` option with optional weights, `kind` or `kind=weight` (e.g. `whitespace=3,case`):
 * each name must be one of `names`; a missing weight is 1.
 */
export function parseWeightedKinds<K extends string>(owner: string, items: readonly string[], names: readonly K[]): Map<K, number> {
  const out = new Map<K, number>();
  for (const item of items) {
    const [name, weightText] = item.split('=').map((x) => x.trim());
    if (!names.includes(name as K)) {
      throw new DatagenError('E_OPTION', `${owner}: kinds must be among ${names.join(', ')}, got ${JSON.stringify(name)}`);
    }
    const weight = weightText === undefined ? 1 : (parseDecimal(weightText) ?? NaN);
    if (weightText === '' || !(weight > 0) || !Number.isFinite(weight)) {
      throw new DatagenError('E_OPTION', `${owner}: kinds weight must be a positive number (kind=weight), got ${JSON.stringify(item)}`);
    }
    out.set(name as K, weight);
  }
  return out;
}

/** A `start`/`end` pair of date options (day numbers): the end may not come before the start. */
export function checkDateRange(owner: string, start: number, end: number): void {
  if (end < start) throw new DatagenError('E_OPTION', `${owner}: end ${formatDate(end)} is before start ${formatDate(start)}`);
}
