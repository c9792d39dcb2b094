import { isAscii } from 'node:buffer';
import type { Kind, Value } from '../core/schema.js';
import { MICROS_PER_DAY, formatDate, formatTime, formatTimestamp, parseDate, parseTime, parseTimestamp } from '../core/temporal.js';

/**
 * Value <-> text for each kind, made once per column so the row loops only call functions.
 * Text encoders serve CSV (and anything else textual); JSON encoders return a JSON literal.
 * A string where the schema expects a number or a date is a deliberately malformed value:
 * it is written as it is, never "fixed".
 */
export type TextEncoder = (v: Exclude<Value, null>) => string;

/**
 * Set on a row (by the truncate-lines stage) to have the JSON Lines writer cut that row's line
 * after this share of its characters: a container-breaking anomaly, only when asked for.
 * A symbol, so it is no column and no other writer sees it.
 */
export const TRUNCATE_LINE = Symbol.for('datagen.truncateLine');
export type JsonDecoder = (v: unknown) => Value;

export function textEncoder(kind: Kind, scale = 0): TextEncoder {
  switch (kind) {
    case 'date':
      return (v) => (typeof v === 'number' ? formatDate(v) : String(v));
    case 'time':
      return (v) => (typeof v === 'number' ? formatTime(v) : String(v));
    case 'timestamp':
      return (v) => (typeof v === 'number' ? formatTimestamp(v) : String(v));
    case 'decimal': {
      const fixed = decimalText(scale);
      return (v) => (typeof v === 'number' ? fixed(v) : String(v));
    }
    case 'bool':
      return (v) => (v === true ? 'true' : v === false ? 'false' : String(v));
    default:
      return (v) => (typeof v === 'string' ? v : String(v));
  }
}

/** The JSON literal for a non-null value. */
export function jsonEncoder(kind: Kind, scale = 0): TextEncoder {
  if (kind === 'int' || kind === 'float') {
    return (v) => (typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'null') : JSON.stringify(v));
  }
  if (kind === 'decimal') {
    // Written as a number literal with exactly `scale` digits, so readers see 12.3400.
    const fixed = decimalText(scale);
    return (v) => (typeof v === 'number' ? (Number.isFinite(v) ? fixed(v) : 'null') : JSON.stringify(v));
  }
  if (kind === 'bool') return (v) => (typeof v === 'boolean' ? (v ? 'true' : 'false') : JSON.stringify(v));
  const text = textEncoder(kind, scale);
  return (v) => JSON.stringify(text(v));
}

/** JSON value (from JSON.parse) -> in-memory value. Text that does not parse stays text. */
export function jsonDecoder(kind: Kind): JsonDecoder {
  switch (kind) {
    // Only the text datagen itself writes is decoded; any other spelling stays text, so a value
    // passes through a pipe byte for byte (a malformed `2024-3-1` is not "repaired").
    case 'date':
      return (v) => {
        if (typeof v !== 'string') return v as Value;
        const day = parseDate(v);
        return day !== undefined && formatDate(day) === v ? day : v;
      };
    case 'time':
      return (v) => {
        if (typeof v !== 'string') return v as Value;
        const secs = parseTime(v);
        return secs !== undefined && formatTime(secs) === v ? secs : v;
      };
    case 'timestamp':
      return (v) => {
        if (typeof v !== 'string') return v as Value;
        const micros = parseTimestamp(v);
        return micros !== undefined && formatTimestamp(micros) === v ? micros : v;
      };
    default:
      return (v) => (v === undefined ? null : typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as Value));
  }
}

/** In-memory value -> the plain JSON value (used by the ledger and the TypeScript API). */
export function toJsonValue(kind: Kind, v: Value, scale = 0): string | number | boolean | null {
  if (v === null) return null;
  if (typeof v === 'string' || kind === 'int' || kind === 'float' || kind === 'bool') return v;
  if (kind === 'decimal') return typeof v === 'number' ? Number(v.toFixed(scale)) : v;
  return textEncoder(kind)(v);
}

/**
 * A decimal's text with exactly `scale` fraction digits: toFixed's result, by integer
 * arithmetic on the scaled value (2-3x faster on wide tables). Falls back to toFixed where
 * the scaled value is not a safe integer or the input is not already at its scale (the
 * integer route would round it differently).
 */
