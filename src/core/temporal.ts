/**
 * Calendar arithmetic on plain integers: days since 1970-01-01, seconds since midnight,
 * microseconds since the epoch. No Date objects and no time zones in the hot path; the
 * civil-date algorithms are Howard Hinnant's (public domain), exact for the proleptic
 * Gregorian calendar.
 */

export const MICROS_PER_DAY = 86_400_000_000;

export interface Civil {
  year: number;
  month: number; // 1..12
  day: number; // 1..31
}

export function civilFromDays(days: number): Civil {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** 0 = Monday ... 6 = Sunday (ISO). 1970-01-01 was a Thursday. */
export function isoWeekday(days: number): number {
  return (((days + 3) % 7) + 7) % 7;
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const y = year >= 0 && year <= 9999 ? String(year).padStart(4, '0') : String(year);
  return `${y}-${pad2(month)}-${pad2(day)}`;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days for an ISO date, or undefined when the text is not a real calendar date. */
export function parseDate(text: string): number | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return daysFromCivil(year, month, day);
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// 86,400 strings at most, made on first use: a time of day is formatted by lookup.
const timeText: string[] = [];

export function formatTime(seconds: number): string {
  const cached = timeText[seconds];
  if (cached !== undefined) return cached;
  const s = Math.floor(seconds);
  const text = `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
  if (Number.isInteger(seconds) && seconds >= 0 && seconds < 86400) timeText[seconds] = text;
  return text;
}

const TIME_RE = /^(\d{2}):(\d{2}):(\d{2})$/;

export function parseTime(text: string): number | undefined {
  const m = TIME_RE.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = Number(m[3]);
  if (h > 23 || min > 59 || s > 59) return undefined;
  return h * 3600 + min * 60 + s;
}

/** ISO-8601 with microseconds and a UTC offset: 2024-03-01T09:15:02.123456Z. */
// Rows of a table often share a day: its text is kept from the previous call.
let lastDay = NaN;
let lastDayText = '';

export function formatTimestamp(micros: number): string {
  const days = Math.floor(micros / MICROS_PER_DAY);
  if (days !== lastDay) {
    lastDay = days;
    lastDayText = formatDate(days) + 'T';
  }
  const rest = micros - days * MICROS_PER_DAY;
  const secs = Math.floor(rest / 1_000_000);
  const frac = Math.floor(rest - secs * 1_000_000); // whole microseconds, whatever arithmetic made `micros`
  return lastDayText + formatTime(secs) + '.' + String(1_000_000 + frac).slice(1) + 'Z';
}

const TS_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})?$/;

export function parseTimestamp(text: string): number | undefined {
  const m = TS_RE.exec(text);
  if (!m) return undefined;
  const days = parseDate(m[1]!);
  const secs = parseTime(m[2]!);
  if (days === undefined || secs === undefined) return undefined;
  const frac = m[3] ? Number(m[3].padEnd(6, '0')) : 0;
  let offsetMinutes = 0;
  const tz = m[4];
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  return days * MICROS_PER_DAY + (secs - offsetMinutes * 60) * 1_000_000 + frac;
}
