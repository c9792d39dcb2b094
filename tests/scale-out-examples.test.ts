/**
 * The scheduler examples of docs/scale-out.md (examples/scale-out/) say what they mean: the
 * Kubernetes manifests are valid YAML with the fields an Indexed Job needs, the shell scripts
 * parse, and everywhere the shard count n is the same number (completions / --array range /
 * seq range = the n of --shard and of finish --shards), with every shard and finish writing
 * to the same --out. No CLI runs: the commands themselves are run by the docs and engine tests.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { docSteps } from './doc-blocks.js';

const REPO = join(import.meta.dirname, '..');
const DIR = join(REPO, 'examples', 'scale-out');
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');

/** The one YAML document of a manifest file (untyped); parse errors and warnings fail the test. */
function manifest(name: string): any {
  const docs = [...parseAllDocuments(read(name))];
  expect(docs.length, `${name}: one YAML document`).toBe(1);
  const doc = docs[0]!;
  expect([...doc.errors, ...doc.warnings].map((e) => e.message)).toEqual([]);
  return doc.toJS();
}

/** The value after `--name` in a list of words. */
function flag(words: string[], name: string): string | undefined {
  const at = words.indexOf(`--${name}`);
  return at >= 0 ? words[at + 1] : undefined;
}

/** Words of the first `datagen <verb> retail ...` command of a shell script, outside comments (quotes dropped). */
function command(script: string, verb: 'generate' | 'finish'): string[] {
  const m = new RegExp(`^[^#\\n]*datagen ${verb} retail (.*)`, 'm').exec(script);
  expect(m, `a 'datagen ${verb} retail' command`).not.toBeNull();
  return ['datagen', verb, 'retail', ...m![1]!.replaceAll('"', '').trim().split(/\s+/)];
}

