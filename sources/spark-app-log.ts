import { DatagenError } from '../src/core/errors.js';
import { combine, uniformAt } from '../src/random/hash.js';
import type { Row } from '../src/core/schema.js';
import { MICROS_PER_DAY, formatDate } from '../src/core/temporal.js';
import type { PlanContext, RowGenerator } from '../src/core/units.js';
import { checkInteger, checkNumber } from './domain.js';

/**
 * Operations domain: Spark driver + executor logs (log4j lines) of batch applications on YARN,
 * one row per line, ordered by application then time. Columns: ts (µs since the epoch), app_id,
 * job_id, stage_id, task_id (null where the line is not about one), level (INFO/WARN/ERROR) and
 * message (logger short name and message, as log4j prints them after the level).
 *
 * Why it looks like this: each application starts with the usual SparkContext/YARN preamble,
 * then runs jobs one after another; a job is a chain of ShuffleMapStages ending in a
 * ResultStage, and each stage's tasks run on `executors x executorCores` slots — a task starts
 * in the slot the previous one freed, so "Starting task" / "Finished task" lines interleave as
 * in a real log, and a failed attempt (ERROR + "Lost task" WARN) is retried at once as attempt 1
 * on another executor. The failure and warning rates are solved from the job shapes so the
 * level mix comes out at 90/7/3%.
 *
 * Addressing is arithmetic: a job's shape (stages, tasks, failures, timing) is a pure hash of
 * (seed, app, job), so the plan knows every job's line count and time span and keeps prefix
 * sums; row i maps to (job, line) by binary search, and a chunk rebuilds only the jobs it
 * touches.
 */

export interface SparkAppLogParams {
  /** Applications the rows are spread over (>= 1); default one per 1,000,000 rows. */
  apps?: number;
  /** Midnight (UTC) of the day the first application starts, µs since the epoch; it starts within the hour after. */
  startMicros: number;
  /** Executors per application (>= 1). */
  executors: number;
  /** Task slots (cores) per executor (>= 1). */
  executorCores: number;
  /** Name used in error messages. */
  owner?: string;
}

/** The log4j levels of the `level` column. */
export const SPARK_LOG_LEVELS = ['INFO', 'WARN', 'ERROR'] as const;

// ------------------------------------------------------------------ shape distributions

const STAGE_COUNT_WEIGHTS = [0.25, 0.35, 0.2, 0.12, 0.08]; // 1..5 stages per job
const INPUT_TASKS = [2, 4, 8, 12, 16, 24, 32, 48, 64]; // input splits of the first stage
const INPUT_TASK_WEIGHTS = [0.05, 0.1, 0.2, 0.1, 0.2, 0.1, 0.12, 0.06, 0.07];
/** Shuffle stages: spark.sql.shuffle.partitions (200) or a coalesced 1..64. */
const SHUFFLE_DEFAULT_SHARE = 0.25;
const SHUFFLE_COALESCED_MAX = 64;

const JOB_HEAD = 4; // Got job, Final stage, Parents, Missing parents
const JOB_FOOT = 3; // Job is finished / Killing all running tasks / Job finished
const STAGE_HEAD = 5; // Submitting stage, broadcast stored, broadcast created, Submitting N tasks, Adding task set
const READ_HEAD = 1; // + MapOutputTrackerMaster for stages that read a shuffle
const MAP_END = 6; // Removed TaskSet, finished in, looking for / running / waiting / failed
const RESULT_END = 2; // Removed TaskSet, finished in

const TARGET_ERROR = 0.03;
const TARGET_WARN = 0.07;

/**
 * Lines per job: overhead O (header/footer lines) + 3 per task (start, executor line, finish)
 * + 4 per failed attempt (retry start + executor line, ERROR, Lost task) + 1 per extra WARN.
 * ERROR share = pT / (O + (3 + 4p + w)T) and WARN share = (p + w)T / (...), solved for p, w
 * with tau = E[O] / E[T] over the shape distributions (a long-run, renewal-reward ratio).
 */
const { P_FAIL, P_WARN } = (() => {
  const wsum = STAGE_COUNT_WEIGHTS.reduce((a, b) => a + b, 0);
  const eS = STAGE_COUNT_WEIGHTS.reduce((s, w, i) => s + (w / wsum) * (i + 1), 0);
  const iw = INPUT_TASK_WEIGHTS.reduce((a, b) => a + b, 0);
  const eIn = INPUT_TASKS.reduce((s, t, i) => s + (INPUT_TASK_WEIGHTS[i]! / iw) * t, 0);
  const eSh = SHUFFLE_DEFAULT_SHARE * 200 + (1 - SHUFFLE_DEFAULT_SHARE) * ((SHUFFLE_COALESCED_MAX + 1) / 2);
  // O(S) = JOB_HEAD + JOB_FOOT + S*STAGE_HEAD + (S-1)*(READ_HEAD + MAP_END) + RESULT_END
  const eO = JOB_HEAD + JOB_FOOT + eS * STAGE_HEAD + (eS - 1) * (READ_HEAD + MAP_END) + RESULT_END;
  const eT = eIn + (eS - 1) * eSh;
  const tau = eO / eT;
  const k = TARGET_WARN / TARGET_ERROR - 1; // w = k p
  const p = (TARGET_ERROR * (3 + tau)) / (1 - TARGET_ERROR * (4 + k));
  return { P_FAIL: p, P_WARN: k * p };
})();

