import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cliEnv, tempDir } from '../helpers.js';

/**
 * The hostile-input suite's machinery: a table of cases, each a bash script run in a fresh
 * folder with `$D` = the datagen CLI, each a user mistake or hostile input that must end with
 * exactly one `datagen: ... [E_CODE]` line on stderr, the expected exit status, nothing on
 * stdout, no stack trace, and no file (final or temporary) left behind.
 */
export interface HostileCase {
  name: string;
  /** bash (pipefail on), run in the case's own folder; `$D` runs the CLI. */
  script: string;
  /** Files to write into the folder first (paths relative to it). */
  setup?: Record<string, string | Buffer>;
  /** The error code the one stderr line ends with. */
  code: string;
  /** Exit status (default: 2 for E_USAGE, else 1). */
  exit?: number;
  /** Paths (relative to the folder, or absolute) that must not exist afterwards. */
  absent?: string[];
  /** Setup files whose bytes must be unchanged afterwards (default: every setup file). */
  unchanged?: string[];
  /** Extra check on the stderr line (the problem and value it names). */
  message?: RegExp;
}

export interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The one line a user mistake prints: no stack frames, no Node internals. */
const ONE_LINE = /^datagen[^\n]*\[(E_[A-Z_]+)\]\n$/;
const TRACE = /^\s+at |node:internal|\bat [^\n]*\([^\n]*:\d+:\d+\)/m;
/** Temporary names of the atomic writers (`.<name>.tmp-<pid>[-n]`). */
const TEMP = /\.tmp-\d+(-\d+)?$/;

/** The CLI under test; DATAGEN_BIN points at another build (a private copy while dist/ is rebuilt by others). */
const CLI = process.env.DATAGEN_BIN ?? BIN;

/** Run one bash script with `$D` set; resolves with its status and output (never rejects). */
export function runScript(script: string, cwd: string, timeoutMs = 60_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], {
      cwd,
      env: { ...cliEnv, D: `node ${CLI}` },
      // stdin: an empty pipe, not /dev/null (a script that reads stdin says from where)
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so a time-out kills the commands of the script too (a command
      // blocked on a pipe would otherwise keep the output open and the case waiting).
      detached: true,
    });
    child.stdin.end();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

function tempFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return; // a case may leave an unreadable folder on purpose
    }
    for (const e of entries) {
      if (TEMP.test(e.name)) found.push(join(d, e.name));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return found;
}

const clip = (s: string) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}...` : s);

/** Runs one case; returns what is wrong with its outcome (empty when it behaved). */
export async function checkCase(c: HostileCase): Promise<string[]> {
  const dir = tempDir('datagen-hostile-');
  try {
    for (const [path, data] of Object.entries(c.setup ?? {})) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), data);
    }
    const r = await runScript(c.script, dir);
    const problems: string[] = [];
    const exit = c.exit ?? (c.code === 'E_USAGE' ? 2 : 1);
    if (r.status !== exit) problems.push(`exit ${r.status}, expected ${exit}`);
    const m = ONE_LINE.exec(r.stderr);
    if (!m) problems.push(`stderr is not one datagen line: ${clip(r.stderr)}`);
    else if (m[1] !== c.code) problems.push(`code ${m[1]}, expected ${c.code}: ${clip(r.stderr)}`);
    else if (c.message && !c.message.test(r.stderr)) problems.push(`message does not match ${c.message}: ${clip(r.stderr)}`);
    if (TRACE.test(r.stderr)) problems.push(`stack trace on stderr: ${clip(r.stderr)}`);
    if (r.stdout !== '') problems.push(`stdout not empty: ${clip(r.stdout)}`);
    for (const p of c.absent ?? []) {
      if (existsSync(isAbsolute(p) ? p : join(dir, p))) problems.push(`${p} exists`);
    }
    for (const p of c.unchanged ?? Object.keys(c.setup ?? {})) {
      const before = c.setup?.[p];
      const now = existsSync(join(dir, p)) ? readFileSync(join(dir, p)) : undefined;
      if (before === undefined || now === undefined || !now.equals(Buffer.from(before))) problems.push(`${p} changed or removed`);
    }
    const temps = tempFiles(dir);
    if (temps.length) problems.push(`temporary files left: ${temps.map((t) => t.slice(dir.length + 1)).join(', ')}`);
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the cases `limit` at a time; resolves with one line per misbehaving case (all of them,
 * so one failure message lists every case to look at).
 */
export async function runCases(cases: readonly HostileCase[], limit = 3): Promise<string[]> {
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
    names.add(c.name);
  }
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const problems = await checkCase(c);
      if (problems.length) failures.push(`${c.name}: ${problems.join('; ')}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, cases.length) }, worker));
  return failures.sort();
}

/**
 * The cases `npm test` runs: every `every`-th of a table (neighbouring cases are variations of
 * one mistake, so a stride keeps the variety), to keep the suite's process starts affordable
 * on two shared cores. HOSTILE_ALL=1 runs every case.
 */
export function sample<T>(cases: readonly T[], every: number): T[] {
  return process.env.HOSTILE_ALL === '1' ? [...cases] : cases.filter((_, i) => i % every === 0);
}

/** Cases the product does not handle yet: listed for the report, not run. */
export interface PendingCase extends HostileCase {
  known: string;
}

/**
 * Pending cases (a list, or a function for lists built from fixtures) are not run by `npm test`; HOSTILE_PENDING=1 runs them and fails listing the
 * ones still misbehaving (a case that passes can move to its area's table).
 */
export function pendingCases(area: string, list: readonly PendingCase[] | (() => PendingCase[])): void {
  describe.runIf(process.env.HOSTILE_PENDING === '1')(`pending ${area} cases (HOSTILE_PENDING=1)`, () => {
    it('known gaps', async () => {
      const cases = typeof list === 'function' ? list() : list;
      const failures = await runCases(cases);
      const known = (f: string) => cases.find((c) => f.startsWith(`${c.name}: `))?.known;
      expect(failures.map((f) => `${f}  [known: ${known(f)}]`)).toEqual([]);
    }, 600_000);
  });
}
