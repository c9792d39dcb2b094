import { beforeAll, describe, expect, it } from 'vitest';
import { DatagenError } from '../src/core/errors.js';
import { collect } from '../src/core/pipeline.js';
import type { Row } from '../src/core/schema.js';
import { civilFromDays, isoWeekday, parseDate } from '../src/core/temporal.js';
import { scenario } from '../sources/scenario.js';
import { attendanceRows } from './helpers.js';

const T = (hms: string) => {
  const [h, m, s] = hms.split(':').map(Number) as [number, number, number];
  return h * 3600 + m * 60 + s;
};

describe('attendance: every rule on 60,000 rows', () => {
  let rows: Row[];
  beforeAll(async () => {
    rows = await attendanceRows({ rows: 60_000 });
  });

  it('has exactly the rows asked for, ordered by (date, employee_id), unique', () => {
    expect(rows.length).toBe(60_000);
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      const ordered = (a.date as number) < (b.date as number) || (a.date === b.date && (a.employee_id as number) < (b.employee_id as number));
      if (!ordered) throw new Error(`row ${i} out of order: ${JSON.stringify(a)} then ${JSON.stringify(b)}`);
    }
  });

  it('keeps dates inside the range', () => {
    const start = parseDate('2024-01-01')!;
    const end = parseDate('2024-12-31')!;
    for (const r of rows) expect((r.date as number) >= start && (r.date as number) <= end).toBe(true);
  });

  it('only has ABSENT or WFH records on weekends, and few of them', () => {
    let weekend = 0;
    const employees = new Set(rows.map((r) => r.employee_id)).size;
    const weekendDays = new Set<number>();
    for (const r of rows) {
      if (isoWeekday(r.date as number) >= 5) {
        weekend++;
        weekendDays.add(r.date as number);
        expect(['ABSENT', 'WFH']).toContain(r.status);
      }
    }
    expect(weekend).toBeGreaterThan(0);
    // weekend-rate 2%: records per employee-weekend-day within sampling error
    const share = weekend / (employees * weekendDays.size);
    expect(share).toBeGreaterThan(0.012);
    expect(share).toBeLessThan(0.03);
  });

  it('every weekday has a record for every employee', () => {
    const employees = new Set(rows.map((r) => r.employee_id)).size;
    const perDay = new Map<number, number>();
    for (const r of rows) if (isoWeekday(r.date as number) < 5) perDay.set(r.date as number, (perDay.get(r.date as number) ?? 0) + 1);
    const counts = [...perDay.values()];
    // all full days, except possibly the last (the table stops at exactly N rows)
    expect(counts.slice(0, -1).every((c) => c === employees)).toBe(true);
  });

  it('ABSENT <=> both times null', () => {
    for (const r of rows) {
      const absent = r.status === 'ABSENT';
      expect(r.check_in === null).toBe(absent);
      expect(r.check_out === null).toBe(absent);
    }
  });

  it('times follow the status: LATE after 09:15, PRESENT 08:30-09:15, WFH 08:30-09:30, out 17:15-19:30', () => {
    for (const r of rows) {
      if (r.status === 'ABSENT') continue;
      const ci = r.check_in as number;
      const co = r.check_out as number;
      if (r.status === 'LATE') expect(ci).toBeGreaterThan(T('09:15:00'));
      if (r.status === 'PRESENT') expect(ci >= T('08:30:00') && ci <= T('09:15:00')).toBe(true);
      if (r.status === 'WFH') expect(ci >= T('08:30:00') && ci <= T('09:30:00')).toBe(true);
      expect(co >= T('17:15:00') && co <= T('19:30:00')).toBe(true);
    }
  });

  it('check-in times vary around 09:00 with no spike at the bounds', () => {
    const present = rows.filter((r) => r.status === 'PRESENT').map((r) => r.check_in as number);
    const mean = present.reduce((s, v) => s + v, 0) / present.length;
    expect(Math.abs(mean - T('08:56:00'))).toBeLessThan(5 * 60);
    const atBound = present.filter((v) => v === T('09:15:00')).length;
    expect(atBound / present.length).toBeLessThan(0.002);
  });

  it('weekday status mix is about 85/5/5/5', () => {
    const weekday = rows.filter((r) => isoWeekday(r.date as number) < 5);
    const share = (s: string) => weekday.filter((r) => r.status === s).length / weekday.length;
    expect(Math.abs(share('PRESENT') - 0.85)).toBeLessThan(0.015);
    for (const s of ['LATE', 'ABSENT', 'WFH']) expect(Math.abs(share(s) - 0.05)).toBeLessThan(0.01);
  });

  it('seasonality: more absence in winter, more WFH on Fridays, more lateness on Mondays', () => {
    const weekday = rows.filter((r) => isoWeekday(r.date as number) < 5);
    const rate = (pred: (r: Row) => boolean, status: string) => {
      const sel = weekday.filter(pred);
      return sel.filter((r) => r.status === status).length / sel.length;
    };
    const month = (r: Row) => civilFromDays(r.date as number).month;
    const winter = rate((r) => [12, 1, 2].includes(month(r)), 'ABSENT');
    const summer = rate((r) => [6, 7, 8].includes(month(r)), 'ABSENT');
    expect(winter / summer).toBeGreaterThan(1.25);
    const friday = rate((r) => isoWeekday(r.date as number) === 4, 'WFH');
    const midweek = rate((r) => [1, 2, 3].includes(isoWeekday(r.date as number)), 'WFH');
    expect(friday / midweek).toBeGreaterThan(2);
    const monday = rate((r) => isoWeekday(r.date as number) === 0, 'LATE');
    expect(monday / rate((r) => isoWeekday(r.date as number) !== 0, 'LATE')).toBeGreaterThan(1.25);
  });

  it('habits: some employees are late far more often than others; department is fixed per employee', () => {
    const late = new Map<number, [number, number]>();
    const dept = new Map<number, string>();
    for (const r of rows) {
      if (isoWeekday(r.date as number) >= 5) continue;
      const e = r.employee_id as number;
      const [l, n] = late.get(e) ?? [0, 0];
      late.set(e, [l + (r.status === 'LATE' ? 1 : 0), n + 1]);
      const d = dept.get(e);
      if (d !== undefined) expect(r.department).toBe(d);
      dept.set(e, r.department as string);
    }
    const rates = [...late.values()].map(([l, n]) => l / n);
    const habitual = rates.filter((r) => r > 0.12).length / rates.length;
    // 10% habitually late (late ~18% of days) vs the rest (~3.6%)
    expect(habitual).toBeGreaterThan(0.05);
    expect(habitual).toBeLessThan(0.16);
  });
});

