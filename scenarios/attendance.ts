import { DatagenError } from '../src/core/errors.js';
import { checkDateRange, parseDecimal, rateOption } from '../src/core/options.js';
import { exponential, poisson, truncatedNormal, Weighted } from '../src/random/distributions.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { civilFromDays, daysFromCivil, formatDate, isoWeekday } from '../src/core/temporal.js';
import { defineScenario } from '../src/core/units.js';

/**
 * Employee attendance: one row per employee per working day, ordered by (date, employee_id).
 *
 * Rows are addressed arithmetically: each day holds a known number of rows (every employee on
 * weekdays, a drawn handful on weekends), so row i maps to (day, employee) by a prefix sum
 * without generating earlier rows. Employees are fixed people: department, lateness habit and
 * WFH habit are drawn once per employee and shape every one of their days.
 */
const DEPARTMENTS = ['HR', 'Finance', 'Engineering', 'Sales', 'Support'] as const;
const DEPARTMENT_WEIGHTS = [0.1, 0.12, 0.38, 0.22, 0.18];
/** Engineering works from home most, Support least. */
const DEPARTMENT_WFH = [1, 0.8, 1.5, 0.7, 0.5];
const STATUSES = ['PRESENT', 'LATE', 'ABSENT', 'WFH'] as const;

const H = 3600;
const M = 60;
const LATE_AFTER = 9 * H + 15 * M; // LATE means check_in strictly after 09:15:00
const HABITUAL_LATE = 5; // habitually late employees are late 5x as often as the rest

