import { describe, expect, it } from 'vitest';
import { parseCondition } from '../src/anomaly/condition.js';
import { collect } from '../src/core/pipeline.js';
import { attendance } from '../scenarios/attendance.js';
import { scenario } from '../sources/scenario.js';
import type { Row } from '../src/core/schema.js';

/** The `when` language: every form it accepts selects exactly the rows it says; the rest is refused. */
const rows: Row[] = await collect(scenario('attendance', { rows: 3000, seed: 5 }));
const select = (text: string) => rows.filter(parseCondition(text, attendance.schema, 'noise'));
const by = (pred: (r: Row) => boolean) => rows.filter(pred);
const HOUR = 3600;

describe('when: what it accepts', () => {
  it('= and == are the same; != and one-of', () => {
    expect(select('status==WFH')).toEqual(by((r) => r.status === 'WFH'));
    expect(select('status==WFH').length).toBeGreaterThan(0);
    expect(select('status=WFH')).toEqual(select('status == WFH'));
    expect(select('status!=PRESENT')).toEqual(by((r) => r.status !== 'PRESENT'));
    expect(select('status=LATE|WFH')).toEqual(by((r) => r.status === 'LATE' || r.status === 'WFH'));
    expect(select('status=LATE | WFH')).toEqual(select('status=LATE|WFH')); // spaces around | are not part of values
    expect(select('check_in=')).toEqual(by((r) => r.check_in === null));
  });

  it('|| is or, && is and, && binds tighter', () => {
    const late = (r: Row) => r.status === 'LATE';
    const evening = (r: Row) => r.check_out !== null && (r.check_out as number) >= 18 * HOUR;
    const wfh = (r: Row) => r.status === 'WFH';
    expect(select('status=LATE || status=WFH')).toEqual(by((r) => late(r) || wfh(r)));
    expect(select('status=LATE && check_out>=18:00:00')).toEqual(by((r) => late(r) && evening(r)));
    const mixed = select('status=WFH || status=LATE && check_out>=18:00:00');
    expect(mixed).toEqual(by((r) => wfh(r) || (late(r) && evening(r))));
    expect(mixed.length).toBeGreaterThan(select('status=WFH').length);
  });
});

describe('when: what it refuses (E_OPTION, naming the condition and the position)', () => {
  const cases: Array<[string, RegExp]> = [
    ['status===WFH', /^noise: when "status===WFH": unknown operator '===' at position 7 \(/],
    ['check_in=>09:00:00', /unknown operator '=>' at position 9 /],
    ['status<>WFH', /unknown operator '<>' at position 7 /],
    ['status!==WFH', /unknown operator '!==' at position 7 /],
    ['status', /an operator expected after 'status', got "" at position 7 /],
    ['status ~ WFH', /an operator expected after 'status', got "~ WFH" at position 8 /],
    ['status=WFH &&', /an empty condition at position 14 /],
    ['status=WFH || || status=LATE', /an empty condition at position 14 /],
    ['=WFH', /a column name expected, got "=WFH" at position 1 /],
    ['status=LATE | status=WFH', /'status=WFH' looks like a second condition inside a value \(join conditions with && or \|\|\) at position 7 /],
    ['date>2024-01-01|2024-02-01', /one of \(a\|b\) works with = and != only/],
  ];
  for (const [text, message] of cases) {
    it(text, () => {
      expect(() => parseCondition(text, attendance.schema, 'noise')).toThrowError(expect.objectContaining({ code: 'E_OPTION', message: expect.stringMatching(message) }));
    });
  }

  it('an unknown column is E_UNKNOWN_COLUMN, also after ||', () => {
    expect(() => parseCondition('status=WFH || colour=red', attendance.schema, 'noise')).toThrowError(expect.objectContaining({ code: 'E_UNKNOWN_COLUMN' }));
  });

  it("messages name the option: when for stages, where for delta's delete", () => {
    expect(() => parseCondition('status==', attendance.schema, 'delta', 'where')).not.toThrow();
    expect(() => parseCondition('status<>x', attendance.schema, 'delta', 'where')).toThrowError(/^delta: where "status<>x": unknown operator '<>' at position 7 /);
    expect(() => parseCondition('colour=red', attendance.schema, 'delta', 'where')).toThrowError(/^delta: where names unknown column 'colour' /);
    expect(() => parseCondition('employee_id>ten', attendance.schema, 'noise')).toThrowError(/^noise: when compares numeric column 'employee_id' with "ten"/);
  });

  it('a value with = that is not a condition stays a value', () => {
    expect(() => parseCondition('status=a=b', attendance.schema, 'noise')).not.toThrow();
    expect(select('status=a=b')).toEqual([]);
  });
});