describe('attendance: options', () => {
  it('honours a custom date range and head count', async () => {
    const rows = await collect(scenario('attendance', { rows: 5000, seed: 1, start: '2025-03-01', end: '2025-03-31', employees: 300 }));
    expect(rows.length).toBe(5000);
    expect(new Set(rows.map((r) => r.employee_id)).size).toBeLessThanOrEqual(300);
    const min = Math.min(...rows.map((r) => r.date as number));
    const max = Math.max(...rows.map((r) => r.date as number));
    expect(min).toBeGreaterThanOrEqual(parseDate('2025-03-01')!);
    expect(max).toBeLessThanOrEqual(parseDate('2025-03-31')!);
  });

  it('refuses more rows than the head count and range can hold', () => {
    expect(() => scenario('attendance', { rows: 100_000, employees: 10 })).toThrowError(expect.objectContaining({ code: 'E_CAPACITY' }));
  });

  it('rejects an end before the start, a bad date and a bad month', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as DatagenError).code;
      }
      return 'no error';
    };
    expect(code(() => scenario('attendance', { start: '2024-05-01', end: '2024-04-01' }))).toBe('E_OPTION');
    expect(code(() => scenario('attendance', { start: '2024-02-30' }))).toBe('E_OPTION');
    expect(code(() => scenario('attendance', { winterMonths: '13' }))).toBe('E_OPTION');
    expect(code(() => scenario('attendance', { rows: -1 }))).toBe('E_OPTION');
    expect(code(() => scenario('attendance', { colour: 'red' }))).toBe('E_OPTION');
    expect(code(() => scenario('nope'))).toBe('E_UNKNOWN_UNIT');
  });

  it('winter months can move to the southern hemisphere', async () => {
    const rows = await collect(scenario('attendance', { rows: 60_000, seed: 3, winterMonths: '6,7,8', holidays: '' }));
    const weekday = rows.filter((r) => isoWeekday(r.date as number) < 5);
    const absent = (months: number[]) => {
      const sel = weekday.filter((r) => months.includes(civilFromDays(r.date as number).month));
      return sel.filter((r) => r.status === 'ABSENT').length / sel.length;
    };
    expect(absent([6, 7, 8]) / absent([12, 1, 2])).toBeGreaterThan(1.25);
  });
});