function bashParses(name: string): void {
  const r = spawnSync('bash', ['-n', join(DIR, name)], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

describe('Kubernetes Indexed Job (k8s-indexed-job.yaml, k8s-finish-job.yaml, k8s-lake-pvc.yaml)', () => {
  const job = manifest('k8s-indexed-job.yaml');
  const finish = manifest('k8s-finish-job.yaml');
  const pvc = manifest('k8s-lake-pvc.yaml');
  const container = (j: any) => {
    expect(j.spec.template.spec.containers).toHaveLength(1);
    return j.spec.template.spec.containers[0];
  };

  it('is a batch/v1 Indexed Job whose completions are the n of --shard env/n', () => {
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    const spec = job.spec;
    expect(spec.completionMode).toBe('Indexed');
    const words: string[] = container(job).command;
    expect(words.slice(0, 3)).toEqual(['datagen', 'generate', 'retail']);
    expect(words.every((w) => typeof w === 'string')).toBe(true);
    const shard = /^env\/(\d+)$/.exec(flag(words, 'shard') ?? '');
    expect(shard, '--shard env/n').not.toBeNull();
    expect(spec.completions).toBe(Number(shard![1]));
    expect(spec.completions).toBe(64);
    expect(Number.isInteger(spec.parallelism) && spec.parallelism >= 1 && spec.parallelism <= spec.completions).toBe(true);
  });

  it('retries a failed index alone (backoffLimitPerIndex, restartPolicy Never, FailIndex on a real container)', () => {
    const spec = job.spec;
    expect(Number.isInteger(spec.backoffLimitPerIndex) && spec.backoffLimitPerIndex >= 0).toBe(true);
    expect(Number.isInteger(spec.maxFailedIndexes) && spec.maxFailedIndexes >= 0 && spec.maxFailedIndexes <= spec.completions).toBe(true);
    // Both backoffLimitPerIndex and podFailurePolicy are refused by the API server otherwise.
    expect(spec.template.spec.restartPolicy).toBe('Never');
    // Never two pods of one index at once (they would write the same temporary files).
    expect(spec.podReplacementPolicy).toBe('Failed');
    const names = spec.template.spec.containers.map((c: any) => c.name);
    for (const rule of spec.podFailurePolicy.rules) {
      expect(['Ignore', 'FailIndex', 'FailJob', 'Count']).toContain(rule.action);
      if (rule.onExitCodes) {
        expect(names).toContain(rule.onExitCodes.containerName);
        // Exit code 0 is not allowed with operator In; 2 is datagen's usage error.
        expect(rule.onExitCodes.values).not.toContain(0);
      }
    }
  });

  it('writes under the mounted ReadWriteMany volume; finish reads the same folder with the same n and image', () => {
    const gen = container(job);
    const fin = container(finish);
    expect(finish.apiVersion).toBe('batch/v1');
    expect(finish.kind).toBe('Job');
    expect(finish.spec.completionMode ?? 'NonIndexed').toBe('NonIndexed');
    expect(['Never', 'OnFailure']).toContain(finish.spec.template.spec.restartPolicy);
    expect(fin.command.slice(0, 3)).toEqual(['datagen', 'finish', 'retail']);
    expect(Number(flag(fin.command, 'shards'))).toBe(job.spec.completions);
    expect(flag(fin.command, 'out')).toBe(flag(gen.command, 'out'));
    expect(fin.image).toBe(gen.image);

    expect(pvc.apiVersion).toBe('v1');
    expect(pvc.kind).toBe('PersistentVolumeClaim');
    expect(pvc.spec.accessModes).toContain('ReadWriteMany');
    for (const j of [job, finish]) {
      const c = container(j);
      expect(c.volumeMounts).toHaveLength(1);
      const mount = c.volumeMounts[0];
      const volume = j.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
      expect(volume?.persistentVolumeClaim?.claimName).toBe(pvc.metadata.name);
      expect(flag(c.command, 'out')!.startsWith(`${mount.mountPath}/`)).toBe(true);
      expect(mount.readOnly ?? false).toBe(false);
    }
  });
});

describe('Slurm array (slurm-array.sh, slurm-finish.sh)', () => {
  const array = read('slurm-array.sh');
  const finish = read('slurm-finish.sh');

  it('parses as bash', () => {
    bashParses('slurm-array.sh');
    bashParses('slurm-finish.sh');
  });

  it('has its #SBATCH lines where sbatch reads them: before the first command', () => {
    for (const script of [array, finish]) {
      const lines = script.split('\n');
      const firstCommand = lines.findIndex((l, i) => i > 0 && l.trim() !== '' && !l.startsWith('#'));
      const lastDirective = Math.max(...lines.map((l, i) => (/^\s*#\s*SBATCH/.test(l) ? i : -1)));
      expect(lastDirective).toBeGreaterThan(0);
      expect(lastDirective).toBeLessThan(firstCommand);
      // '# SBATCH' or an indented '#SBATCH' is a plain comment to sbatch.
      for (const l of lines) if (/^\s*#\s*SBATCH/.test(l)) expect(l).toMatch(/^#SBATCH --[a-z-]+(=\S+)?$/);
    }
  });

  it('runs indexes 0..n-1 of --shard env/n, and finish with the same n and --out', () => {
    const range = /^#SBATCH --array=(\d+)-(\d+)(%\d+)?$/m.exec(array);
    expect(range, '#SBATCH --array=0-<n-1>').not.toBeNull();
    const gen = command(array, 'generate');
    const n = Number(/^env\/(\d+)$/.exec(flag(gen, 'shard') ?? '')?.[1]);
    expect(n).toBe(64);
    expect([Number(range![1]), Number(range![2])]).toEqual([0, n - 1]);
    const fin = command(finish, 'finish');
    expect(Number(flag(fin, 'shards'))).toBe(n);
    expect(flag(fin, 'out')).toBe(flag(gen, 'out'));
    expect(finish).not.toMatch(/^#SBATCH --array/m);
  });
});

describe('GNU parallel over hosts (parallel-hosts.sh)', () => {
  const script = read('parallel-hosts.sh');

  it('parses as bash', () => bashParses('parallel-hosts.sh'));

  it('feeds 0..n-1 to --shard {}/n over --sshlogin, then finish with the same n and --out', () => {
    const seq = /\bseq 0 (\d+) \| parallel\b/.exec(script);
    expect(seq).not.toBeNull();
    expect(script).toMatch(/parallel --sshlogin /);
    const gen = command(script, 'generate');
    const n = Number(/^\{\}\/(\d+)$/.exec(flag(gen, 'shard') ?? '')?.[1]);
    expect(n).toBe(64);
    expect(Number(seq![1])).toBe(n - 1);
    const fin = command(script, 'finish');
    expect(Number(flag(fin, 'shards'))).toBe(n);
    expect(flag(fin, 'out')).toBe(flag(gen, 'out'));
    // finish comes after the shards, and set -e stops the script when parallel reports a failure.
    expect(script.indexOf('datagen finish')).toBeGreaterThan(script.indexOf('datagen generate'));
    expect(script).toMatch(/^set -euo pipefail$/m);
  });
});

describe('docs/scale-out.md', () => {
  it('shows the example files as they are (a block titled with a file name equals that file)', () => {
    const steps = docSteps(readFileSync(join(REPO, 'docs', 'scale-out.md'), 'utf8'));
    const shown = steps.flatMap((s) => (s.kind === 'file' ? [s] : []));
    expect(shown.map((s) => s.name).sort()).toEqual(['k8s-indexed-job.yaml', 'parallel-hosts.sh', 'slurm-array.sh']);
    const files = readdirSync(DIR);
    for (const s of shown) {
      expect(files).toContain(s.name);
      expect(s.text, s.name).toBe(read(s.name));
    }
  });
});
