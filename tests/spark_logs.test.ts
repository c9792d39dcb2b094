import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../src/core/pipeline.js';
import type { Row } from '../src/core/schema.js';
import { parseDate } from '../src/core/temporal.js';
import { sparkLogs } from '../scenarios/spark_logs.js';
import { scenario } from '../sources/scenario.js';
import { withinSamplingError } from './helpers.js';

const N = 60_000;
const gen = (options: Record<string, unknown>) => collect(scenario(sparkLogs, { rows: N, seed: 11, ...options }));

const TASK_RE = /task (\d+)\.(\d+) in stage (\d+)\.0 \(TID (\d+)\)/;
const num = (v: unknown) => v as number;

/** Rows grouped by (app, job), in row order; preamble rows (job null) under job -1. */
function jobsOf(rows: Row[]): Map<string, Row[]> {
  const jobs = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.app_id}/${r.job_id ?? -1}`;
    let list = jobs.get(k);
    if (!list) jobs.set(k, (list = []));
    list.push(r);
  }
  return jobs;
}

const complete = (job: Row[]) => /DAGScheduler: Job \d+ finished: /.test(job[job.length - 1]!.message as string);

describe('spark_logs: every rule on 60,000 rows', () => {
  let rows: Row[];
  let multi: Row[];
  beforeAll(async () => {
    rows = await gen({});
    multi = await gen({ apps: 3, executors: 5 });
  });

  it('has exactly the rows asked for: 0, 1, 8193, 50000 and a count ending mid-job', async () => {
    for (const n of [0, 1, 8193, 50_000]) expect((await collect(scenario(sparkLogs, { rows: n, seed: 11 }))).length).toBe(n);
    // A count ending mid-job: 37 lines into the job that starts after row 30,000.
    let b = 30_000;
    while (rows[b]!.job_id === rows[b - 1]!.job_id) b++;
    const cut = b + 37;
    const short = await collect(scenario(sparkLogs, { rows: cut, seed: 11 }));
    expect(short.length).toBe(cut);
    expect(short[cut - 1]!.job_id).toBe(rows[cut]!.job_id); // the job continues in the longer table
    expect(short).toEqual(rows.slice(0, cut)); // a shorter table is the same rows, cut
  });

  it('is deterministic: same seed same rows, other seed other rows, batch size and shards change nothing', async () => {
    expect(await gen({})).toEqual(rows);
    const other = await gen({ seed: 12 });
    expect(other.length).toBe(N);
    expect(other.slice(0, 2000)).not.toEqual(rows.slice(0, 2000));
    expect(await gen({ batchSize: 1000 })).toEqual(rows);
    const parts: Row[] = [];
    for (let i = 0; i < 3; i++) parts.push(...(await gen({ shard: `${i}/3` })));
    expect(parts).toEqual(rows);
  });

  it('level mix is about 90/7/3% within sampling error', () => {
    for (const data of [rows, multi]) {
      for (const [level, p] of [['INFO', 0.9], ['WARN', 0.07], ['ERROR', 0.03]] as const) {
        const count = data.filter((r) => r.level === level).length;
        expect(withinSamplingError(count, data.length, p), `${level}: ${count} of ${data.length}`).toBe(true);
      }
    }
  });

  it('timestamps strictly increase within every job and through the whole table', () => {
    for (const data of [rows, multi]) {
      for (let i = 1; i < data.length; i++) {
        if (!(num(data[i]!.ts) > num(data[i - 1]!.ts))) throw new Error(`row ${i}: ts ${data[i]!.ts} after ${data[i - 1]!.ts}`);
      }
      let unordered = 0;
      for (const job of jobsOf(data).values()) for (let i = 1; i < job.length; i++) if (!(num(job[i]!.ts) > num(job[i - 1]!.ts))) unordered++;
      expect(unordered).toBe(0);
      const start = parseDate('2024-03-01')! * 86_400_000_000;
      expect(num(data[0]!.ts)).toBeGreaterThanOrEqual(start);
      expect(num(data[0]!.ts)).toBeLessThan(start + 86_400_000_000);
    }
  });

  it('applications: preamble first, then jobs 0, 1, 2, ... in order', () => {
    const apps = [...new Set(multi.map((r) => r.app_id))];
    expect(apps.length).toBe(3);
    expect(apps.every((a) => /^application_\d{13}_\d{4}$/.test(a as string))).toBe(true);
    expect(apps.map((a) => (a as string).slice(-4))).toEqual(['0001', '0002', '0003']);
    for (const app of apps) {
      const own = multi.filter((r) => r.app_id === app);
      const preamble = 12 + 2 * 5;
      expect(own.slice(0, preamble).every((r) => r.job_id === null && r.stage_id === null && r.task_id === null && r.level === 'INFO')).toBe(true);
      expect(own[0]!.message).toBe('SparkContext: Running Spark version 3.5.1');
      expect(own.slice(preamble).every((r) => r.job_id !== null)).toBe(true);
      expect(own.filter((r) => /Registered executor/.test(r.message as string)).length).toBe(5);
      let expected = 0;
      for (const r of own.slice(preamble)) {
        if (r.job_id !== expected) {
          expect(r.job_id).toBe(expected + 1);
          expected++;
        }
      }
      expect(expected).toBeGreaterThan(5);
    }
    // rows ordered by application
    const firstRow = apps.map((a) => multi.findIndex((r) => r.app_id === a));
    const lastRow = apps.map((a) => multi.findLastIndex((r) => r.app_id === a));
    for (let i = 1; i < apps.length; i++) expect(firstRow[i]).toBe(lastRow[i - 1]! + 1);
  });

  it('hierarchy: a stage belongs to one job, a task to one stage; messages name the same stage and TID', () => {
    for (const data of [rows, multi]) {
      const stageJob = new Map<string, unknown>();
      const taskStage = new Map<string, string>();
      const bad: string[] = [];
      let named = 0;
      for (const r of data) {
        if (r.stage_id !== null) {
          const k = `${r.app_id}/${r.stage_id}`;
          if (!stageJob.has(k)) stageJob.set(k, r.job_id);
          if (stageJob.get(k) !== r.job_id) bad.push(`stage ${k} in jobs ${stageJob.get(k)} and ${r.job_id}`);
        }
        if (r.task_id !== null) {
          if (r.stage_id === null) bad.push(`task ${r.task_id} without a stage`);
          const k = `${r.app_id}/${r.task_id}`;
          const v = `${r.job_id}/${r.stage_id}`;
          if (!taskStage.has(k)) taskStage.set(k, v);
          if (taskStage.get(k) !== v) bad.push(`task ${k} in ${taskStage.get(k)} and ${v}`);
          const m = TASK_RE.exec(r.message as string);
          if (m) {
            named++;
            if (Number(m[3]) !== r.stage_id || Number(m[4]) !== r.task_id) bad.push(`columns ${r.stage_id}/${r.task_id} vs message ${r.message}`);
          }
        }
      }
      expect(bad.slice(0, 5)).toEqual([]);
      expect(named).toBeGreaterThan(20_000);
      // Stages of a job are consecutive ids; TIDs rise with launch order within an app.
      for (const job of jobsOf(data).values()) {
        if (job[0]!.job_id === null) continue;
        const stages = [...new Set(job.filter((r) => r.stage_id !== null).map((r) => num(r.stage_id)))].sort((a, b) => a - b);
        stages.forEach((s, i) => expect(s).toBe(stages[0]! + i));
        const starts = job.filter((r) => /TaskSetManager: Starting task/.test(r.message as string)).map((r) => num(r.task_id));
        starts.forEach((t, i) => i > 0 && expect(t).toBe(starts[i - 1]! + 1));
      }
    }
  });

  it('complete jobs have the documented shape, task counts and Finished counters', () => {
    let checked = 0;
    for (const job of jobsOf(rows).values()) {
      if (job[0]!.job_id === null || !complete(job)) continue;
      checked++;
      const msgs = job.map((r) => r.message as string);
      expect(msgs[0]).toMatch(/^DAGScheduler: Got job \d+ \(.+\) with \d+ output partitions$/);
      expect(msgs[1]).toMatch(/^DAGScheduler: Final stage: ResultStage \d+/);
      expect(msgs[msgs.length - 3]).toMatch(/Cancelling potential speculative or zombie tasks/);
      expect(msgs[msgs.length - 2]).toMatch(/^YarnScheduler: Killing all running tasks in stage \d+: Stage finished$/);
      const stages = [...new Set(job.filter((r) => r.stage_id !== null).map((r) => num(r.stage_id)))];
      for (const s of stages) {
        const own = job.filter((r) => r.stage_id === s);
        const tasks = Number(/Adding task set \d+\.0 with (\d+) tasks/.exec(own.map((r) => r.message).join('\n'))?.[1]);
        const finished = own.filter((r) => /TaskSetManager: Finished task/.test(r.message as string));
        expect(finished.length).toBe(tasks);
        finished.forEach((r, i) => expect(r.message).toMatch(new RegExp(`\\(${i + 1}/${tasks}\\)$`)));
        // every partition succeeds exactly once
        const parts = finished.map((r) => Number(TASK_RE.exec(r.message as string)![1])).sort((a, b) => a - b);
        expect(parts).toEqual(Array.from({ length: tasks }, (_, i) => i));
        // each attempt: Starting task, then its executor line right after
        for (let i = 0; i < own.length; i++) {
          if (/TaskSetManager: Starting task/.test(own[i]!.message as string)) {
            expect(own[i + 1]!.task_id).toBe(own[i]!.task_id);
            expect(own[i + 1]!.message).toMatch(/^(FileScanRDD: Reading File path: s3a:|ShuffleBlockFetcherIterator: Getting \d+ )/);
          }
        }
        expect(own.some((r) => /finished in \d+\.\d{3} s$/.test(r.message as string))).toBe(true);
      }
      const got = Number(/with (\d+) output partitions/.exec(msgs[0]!)![1]);
      const result = Math.max(...stages);
      expect(msgs.some((m) => m.startsWith(`YarnScheduler: Adding task set ${result}.0 with ${got} tasks`))).toBe(true);
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('"Finished task ... in N ms" is the time since that attempt started', () => {
    const startTs = new Map<string, number>();
    let checked = 0;
    for (const r of rows) {
      const m = r.message as string;
      if (m.startsWith('TaskSetManager: Starting task')) startTs.set(`${r.app_id}/${r.task_id}`, num(r.ts));
      else if (m.startsWith('TaskSetManager: Finished task')) {
        const ms = Number(/\) in (\d+) ms on /.exec(m)![1]);
        expect(ms).toBe(Math.round((num(r.ts) - startTs.get(`${r.app_id}/${r.task_id}`)!) / 1000));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it('ERROR lines are task failures: Lost task WARN with the same TID next, then a retry that finishes', () => {
    let errors = 0;
    for (const data of [rows, multi]) {
      const jobs = jobsOf(data);
      for (let i = 0; i < data.length; i++) {
        const r = data[i]!;
        const m = r.message as string;
        if (r.level === 'ERROR') {
          expect(r.task_id).not.toBeNull();
          expect(m).toMatch(/^(Executor: Exception in task \d+\.0 in stage \d+\.0 \(TID \d+\): \S|YarnScheduler: Lost executor \d+ on [\d.]+: )/);
          if (i + 1 >= data.length) continue; // the table may end between the two lines
          const next = data[i + 1]!;
          expect(next.level).toBe('WARN');
          expect(next.task_id).toBe(r.task_id);
          const lost = /^TaskSetManager: Lost task (\d+)\.0 in stage (\d+)\.0 \(TID (\d+)\) \(([\d.]+) executor (\d+)\): (.+)$/.exec(next.message as string);
          expect(lost, next.message as string).not.toBeNull();
          if (m.startsWith('YarnScheduler')) expect(lost![6]).toMatch(/^ExecutorLostFailure \(executor \d+ exited/);
          else expect(m.endsWith(lost![6]!)).toBe(true);
          const [, part, stage, , host, exec] = lost!;
          // The retry: attempt 1 of the same partition, on another executor, and it finishes.
          const job = jobs.get(`${r.app_id}/${r.job_id}`)!;
          if (!complete(job)) continue;
          const retryStart = job.find((x) => (x.message as string).startsWith(`TaskSetManager: Starting task ${part}.1 in stage ${stage}.0 `));
          expect(retryStart).toBeDefined();
          expect(num(retryStart!.ts)).toBeGreaterThan(num(next.ts));
          expect(retryStart!.message).not.toContain(`(${host}, executor ${exec},`);
          expect(job.some((x) => (x.message as string).startsWith(`TaskSetManager: Finished task ${part}.1 in stage ${stage}.0 (TID ${retryStart!.task_id})`))).toBe(true);
          expect(job.some((x) => (x.message as string).startsWith(`TaskSetManager: Finished task ${part}.0 in stage ${stage}.0 `))).toBe(false);
          errors++;
        }
        if (m.startsWith('TaskSetManager: Lost task')) {
          expect(data[i - 1]!.level).toBe('ERROR');
          expect(data[i - 1]!.task_id).toBe(r.task_id);
        }
      }
    }
    expect(errors).toBeGreaterThan(1000);
    // Retries happen only after failures.
    const retries = rows.filter((r) => /Starting task \d+\.1 /.test(r.message as string)).length;
    const failures = rows.filter((r) => r.level === 'ERROR').length;
    expect(Math.abs(retries - failures)).toBeLessThanOrEqual(1);
  });

  it('shuffle reads name the previous stage\'s map outputs; warnings come from the known set', () => {
    const reads = rows.filter((r) => (r.message as string).startsWith('ShuffleBlockFetcherIterator'));
    expect(reads.length).toBeGreaterThan(5000);
    for (const r of reads) {
      const m = /^ShuffleBlockFetcherIterator: Getting (\d+) \(.+\) non-empty blocks including (\d+) \(.+\) local and 0 \(0\.0 B\) host-local and 0 \(0\.0 B\) push-merged-local and (\d+) \(.+\) remote blocks$/.exec(r.message as string);
      expect(m, r.message as string).not.toBeNull();
      expect(Number(m![2]) + Number(m![3])).toBe(Number(m![1]));
    }
    const warnings = rows.filter((r) => r.level === 'WARN' && !(r.message as string).startsWith('TaskSetManager: Lost task'));
    for (const r of warnings) {
      expect(r.message).toMatch(/^(TaskMemoryManager: Failed to allocate|MemoryStore: Not enough space|BlockManager: Persisting block|Executor: Issue communicating|TransportChannelHandler: Exception in connection)/);
      expect(r.task_id).not.toBeNull();
    }
  });

  it('checks its options', async () => {
    expect(() => scenario(sparkLogs, { apps: 0 })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => scenario(sparkLogs, { executors: 0 })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => scenario(sparkLogs, { start: '2024-02-30' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    const later = await collect(scenario(sparkLogs, { rows: 100, seed: 1, start: '2025-06-01' }));
    expect(num(later[0]!.ts)).toBeGreaterThanOrEqual(parseDate('2025-06-01')! * 86_400_000_000);
  });

  it('generation code never calls Math.random or reads the clock', () => {
    for (const f of ['scenarios/spark_logs.ts', 'sources/spark-app-log.ts']) {
      const text = readFileSync(join(import.meta.dirname, '..', f), 'utf8');
      expect(text, f).not.toMatch(/Math\.random|Date\.now|new Date\(|performance\.now|process\.hrtime/);
    }
  });
});
