import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, run } from '../src/core/pipeline.js';
import { findScenario } from '../src/registry.js';
import { defineTable, kindOf, types, type Row } from '../src/core/schema.js';
import type { Source } from '../src/core/stage.js';
import { malform } from '../transforms/malform.js';
import { scenario } from '../sources/scenario.js';
import { xlsx } from '../sinks/xlsx.js';
import { rowsSource, sha256, tempDir, BIN, sh, SUMMARIES_ONLY } from './helpers.js';

/**
 * The xlsx sink, read back by an independent reader: openpyxl under Debian's own python
 * (`apt-get install python3-openpyxl`; .ci/run installs it). Expected values are computed
 * here from the generated rows, not taken from the sink's code.
 */
const PYTHON = '/usr/bin/python3';
const DAY_US = 86_400_000_000;

// Prints the workbook as JSON: per sheet its name, frozen pane, filter, header boldness and
// cells as [type, value, number format]; datetimes as microseconds since 1970 (naive, as
// stored), times as seconds since midnight. `formulas` counts <f> elements in the sheet XML.
const READER = String.raw`
import datetime, json, re, sys, zipfile, openpyxl
path = sys.argv[1]
wb = openpyxl.load_workbook(path)
EPOCH = datetime.datetime(1970, 1, 1)
def cell(c):
    v = c.value
    if v is None: return None
    f = c.number_format
    if isinstance(v, bool): return ['b', v, f]
    if isinstance(v, (int, float)): return ['n', v, f]
    if isinstance(v, str): return ['s' if c.data_type == 's' else 'formula:' + c.data_type, v, f]
    if isinstance(v, datetime.datetime): return ['dt', (v - EPOCH) // datetime.timedelta(microseconds=1), f]
    if isinstance(v, datetime.time): return ['t', v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6, f]
    return ['?', repr(v), f]
z = zipfile.ZipFile(path)
sheets = []
for i, ws in enumerate(wb.worksheets):
    xml = z.read('xl/worksheets/sheet%d.xml' % (i + 1)).decode('utf-8')
    sheets.append({
        'name': ws.title,
        'freeze': ws.freeze_panes,
        'filter': ws.auto_filter.ref,
        'bold': [bool(c.font.b) for c in ws[1]],
        'widths': [ws.column_dimensions[openpyxl.utils.get_column_letter(j + 1)].width for j in range(ws.max_column)],
        'formulas': len(re.findall(r'<f[ >/]', xml)),
        'rows': [[cell(c) for c in row] for row in ws.iter_rows()],
    })
json.dump(sheets, sys.stdout)
`;

type XCell = null | [string, number | string | boolean, string];
interface Sheet {
  name: string;
  freeze: string | null;
  filter: string | null;
  bold: boolean[];
  widths: number[];
  formulas: number;
  rows: XCell[][];
}

