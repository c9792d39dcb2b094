/**
 * Every command in README.md and docs/*.md runs as written (docs rot otherwise).
 *
 * Which lines count as commands, expected output, TypeScript programs and files: see
 * tests/doc-blocks.ts. Each doc gets its own empty temporary folder; its steps run there in
 * order, in one bash (pipefail) whose `datagen` and `npx datagen` are shell functions running
 * this checkout's bin/run.js (no network, no global install).
 *
 * Scaling, so the whole file stays fast: `--rows N` with N > 20,000 runs as `--rows 2000`, and
 * `generate`/`pipe` of a named scenario without `--rows` (default 100,000) gets `--rows 2000`;
 * `rows: N` in TypeScript likewise. So a too-large row count cannot hide behind the scaling,
 * every scaled scenario command is also planned in-process with its real options (planning
 * checks options and capacity without making rows).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { scenario } from '../sources/scenario.js';
import { engineOptions } from '../sources/scenario.js';
import { dataset, datasetRunOptions } from '../src/datasets/api.js';
import { findDataset, findScenario, listDatasets } from '../src/registry.js';
import { cliEnv, tempDir } from './helpers.js';
import { docSteps, type Step } from './doc-blocks.js';

const REPO = join(import.meta.dirname, '..');
const DOCS = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const MAX_ROWS = 20_000;
const SMALL_ROWS = 2000;
/** Datasets (`generate retail`) take --scale instead of --rows; docs run them at this scale. */
const SMALL_SCALE = 0.001;
const DATASETS = listDatasets().map((d) => d.name).join(' ');
/** Datasets with a --start/--end horizon run over its first SHORT_DAYS days (see PRELUDE). */
const SHORT_DAYS = 60;
const SHORT_ENDS = listDatasets()
  .flatMap((d) => {
    const start = (d.options as Record<string, { type?: string; default?: unknown }>).start;
    if (start?.type !== 'date' || typeof start.default !== 'string' || !('end' in d.options)) return [];
    const end = new Date(Date.parse(`${start.default}T00:00:00Z`) + (SHORT_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    return [`${d.name}) args+=(--end ${end}) ;;`];
  })
  .join(' ');

/** `datagen` and `npx datagen` as a user of the clone has them, with the row scaling above. */
const PRELUDE = String.raw`
set -o pipefail
datagen() {
  local args=() rows= a
  while [ $# -gt 0 ]; do
    a=$1; shift
    if [ "$a" = --rows ]; then
      rows=1
      if [ "$1" -gt ${MAX_ROWS} ] 2>/dev/null; then args+=(--rows ${SMALL_ROWS}); shift; continue; fi
    fi
    args+=("$a")
  done
  if [ "${'$'}{args[0]}" = generate ] && [[ " ${DATASETS} " == *" ${'$'}{args[1]} "* ]]; then
    # A dataset has no --rows: its --scale above ${SMALL_SCALE} runs as ${SMALL_SCALE}, and none given gets it.
    local i scaled=
    for i in "${'$'}{!args[@]}"; do
      [ "${'$'}{args[$i]}" = --scale ] || continue
      scaled=1
      if awk -v s="${'$'}{args[$((i+1))]}" 'BEGIN { exit !(s + 0 > ${SMALL_SCALE}) }'; then args[$((i+1))]=${SMALL_SCALE}; fi
    done
    [ -n "$scaled" ] || args+=(--scale ${SMALL_SCALE})
    # Day partitions make a tiny scale thousands of one-row files: without --start or --end, the
    # horizon is cut to its first ${SHORT_DAYS} days (the doc's flags and outputs are still checked).
    if [[ " ${'$'}{args[*]} " != *" --start"* && " ${'$'}{args[*]} " != *" --end"* ]]; then
      case "${'$'}{args[1]}" in ${SHORT_ENDS} esac
    fi
  else
  case "${'$'}{args[0]} ${'$'}{args[1]}" in
    generate\ *.yml|generate\ *.yaml|pipe\ *.yml|pipe\ *.yaml) ;;
    generate\ *.ts|generate\ *.mjs|pipe\ *.ts|pipe\ *.mjs) ;; # a file's unit: its own defaults (a dataset has no --rows)
    generate\ *|pipe\ *) [ -n "$rows" ] || [[ " ${'$'}{args[*]} " == *" --follow "* ]] || args+=(--rows ${SMALL_ROWS}) ;; # --follow has no end (docs pipe it into head)
  esac
  fi
  node "$REPO/bin/run.js" "${'$'}{args[@]}"
}
npx() { if [ "$1" = datagen ]; then shift; datagen "$@"; else command npx "$@"; fi; }
`;

const scaleTypeScript = (code: string) =>
  code
    .replace(/\brows: ([\d_.e]+)/g, (all, n: string) => (Number(n.replaceAll('_', '')) > MAX_ROWS ? `rows: ${SMALL_ROWS}` : all))
    .replace(/(\bdataset\([^)]*\bscale: )([\d_.e]+)/g, (all, head: string, n: string) => (Number(n.replaceAll('_', '')) > SMALL_SCALE ? `${head}${SMALL_SCALE}` : all));

/** A TypeScript step as a JavaScript module importing this checkout's build. */
function programOf(code: string): string {
  const js = ts.transpileModule(scaleTypeScript(code), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  return js.replaceAll(`from 'datagen'`, `from '${pathToFileURL(join(REPO, 'dist', 'src', 'index.js')).href}'`);
}

interface Outcome {
  step: Step;
  rc: number;
  stdout: string;
  stderr: string;
}

/** Runs a doc's steps in order in a fresh folder; one outcome per command or program. */
async function runDoc(doc: string): Promise<Outcome[]> {
  const steps = docSteps(readFileSync(join(REPO, doc), 'utf8'));
  const dir = tempDir('datagen-doc-');
  const res = join(dir, '.steps');
  mkdirSync(res);
  const work = join(dir, 'work');
  mkdirSync(work);
  const script = [PRELUDE, `cd "${work}"`];
  steps.forEach((step, k) => {
    const io = `</dev/null >"${res}/${k}.out" 2>"${res}/${k}.err"; echo $? >"${res}/${k}.rc"`;
    if (step.kind === 'file') {
      writeFileSync(join(res, `${k}.file`), step.text);
      script.push(`cp "${res}/${k}.file" ./${JSON.stringify(step.name)}`);
    } else if (step.kind === 'typescript') {
      writeFileSync(join(res, `${k}.mjs`), programOf(step.text));
      script.push(`( node "${res}/${k}.mjs" ) ${io}`);
    } else {
      script.push(`(\n${step.text}\n) ${io}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', ['-c', script.join('\n')], { cwd: work, env: { ...cliEnv, REPO }, stdio: 'ignore', timeout: 540_000 });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
  const read = (name: string) => {
    try {
      return readFileSync(join(res, name), 'utf8');
    } catch {
      return '';
    }
  };
  const outcomes = steps.flatMap((step, k) =>
    step.kind === 'file' ? [] : [{ step, rc: Number(read(`${k}.rc`).trim() || -1), stdout: read(`${k}.out`), stderr: read(`${k}.err`) }],
  );
  rmSync(dir, { recursive: true, force: true });
  return outcomes;
}

/** What is wrong with one outcome, or nothing. */
function problems({ step, rc, stdout, stderr }: Outcome): string[] {
  const out: string[] = [];
  const expected = step.kind === 'command' ? step.output : [];
  const shouldFail = expected.some((l) => /\[E_[A-Z_]+\]$/.test(l));
  if (shouldFail ? rc === 0 : rc !== 0) out.push(`exit ${rc}${shouldFail ? ', expected a failure' : ''}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
  const printed = new Set([...stdout.split('\n'), ...stderr.split('\n')].map((l) => l.trimEnd()));
  for (const l of expected) if (!printed.has(l.trimEnd())) out.push(`did not print ${JSON.stringify(l)}; stderr: ${stderr.trim()}`);
  if (step.kind === 'command' && /^\s+at /m.test(stderr)) out.push(`stack trace on stderr: ${stderr.trim().split('\n').slice(0, 3).join(' / ')}`);
  return out;
}

/** Shell words of a command (quotes removed; `|`, `>`, `<` as words of their own). */
function words(text: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\|\||&&|[|<>])|\\\n|(#.*)|([^\s'"|<>#]+)|\s+/g;
  let word: string | undefined;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined || m[2] !== undefined || m[5] !== undefined) word = (word ?? '') + (m[1] ?? m[2] ?? m[5]);
    else {
      if (word !== undefined) out.push(word);
      word = undefined;
      if (m[3]) out.push(m[3]);
      if (m[4]) break;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}

/** Plans every `generate`/`pipe <scenario>` of a command with its real, unscaled options. */
function planUnscaled(text: string): void {
  const w = words(text);
  for (let i = 0; i < w.length; i++) {
    if (w[i] !== 'datagen' || !['generate', 'pipe'].includes(w[i + 1]!) || /\.(ya?ml|m?ts|m?js)$/.test(w[i + 2] ?? '')) continue;
    if (DATASETS.split(' ').includes(w[i + 2]!)) {
      planDataset(w, i + 2);
      continue;
    }
    const def = findScenario(w[i + 2]!);
    const specs: Record<string, { type: string }> = { ...engineOptions, ...def.options };
    const options: Record<string, unknown> = {};
    for (let j = i + 3; j < w.length && !['|', '>', '<', '&&', '||'].includes(w[j]!); j++) {
      const name = w[j]!.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const spec = w[j]!.startsWith('--') ? specs[name] : undefined;
      const takesValue = spec ? spec.type !== 'boolean' : w[j + 1] !== undefined && !w[j + 1]!.startsWith('-');
      if (spec) options[name] = takesValue ? w[j + 1] : true;
      if (takesValue) j++;
    }
    scenario(def, options);
  }
}

/** A dataset command's real options, checked by making the dataset value (no rows made). */
function planDataset(w: string[], at: number): void {
  const def = findDataset(w[at]!);
  const specs: Record<string, { type: string }> = { ...datasetRunOptions, ...def.options, out: { type: 'string' }, overwrite: { type: 'boolean' }, quiet: { type: 'boolean' } };
  const options: Record<string, unknown> = {};
  for (let j = at + 1; j < w.length && !['|', '>', '<', '&&', '||'].includes(w[j]!); j++) {
    const name = w[j]!.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const spec = w[j]!.startsWith('--') ? specs[name] : undefined;
    const takesValue = spec ? spec.type !== 'boolean' : w[j + 1] !== undefined && !w[j + 1]!.startsWith('-');
    if (spec && !['out', 'overwrite', 'quiet'].includes(name)) options[name] = takesValue ? w[j + 1] : true;
    if (takesValue) j++;
  }
  dataset(def, options);
}

describe('every command in the docs runs as written', () => {
  it.concurrent.each(DOCS)('%s', { timeout: 600_000 }, async (doc) => {
    const failures: string[] = [];
    const title = (s: Step) => (s.kind === 'command' ? s.text : `${s.text.split('\n')[0]} ...`);
    for (const o of await runDoc(doc)) for (const p of problems(o)) failures.push(`${doc}:${o.step.line}: ${title(o.step)}\n    -> ${p}`);
    for (const step of docSteps(readFileSync(join(REPO, doc), 'utf8'))) {
      // A command shown failing ([E_CODE] expected) is not planned: its options are the mistake.
      if (step.kind !== 'command' || step.output.some((l) => /\[E_[A-Z_]+\]$/.test(l))) continue;
      try {
        planUnscaled(step.text);
      } catch (e) {
        failures.push(`${doc}:${step.line}: ${step.text}\n    -> with its real options: ${(e as Error).message}`);
      }
    }
    expect(failures.join('\n')).toBe('');
  });
});

describe('TypeScript in the docs', () => {
  it('type-checks against the built package', { timeout: 120_000 }, () => {
    const dir = tempDir('datagen-doc-ts-');
    const files = DOCS.flatMap((doc) =>
      docSteps(readFileSync(join(REPO, doc), 'utf8')).flatMap((s) => (s.kind === 'typescript' ? [{ doc, line: s.line, text: s.text }] : [])),
    );
    expect(files.length).toBeGreaterThan(0);
    const names = files.map((f, k) => {
      const name = join(dir, `snippet${k}.mts`);
      writeFileSync(name, f.text);
      return name;
    });
    const program = ts.createProgram(names, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(REPO, 'node_modules', '@types')],
      paths: { datagen: [join(REPO, 'dist', 'src', 'index.d.ts')] },
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => {
      const at = d.file ? names.indexOf(d.file.fileName) : -1;
      const where = at >= 0 && d.file && d.start !== undefined ? `${files[at]!.doc}:${files[at]!.line + d.file.getLineAndCharacterOfPosition(d.start).line}` : (d.file?.fileName ?? '');
      return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
    expect(errors.join('\n')).toBe('');
  });
});