export function decimalText(scale: number): (v: number) => string {
  if (scale === 0) return (v) => v.toFixed(0);
  const unit = 10 ** scale;
  return (v) => {
    const n = Math.round(v * unit);
    if (!Number.isSafeInteger(n) || n / unit !== v) return v.toFixed(scale);
    const a = n < 0 ? -n : n;
    const whole = Math.floor(a / unit);
    return (n < 0 ? '-' : '') + whole + '.' + String(unit + (a - whole * unit)).slice(1);
  };
}

/**
 * Text built as bytes, one byte per character (Latin-1), then read back as one flat string.
 * Why: `out += field` on a batch builds a rope of tens of thousands of cons cells that stay
 * alive until the batch is written, so every young-generation GC copies them and promotes
 * them; on wide tables that was a third of the run. Writing bytes into one reused buffer
 * allocates nothing per field, and numbers, decimals and timestamps are written digit by
 * digit without an intermediate string. A character above U+00FF (rare) ends the current
 * byte run: the run and that text are kept as string pieces and joined at the end.
 */
export class TextBuilder {
  bytes: Buffer = Buffer.allocUnsafeSlow(1 << 16);
  pos = 0;
  private pieces: string[] = [];

  /** Room for at least `n` more bytes at `pos`. */
  reserve(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.bytes.length, this.pos + n));
    this.bytes.copy(bigger, 0, 0, this.pos);
    this.bytes = bigger;
  }

  /** Append one character code, at most 0xff. */
  byte(c: number): void {
    if (this.pos >= this.bytes.length) this.reserve(1);
    this.bytes[this.pos++] = c;
  }

  /** Append any text. */
  append(s: string): void {
    const len = s.length;
    this.reserve(len);
    const b = this.bytes;
    let p = this.pos;
    for (let i = 0; i < len; i++) {
      // Not `s.charCodeAt(i)`: strings come in many representations (flat, cons, sliced,
      // internalized), each with its own map, which made looking up `charCodeAt` on them a
      // megamorphic lookup per character (~20% of formatting a wide table). Called through
      // the function itself, the compiler reads the character directly.
      const c = String.prototype.charCodeAt.call(s, i);
      if (c > 0xff) {
        this.pieces.push(b.toString('latin1', 0, this.pos), s);
        this.pos = 0;
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }

  /** Append character codes (each at most 0xff), e.g. a constant word. */
  codes(cs: readonly number[]): void {
    this.reserve(cs.length);
    const b = this.bytes;
    const p = this.pos;
    for (let i = 0; i < cs.length; i++) b[p + i] = cs[i]!;
    this.pos = p + cs.length;
  }

  /** A non-negative safe integer in decimal digits, at least `width` of them (zero-padded). */
  digits(x: number, width = 1): void {
    this.reserve(16 + width);
    this.pos = putDigits(this.bytes, this.pos, x, width);
  }

  /**
   * The same as take(), as UTF-8 bytes in a buffer of their own (to hand to another thread):
   * ASCII text (the common case) is copied as it is, without the round trip through a string.
   */
  takeBytes(alloc: (bytes: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array {
    if (this.pieces.length === 0 && isAscii(this.bytes.subarray(0, this.pos))) {
      const out = alloc(this.pos).subarray(0, this.pos);
      out.set(this.bytes.subarray(0, this.pos));
      this.pos = 0;
      return out;
    }
    const text = this.take();
    const room = alloc(3 * text.length);
    return room.subarray(0, new TextEncoder().encodeInto(text, room).written);
  }

  /** Everything appended since the last call, as one string; the buffer is reused. */
  take(): string {
    const tail = this.bytes.toString('latin1', 0, this.pos);
    this.pos = 0;
    if (this.pieces.length === 0) return tail;
    this.pieces.push(tail);
    const all = this.pieces.join('');
    this.pieces = [];
    return all;
  }
}

/**
 * Writes the decimal digits of a non-negative safe integer at `p`, at least `width` of them
 * (zero-padded), and returns the position after them. The caller has reserved the room:
 * 16 digits at most, or `width`.
 */
function putDigits(b: Buffer, p: number, x: number, width: number): number {
  let len = 1;
  for (let t = 10; t <= x; t *= 10) len++;
  if (len < width) len = width;
  let i = p + len - 1;
  // Whole-number division, not `%`: on doubles `%` is a call into C in V8.
  for (; x >= 2147483648; i--) {
    const q = Math.floor(x / 10);
    b[i] = 48 + (x - q * 10);
    x = q;
  }
  let y = x | 0;
  for (; i >= p; i--) {
    const q = (y / 10) | 0;
    b[i] = 48 + y - q * 10;
    y = q;
  }
  return p + len;
}

/**
 * Writes formatDate(day) + suffix. Rows of a table often share a day, so the text is made
 * once per day and kept as bytes, copied by a plain loop for the rows after.
 */
function dayWriter(suffix: string): (day: number, out: TextBuilder) => void {
  let lastDay = NaN;
  let text = '';
  const kept = new Uint8Array(32);
  return (day, out) => {
    if (day !== lastDay) {
      lastDay = day;
      text = formatDate(day) + suffix;
      for (let i = 0; i < text.length && i < kept.length; i++) kept[i] = text.charCodeAt(i);
    }
    const len = text.length;
    if (len > kept.length) return out.append(text);
    out.reserve(len);
    const b = out.bytes;
    const p = out.pos;
    for (let i = 0; i < len; i++) b[p + i] = kept[i]!;
    out.pos = p + len;
  };
}

const TRUE = Array.from('true', (c) => c.charCodeAt(0));
const FALSE = Array.from('false', (c) => c.charCodeAt(0));

/**
 * Appends a value's text (what textEncoder returns) to a TextBuilder: digits written in place
 * for ints, decimals and timestamps, cached day texts for dates; anything unusual (a
 * malformed string, a value out of range) goes through textEncoder, so the text is the same.
 */
export type TextWriter = (v: Exclude<Value, null>, out: TextBuilder) => void;

export function textWriter(kind: Kind, scale = 0): TextWriter {
  const encode = textEncoder(kind, scale);
  const slow: TextWriter = (v, out) => out.append(encode(v));
  switch (kind) {
    case 'int':
      return (v, out) => {
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) return slow(v, out);
        if (v < 0) {
          out.append('-');
          v = -v;
        }
        out.digits(v);
      };
    case 'decimal': {
      if (scale === 0) return slow;
      // decimalText's integer route, written as digits (its fallbacks go through `slow`).
      const unit = 10 ** scale;
      return (v, out) => {
        if (typeof v !== 'number') return slow(v, out);
        const n = Math.round(v * unit);
        if (!Number.isSafeInteger(n) || n / unit !== v) return slow(v, out);
        out.reserve(18 + scale); // sign, 16 digits, '.', the fraction
        const b = out.bytes;
        let p = out.pos;
        if (n < 0) b[p++] = 45; // '-'
        const a = n < 0 ? -n : n;
        const whole = Math.floor(a / unit);
        p = putDigits(b, p, whole, 1);
        b[p++] = 46; // '.'
        out.pos = putDigits(b, p, a - whole * unit, scale);
      };
    }
    case 'date': {
      const day = dayWriter('');
      return (v, out) => (typeof v === 'number' ? day(v, out) : slow(v, out));
    }
    case 'timestamp': {
      // formatTimestamp's arithmetic, with the day's text kept and the time written as digits.
      const day = dayWriter('T');
      return (v, out) => {
        if (typeof v !== 'number') return slow(v, out);
        const days = Math.floor(v / MICROS_PER_DAY);
        const rest = v - days * MICROS_PER_DAY;
        const secs = Math.floor(rest / 1_000_000);
        const frac = Math.floor(rest - secs * 1_000_000);
        if (!(secs >= 0 && secs < 86_400 && frac >= 0 && frac < 1_000_000)) return slow(v, out);
        day(days, out);
        const t = secs | 0;
        const h = (t / 3600) | 0;
        const m = ((t / 60) | 0) - h * 60;
        const s = t - ((t / 60) | 0) * 60;
        out.reserve(16);
        const b = out.bytes;
        const p = out.pos;
        b[p] = 48 + ((h / 10) | 0);
        b[p + 1] = 48 + h - ((h / 10) | 0) * 10;
        b[p + 2] = 58; // ':'
        b[p + 3] = 48 + ((m / 10) | 0);
        b[p + 4] = 48 + m - ((m / 10) | 0) * 10;
        b[p + 5] = 58;
        b[p + 6] = 48 + ((s / 10) | 0);
        b[p + 7] = 48 + s - ((s / 10) | 0) * 10;
        b[p + 8] = 46; // '.'
        putDigits(b, p + 9, frac, 6); // frac < 10^6: exactly 6 digits
        b[p + 15] = 90; // 'Z'
        out.pos = p + 16;
      };
    }
    case 'bool':
      return (v, out) => (v === true ? out.codes(TRUE) : v === false ? out.codes(FALSE) : slow(v, out));
    default:
      return slow;
  }
}