const PREAMBLE_FIXED = 12;
const PREAMBLE_GAP = 180_000; // µs between preamble lines
const JOB_IDLE_MEAN = 4_000_000; // µs of idle time before a job
const APP_IDLE_MEAN = 20 * 60_000_000; // µs between applications

// ------------------------------------------------------------------ vocabulary

const APPS = [
  ['OrdersETL', 'raw/orders'],
  ['ClickstreamSessions', 'raw/clickstream'],
  ['FraudFeatures', 'curated/payments'],
  ['InventorySnapshot', 'raw/inventory'],
  ['RevenueReport', 'curated/revenue'],
  ['UserSegments', 'curated/users'],
  ['LogCompaction', 'raw/applogs'],
  ['RecsTraining', 'curated/interactions'],
] as const;
const ACTIONS = ['collect', 'count', 'saveAsTextFile', 'foreachPartition', 'countByKey', 'take', 'treeAggregate', 'saveAsHadoopDataset'];
const INPUT_OPS: ReadonlyArray<readonly [string, string]> = [
  ['map', 'MapPartitionsRDD'],
  ['flatMap', 'MapPartitionsRDD'],
  ['filter', 'MapPartitionsRDD'],
  ['mapPartitions', 'MapPartitionsRDD'],
  ['keyBy', 'MapPartitionsRDD'],
];
const SHUFFLE_OPS: ReadonlyArray<readonly [string, string]> = [
  ['reduceByKey', 'ShuffledRDD'],
  ['groupByKey', 'ShuffledRDD'],
  ['join', 'MapPartitionsRDD'],
  ['sortByKey', 'ShuffledRDD'],
  ['distinct', 'MapPartitionsRDD'],
  ['aggregateByKey', 'ShuffledRDD'],
  ['cogroup', 'MapPartitionsRDD'],
];
const FAILURE_WEIGHTS = [0.35, 0.15, 0.3, 0.2]; // OOM, disk full, network, executor lost
const PAGE_BYTES = [16_777_216, 33_554_432, 67_108_864];

// Line kinds. Level is WARN for K_WARN and K_LOST, ERROR for K_ERROR, INFO otherwise.
const K_GOT = 0;
const K_FINAL = 1;
const K_PARENTS = 2;
const K_MISSING = 3;
const K_SUBMIT = 4;
const K_BC_STORED = 5;
const K_BC_CREATED = 6;
const K_SUBMIT_TASKS = 7;
const K_ADD_TASKSET = 8;
const K_MAP_STATUS = 9;
const K_START = 10;
const K_EXEC = 11;
const K_WARN = 12;
const K_FINISH = 13;
const K_ERROR = 14;
const K_LOST = 15;
const K_REMOVED = 16;
const K_STAGE_DONE = 17;
const K_LOOKING = 18;
const K_RUNNING = 19;
const K_WAITING = 20;
const K_FAILED = 21;
const K_JOB_DONE = 22;
const K_KILLING = 23;
const K_JOB_FINISHED = 24;

