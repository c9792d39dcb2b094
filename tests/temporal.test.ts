import { describe, expect, it } from 'vitest';
import { civilFromDays, daysFromCivil, formatDate, formatTime, formatTimestamp, isoWeekday, parseDate, parseTime, parseTimestamp } from '../src/core/temporal.js';

/** Checked against the platform's Date (an independent implementation). */
describe('calendar arithmetic', () => {
  it('agrees with Date for every day from 1900 to 2100', () => {
    for (let days = -25567; days <= 47482; days++) {
      const d = new Date(days * 86_400_000);
      const c = civilFromDays(days);
      if (c.year !== d.getUTCFullYear() || c.month !== d.getUTCMonth() + 1 || c.day !== d.getUTCDate()) throw new Error(`day ${days}`);
      if (daysFromCivil(c.year, c.month, c.day) !== days) throw new Error(`round trip ${days}`);
      if (isoWeekday(days) !== (d.getUTCDay() + 6) % 7) throw new Error(`weekday ${days}`);
      if (formatDate(days) !== d.toISOString().slice(0, 10)) throw new Error(`format ${days}`);
    }
  });

  it('parses only real dates and times', () => {
    expect(parseDate('2024-02-29')).toBe(daysFromCivil(2024, 2, 29));
    for (const bad of ['2023-02-29', '2024-13-01', '2024-1-01', '24-01-01', 'x']) expect(parseDate(bad)).toBeUndefined();
    expect(parseTime('09:15:00')).toBe(33300);
    for (const bad of ['24:00:00', '09:60:00', '9:15:00']) expect(parseTime(bad)).toBeUndefined();
    expect(formatTime(33300)).toBe('09:15:00');
  });

  it('timestamps carry microseconds and an offset, and round-trip', () => {
    const micros = Date.UTC(2024, 2, 1, 9, 15, 2) * 1000 + 123456;
    expect(formatTimestamp(micros)).toBe('2024-03-01T09:15:02.123456Z');
    expect(parseTimestamp('2024-03-01T09:15:02.123456Z')).toBe(micros);
    expect(parseTimestamp('2024-03-01T10:15:02.123456+01:00')).toBe(micros);
    expect(parseTimestamp('2024-03-01 09:15:02')).toBe(micros - 123456);
    expect(formatTimestamp(-1)).toBe('1969-12-31T23:59:59.999999Z');
  });
});