function readXlsx(path: string): Sheet[] {
  const r = spawnSync(PYTHON, ['-c', READER, path], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`openpyxl could not read ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Sheet[];
}

/** Data rows of every sheet, padded to the header's width (openpyxl drops trailing empty cells). */
function dataRows(sheets: Sheet[]): XCell[][] {
  return sheets.flatMap((s) => s.rows.slice(1).map((r) => Array.from({ length: s.rows[0]!.length }, (_, i) => r[i] ?? null)));
}

/** What a cell must read back as, from the in-memory value and its column's kind (and scale). */
function expected(kind: string, scale: number, v: Row[string]): XCell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return ['s', v, expect.any(String) as unknown as string];
  if (typeof v === 'boolean') return ['b', v, 'General'];
  switch (kind) {
    case 'date':
      return ['dt', v * DAY_US, 'yyyy-mm-dd'];
    case 'timestamp':
      return ['dt', Math.floor(v / 1000) * 1000, 'yyyy-mm-dd hh:mm:ss.000'];
    case 'time':
      return ['t', v, 'hh:mm:ss'];
    case 'decimal':
      return ['n', v, scale === 0 ? '0' : `0.${'0'.repeat(scale)}`];
    case 'int':
      // Format 0: General would show an id of 12 or more digits as 1.23457E+11.
      return ['n', v, '0'];
    default:
      return ['n', v, 'General'];
  }
}

async function writeAndRead(source: () => Source, stages: Parameters<typeof run>[1][] = [], options: Record<string, unknown> = {}) {
  const path = join(tempDir(), 'out.xlsx');
  const result = await run(source(), ...stages, xlsx({ path, ...options }));
  const rows = await collect(source(), ...(stages as never[]));
  return { path, result, rows, sheets: readXlsx(path) };
}

function expectCellsMatch(schema: Source['schema'], rows: Row[], got: XCell[][]): void {
  const fields = schema!.fields.map((f) => [f.name, kindOf(f.type), (f.type as { scale?: number }).scale ?? 0] as const);
  expect(got.length).toBe(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const want = fields.map(([name, kind, scale]) => expected(kind, scale, rows[i]![name]!));
    // One failing row is reported whole, with its index.
    if (!got[i]!.every((c, j) => JSON.stringify(c) === JSON.stringify(want[j]) || (want[j]?.[0] === 's' && c?.[0] === 's' && c[1] === want[j]![1]))) {
      expect({ row: i, cells: got[i] }).toEqual({ row: i, cells: want });
    }
  }
}

describe('xlsx sink, read back with openpyxl', () => {
  it('attendance: numbers, dates and times are typed cells; header bold and frozen; nulls empty', async () => {
    const source = () => scenario('attendance', { rows: 5000, seed: 7 });
    const { rows, sheets, result } = await writeAndRead(source);
    expect(result.rows).toBe(5000);
    expect(sheets.map((s) => s.name)).toEqual(['attendance']);
    const [sheet] = sheets;
    expect(sheet!.rows[0]).toEqual(['employee_id', 'department', 'date', 'status', 'check_in', 'check_out'].map((h) => ['s', h, 'General']));
    expect(sheet!.bold).toEqual([true, true, true, true, true, true]);
    expect(sheet!.freeze).toBe('A2');
    expect(sheet!.filter).toBe('A1:F5001');
    expect(sheet!.rows.length).toBe(5001);
    expect(sheet!.formulas).toBe(0);
    // Widths: dates fit yyyy-mm-dd, text columns their longest value in the first rows.
    const longestDept = Math.max(...rows.slice(0, 1000).map((r) => String(r.department).length));
    expect(sheet!.widths[2]).toBeGreaterThanOrEqual(10);
    expect(sheet!.widths[1]).toBeGreaterThanOrEqual(longestDept);
    expectCellsMatch(source().schema, rows, dataRows(sheets));
    // The data has empty cells, and they read back empty.
    const nulls = rows.filter((r) => r.check_in === null).length;
    expect(nulls).toBeGreaterThan(0);
    expect(dataRows(sheets).filter((r) => r[4] === null).length).toBe(nulls);
    expect(dataRows(sheets)[0]![2]![0]).toBe('dt');
  });

  it('loans with its default missingness: timestamps to the millisecond (truncated), decimals at their scale', async () => {
    const def = findScenario('loans');
    const source = () => scenario('loans', { rows: 4000, seed: 11 });
    const { rows, sheets } = await writeAndRead(source, def.defaultStages!());
    expect(sheets[0]!.name).toBe('loans');
    expect(sheets[0]!.rows.length).toBe(4001);
    // The truncation is tested only if some instants have >= 500 µs past the millisecond.
    expect(rows.some((r) => typeof r.created_at === 'number' && r.created_at % 1000 >= 500)).toBe(true);
    const scale = (def.schema.fields.find((f) => f.name === 'interest_rate')!.type as { scale: number }).scale;
    expect(scale).toBeGreaterThan(0);
    const data = dataRows(sheets);
    const rate = def.schema.fields.findIndex((f) => f.name === 'interest_rate');
    expect(data.find((r) => r[rate] !== null)![rate]![2]).toBe(`0.${'0'.repeat(scale)}`);
    expect(data.filter((r) => r[rate] === null).length).toBe(rows.filter((r) => r.interest_rate === null).length);
    expect(data.filter((r) => r[rate] === null).length).toBeGreaterThan(300); // 16% missing
    expectCellsMatch(def.schema, rows, data);
  });

  it('strings a stage put in typed columns stay strings; formula text never becomes a formula', async () => {
    const source = () => scenario('attendance', { rows: 3000, seed: 3 });
    const stages = [malform({ rate: 0.05, columns: ['date', 'check_in', 'employee_id'] }), malform({ rate: 0.05, kinds: ['formula'], columns: ['department', 'status'], seed: 9 })];
    const { rows, sheets } = await writeAndRead(source, stages);
    const strings = rows.flatMap((r) => [r.date, r.check_in, r.employee_id].filter((v) => typeof v === 'string'));
    const formulaText = rows.flatMap((r) => [r.department, r.status].filter((v) => typeof v === 'string' && /^[=+\-@]/.test(v)));
    expect(strings.length).toBeGreaterThan(100);
    expect(formulaText.filter((v) => String(v).startsWith('=')).length).toBeGreaterThan(50);
    expect(sheets[0]!.formulas).toBe(0);
    expectCellsMatch(source().schema, rows, dataRows(sheets));
  });

  it('every kind, with the edge cases: decimal scales, bools, NaN, dates Excel cannot hold, = text', async () => {
    const schema = defineTable('edge cases: [x]', 'fixture', {
      d0: { type: types.decimal(10, 0), description: '' },
      d2: { type: types.decimal(12, 2), description: '' },
      d4: { type: types.decimal(12, 4), description: '' },
      f: { type: types.float64(), description: '', nullable: true },
      b: { type: types.bool(), description: '', nullable: true },
      day: { type: types.date(), description: '', nullable: true },
      ts: { type: types.timestamp(), description: '', nullable: true },
      s: { type: types.string(), description: '', nullable: true },
    });
    const input: Row[] = [
      { d0: 12, d2: 1234.5, d4: -0.1234, f: 1.5, b: true, day: 0, ts: 1_700_000_000_123_999, s: '=1+1' },
      { d0: -3, d2: 0.07, d4: 2.0001, f: NaN, b: false, day: -25_508, ts: -1, s: '=HYPERLINK("http://x","y")' },
      { d0: 0, d2: 0, d4: 0, f: Infinity, b: null, day: -25_509, ts: -2_208_988_800_000_000, s: '  padded <&> "quotes" ' },
      { d0: 1, d2: 1, d4: 1, f: null, b: null, day: 2_932_896, ts: null, s: null },
      { d0: 2, d2: 2, d4: 2, f: -0.5, b: true, day: 2_932_897, ts: 7_258_118_399_999_999, s: 'ünïcødé ✓' },
    ];
    const path = join(tempDir(), 'edge.xlsx');
    await run(rowsSource(schema, input), xlsx({ path }));
    const [sheet, ...more] = readXlsx(path);
    expect(more).toEqual([]);
    expect(sheet!.name).toBe('edge cases_ _x_'); // [ ] : are not allowed in sheet names
    expect(sheet!.formulas).toBe(0);
    const rows = dataRows([sheet!]);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      [['n', 12, '0'], ['n', 1234.5, '0.00'], ['n', -0.1234, '0.0000']],
      [['n', -3, '0'], ['n', 0.07, '0.00'], ['n', 2.0001, '0.0000']],
      [['n', 0, '0'], ['n', 0, '0.00'], ['n', 0, '0.0000']],
      [['n', 1, '0'], ['n', 1, '0.00'], ['n', 1, '0.0000']],
      [['n', 2, '0'], ['n', 2, '0.00'], ['n', 2, '0.0000']],
    ]);
    // Floats: NaN and Infinity are text (Excel has no such numbers); null is empty.
    expect(rows.map((r) => r[3]?.slice(0, 2))).toEqual([['n', 1.5], ['s', 'NaN'], ['s', 'Infinity'], undefined, ['n', -0.5]]);
    expect(rows.map((r) => r[4]?.slice(0, 2))).toEqual([['b', true], ['b', false], undefined, undefined, ['b', true]]);
    // 1970-01-01; 1900-03-01 is Excel's first faithful date, the day before is text, as is
    // anything after 9999-12-31.
    expect(rows.map((r) => r[5]?.slice(0, 2))).toEqual([['dt', 0], ['dt', -25_508 * DAY_US], ['s', '1900-02-28'], ['dt', 2_932_896 * DAY_US], ['s', '10000-01-01']]);
    expect(rows.map((r) => r[6]?.slice(0, 2))).toEqual([
      ['dt', 1_700_000_000_123_000],
      ['dt', -1000], // floor, not toward zero
      ['s', '1900-01-01T00:00:00.000000Z'],
      undefined,
      ['dt', 7_258_118_399_999_000], // 2199-12-31T23:59:59.999
    ]);
    expect(rows.map((r) => r[7]?.slice(0, 2))).toEqual([['s', '=1+1'], ['s', '=HYPERLINK("http://x","y")'], ['s', '  padded <&> "quotes" '], undefined, ['s', 'ünïcødé ✓']]);
  });

  it('rolls over to name_2, name_3, ... each with its header, rows in order', async () => {
    const source = () => scenario('attendance', { rows: 1000, seed: 5 });
    const { rows, sheets } = await writeAndRead(source, [], { sheetRows: 300, sheet: 'Att' });
    expect(sheets.map((s) => s.name)).toEqual(['Att', 'Att_2', 'Att_3', 'Att_4']);
    expect(sheets.map((s) => s.rows.length)).toEqual([300, 300, 300, 1000 - 3 * 299 + 1]);
    for (const s of sheets) {
      expect(s.rows[0]!.map((c) => c?.[1])).toEqual(source().schema!.fields.map((f) => f.name));
      expect(s.bold.every(Boolean)).toBe(true);
      expect(s.freeze).toBe('A2');
      expect(s.filter).toBe(`A1:F${s.rows.length}`);
    }
    expectCellsMatch(source().schema, rows, dataRows(sheets));
  });

  it('a sheet rolls over exactly at sheet-rows; a long sheet name is cut to make room for the suffix', async () => {
    const source = () => scenario('attendance', { rows: 598, seed: 5 });
    const { sheets } = await writeAndRead(source, [], { sheetRows: 300, sheet: 'A'.repeat(31) });
    expect(sheets.map((s) => [s.name, s.rows.length])).toEqual([['A'.repeat(31), 300], ['A'.repeat(29) + '_2', 300]]);
  });

  it('no rows: one sheet with the header only', async () => {
    const { sheets } = await writeAndRead(() => scenario('attendance', { rows: 0 }));
    expect(sheets.map((s) => s.name)).toEqual(['attendance']);
    expect(sheets[0]!.rows).toEqual([['employee_id', 'department', 'date', 'status', 'check_in', 'check_out'].map((h) => ['s', h, 'General'])]);
  });

  it('same rows, same bytes', async () => {
    const dir = tempDir();
    for (const name of ['a.xlsx', 'b.xlsx']) await run(scenario('loans', { rows: 3000, seed: 2 }), xlsx({ path: join(dir, name) }));
    expect(sha256(readFileSync(join(dir, 'a.xlsx')))).toBe(sha256(readFileSync(join(dir, 'b.xlsx'))));
    await run(scenario('loans', { rows: 3000, seed: 3 }), xlsx({ path: join(dir, 'c.xlsx') }));
    expect(sha256(readFileSync(join(dir, 'c.xlsx')))).not.toBe(sha256(readFileSync(join(dir, 'a.xlsx'))));
  });

  it('same bytes whatever the batch size (column widths come from the first 1000 rows, not the first batch)', async () => {
    const dir = tempDir();
    const hashes = new Set<string>();
    for (const batchSize of [1, 7, 8192]) {
      const path = join(dir, `${batchSize}.xlsx`);
      await run(scenario('loans', { rows: 2500, seed: 2, batchSize }), xlsx({ path }));
      hashes.add(sha256(readFileSync(path)));
    }
    expect(hashes.size).toBe(1);
  });
});

describe('xlsx sink: files and options', () => {
  it('refuses to replace an existing file without overwrite (E_OUTPUT), replaces it with', async () => {
    const path = join(tempDir(), 'x.xlsx');
    writeFileSync(path, 'keep me');
    await expect(run(scenario('attendance', { rows: 10 }), xlsx({ path }))).rejects.toMatchObject({ code: 'E_OUTPUT' });
    expect(readFileSync(path, 'utf8')).toBe('keep me');
    await run(scenario('attendance', { rows: 10 }), xlsx({ path, overwrite: true }));
    expect(readXlsx(path)[0]!.rows.length).toBe(11);
  });

  it('a failure mid-stream leaves neither the file nor its temporary file', async () => {
    const dir = tempDir();
    const schema = scenario('attendance', { rows: 1 }).schema!;
    const failing: Source = {
      kind: 'source',
      name: 'failing',
      schema,
      async *batches() {
        yield* scenario('attendance', { rows: 20_000, seed: 1 }).batches();
        throw new Error('source broke');
      },
    };
    await expect(run(failing, xlsx({ path: join(dir, 'x.xlsx') }))).rejects.toThrow('source broke');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects bad options with E_OPTION', () => {
    const bad: Array<Record<string, unknown>> = [
      { sheet: 'a/b' },
      { sheet: 'x'.repeat(32) },
      { sheet: "'quoted'" },
      { sheet: 'History' },
      { sheet: ' ' },
      { sheetRows: 1 },
      { sheetRows: 1_048_577 },
      { sheetRows: 'many' },
      { path: 'out.xlsx.gz' },
    ];
    for (const options of bad) expect(() => xlsx(options), JSON.stringify(options)).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => xlsx({ sheetRows: 1_048_576, sheet: 'ok name' })).not.toThrow();
  });
});

describe('xlsx from the CLI', () => {

  it('generate --out x.xlsx, and pipe | xlsx to stdout, write the same workbook', async () => {
    const dir = tempDir();
    const r = sh(
      `node ${BIN} generate attendance --rows 2000 --seed 4 --out x.xlsx && node ${BIN} pipe attendance --rows 2000 --seed 4 | node ${BIN} xlsx --schema attendance > y.xlsx`,
      dir,
    );
    expect(r.stderr).toMatch(/^datagen: wrote 2,000 attendance rows to x\.xlsx/);
    expect(r.status).toBe(0);
    const rows = await collect(scenario('attendance', { rows: 2000, seed: 4 }));
    const sheets = readXlsx(join(dir, 'x.xlsx'));
    expect(sheets[0]!.name).toBe('attendance');
    expectCellsMatch(scenario('attendance', { rows: 1 }).schema, rows, dataRows(sheets));
    expect(readFileSync(join(dir, 'y.xlsx')).equals(readFileSync(join(dir, 'x.xlsx')))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['x.xlsx', 'y.xlsx']);
  });

  it('--sheet-rows on the command line: rolls over; out of range is E_OPTION', () => {
    const dir = tempDir();
    const r = sh(`node ${BIN} pipe attendance --rows 2500 --seed 4 | node ${BIN} xlsx --schema attendance --sheet-rows 1001 --sheet Daily --out z.xlsx`, dir);
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(r.status).toBe(0);
    expect(readXlsx(join(dir, 'z.xlsx')).map((s) => [s.name, s.rows.length])).toEqual([['Daily', 1001], ['Daily_2', 1001], ['Daily_3', 501]]);
    const bad = sh(`echo '{}' | node ${BIN} xlsx --sheet-rows 1 --out w.xlsx`, dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('datagen: xlsx: --sheet-rows must be between 2 and 1048576, got "1" [E_OPTION]');
    expect(existsSync(join(dir, 'w.xlsx'))).toBe(false);
  });

  it('refuses an existing file with E_OUTPUT and exit code 1', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.xlsx'), 'old');
    const r = sh(`node ${BIN} generate attendance --rows 10 --out x.xlsx`, dir);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^datagen: x\.xlsx already exists \(pass --overwrite to replace it\) \[E_OUTPUT\]$/);
    expect(readFileSync(join(dir, 'x.xlsx'), 'utf8')).toBe('old');
    expect(existsSync(join(dir, 'x.xlsx'))).toBe(true);
  });
});
