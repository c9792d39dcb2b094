import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listVersions, replayLog } from '../../src/delta/log.js';
import { BIN, cliEnv, tempDir } from '../helpers.js';

const execFileAsync = promisify(execFile);

/**
 * The kill suite: a `datagen` process stopped by a signal never leaves a complete-looking
 * output. Files are written under `.<name>.tmp-<pid>` and renamed when complete, so the final
 * name is absent; SIGINT/SIGTERM also remove the temporary files (SIGKILL cannot be caught and
 * may leave one: a dot-file whose name says it is incomplete). A Delta table stays at its last
 * committed version. Each process is stopped as soon as an observable point is reached (its
 * temporary file has bytes); row counts are large enough that it is still running then.
 */

type Signal = 'SIGINT' | 'SIGTERM' | 'SIGKILL';
const SIGNALS: readonly Signal[] = ['SIGINT', 'SIGTERM', 'SIGKILL'];
/** Exit codes of the CLI's handlers (128 + signal number). */
const HANDLED: Record<Signal, number | undefined> = { SIGINT: 130, SIGTERM: 143, SIGKILL: undefined };
const TEMP = /\.tmp-\d+(-\d+)?$/;

interface Running {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
  done: () => boolean;
}

function start(args: string[], cwd: string): Running {
  return watch(spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv, stdio: ['ignore', 'ignore', 'pipe'] }));
}

function watch(child: ChildProcess): Running {
  let err = '';
  let done = false;
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  return { child, exited, stderr: () => err, done: () => done };
}

