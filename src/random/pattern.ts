import { DatagenError } from '../errors.js';
import type { Rng } from './rng.js';

/**
 * Strings from a small regex-like pattern, e.g. `CUST-[A-Z0-9]{8}` or `SKU-\d{6}`.
 * Supported: literal characters, `\` escapes, character classes `[A-Z0-9_]`, `\d`, `\w`,
 * `\l` (lower-case letter), `\u` (upper-case letter), and quantifiers `{n}`, `{m,n}`, `?`.
 * The pattern is compiled once; sampling is a loop over the compiled parts.
 */
type Part = { chars: string; min: number; max: number };

const CLASSES: Record<string, string> = {
  d: '0123456789',
  w: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_',
  l: 'abcdefghijklmnopqrstuvwxyz',
  u: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
};

export class Pattern {
  private readonly parts: Part[];

  constructor(readonly source: string) {
    this.parts = compile(source);
  }

  sample(rng: Rng): string {
    let out = '';
    for (const p of this.parts) {
      const n = p.min === p.max ? p.min : rng.int(p.min, p.max);
      if (p.chars.length === 1) out += p.chars.repeat(n);
      else for (let i = 0; i < n; i++) out += p.chars[Math.floor(rng.float() * p.chars.length)];
    }
    return out;
  }
}

function compile(src: string): Part[] {
  const bad = (why: string): never => {
    throw new DatagenError('E_OPTION', `pattern ${JSON.stringify(src)}: ${why}`);
  };
  const parts: Part[] = [];
  let i = 0;
  while (i < src.length) {
    let chars: string;
    const c = src[i]!;
    if (c === '[') {
      const end = src.indexOf(']', i + 1);
      if (end < 0) bad(`unclosed [ at position ${i}`);
      chars = expandClass(src.slice(i + 1, end), bad);
      i = end + 1;
    } else if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) bad('ends with a lone \\');
      chars = CLASSES[e!] ?? e!;
      i += 2;
    } else if ('{}?*+()|'.includes(c)) {
      bad(`unexpected ${c} at position ${i} (supported: literals, [classes], \\d \\w \\l \\u, {n}, {m,n}, ?)`);
      chars = '';
    } else {
      chars = c;
      i++;
    }
    let min = 1;
    let max = 1;
    if (src[i] === '{') {
      const end = src.indexOf('}', i);
      const m = end < 0 ? null : /^(\d+)(?:,(\d+))?$/.exec(src.slice(i + 1, end));
      if (!m) bad(`bad quantifier at position ${i}`);
      min = Number(m![1]);
      max = m![2] === undefined ? min : Number(m![2]);
      if (max < min) bad(`quantifier {${min},${max}} has max < min`);
      i = end + 1;
    } else if (src[i] === '?') {
      min = 0;
      i++;
    }
    parts.push({ chars, min, max });
  }
  return parts;
}

function expandClass(body: string, bad: (why: string) => never): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\' && i + 1 < body.length) {
      out += CLASSES[body[i + 1]!] ?? body[i + 1];
      i++;
    } else if (body[i + 1] === '-' && i + 2 < body.length) {
      const from = c.charCodeAt(0);
      const to = body.charCodeAt(i + 2);
      if (to < from) bad(`range ${c}-${body[i + 2]} is reversed`);
      for (let k = from; k <= to; k++) out += String.fromCharCode(k);
      i += 2;
    } else out += c;
  }
  if (!out) bad('empty character class');
  return out;
}