export const attendance = defineScenario({
  name: 'attendance',
  summary: 'Employee attendance per working day: PRESENT/LATE/ABSENT/WFH with check-in and check-out times',
  description:
    'One row per employee and weekday over a date range (weekends only for rare WFH or ABSENT records), ordered by date then employee. ' +
    'Absence rises in winter and around holidays, WFH on Fridays, lateness on Mondays; some employees are habitually late.',
  defaultRows: 100_000,
  examples: [
    'datagen generate attendance --rows 100000 --seed 42 --out data/attendance.csv',
    'datagen pipe attendance --rows 1000 --start 2025-01-01 --end 2025-03-31 | datagen csv',
    'datagen generate attendance --rows 50000 --employees 200 --winter-months 6,7,8 --out au_attendance.csv',
  ],
  schema: defineTable('attendance', 'Daily attendance events per employee', {
    employee_id: { type: types.int32(), min: 1, description: 'employee number, 1..employees', key: true },
    department: { type: types.string(), description: "the employee's department (fixed per employee)", values: DEPARTMENTS },
    date: { type: types.date(), description: 'calendar day of the record', key: true },
    status: { type: types.string(), description: 'attendance status of the day', values: STATUSES },
    check_in: { type: types.time(), min: '08:30:00', max: '11:30:00', nullable: true, description: 'arrival time; null when ABSENT' },
    check_out: { type: types.time(), min: '17:15:00', max: '19:30:00', after: 'check_in', nullable: true, description: 'departure time; null when ABSENT' },
  }),
  rules: [
    'dates lie in [start, end]; rows are ordered by date, then employee_id; (employee_id, date) is unique',
    'weekdays: every employee has one record; weekend records are rare (weekend-rate) and are only ABSENT or WFH',
    'ABSENT <=> check_in and check_out are both null',
    'LATE => check_in after 09:15:00; PRESENT => check_in between 08:30:00 and 09:15:00; WFH => 08:30:00 to 09:30:00',
    'check_out between 17:15:00 and 19:30:00 (17:30 from -15 to +120 min); late arrivals stay later, Fridays end earlier',
    'weekday status mix about 85% PRESENT, 5% LATE, 5% ABSENT, 5% WFH over the range',
    'seasonality: absence x1.5 in winter months and x2.5 within 2 days of a holiday; WFH x2.5 on Fridays; lateness x1.5 on Mondays',
    'habits: late-habit-share of employees are late 5x as often as the rest; WFH varies by department',
  ],
  options: {
    start: { type: 'date', description: 'first day of the range (YYYY-MM-DD)', default: '2024-01-01' },
    end: { type: 'date', description: 'last day of the range (YYYY-MM-DD)', default: '2024-12-31' },
    employees: { type: 'integer', min: 1, description: 'head count (default: just enough employees for the requested rows to fill the range)' },
    weekendRate: rateOption('share of employees with a record (WFH or ABSENT) on a weekend day', 0.02),
    lateHabitShare: rateOption('share of employees who are habitually late', 0.1),
    winterMonths: { type: 'list', description: 'months (1-12) with more absence', default: ['12', '1', '2'] },
    holidays: { type: 'list', description: 'holidays as MM-DD; absence rises within 2 days of each', default: ['01-01', '05-01', '12-25', '12-26'] },
  },

  plan(o, { rows, rng }) {
    const start = o.start;
    const end = o.end;
    checkDateRange('attendance', start, end);
    const nDays = end - start + 1;
    const winter = new Set(o.winterMonths.map((m) => monthNumber(m)));
    const holidays = o.holidays.map(holiday);

    // Per-day factors, and their means over the range's weekdays, so the overall mix stays on target.
    const absence = new Float64Array(nDays);
    const wfh = new Float64Array(nDays);
    const late = new Float64Array(nDays);
    let weekdays = 0;
    let sumAbs = 0;
    let sumWfh = 0;
    let sumLate = 0;
    for (let k = 0; k < nDays; k++) {
      const day = start + k;
      const wd = isoWeekday(day);
      const { month } = civilFromDays(day);
      absence[k] = (winter.has(month) ? 1.5 : 1) * (nearHoliday(day, holidays) ? 2.5 : 1);
      wfh[k] = wd === 4 ? 2.5 : 1;
      late[k] = wd === 0 ? 1.5 : 1;
      if (wd < 5) {
        weekdays++;
        sumAbs += absence[k]!;
        sumWfh += wfh[k]!;
        sumLate += late[k]!;
      }
    }
    if (weekdays === 0) throw new DatagenError('E_CAPACITY', `attendance: ${formatDate(start)}..${formatDate(end)} has no weekdays`);
    const employees = o.employees ?? Math.max(1, Math.ceil(rows / weekdays));

    // Employees: drawn in order from one stream, so employee e is the same whatever the head count.
    const staffRng = rng.fork('employees');
    const departments = new Weighted([0, 1, 2, 3, 4], DEPARTMENT_WEIGHTS);
    const dept = new Uint8Array(employees + 1);
    const lateFactor = new Float64Array(employees + 1);
    for (let e = 1; e <= employees; e++) {
      dept[e] = departments.pick(staffRng);
      lateFactor[e] = staffRng.chance(o.lateHabitShare) ? HABITUAL_LATE : 1;
    }
    const meanLate = o.lateHabitShare * HABITUAL_LATE + (1 - o.lateHabitShare);
    const meanDeptWfh = DEPARTMENT_WEIGHTS.reduce((s, w, i) => s + w * DEPARTMENT_WFH[i]!, 0);
    const pAbsent = 0.05 / (sumAbs / weekdays);
    const pLate = 0.05 / ((sumLate / weekdays) * meanLate);
    const pWfh = 0.05 / ((sumWfh / weekdays) * meanDeptWfh);

    // Rows per day and their prefix sums: row i lives on the day k with cum[k] <= i < cum[k+1].
    const perDay = new Float64Array(nDays);
    const cum = new Float64Array(nDays + 1);
    for (let k = 0; k < nDays; k++) {
      perDay[k] = isoWeekday(start + k) < 5 ? employees : Math.min(employees, poisson(rng.fork('weekend', k), employees * o.weekendRate));
      cum[k + 1] = cum[k]! + perDay[k]!;
    }
    if (cum[nDays]! < rows) {
      throw new DatagenError(
        'E_CAPACITY',
        `attendance: ${employees} employees over ${formatDate(start)}..${formatDate(end)} make ${cum[nDays]} rows, fewer than the ${rows} asked for (raise employees or widen the range)`,
      );
    }

    // Who has a weekend record: a sorted sample of distinct employees (Floyd's algorithm), per day.
    const weekendStaff = new Map<number, Int32Array>();
    const staffOn = (k: number): Int32Array => {
      let staff = weekendStaff.get(k);
      if (!staff) {
        const pickRng = rng.fork('weekend-staff', k);
        const chosen = new Set<number>();
        for (let j = employees - perDay[k]! + 1; j <= employees; j++) {
          const t = pickRng.int(1, j);
          chosen.add(chosen.has(t) ? j : t);
        }
        staff = Int32Array.from(chosen).sort();
        weekendStaff.set(k, staff);
      }
      return staff;
    };

    return {
      rows(first, count, chunkRng) {
        const statusRng = chunkRng.fork('status');
        const inRng = chunkRng.fork('check_in');
        const outRng = chunkRng.fork('check_out');
        // Binary search for the day holding row `first`.
        let lo = 0;
        let hi = nDays - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (cum[mid]! <= first) lo = mid;
          else hi = mid - 1;
        }
        let k = lo;
        let pos = first - cum[k]!;
        const out: Row[] = new Array(count);
        for (let i = 0; i < count; i++) {
          while (pos >= perDay[k]!) {
            k++;
            pos = 0;
          }
          const day = start + k;
          const wd = isoWeekday(day);
          const weekend = wd >= 5;
          const employee = weekend ? staffOn(k)[pos]! : pos + 1;
          const d = dept[employee]!;
          let status: (typeof STATUSES)[number];
          const u = statusRng.float();
          if (weekend) status = u < 0.6 ? 'WFH' : 'ABSENT';
          else {
            const a = pAbsent * absence[k]!;
            const l = a + pLate * late[k]! * lateFactor[employee]!;
            const w = l + pWfh * wfh[k]! * DEPARTMENT_WFH[d]!;
            status = u < a ? 'ABSENT' : u < l ? 'LATE' : u < w ? 'WFH' : 'PRESENT';
          }
          let checkIn: number | null = null;
          let checkOut: number | null = null;
          if (status !== 'ABSENT') {
            if (status === 'LATE') checkIn = Math.min(11 * H + 30 * M, LATE_AFTER + 1 + Math.round(exponential(inRng, 20 * M)));
            else if (status === 'WFH') checkIn = Math.round(truncatedNormal(inRng, 9 * H, 15 * M, 8 * H + 30 * M, 9 * H + 30 * M));
            // Mondays start a little later; Engineering keeps later hours.
            else checkIn = Math.round(truncatedNormal(inRng, 8 * H + 55 * M + (wd === 0 ? 4 * M : 0) + (d === 2 ? 3 * M : 0), 9 * M, 8 * H + 30 * M, LATE_AFTER));
            const mean = 15 * M + (status === 'LATE' ? 25 * M : 0) - (wd === 4 ? 15 * M : 0);
            checkOut = 17 * H + 30 * M + Math.round(truncatedNormal(outRng, mean, 30 * M, -15 * M, 120 * M));
          }
          out[i] = { employee_id: employee, department: DEPARTMENTS[d]!, date: day, status, check_in: checkIn, check_out: checkOut };
          pos++;
        }
        return out;
      },
    };
  },
});

function monthNumber(text: string): number {
  const m = parseDecimal(text) ?? NaN;
  if (!Number.isInteger(m) || m < 1 || m > 12) throw new DatagenError('E_OPTION', `attendance: winterMonths must be months 1-12, got ${JSON.stringify(text)}`);
  return m;
}

/** The most days each month has (February: in a leap year). */
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function holiday(text: string): [number, number] {
  const m = /^(\d{2})-(\d{2})$/.exec(text);
  const month = m ? Number(m[1]) : 0;
  const day = m ? Number(m[2]) : 0;
  // A day the month has in some year (02-29 is a holiday of leap years; 02-30 of none).
  if (!m || month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]!) {
    throw new DatagenError('E_OPTION', `attendance: holidays must be MM-DD days of the calendar, got ${JSON.stringify(text)}`);
  }
  return [month, day];
}

/** Within 2 days of a holiday, including holidays of the neighbouring years (Dec 31 / Jan 1). */
function nearHoliday(day: number, holidays: Array<[number, number]>): boolean {
  const { year } = civilFromDays(day);
  for (const [month, d] of holidays) {
    for (const y of [year - 1, year, year + 1]) if (Math.abs(daysFromCivil(y, month, d) - day) <= 2) return true;
  }
  return false;
}
