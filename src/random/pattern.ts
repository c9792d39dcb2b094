import { DatagenError } from '../core/errors.js';
import type { Rng } from './rng.js';

/**
 * Strings from a small regex-like pattern, e.g. `CUST-[A-Z0-9]{8}` or `SKU-\d{6}`.
 * Supported: literal characters, `\` escapes, character classes `[A-Z0-9_]`, `\d`, `\w`,
 * `\l` (lower-case letter), `\u` (upper-case letter), and quantifiers `{n}`, `{m,n}`, `?`.
 * There are no groups, alternation or `*`/`+`, so a pattern has no nesting and no unbounded
 * repetition. The pattern is compiled once; sampling is a loop over the compiled parts.
 *
 * Bounds, checked when the pattern is compiled (a pattern comes from a user's file, and one
 * value is built in memory 8192 times per chunk):
 */
/** Largest count a quantifier may ask for: `{10000}` is fine, `{10001}` is refused. */
export const MAX_REPEAT = 10_000;
/** Longest value a pattern may make, in UTF-16 code units (string length). */
export const MAX_PATTERN_LENGTH = 10_000;
/** Most characters a class may expand to (ranges counted in full, repeats included). */
export const MAX_CLASS_SIZE = 65_536;

/** One position: the characters it draws from (whole code points), repeated min..max times. */
type Part = { chars: string | string[]; min: number; max: number };

const CLASSES: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  d: '0123456789',
  w: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_',
  l: 'abcdefghijklmnopqrstuvwxyz',
  u: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
});

export class Pattern {
  private readonly parts: Part[];
  /** The longest value this pattern can make (string length). */
  readonly maxLength: number;

  constructor(readonly source: string) {
    this.parts = compile(source);
    this.maxLength = this.parts.reduce((n, p) => n + p.max * widest(p.chars), 0);
    if (this.maxLength > MAX_PATTERN_LENGTH) {
      throw new DatagenError('E_OPTION', `pattern ${preview(source)}: makes values of up to ${this.maxLength} characters; the limit is ${MAX_PATTERN_LENGTH}`);
    }
  }

  sample(rng: Rng): string {
    // Built in an array and joined: `+=` one character at a time leaves a rope of one node per
    // character (~30 bytes each) until the string is read, which for long values multiplies memory.
    const out: string[] = [];
    for (const p of this.parts) {
      const n = p.min === p.max ? p.min : rng.int(p.min, p.max);
      if (p.chars.length === 1) out.push((p.chars[0] as string).repeat(n));
      else for (let i = 0; i < n; i++) out.push(p.chars[Math.floor(rng.float() * p.chars.length)]!);
    }
    return out.join('');
  }
}

function widest(chars: string | string[]): number {
  if (typeof chars === 'string') return 1;
  let w = 1;
  for (const c of chars) if (c.length > w) w = c.length;
  return w;
}

/** A pattern in an error message: quoted, and cut when long (a pattern may be a whole file). */
function preview(src: string): string {
  return JSON.stringify(src.length > 60 ? `${src.slice(0, 60)}...` : src);
}

function compile(src: string): Part[] {
  const bad = (why: string): never => {
    throw new DatagenError('E_OPTION', `pattern ${preview(src)}: ${why}`);
  };
  const parts: Part[] = [];
  let i = 0;
  // Code points, not UTF-16 units: `😀{3}` repeats the emoji, not its second half.
  const charAt = (k: number) => String.fromCodePoint(src.codePointAt(k)!);
  while (i < src.length) {
    let chars: string | string[];
    const c = charAt(i);
    if (c === '[') {
      const end = src.indexOf(']', i + 1);
      if (end < 0) bad(`unclosed [ at position ${i}`);
      chars = expandClass(src.slice(i + 1, end), bad);
      i = end + 1;
    } else if (c === '\\') {
      if (i + 1 >= src.length) bad('ends with a lone \\');
      const e = charAt(i + 1);
      chars = CLASSES[e] ?? e;
      i += 1 + e.length;
    } else if ('{}?*+()|'.includes(c)) {
      bad(`unexpected ${c} at position ${i} (supported: literals, [classes], \\d \\w \\l \\u, {n}, {m,n}, ?)`);
      chars = '';
    } else {
      chars = c;
      i += c.length;
    }
    // Astral characters are whole strings in an array; BMP-only sets stay one string.
    if (typeof chars === 'string' && /[\uD800-\uDFFF]/.test(chars)) chars = Array.from(chars);
    let min = 1;
    let max = 1;
    if (src[i] === '{') {
      const end = src.indexOf('}', i);
      const m = end < 0 ? null : /^(\d+)(?:,(\d+))?$/.exec(src.slice(i + 1, end));
      if (!m) bad(`bad quantifier at position ${i}`);
      min = Number(m![1]);
      max = m![2] === undefined ? min : Number(m![2]);
      if (max < min) bad(`quantifier {${min},${max}} has max < min`);
      if (max > MAX_REPEAT) bad(`quantifier {${m![0]}} at position ${i} repeats more than ${MAX_REPEAT} times`);
      i = end + 1;
    } else if (src[i] === '?') {
      min = 0;
      i++;
    }
    parts.push({ chars, min, max });
  }
  return parts;
}

function expandClass(body: string, bad: (why: string) => never): string | string[] {
  const members = Array.from(body); // code points
  const out: string[] = [];
  const add = (s: string) => {
    if (out.length >= MAX_CLASS_SIZE) bad(`a character class has more than ${MAX_CLASS_SIZE} characters`);
    out.push(s);
  };
  for (let i = 0; i < members.length; i++) {
    const c = members[i]!;
    if (c === '\\' && i + 1 < members.length) {
      const cls = CLASSES[members[i + 1]!];
      if (cls) for (const x of cls) add(x);
      else add(members[i + 1]!);
      i++;
    } else if (members[i + 1] === '-' && i + 2 < members.length) {
      const from = c.codePointAt(0)!;
      const to = members[i + 2]!.codePointAt(0)!;
      const range = JSON.stringify(`${c}-${members[i + 2]}`);
      if (to < from) bad(`range ${range} is reversed`);
      if (to - from + 1 + out.length > MAX_CLASS_SIZE) bad(`range ${range} has ${to - from + 1} characters; a class may have ${MAX_CLASS_SIZE}`);
      // Surrogate code points are halves of other characters, never characters of their own.
      for (let k = from; k <= to; k++) if (k < 0xd800 || k > 0xdfff) add(String.fromCodePoint(k));
      i += 2;
    } else add(c);
  }
  if (out.length === 0) bad('empty character class');
  return out.every((s) => s.length === 1) ? out.join('') : out;
}