/** Poll until `ready()` holds; fails if the process ends first (it finished too fast, or failed). */
async function waitFor(p: Running, ready: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ready()) {
    if (p.done()) throw new Error(`the process ended before ${what}: ${p.stderr()}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const temps = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => TEMP.test(n)) : []);
const hasBytes = (dir: string, match: RegExp) => () => {
  for (const n of existsSync(dir) ? readdirSync(dir) : []) {
    if (!match.test(n)) continue;
    try {
      if (statSync(join(dir, n)).size > 0) return true;
    } catch {
      // renamed or removed meanwhile
    }
  }
  return false;
};

/** How a stopped process must have ended: by its handler (INT/TERM once it runs), or by the signal. */
function expectStopped(result: { code: number | null; signal: NodeJS.Signals | null }, signal: Signal, handlerInstalled: boolean, label: string): void {
  const handled = HANDLED[signal];
  if (handled === undefined) expect({ label, signal: result.signal }).toEqual({ label, signal });
  else if (handlerInstalled) expect({ label, code: result.code }).toEqual({ label, code: handled });
  else expect({ label, ok: result.code === handled || result.signal === signal }).toEqual({ label, ok: true });
}

const FILE_SINKS = [
  { ext: 'csv', rows: 3_000_000 },
  { ext: 'jsonl', rows: 3_000_000 },
  { ext: 'parquet', rows: 3_000_000 },
  { ext: 'arrow', rows: 3_000_000 },
  { ext: 'xlsx', rows: 1_000_000 },
] as const;

describe('kill suite: file sinks', () => {
  FILE_SINKS.forEach(({ ext, rows }, i) => {
    it(`${ext}: SIGINT, SIGTERM, SIGKILL once the temporary file has bytes, and one signal right after start: no file at --out`, async () => {
      const runs = [
        ...SIGNALS.map((signal) => ({ signal, point: 'temp' as const })),
        { signal: SIGNALS[i % 3]!, point: 'start' as const }, // a different signal per format
      ];
      await Promise.all(
        runs.map(async ({ signal, point }) => {
          const dir = tempDir(`datagen-kill-${ext}-`);
          const label = `${ext} ${signal} at ${point}`;
          const p = start(['generate', 'loans', '--rows', String(rows), '--out', `out.${ext}`, '-q'], dir);
          if (point === 'temp') await waitFor(p, hasBytes(dir, new RegExp(`^\\.out\\.${ext}\\.tmp-\\d+$`)), `${label}: temporary file with bytes`);
          else await new Promise((resolve) => setTimeout(resolve, 100)); // "shortly after start": possibly before any handler exists
          p.child.kill(signal);
          const result = await p.exited;
          expectStopped(result, signal, point === 'temp', `${label} (stderr: ${p.stderr()})`);
          expect({ label, final: existsSync(join(dir, `out.${ext}`)) }).toEqual({ label, final: false });
          if (signal !== 'SIGKILL') expect({ label, temps: temps(dir) }).toEqual({ label, temps: [] });
          if (point === 'temp' && signal !== 'SIGKILL') expect({ label, stderr: p.stderr() }).toEqual({ label, stderr: '' });
        }),
      );
    }, 180_000);
  });

  it('partitioned output: SIGINT and SIGTERM while partition files are open remove the whole folder this run made', async () => {
    await Promise.all(
      (['SIGINT', 'SIGTERM'] as const).map(async (signal) => {
        const dir = tempDir('datagen-kill-parts-');
        const out = join(dir, 'parts');
        const p = start(['generate', 'loans', '--rows', '3000000', '--out', 'parts/', '--partition-by', 'status', '-q'], dir);
        // Some partition folder holds a temporary file with bytes.
        const ready = () => existsSync(out) && readdirSync(out).some((d) => hasBytes(join(out, d), TEMP)());
        await waitFor(p, ready, `${signal}: a partition file with bytes`);
        p.child.kill(signal);
        expectStopped(await p.exited, signal, true, signal);
        expect({ signal, left: readdirSync(dir) }).toEqual({ signal, left: [] });
      }),
    );
  }, 180_000);
});

describe('kill suite: Delta', () => {
  /** Data files in the folder, and those the last version refers to. */
  const dataFiles = (table: string) => readdirSync(table).filter((n) => n.endsWith('.parquet'));
  const referenced = (table: string) => new Set(replayLog(table)!.files.map((f) => decodeURIComponent(f.path)));

  /** A table at version 0 (100 rows), made by the CLI. */
  async function tableAtVersion0(dir: string): Promise<void> {
    await execFileAsync(process.execPath, [BIN, 'generate', 'loans', '--rows', '100', '--format', 'delta', '--out', 'lake/loans', '-q'], { cwd: dir, env: cliEnv });
  }

  /** The table is at version 0 with its own files; caught signals also leave no stray or temporary file. */
  function expectVersion0(table: string, before: Set<string>, signal: Signal, label: string): void {
    expect({ label, versions: listVersions(table) }).toEqual({ label, versions: [0] });
    const files = dataFiles(table);
    expect({ label, missing: [...before].filter((f) => !files.includes(f)) }).toEqual({ label, missing: [] });
    if (signal === 'SIGKILL') return; // may leave a temporary file or a data file no version refers to
    expect({ label, files: files.sort() }).toEqual({ label, files: [...before].sort() });
    expect({ label, hidden: readdirSync(table).filter((n) => n.startsWith('.')) }).toEqual({ label, hidden: [] });
    expect({ label, log: readdirSync(join(table, '_delta_log')) }).toEqual({ label, log: ['00000000000000000000.json'] });
  }

  it('generate --format delta appending to a table, stopped by SIGINT, SIGTERM or SIGKILL while writing a data file: the table stays at version 0', async () => {
    await Promise.all(
      SIGNALS.map(async (signal) => {
        const label = `delta ${signal}`;
        const dir = tempDir('datagen-kill-delta-');
        const table = join(dir, 'lake', 'loans');
        await tableAtVersion0(dir);
        const before = referenced(table);
        const p = start(['generate', 'loans', '--rows', '3000000', '--seed', '7', '--format', 'delta', '--out', 'lake/loans', '-q'], dir);
        await waitFor(p, hasBytes(table, /^\.part-\d+\.tmp-/), `${label}: a data file being written`);
        p.child.kill(signal);
        expectStopped(await p.exited, signal, true, label);
        expectVersion0(table, before, signal, label);
      }),
    );
  }, 180_000);

  it('delta --rows-per-file stopped by SIGINT or SIGKILL after finishing data files, before its commit: version 0, and SIGINT removes those files', async () => {
    await Promise.all(
      (['SIGINT', 'SIGKILL'] as const).map(async (signal) => {
        const label = `delta finished files ${signal}`;
        const dir = tempDir('datagen-kill-delta-files-');
        const table = join(dir, 'lake', 'loans');
        await tableAtVersion0(dir);
        const before = referenced(table);
        // A background pipeline's $! is its last command: the delta writer.
        const script =
          `node ${BIN} pipe loans --rows 3000000 --seed 7 --ipc | node ${BIN} delta --out lake/loans --rows-per-file 20000 2> delta.err & ` +
          `echo $! > delta.pid; wait $!; echo $? > delta.rc`;
        const shell = spawn('bash', ['-c', script], { cwd: dir, env: cliEnv, stdio: 'ignore' });
        const p = watch(shell);
        await waitFor(p, () => existsSync(join(dir, 'delta.pid')) && dataFiles(table).filter((n) => !before.has(n)).length >= 2, `${label}: two finished data files`);
        process.kill(Number(readFileSync(join(dir, 'delta.pid'), 'utf8')), signal);
        await p.exited;
        expect({ label, rc: Number(readFileSync(join(dir, 'delta.rc'), 'utf8')) }).toEqual({ label, rc: signal === 'SIGINT' ? 130 : 137 });
        expectVersion0(table, before, signal, label);
      }),
    );
  }, 180_000);

  it('creating a table stopped by SIGINT or SIGTERM leaves no table folder', async () => {
    await Promise.all(
      (['SIGINT', 'SIGTERM'] as const).map(async (signal) => {
        const dir = tempDir('datagen-kill-delta-new-');
        const table = join(dir, 'lake', 'loans');
        const p = start(['generate', 'loans', '--rows', '3000000', '--format', 'delta', '--out', 'lake/loans', '-q'], dir);
        await waitFor(p, hasBytes(table, /^\.part-\d+\.tmp-/), `${signal}: the first data file being written`);
        p.child.kill(signal);
        expectStopped(await p.exited, signal, true, signal);
        expect({ signal, left: readdirSync(dir) }).toEqual({ signal, left: [] });
      }),
    );
  }, 180_000);
});

describe('kill suite: a killed upstream producer', () => {
  it('pipe loans | csv --out F with the producer killed mid-stream (SIGKILL, SIGINT; NDJSON and Arrow IPC): the consumer fails with E_INPUT and writes no F', async () => {
    const cases = [
      { signal: 'SIGKILL', ipc: false },
      { signal: 'SIGINT', ipc: false },
      { signal: 'SIGKILL', ipc: true },
    ] as const;
    await Promise.all(
      cases.map(async ({ signal, ipc }) => {
        const label = `${signal}${ipc ? ' ipc' : ''}`;
        const dir = tempDir('datagen-kill-upstream-');
        // The producer runs in the background of a subshell so that its pid can be known.
        const script =
          `( node ${BIN} pipe loans --rows 3000000 ${ipc ? '--ipc' : ''} & echo $! > producer.pid; wait $! ) ` +
          `| node ${BIN} csv --out F.csv 2> consumer.err; echo \${PIPESTATUS[1]} > consumer.rc`;
        const running = watch(spawn('bash', ['-c', script], { cwd: dir, env: cliEnv, stdio: 'ignore' }));
        await waitFor(running, () => existsSync(join(dir, 'producer.pid')) && hasBytes(dir, /^\.F\.csv\.tmp-\d+$/)(), `${label}: the consumer writing`);
        process.kill(Number(readFileSync(join(dir, 'producer.pid'), 'utf8')), signal);
        await running.exited;
        const rc = Number(readFileSync(join(dir, 'consumer.rc'), 'utf8'));
        const err = readFileSync(join(dir, 'consumer.err'), 'utf8');
        expect({ label, failed: rc !== 0 }).toEqual({ label, failed: true });
        expect({ label, err: err.split('\n').filter(Boolean) }).toEqual({ label, err: [expect.stringMatching(/^datagen: .*\[E_INPUT\]$/)] });
        expect({ label, left: readdirSync(dir).filter((n) => n.startsWith('F') || n.startsWith('.F')) }).toEqual({ label, left: [] });
      }),
    );
  }, 180_000);
});
