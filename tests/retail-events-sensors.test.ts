import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetContext } from '../src/core/dataset.js';
import { runDataset, type DatasetResult } from '../src/datasets/run.js';
import { formatDate, formatTimestamp, isoWeekday, parseTimestamp } from '../src/core/temporal.js';
import { ENVELOPE, EVENT_TYPES } from '../pipelines/retail/events.js';
import { BATTERY_EMPTY_MV, HUMIDITY_RANGE, sensorLayout, TEMPERATURE_RANGE } from '../pipelines/retail/sensors.js';
import { retail } from '../pipelines/retail/index.js';
import { CURRENCIES, productAt, storeAt, type Ctx } from '../pipelines/retail/shared.js';
import { tempDir, withinSamplingError } from './helpers.js';

/**
 * events, sensors and exchange_rates of the retail dataset, read back by readers that did not
 * write them (JSON.parse per line and DuckDB for the JSON lines, DuckDB for the CSV partitions,
 * openpyxl for the workbook), every rule checked on every row, anomalies against the ledger.
 */
const SCALE = 0.01;
const SEED = 42;
const out = tempDir('retail-ess-');
const ctx = datasetContext(retail, SEED, SCALE) as unknown as Ctx;
let result: DatasetResult;
let ledger: Array<Record<string, unknown>>;
let con: DuckDBConnection;
const query = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson();
const entries = (table: string, stage: string) => ledger.filter((e) => e.table === table && e.stage === stage && e.event === undefined);