// ------------------------------------------------------------------ small helpers

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function pickIndex(u: number, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let x = u * total;
  for (let i = 0; i < weights.length - 1; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

/** Binomial(n, p) by inversion from one uniform (n <= a few hundred). */
function binomial(n: number, p: number, u: number): number {
  let q = Math.pow(1 - p, n);
  let c = q;
  let k = 0;
  const ratio = p / (1 - p);
  while (u >= c && k < n) {
    q *= ((n - k) / (k + 1)) * ratio;
    k++;
    c += q;
  }
  return k;
}

/** Standard normal from two uniforms (Box-Muller). */
function normalFrom(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** Mark `k` distinct members of 0..n-1 (Floyd's algorithm, draws keyed by `key`). */
function sample(n: number, k: number, key: number): Uint8Array {
  const chosen = new Uint8Array(n);
  for (let j = n - k; j < n; j++) {
    const t = Math.floor(uniformAt(key, j) * (j + 1));
    if (chosen[t]) chosen[j] = 1;
    else chosen[t] = 1;
  }
  return chosen;
}

/** Spark's Utils.bytesToString: one decimal and binary units. */
function bytes(n: number): string {
  if (n < 1024) return `${n}.0 B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

const seconds3 = (micros: number) => (micros / 1e6).toFixed(3);

/**
 * A message built by concatenation is a rope in V8 (a tree of its pieces) until something
 * reads it whole; rows wait in their chunk until the sink writes them, so flattening now
 * halves what each row keeps alive (measured 605 -> 263 bytes) and the young-generation GC
 * copies less. The sink would flatten it later anyway (its regex test reads it whole).
 */
function flat(s: string): string {
  Number(s); // reads the whole string: V8 flattens it first
  return s;
}

// ------------------------------------------------------------------ job shapes

interface StageShape {
  tasks: number;
  fails: number;
  warns: number;
  slots: number;
  gap: number; // µs between task events
  head: number;
  end: number;
  lines: number;
  op: number; // index into INPUT_OPS or SHUFFLE_OPS
  bytesPerTask: number;
}

interface JobShape {
  key: number;
  hg: number; // µs between scheduler lines
  action: number;
  stages: StageShape[];
  lines: number;
  span: number;
  attempts: number;
}

/** A job's whole shape from a hash of (app, job): the same in the plan and in rows(). */
function jobShape(appKey: number, job: number, cores: number): JobShape {
  const key = combine(combine(appKey, 'job'), job);
  const nStages = 1 + pickIndex(uniformAt(key, 0), STAGE_COUNT_WEIGHTS);
  const hg = 1000 + Math.floor(uniformAt(key, 1) * 5000);
  const action = Math.floor(uniformAt(key, 2) * ACTIONS.length);
  const stages: StageShape[] = [];
  let lines = JOB_HEAD + JOB_FOOT;
  let span = (JOB_HEAD + JOB_FOOT) * hg;
  let attempts = 0;
  for (let k = 0; k < nStages; k++) {
    const b = 16 + 16 * k;
    const tasks =
      k === 0
        ? INPUT_TASKS[pickIndex(uniformAt(key, b), INPUT_TASK_WEIGHTS)]!
        : uniformAt(key, b) < SHUFFLE_DEFAULT_SHARE
          ? 200
          : 1 + Math.floor(uniformAt(key, b + 1) * SHUFFLE_COALESCED_MAX);
    const fails = binomial(tasks, P_FAIL, uniformAt(key, b + 2));
    const warns = binomial(tasks, P_WARN, uniformAt(key, b + 3));
    const slots = Math.min(cores, tasks);
    const median = k === 0 ? 2_500_000 : tasks === 200 ? 400_000 : 1_500_000;
    const duration = Math.min(600e6, Math.max(30_000, median * Math.exp(0.8 * normalFrom(uniformAt(key, b + 4), uniformAt(key, b + 5)))));
    const gap = Math.max(64, Math.round(duration / (2 * slots)));
    const head = STAGE_HEAD + (k > 0 ? READ_HEAD : 0);
    const end = k < nStages - 1 ? MAP_END : RESULT_END;
    const stageLines = head + end + 3 * tasks + 4 * fails + warns;
    const op = Math.floor(uniformAt(key, b + 6) * (k === 0 ? INPUT_OPS.length : SHUFFLE_OPS.length));
    const bytesPerTask = Math.round(Math.exp(Math.log(64 << 20) + 1.2 * normalFrom(uniformAt(key, b + 7), uniformAt(key, b + 8))) / Math.sqrt(tasks));
    stages.push({ tasks, fails, warns, slots, gap, head, end, lines: stageLines, op, bytesPerTask });
    lines += stageLines;
    span += (head + end) * hg + 2 * (tasks + fails) * gap;
    attempts += tasks + fails;
  }
  return { key, hg, action, stages, lines, span, attempts };
}

// ------------------------------------------------------------------ per-app context

interface AppContext {
  index: number;
  key: number;
  appId: string;
  name: string;
  dataset: string;
  file: string;
  hosts: string[]; // by executor id (1-based; [0] unused)
  bmPorts: number[];
  rpcPorts: number[];
  driverPort: number;
  siteKey: number;
}

function appContext(planKey: number, clusterMs: number, a: number, executors: number): AppContext {
  const key = combine(planKey, a);
  const [name, dataset] = APPS[Math.floor(uniformAt(key, 0) * APPS.length)]!;
  const hosts = [''];
  const bmPorts = [0];
  const rpcPorts = [0];
  for (let e = 1; e <= executors; e++) {
    hosts.push(`10.0.${1 + Math.floor(uniformAt(key, 100 + e) * 4)}.${10 + Math.floor(uniformAt(key, 1000 + e) * 240)}`);
    bmPorts.push(30000 + Math.floor(uniformAt(key, 2000 + e) * 30000));
    rpcPorts.push(30000 + Math.floor(uniformAt(key, 3000 + e) * 30000));
  }
  return {
    index: a,
    key,
    appId: `application_${clusterMs}_${pad(a + 1, 4)}`,
    name,
    dataset,
    file: `${name}.scala`,
    hosts,
    bmPorts,
    rpcPorts,
    driverPort: 32768 + Math.floor(uniformAt(key, 1) * 28000),
    siteKey: combine(key, 'site'),
  };
}

/** Source line of a call site: fixed per (app, operation), so jobs of an app repeat them. */
const siteLine = (app: AppContext, op: number) => 20 + Math.floor(uniformAt(app.siteKey, op) * 400);

// ------------------------------------------------------------------ the generator

/**
 * Plans the table (every application's preamble and jobs, as blocks with prefix sums of their
 * line counts) from the plan stream, and returns the chunk generator: rows [first, first+count)
 * are found by binary search over the blocks and laid out from the jobs they touch.
 */
export function sparkAppLog(params: SparkAppLogParams, ctx: PlanContext): RowGenerator {
  const owner = params.owner ?? 'spark-app-log';
  const rows = ctx.rows;
  const apps = params.apps === undefined ? Math.max(1, Math.ceil(rows / 1_000_000)) : checkInteger(owner, 'apps', params.apps, 1);
  const executors = checkInteger(owner, 'executors', params.executors, 1);
  const executorCores = checkInteger(owner, 'executorCores', params.executorCores, 1);
  const cores = executors * executorCores;
  const planKey = ctx.rng.fork('apps').key;
  const timeKey = ctx.rng.fork('time').key;
  const startMicros = Math.round(checkNumber(owner, 'startMicros', params.startMicros));
  // The YARN ResourceManager started up to 30 days before the first application.
  const clusterMs = Math.floor(startMicros / 1000) - Math.floor(uniformAt(timeKey, 0) * 30 * 86_400_000);
  const preambleLines = PREAMBLE_FIXED + 2 * executors;
  const perApp = Math.ceil(rows / apps);

  // Blocks: an application's preamble (job -1) or one job. cum[b] = rows before block b.
  const cum: number[] = [0];
  const bStart: number[] = [];
  const bApp: number[] = [];
  const bJob: number[] = [];
  const bStage: number[] = [];
  const bTid: number[] = [];
  let total = 0;
  let t = startMicros + Math.floor(uniformAt(timeKey, 1) * 3600e6);
  for (let a = 0; a < apps && total < rows; a++) {
    const appKey = combine(planKey, a);
    const idleKey = combine(appKey, 'idle');
    if (a > 0) t += 1_000_000 + Math.floor(-APP_IDLE_MEAN * Math.log(1 - uniformAt(timeKey, 2 + a)));
    bStart.push(t);
    bApp.push(a);
    bJob.push(-1);
    bStage.push(0);
    bTid.push(0);
    total += preambleLines;
    cum.push(total);
    t += preambleLines * PREAMBLE_GAP;
    let appRows = preambleLines;
    let stageBase = 0;
    let tid = 0;
    for (let j = 0; appRows < perApp && total < rows; j++) {
      t += 50_000 + Math.floor(-JOB_IDLE_MEAN * Math.log(1 - uniformAt(idleKey, j)));
      const shape = jobShape(appKey, j, cores);
      bStart.push(t);
      bApp.push(a);
      bJob.push(j);
      bStage.push(stageBase);
      bTid.push(tid);
      total += shape.lines;
      appRows += shape.lines;
      cum.push(total);
      t += shape.span;
      stageBase += shape.stages.length;
      tid += shape.attempts;
    }
  }
  if (total < rows) throw new DatagenError('E_CAPACITY', `${owner}: planned ${total} rows, fewer than the ${rows} asked for`);
  const cumArr = Float64Array.from(cum);
  const nBlocks = bStart.length;

  return {
    rows(first, count) {
      const out: Row[] = new Array(count);
      if (count === 0) return out;
      // The block holding row `first`.
      let lo = 0;
      let hi = nBlocks - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (cumArr[mid]! <= first) lo = mid;
        else hi = mid - 1;
      }
      const appCache = new Map<number, AppContext>();
      const appOf = (a: number) => {
        let c = appCache.get(a);
        if (!c) appCache.set(a, (c = appContext(planKey, clusterMs, a, executors)));
        return c;
      };
      let filled = 0;
      for (let b = lo; filled < count; b++) {
        const from = first + filled - cumArr[b]!;
        const take = Math.min(cumArr[b + 1]! - cumArr[b]! - from, count - filled);
        const app = appOf(bApp[b]!);
        if (bJob[b] === -1) preamble(out, filled, from, take, app, bStart[b]!, executorCores);
        else jobLines(out, filled, from, take, app, bJob[b]!, bStart[b]!, bStage[b]!, bTid[b]!, cores, executors);
        filled += take;
      }
      return out;
    },
  };
}

// ------------------------------------------------------------------ the preamble

function preamble(out: Row[], at: number, from: number, take: number, app: AppContext, start: number, executorCores: number): void {
  const jit = combine(app.key, 'preamble');
  for (let i = 0; i < take; i++) {
    const line = from + i;
    let message: string;
    if (line < PREAMBLE_FIXED) {
      switch (line) {
        case 0: message = 'SparkContext: Running Spark version 3.5.1'; break;
        case 1: message = `SparkContext: Submitted application: ${app.name}`; break;
        case 2:
          message =
            `ResourceProfile: Default ResourceProfile created, executor resources: Map(cores -> name: cores, amount: ${executorCores}, script: , vendor: , ` +
            'memory -> name: memory, amount: 8192, script: , vendor: , offHeap -> name: offHeap, amount: 0, script: , vendor: ), task resources: Map(cpus -> name: cpus, amount: 1.0)';
          break;
        case 3:
          message =
            'SecurityManager: SecurityManager: authentication disabled; ui acls disabled; users with view permissions: spark; groups with view permissions: EMPTY; users with modify permissions: spark; groups with modify permissions: EMPTY';
          break;
        case 4: message = `Utils: Successfully started service 'sparkDriver' on port ${app.driverPort}.`; break;
        case 5: message = 'SparkEnv: Registering MapOutputTracker'; break;
        case 6: message = 'SparkEnv: Registering BlockManagerMaster'; break;
        case 7: message = 'MemoryStore: MemoryStore started with capacity 4.1 GiB'; break;
        case 8: message = "Utils: Successfully started service 'SparkUI' on port 4040."; break;
        case 9: message = `Client: Submitting application ${app.appId} to ResourceManager`; break;
        case 10: message = `YarnClientImpl: Submitted application ${app.appId}`; break;
        default: message = `YarnClientSchedulerBackend: Application ${app.appId} has started running.`;
      }
    } else {
      const e = 1 + ((line - PREAMBLE_FIXED) >> 1);
      const host = app.hosts[e]!;
      message =
        (line - PREAMBLE_FIXED) % 2 === 0
          ? `YarnSchedulerBackend$YarnDriverEndpoint: Registered executor NettyRpcEndpointRef(spark-client://Executor) (${host}:${app.rpcPorts[e]}) with ID ${e},  ResourceProfileId 0`
          : `BlockManagerMasterEndpoint: Registering block manager ${host}:${app.bmPorts[e]} with 4.1 GiB RAM, BlockManagerId(${e}, ${host}, ${app.bmPorts[e]}, None)`;
    }
    out[at + i] = {
      ts: start + line * PREAMBLE_GAP + Math.floor(uniformAt(jit, line) * (PREAMBLE_GAP / 2)),
      app_id: app.appId,
      job_id: null,
      stage_id: null,
      task_id: null,
      level: 'INFO',
      message: flat(message),
    };
  }
}

// ------------------------------------------------------------------ jobs

/**
 * Lay out a whole job (line kinds, stages, attempts, times), then write the lines
 * [from, from + take) of it. Laying out is cheap next to formatting, and a chunk does it only
 * for the jobs it touches.
 */
function jobLines(
  out: Row[], at: number, from: number, take: number, app: AppContext, job: number, jobStart: number,
  stageBase: number, tidBase: number, cores: number, executors: number,
): void {
  const shape = jobShape(app.key, job, cores);
  const n = shape.lines;
  const kind = new Uint8Array(n);
  const stageOf = new Int8Array(n);
  const attOf = new Int32Array(n).fill(-1);
  const ts = new Float64Array(n);
  const A = shape.attempts;
  const aPart = new Int32Array(A);
  const aNo = new Uint8Array(A);
  const aFail = new Uint8Array(A);
  const aWarn = new Uint8Array(A);
  const aExec = new Int32Array(A);
  const aTid = new Int32Array(A);
  const aStartLine = new Int32Array(A);
  const aDone = new Int32Array(A);
  const nStages = shape.stages.length;
  const stageSubmitLine = new Int32Array(nStages);
  const jit = combine(shape.key, 77);
  const hg = shape.hg;

  let line = 0;
  let segStart = jobStart;
  const emit = (k: number, stage: number, att: number, time: number) => {
    kind[line] = k;
    stageOf[line] = stage;
    attOf[line] = att;
    ts[line] = time;
    line++;
  };
  /** Scheduler lines of the given kinds, one per hg. */
  const small = (kinds: readonly number[], stage: number) => {
    for (let e = 0; e < kinds.length; e++) emit(kinds[e]!, stage, -1, segStart + e * hg + Math.floor(uniformAt(jit, line) * (hg / 2)));
    segStart += kinds.length * hg;
  };

  small([K_GOT, K_FINAL, K_PARENTS, K_MISSING], -1);
  let attBase = 0;
  for (let k = 0; k < nStages; k++) {
    const st = shape.stages[k]!;
    stageSubmitLine[k] = line;
    small(k > 0 ? [K_SUBMIT, K_BC_STORED, K_BC_CREATED, K_SUBMIT_TASKS, K_ADD_TASKSET, K_MAP_STATUS] : [K_SUBMIT, K_BC_STORED, K_BC_CREATED, K_SUBMIT_TASKS, K_ADD_TASKSET], k);

    // Tasks: `slots` start at once; each finish frees a slot that starts the next attempt
    // (a failed task's retry first, as Spark re-queues it at the front). Every event gets
    // its own gap; lines of one event are delta apart.
    const failed = sample(st.tasks, st.fails, combine(shape.key, 1000 + k));
    const warned = sample(st.tasks, st.warns, combine(shape.key, 2000 + k));
    const gap = st.gap;
    const delta = Math.floor(gap / 8);
    let ev = 0;
    const evTime = () => segStart + ev * gap + Math.floor(uniformAt(jit, line) * (gap / 2));
    let started = 0;
    let nextOriginal = 0;
    let done = 0;
    const start = (part: number, attemptNo: number, exec: number) => {
      const a = attBase + started;
      aPart[a] = part;
      aNo[a] = attemptNo;
      aFail[a] = attemptNo === 0 && failed[part] ? 1 : 0;
      aWarn[a] = !aFail[a] && warned[part] ? 1 : 0;
      aExec[a] = exec;
      aTid[a] = tidBase + a;
      aStartLine[a] = line;
      const t0 = evTime();
      emit(K_START, k, a, t0);
      emit(K_EXEC, k, a, t0 + delta);
      ev++;
      started++;
    };
    // Running attempts; which one finishes next is drawn (uniformly), so durations vary
    // like real tasks' (stragglers included) while the event count stays 2 per attempt.
    const running = new Int32Array(st.slots);
    let nRunning = 0;
    const orderKey = combine(shape.key, 6000 + k);
    for (let s = 0; s < st.slots; s++) {
      running[nRunning++] = attBase + started;
      start(nextOriginal++, 0, (s % executors) + 1);
    }
    for (let f = 0; nRunning > 0; f++) {
      const r = Math.floor(uniformAt(orderKey, f) * nRunning);
      const a = running[r]!;
      running[r] = running[--nRunning]!;
      const t0 = evTime();
      if (aFail[a]) {
        emit(K_ERROR, k, a, t0);
        emit(K_LOST, k, a, t0 + delta);
      } else {
        done++;
        aDone[a] = done;
        if (aWarn[a]) {
          emit(K_WARN, k, a, t0);
          emit(K_FINISH, k, a, t0 + delta);
        } else emit(K_FINISH, k, a, t0);
      }
      ev++;
      if (aFail[a] || nextOriginal < st.tasks) running[nRunning++] = attBase + started;
      if (aFail[a]) start(aPart[a]!, 1, (aExec[a]! % executors) + 1);
      else if (nextOriginal < st.tasks) start(nextOriginal++, 0, aExec[a]!);
    }
    segStart += ev * gap;
    attBase += started;
    small(k < nStages - 1 ? [K_REMOVED, K_STAGE_DONE, K_LOOKING, K_RUNNING, K_WAITING, K_FAILED] : [K_REMOVED, K_STAGE_DONE], k);
  }
  small([K_JOB_DONE, K_KILLING, K_JOB_FINISHED], -1);
  if (line !== n || attBase !== A) throw new Error(`spark-app-log: job ${job} laid out ${line} lines / ${attBase} attempts, expected ${n} / ${A}`);

  // ---- formatting
  const resultStage = stageBase + nStages - 1;
  const action = ACTIONS[shape.action]!;
  const actionSite = `${action} at ${app.file}:${siteLine(app, 20 + shape.action)}`;
  const opOf = (k: number) => (k === 0 ? INPUT_OPS : SHUFFLE_OPS)[shape.stages[k]!.op]!;
  const stageName = (k: number) => (k === nStages - 1 ? actionSite : `${opOf(k)[0]} at ${app.file}:${siteLine(app, (k === 0 ? 0 : 10) + shape.stages[k]!.op)}`);
  const stageLabel = (k: number) => `${k === nStages - 1 ? 'ResultStage' : 'ShuffleMapStage'} ${stageBase + k}`;
  const rddOf = (k: number) => 3 * (stageBase + k) + 2;
  const rddText = (k: number) => {
    const [op, cls] = opOf(k);
    return `${cls}[${rddOf(k)}] at ${op} at ${app.file}:${siteLine(app, (k === 0 ? 0 : 10) + shape.stages[k]!.op)}`;
  };
  const shuffleOf = (k: number) => stageBase + k - job; // map stages before it in the app
  const detailKey = combine(shape.key, 4000);
  const jobDay = formatDate(Math.floor(jobStart / MICROS_PER_DAY));
  const uuid = (() => {
    const h = (i: number) => (combine(shape.key, 5000 + i) >>> 0).toString(16).padStart(8, '0');
    const x = h(0) + h(1) + h(2) + h(3);
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
  })();
  const parents = nStages > 1 ? `List(ShuffleMapStage ${stageBase + nStages - 2})` : 'List()';

  for (let i = 0; i < take; i++) {
    const l = from + i;
    const k = stageOf[l]!;
    const a = attOf[l]!;
    const sid = stageBase + k;
    let message: string;
    let level = 0;
    let stageId: number | null = k >= 0 ? sid : null;
    let taskId: number | null = null;
    switch (kind[l]) {
      case K_GOT:
        message = `DAGScheduler: Got job ${job} (${actionSite}) with ${shape.stages[nStages - 1]!.tasks} output partitions`;
        break;
      case K_FINAL:
        message = `DAGScheduler: Final stage: ResultStage ${resultStage} (${actionSite})`;
        stageId = resultStage;
        break;
      case K_PARENTS:
        message = `DAGScheduler: Parents of final stage: ${parents}`;
        stageId = resultStage;
        break;
      case K_MISSING:
        message = `DAGScheduler: Missing parents: ${parents}`;
        stageId = resultStage;
        break;
      case K_SUBMIT:
        message = `DAGScheduler: Submitting ${stageLabel(k)} (${rddText(k)}), which has no missing parents`;
        break;
      case K_BC_STORED: {
        const size = 8 + (uniformAt(detailKey, l) * 40);
        message = `MemoryStore: Block broadcast_${sid} stored as values in memory (estimated size ${size.toFixed(1)} KiB, free 4.1 GiB)`;
        break;
      }
      case K_BC_CREATED:
        message = `SparkContext: Created broadcast ${sid} from broadcast at DAGScheduler.scala:1585`;
        break;
      case K_SUBMIT_TASKS: {
        const t = shape.stages[k]!.tasks;
        message = `DAGScheduler: Submitting ${t} missing tasks from ${stageLabel(k)} (${rddText(k)}) (first 15 tasks are for partitions Vector(${partitionList(Math.min(15, t))}))`;
        break;
      }
      case K_ADD_TASKSET:
        message = `YarnScheduler: Adding task set ${sid}.0 with ${shape.stages[k]!.tasks} tasks resource profile 0`;
        break;
      case K_MAP_STATUS:
        message = `MapOutputTrackerMaster: Size of output statuses for shuffle ${shuffleOf(k - 1)} is ${100 + Math.floor(uniformAt(detailKey, l) * 4000)} bytes`;
        break;
      case K_START: {
        const e = aExec[a]!;
        const locality = k === 0 ? (uniformAt(detailKey, l) < 0.7 ? 'NODE_LOCAL' : 'ANY') : 'PROCESS_LOCAL';
        message = `TaskSetManager: Starting task ${aPart[a]}.${aNo[a]} in stage ${sid}.0 (TID ${aTid[a]}) (${app.hosts[e]}, executor ${e}, partition ${aPart[a]}, ${locality}, ${7400 + (sid % 7) * 91 + (aPart[a]! % 10)} bytes)`;
        taskId = aTid[a]!;
        break;
      }
      case K_EXEC: {
        const st = shape.stages[k]!;
        const u = uniformAt(detailKey, l);
        if (k === 0) {
          const len = Math.max(1024, Math.round(st.bytesPerTask * (0.5 + u)));
          message = `FileScanRDD: Reading File path: s3a://datalake/${app.dataset}/dt=${jobDay}/part-${pad(aPart[a]!, 5)}-${uuid}-c000.snappy.parquet, range: 0-${len}, partition values: [empty row]`;
        } else {
          const blocks = Math.max(1, shape.stages[k - 1]!.tasks - Math.floor(u * 3));
          const local = Math.min(blocks, Math.floor(blocks / executors + uniformAt(detailKey, l + 1_000_000) * 1.5));
          const total = Math.max(blocks * 64, Math.round(st.bytesPerTask * (0.5 + u)));
          const localBytes = Math.round((total * local) / blocks);
          message =
            `ShuffleBlockFetcherIterator: Getting ${blocks} (${bytes(total)}) non-empty blocks including ${local} (${bytes(localBytes)}) local and ` +
            `0 (0.0 B) host-local and 0 (0.0 B) push-merged-local and ${blocks - local} (${bytes(total - localBytes)}) remote blocks`;
        }
        taskId = aTid[a]!;
        break;
      }
      case K_WARN: {
        const u = uniformAt(detailKey, l);
        const e = aExec[a]!;
        const v = Math.floor(u * 5);
        const rdd = rddOf(k);
        message =
          v === 0
            ? `TaskMemoryManager: Failed to allocate a page (${PAGE_BYTES[Math.floor(u * 15) % 3]} bytes), try again.`
            : v === 1
              ? `MemoryStore: Not enough space to cache rdd_${rdd}_${aPart[a]} in memory! (computed ${bytes(Math.round(shape.stages[k]!.bytesPerTask * (0.3 + u)))} so far)`
              : v === 2
                ? `BlockManager: Persisting block rdd_${rdd}_${aPart[a]} to disk instead.`
                : v === 3
                  ? 'Executor: Issue communicating with driver in heartbeater'
                  : `TransportChannelHandler: Exception in connection from /${app.hosts[e]}:${app.bmPorts[e]}`;
        level = 1;
        taskId = aTid[a]!;
        break;
      }
      case K_FINISH: {
        const e = aExec[a]!;
        const ms = Math.round((ts[l]! - ts[aStartLine[a]!]!) / 1000);
        message = `TaskSetManager: Finished task ${aPart[a]}.${aNo[a]} in stage ${sid}.0 (TID ${aTid[a]}) in ${ms} ms on ${app.hosts[e]} (executor ${e}) (${aDone[a]}/${shape.stages[k]!.tasks})`;
        taskId = aTid[a]!;
        break;
      }
      case K_ERROR:
      case K_LOST: {
        const e = aExec[a]!;
        const cause = failureCause(combine(shape.key, 3000 + k), aPart[a]!, k);
        const task = `task ${aPart[a]}.${aNo[a]} in stage ${sid}.0 (TID ${aTid[a]})`;
        if (kind[l] === K_ERROR) {
          message = cause.lost ? `YarnScheduler: Lost executor ${e} on ${app.hosts[e]}: ${cause.text}` : `Executor: Exception in ${task}: ${cause.text}`;
          level = 2;
        } else {
          const reason = cause.lost ? `ExecutorLostFailure (executor ${e} exited caused by one of the running tasks) Reason: ${cause.text}` : cause.text;
          message = `TaskSetManager: Lost ${task} (${app.hosts[e]} executor ${e}): ${reason}`;
          level = 1;
        }
        taskId = aTid[a]!;
        break;
      }
      case K_REMOVED:
        message = `YarnScheduler: Removed TaskSet ${sid}.0, whose tasks have all completed, from pool `;
        break;
      case K_STAGE_DONE:
        message = `DAGScheduler: ${stageLabel(k)} (${stageName(k)}) finished in ${seconds3(ts[l]! - ts[stageSubmitLine[k]!]!)} s`;
        break;
      case K_LOOKING:
        message = 'DAGScheduler: looking for newly runnable stages';
        break;
      case K_RUNNING:
        message = 'DAGScheduler: running: HashSet()';
        break;
      case K_WAITING: {
        const waiting: string[] = [];
        for (let w = k + 1; w < nStages; w++) waiting.push(stageLabel(w));
        message = `DAGScheduler: waiting: HashSet(${waiting.join(', ')})`;
        break;
      }
      case K_FAILED:
        message = 'DAGScheduler: failed: HashSet()';
        break;
      case K_JOB_DONE:
        message = `DAGScheduler: Job ${job} is finished. Cancelling potential speculative or zombie tasks for this job`;
        break;
      case K_KILLING:
        message = `YarnScheduler: Killing all running tasks in stage ${resultStage}: Stage finished`;
        stageId = resultStage;
        break;
      default:
        message = `DAGScheduler: Job ${job} finished: ${actionSite}, took ${((ts[l]! - ts[0]!) / 1e6).toFixed(6)} s`;
    }
    out[at + i] = { ts: ts[l]!, app_id: app.appId, job_id: job, stage_id: stageId, task_id: taskId, level: SPARK_LOG_LEVELS[level]!, message: flat(message) };
  }
}

const partitionLists: string[] = [];
function partitionList(n: number): string {
  return (partitionLists[n] ??= Array.from({ length: n }, (_, i) => i).join(', '));
}

function failureCause(key: number, part: number, stage: number): { text: string; lost: boolean } {
  const u = uniformAt(key, part);
  switch (pickIndex(u, FAILURE_WEIGHTS)) {
    case 0:
      return { text: 'java.lang.OutOfMemoryError: Java heap space', lost: false };
    case 1:
      return { text: 'java.io.IOException: No space left on device', lost: false };
    case 2:
      return { text: stage === 0 ? 'java.net.SocketTimeoutException: Read timed out' : 'java.io.IOException: Connection reset by peer', lost: false };
    default: {
      const used = (9 + uniformAt(key, part + 100_000) * 0.9).toFixed(1);
      return {
        text: `Container killed by YARN for exceeding physical memory limits. ${used} GB of 9 GB physical memory used. Consider boosting spark.executor.memoryOverhead.`,
        lost: true,
      };
    }
  }
}