beforeAll(async () => {
  result = await runDataset(retail, { out, seed: SEED, scale: SCALE, tables: ['events', 'sensors', 'exchange_rates'] });
  ledger = readFileSync(join(out, '_ledger.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  con = await (await DuckDBInstance.create(':memory:')).connect();
}, 120_000);
afterAll(() => con?.closeSync());

/** Files of a partitioned table in row order: partition folders sorted by their values. */
function partitionFiles(table: string, order: (folder: string) => string | number): string[] {
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return walk(join(out, table)).sort((a, b) => {
    const ka = order(a);
    const kb = order(b);
    return ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : 1;
  });
}

// ------------------------------------------------------------------ events

describe('events', () => {
  interface Line {
    row: number;
    dt: string;
    text: string;
    event?: Record<string, unknown>;
  }
  let lines: Line[];
  beforeAll(() => {
    lines = [];
    for (const file of partitionFiles('events', (f) => f)) {
      const dt = /event_dt=(\d{4}-\d{2}-\d{2})\/events_\d{4}\.jsonl$/.exec(file)?.[1];
      expect(dt, file).toBeDefined();
      for (const text of readFileSync(file, 'utf8').split('\n').slice(0, -1)) {
        let event: Record<string, unknown> | undefined;
        try {
          event = JSON.parse(text) as Record<string, unknown>;
        } catch {
          event = undefined;
        }
        lines.push({ row: lines.length, dt: dt!, text, ...(event ? { event } : {}) });
      }
    }
  });

  it('one file per UTC day of the horizon, every line one row, the manifest agrees', () => {
    const days = ctx.options.end - ctx.options.start + 1;
    const files = result.files.filter((f) => f.table === 'events');
    expect(files.length).toBe(days);
    expect(files.every((f) => /^events\/event_dt=\d{4}-\d{2}-\d{2}\/events_0000\.jsonl$/.test(f.path))).toBe(true);
    expect(lines.length).toBe(result.tables.find((t) => t.name === 'events')!.rows);
    expect(lines.length).toBe(ctx.rows('events'));
  });

  it('every line parses as one JSON object except the ledgered truncated lines, which are exactly what the ledger says', () => {
    const cut = entries('events', 'malform');
    expect(cut.every((e) => e.kind === 'truncated_json' && e.column === 'json')).toBe(true);
    const broken = lines.filter((l) => !l.event).map((l) => l.row);
    expect(broken).toEqual(cut.map((e) => e.row));
    for (const e of cut) expect(lines[e.row as number]!.text).toBe(e.after);
    expect(withinSamplingError(cut.length, lines.length, 0.0005)).toBe(true);
  });

  it('envelope fields all present except the drop-field ledger entries (one named field each)', () => {
    const dropped = entries('events', 'drop-field');
    expect(withinSamplingError(dropped.length, lines.length, 0.002)).toBe(true);
    const byRow = new Map(dropped.map((e) => [e.row as number, e]));
    const cutRows = new Set(entries('events', 'malform').map((e) => e.row as number));
    for (const l of lines) {
      const d = byRow.get(l.row);
      if (!l.event) {
        expect(cutRows.has(l.row)).toBe(true);
        continue;
      }
      const absent = ENVELOPE.filter((f) => !(f in l.event!));
      if (!d) {
        if (absent.length > 0) expect({ row: l.row, absent }).toEqual({ row: l.row, absent: [] });
        continue;
      }
      expect(d.kind).toBe('missing_field');
      expect(absent).toEqual([d.field]);
      expect(l.text).toBe(d.after);
      const before = JSON.parse(d.before as string) as Record<string, unknown>;
      delete before[d.field as string];
      expect(l.event).toEqual(before);
    }
  });

  it('event_ts is ISO-8601 with microseconds and an offset, on its partition day (UTC); payload by event_type', () => {
    const shapes: Record<string, string[]> = {
      page_view: ['url', 'referrer'],
      search: ['query', 'results'],
      product_view: ['product_id', 'category', 'subcategory', 'price'],
      add_to_cart: ['product_id', 'qty', 'price'],
      remove_from_cart: ['product_id', 'qty'],
      checkout: ['items', 'cart_value', 'currency'],
    };
    const seen = new Set<string>();
    const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const bad: unknown[] = [];
    for (const l of lines) {
      const e = l.event;
      if (!e) continue;
      if (e.event_ts !== undefined && !(TS.test(e.event_ts as string) && (e.event_ts as string).slice(0, 10) === l.dt)) bad.push({ row: l.row, dt: l.dt, ts: e.event_ts });
      if (e.event_id !== undefined && !UUID.test(e.event_id as string)) bad.push({ row: l.row, id: e.event_id });
      if (e.event_type === undefined) continue;
      seen.add(e.event_type as string);
      const keys = Object.keys(e.payload as object).join();
      if (shapes[e.event_type as string]?.join() !== keys) bad.push({ row: l.row, type: e.event_type, keys });
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect([...seen].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('sessions: one user, 2-30 events in time order 1 s to 10 min apart, starting with a page_view; carts add up at checkout', () => {
    const customers = ctx.rows('customers');
    const products = ctx.rows('products');
    // Rows of a session are contiguous: group by position, with the session id where present.
    const bySession = new Map<string, Line[]>();
    for (const l of lines) {
      const id = l.event?.session_id as string | undefined;
      if (id === undefined) continue;
      (bySession.get(id) ?? bySession.set(id, []).get(id)!).push(l);
    }
    const anomalous = new Set([...entries('events', 'malform'), ...entries('events', 'drop-field')].map((e) => e.row as number));
    let checkouts = 0;
    let completeSessions = 0;
    const bad: unknown[] = [];
    const check = (ok: boolean, what: unknown) => {
      if (!ok) bad.push(what);
    };
    for (const [id, group] of bySession) {
      check(group.at(-1)!.row - group[0]!.row < 30, { id, span: group.at(-1)!.row - group[0]!.row });
      const users = new Set(group.map((l) => l.event!.user_id).filter((u) => u !== undefined));
      check(users.size === 1, { id, users: [...users] });
      const user = [...users][0] as number;
      check(Number.isInteger(user) && user >= 1 && user <= customers, { id, user });
      const times = group.map((l) => l.event!.event_ts).filter((t): t is string => t !== undefined).map((t) => parseTimestamp(t)!);
      for (let i = 1; i < times.length; i++) {
        // Gaps add up where a middle event lost its timestamp: up to 10 min per gap.
        const gap = times[i]! - times[i - 1]!;
        check(gap >= 1_000_000 && gap < 30 * 600_000_000, { id, gap });
      }
      // Sessions touched by an anomaly (a cut line next to it, a dropped field) are checked above only.
      const complete = group.length === group.at(-1)!.row - group[0]!.row + 1 && !anomalous.has(group[0]!.row - 1) && !anomalous.has(group.at(-1)!.row + 1) && group.every((l) => !anomalous.has(l.row));
      if (!complete) continue;
      completeSessions++;
      check(group.length >= 2, { id, events: group.length });
      for (let i = 1; i < times.length; i++) check(times[i]! - times[i - 1]! < 600_000_000, { id, gap: times[i]! - times[i - 1]! });
      check(group[0]!.event!.event_type === 'page_view', { id, first: group[0]!.event!.event_type });
      const cart = new Map<number, { qty: number; price: number }>();
      for (const l of group) {
        const p = l.event!.payload as Record<string, number>;
        if (p.product_id !== undefined) check(p.product_id >= 1 && p.product_id <= products, { id, product: p.product_id });
        switch (l.event!.event_type) {
          case 'product_view':
          case 'add_to_cart':
            check(p.price === productAt(ctx, p.product_id!).price, { id, product: p.product_id, price: p.price });
            if (l.event!.event_type === 'add_to_cart') {
              const c = cart.get(p.product_id!);
              cart.set(p.product_id!, { qty: (c?.qty ?? 0) + p.qty!, price: p.price! });
            }
            break;
          case 'remove_from_cart':
            check(cart.get(p.product_id!)?.qty === p.qty, { id, removed: p });
            cart.delete(p.product_id!);
            break;
          case 'checkout': {
            checkouts++;
            check(l === group.at(-1), { id, checkout: l.row });
            const value = [...cart.values()].reduce((s, c) => s + c.qty * c.price, 0);
            const items = [...cart.values()].reduce((s, c) => s + c.qty, 0);
            check(Math.abs(p.cart_value! - value) < 0.005 && p.items === items, { id, payload: p, value, items });
          }
        }
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(checkouts).toBeGreaterThan(0);
    expect(completeSessions).toBeGreaterThan(0.9 * bySession.size);
  });

  it('more sessions on weekends and in December than on weekdays and in February', () => {
    const perDay = new Map<string, number>();
    for (const l of lines) perDay.set(l.dt, (perDay.get(l.dt) ?? 0) + 1);
    const mean = (pred: (day: number) => boolean) => {
      const days = [...perDay].filter(([d]) => pred(Date.parse(d) / 86_400_000));
      return days.reduce((s, [, n]) => s + n, 0) / days.length;
    };
    expect(mean((d) => isoWeekday(d) >= 6)).toBeGreaterThan(1.15 * mean((d) => isoWeekday(d) <= 4));
    expect(mean((d) => formatDate(d).slice(5, 7) === '12')).toBeGreaterThan(1.3 * mean((d) => formatDate(d).slice(5, 7) === '02'));
  });

  it('DuckDB reads the folder as JSON lines with the envelope types; event_dt is the UTC date of event_ts', async () => {
    const cols = "columns={event_id:'VARCHAR', event_ts:'TIMESTAMPTZ', event_type:'VARCHAR', user_id:'BIGINT', session_id:'VARCHAR', payload:'JSON'}";
    const src = `read_json('${out}/events/*/*.jsonl', format='newline_delimited', ignore_errors=true, hive_partitioning=true, ${cols})`;
    await con.run("set timezone = 'UTC'");
    const [s] = await query(`select count(*) n, count(event_ts) ts, count(*) filter (where cast(event_ts as date) <> event_dt) off_day,
      count(*) filter (where event_type is null and event_id is null and session_id is null) empty from ${src}`);
    const cut = entries('events', 'malform').length;
    const noTs = entries('events', 'drop-field').filter((e) => e.field === 'event_ts' && !entries('events', 'malform').some((m) => m.row === e.row)).length;
    expect(Number(s!.n)).toBe(lines.length);
    expect(Number(s!.off_day)).toBe(0);
    // A cut line reads as an empty row under ignore_errors.
    expect(Number(s!.empty)).toBeGreaterThanOrEqual(cut);
    // DuckDB's reader may also lose the line after a cut one: a line cut right after a colon
    // makes it read the value across the newline (the next line's object), then fail both.
    expect(Number(s!.ts)).toBeLessThanOrEqual(lines.length - cut - noTs);
    expect(Number(s!.ts)).toBeGreaterThanOrEqual(lines.length - 2 * cut - noTs);
  });
});

// ------------------------------------------------------------------ sensors

describe('sensors', () => {
  interface Reading {
    file: string;
    ts: number | null;
    store: number;
    shelf: string;
    temp: number;
    humidity: number;
    battery: number;
  }
  let readings: Reading[];
  beforeAll(() => {
    readings = [];
    const key = (f: string) => {
      const m = /store_id=(\d+)\/month=(\d{4}-\d{2})\//.exec(f)!;
      return m[1]!.padStart(10, '0') + m[2];
    };
    for (const file of partitionFiles('sensors', key)) {
      const [header, ...rows] = readFileSync(file, 'utf8').split('\n').slice(0, -1);
      expect(header).toBe('sensor_ts,store_id,shelf_id,temperature_c,humidity_pct,battery_mv');
      for (const r of rows) {
        const [ts, store, shelf, temp, humidity, battery] = r.split(',');
        readings.push({ file, ts: ts === '' ? null : parseTimestamp(ts!)!, store: Number(store), shelf: shelf!, temp: Number(temp), humidity: Number(humidity), battery: Number(battery) });
      }
    }
  });

  it('only open pos stores have sensors, up to 8 shelves each (4-8 but for the last store), every hour of the horizon; rows as the manifest says', () => {
    const layout = sensorLayout(ctx);
    const hours = (ctx.options.end - ctx.options.start + 1) * 24;
    expect(readings.length).toBe(result.tables.find((t) => t.name === 'sensors')!.rows);
    expect(readings.length).toBe(layout.shelves.reduce((a, b) => a + b, 0) * hours);
    const stores = [...new Set(readings.map((r) => r.store))];
    expect(stores).toEqual(layout.stores);
    expect(layout.shelves.every((n, k) => n >= 1 && n <= 8 && (k === layout.shelves.length - 1 || n >= 4))).toBe(true);
    layout.stores.forEach((id, k) => expect(new Set(readings.filter((r) => r.store === id).map((r) => r.shelf)).size).toBe(layout.shelves[k]));
    for (const id of stores) {
      const s = storeAt(ctx, id);
      expect(s.channel).toBe('pos');
      expect(s.closeDay).toBeUndefined();
      expect(id).toBeLessThanOrEqual(ctx.rows('stores'));
    }
  });

  it('each shelf reports exactly every 3,600 s; its file is store_id=<store>/month=<UTC month of sensor_ts>', () => {
    const SHELF = /^(AMB|CHL)-0[1-8]$/;
    const last = new Map<string, { index: number; ts: number | null }>();
    const perShelf = new Map<string, number>();
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const k = `${r.store}/${r.shelf}`;
      const n = perShelf.get(k) ?? 0;
      perShelf.set(k, n + 1);
      if (!SHELF.test(r.shelf)) expect(r.shelf).toMatch(SHELF);
      if (r.ts !== null) {
        const m = /store_id=(\d+)\/month=(\d{4}-\d{2})\//.exec(r.file)!;
        if (Number(m[1]) !== r.store || formatDate(Math.floor(r.ts / 86_400_000_000)).slice(0, 7) !== m[2]) {
          expect({ i, file: r.file }).toEqual({ i, store: r.store, ts: r.ts });
        }
        const prev = last.get(k);
        if (prev && prev.ts !== null && r.ts - prev.ts !== (n - prev.index) * 3_600_000_000) expect({ i, k, gap: r.ts - prev.ts }).toEqual({ i, k, gap: (n - prev.index) * 3_600_000_000 });
        if (prev === undefined) expect(r.ts - ctx.options.start * 86_400_000_000).toBeLessThan(3_600_000_000);
      }
      last.set(k, { index: n, ts: r.ts });
    }
  });

  it('battery drains between replacements and jumps back to a new battery (at least one replacement per shelf)', () => {
    const last = new Map<string, number>();
    const replaced = new Map<string, number>();
    const bad: unknown[] = [];
    readings.forEach((r, i) => {
      const k = `${r.store}/${r.shelf}`;
      if (!(r.battery >= BATTERY_EMPTY_MV && r.battery <= 3650)) bad.push({ i, battery: r.battery });
      const prev = last.get(k);
      if (prev !== undefined && r.battery > prev) {
        if (!(r.battery >= 3590 && prev < 2800)) bad.push({ i, from: prev, to: r.battery });
        replaced.set(k, (replaced.get(k) ?? 0) + 1);
      }
      last.set(k, r.battery);
    });
    expect(bad.slice(0, 5)).toEqual([]);
    expect(replaced.size).toBe(last.size);
  });

  it('temperature and humidity: daily cycle, chilled colder; out of range exactly where the ledger says', () => {
    const out = entries('sensors', 'outliers');
    const keyOf = (store: number, shelf: string, ts: number | string | null) => `${store}/${shelf}/${ts}`;
    const ledgered = new Map(out.map((e) => {
      const k = e.key as { store_id: number; shelf_id: string; sensor_ts: string };
      return [keyOf(k.store_id, k.shelf_id, k.sensor_ts) + '/' + (e.column as string), e] as const;
    }));
    const missing = entries('sensors', 'missing');
    const missingTs = new Map(missing.map((e) => [e.row as number, (e.key as { sensor_ts: string }).sensor_ts]));
    let outside = 0;
    let ambient = 0;
    let chilled = 0;
    const bad: unknown[] = [];
    readings.forEach((r, i) => {
      const ts = r.ts === null ? missingTs.get(i) : formatTimestamp(r.ts);
      if (ts === undefined) bad.push({ i, blank: 'sensor_ts not in the ledger' });
      const checks = [
        ['temperature_c', r.temp, TEMPERATURE_RANGE],
        ['humidity_pct', r.humidity, HUMIDITY_RANGE],
      ] as const;
      for (const [column, v, [lo, hi]] of checks) {
        const e = ledgered.get(keyOf(r.store, r.shelf, ts!) + '/' + column);
        if (v < lo || v > hi) {
          outside++;
          if (e?.after !== v) bad.push({ i, column, v, ledger: e ?? 'none' });
        } else if (e) bad.push({ i, column, v, ledger: e });
      }
      if (r.temp >= TEMPERATURE_RANGE[0] && r.temp <= TEMPERATURE_RANGE[1]) {
        const ok = r.shelf.startsWith('CHL') ? r.temp < 9 : r.temp > 12;
        if (!ok) bad.push({ i, shelf: r.shelf, temp: r.temp });
        if (r.shelf.startsWith('CHL')) chilled++;
        else ambient++;
      }
    });
    expect(bad.slice(0, 5)).toEqual([]);
    expect(outside).toBe(out.length);
    expect(ambient + chilled).toBeGreaterThan(0);
    for (const column of ['temperature_c', 'humidity_pct']) expect(withinSamplingError(out.filter((e) => e.column === column).length, readings.length, 0.002)).toBe(true);
    // Missing timestamps: the blank rows are exactly the ledgered ones.
    expect(readings.flatMap((r, i) => (r.ts === null ? [i] : []))).toEqual(missing.map((e) => e.row));
    expect(withinSamplingError(missing.length, readings.length, 0.0005)).toBe(true);
    // Daily cycle on ambient shelves: local afternoon warmer than local early morning.
    const byLocalHour = (h: number) => {
      const xs = readings.filter((r) => r.ts !== null && r.shelf.startsWith('AMB') && r.temp <= TEMPERATURE_RANGE[1] && r.temp >= TEMPERATURE_RANGE[0]);
      const at = xs.filter((r) => Math.floor(((r.ts! / 3_600_000_000 + storeAt(ctx, r.store).state.offset / 60) % 24 + 24) % 24) === h);
      return at.reduce((s, r) => s + r.temp, 0) / at.length;
    };
    if (readings.some((r) => r.shelf.startsWith('AMB'))) expect(byLocalHour(15)).toBeGreaterThan(byLocalHour(3) + 2);
  });

  it('DuckDB reads every partition with the spec types; the partition folders match the rows', async () => {
    const cols = "columns={sensor_ts:'TIMESTAMPTZ', store_id:'BIGINT', shelf_id:'VARCHAR', temperature_c:'DECIMAL(5,2)', humidity_pct:'DECIMAL(5,2)', battery_mv:'INTEGER'}";
    const src = `read_csv('${out}/sensors/*/*/sensors.csv', header=true, filename=true, ${cols})`;
    await con.run("set timezone = 'UTC'");
    const [s] = await query(`select count(*) n, count(sensor_ts) ts,
      count(*) filter (where regexp_extract(filename, 'store_id=(\\d+)/', 1)::bigint <> store_id) wrong_store,
      count(*) filter (where strftime(sensor_ts, '%Y-%m') <> regexp_extract(filename, 'month=([0-9-]+)/', 1)) wrong_month,
      sum(battery_mv) battery from ${src}`);
    expect(Number(s!.n)).toBe(readings.length);
    expect(Number(s!.ts)).toBe(readings.length - entries('sensors', 'missing').length);
    expect(Number(s!.wrong_store)).toBe(0);
    expect(Number(s!.wrong_month)).toBe(0);
    expect(Number(s!.battery)).toBe(readings.reduce((a, r) => a + r.battery, 0));
  });
});

// ------------------------------------------------------------------ exchange_rates

describe('exchange_rates', () => {
  const READER = String.raw`
import datetime, json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
rows = []
for row in ws.iter_rows():
    out = []
    for c in row:
        v = c.value
        if isinstance(v, datetime.datetime): out.append(['dt', v.strftime('%Y-%m-%d %H:%M:%S')])
        elif isinstance(v, bool): out.append(['b', v])
        elif isinstance(v, (int, float)): out.append(['n', v])
        else: out.append(['s', v])
    rows.append(out)
json.dump({'sheets': len(wb.worksheets), 'title': ws.title, 'rows': rows}, sys.stdout)
`;

  it('openpyxl reads real dates and numbers: one row per day per currency, no gaps, AUD = 1, weekends carry Friday forward', () => {
    const r = spawnSync('/usr/bin/python3', ['-c', READER, join(out, 'exchange_rates.xlsx')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status, r.stderr).toBe(0);
    const book = JSON.parse(r.stdout) as { sheets: number; title: string; rows: Array<Array<[string, string | number]>> };
    expect(book.sheets).toBe(1);
    const [header, ...rows] = book.rows;
    expect(header).toEqual([['s', 'date'], ['s', 'currency'], ['s', 'rate_to_aud']]);
    const days = ctx.options.end - ctx.options.start + 1;
    expect(rows.length).toBe(days * CURRENCIES.length);
    const rate = new Map<string, number>();
    rows.forEach((row, i) => {
      const day = ctx.options.start + Math.floor(i / CURRENCIES.length);
      const cur = CURRENCIES[i % CURRENCIES.length]!;
      expect(row[0]).toEqual(['dt', `${formatDate(day)} 00:00:00`]);
      expect(row[1]).toEqual(['s', cur]);
      expect(row[2]![0]).toBe('n');
      const v = row[2]![1] as number;
      expect(v).toBeGreaterThan(0);
      expect(Math.round(v * 1e8) / 1e8).toBe(v);
      if (cur === 'AUD') expect(v).toBe(1);
      const prev = rate.get(cur);
      if (prev !== undefined) {
        if (isoWeekday(day) >= 6) expect(v, `${cur} ${formatDate(day)}`).toBe(prev);
        else expect(Math.abs(Math.log(v / prev))).toBeLessThan(0.05);
      }
      rate.set(cur, v);
    });
    // A random walk, not a constant: every foreign currency moved over the horizon.
    const first = rows.slice(0, CURRENCIES.length).map((r) => r[2]![1]);
    const lastRow = rows.slice(-CURRENCIES.length).map((r) => r[2]![1]);
    CURRENCIES.forEach((c, i) => (c === 'AUD' ? expect(lastRow[i]).toBe(1) : expect(lastRow[i]).not.toBe(first[i])));
  });
});

// ------------------------------------------------------------------ determinism

describe('determinism', () => {
  it('the same bytes whatever the batch size', async () => {
    const run = async (batchSize: number) => {
      const dir = tempDir('retail-ess-det-');
      const r = await runDataset(retail, { out: dir, seed: 7, scale: 0.002, tables: ['events', 'sensors'], batchSize });
      return r.files.map((f) => `${f.path} ${f.sha256}`);
    };
    const a = await run(8192);
    const b = await run(997);
    expect(b).toEqual(a);
    expect(a.length).toBeGreaterThan(100);
  }, 120_000);
});
