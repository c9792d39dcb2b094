import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenario } from '../../sources/scenario.js';
import { arrow } from '../../sinks/arrow.js';
import { csv } from '../../sinks/csv.js';
import { jsonl } from '../../sinks/jsonl.js';
import { parquet } from '../../sinks/parquet.js';
import { xlsx } from '../../sinks/xlsx.js';
import { openOutput, openTemps, removeOpenTemps } from '../../src/codecs/output.js';
import { run } from '../../src/core/pipeline.js';
import { BIN, sh, tempDir } from '../helpers.js';

/**
 * A full disk, with /dev/full (every write fails with ENOSPC) as the only full device: no
 * mount rights are needed. stdout is pointed at it directly; a file is made to land on it by a
 * symlink at the temporary name the writer will use (`.<name>.tmp-<pid>`, pid of this process).
 */
const FULL = /^datagen: cannot write stdout: no space left on device \(ENOSPC\) \[E_OUTPUT\]$/;

describe('disk full', () => {
  it('every command writing stdout to a full disk: one line naming stdout, E_OUTPUT, non-zero exit', () => {
    const dir = tempDir('datagen-full-');
    const cases = {
      pipe: `node ${BIN} pipe loans --rows 100000 --seed 1 > /dev/full`,
      generate: `node ${BIN} generate loans --rows 100000 --seed 1 --out - -q > /dev/full`,
      csv: `node ${BIN} pipe loans --rows 5000 --seed 1 -q | node ${BIN} csv > /dev/full`,
      parquet: `node ${BIN} pipe loans --rows 5000 --seed 1 --ipc -q | node ${BIN} parquet > /dev/full`,
      arrow: `node ${BIN} pipe loans --rows 5000 --seed 1 --ipc -q | node ${BIN} arrow > /dev/full`,
      xlsx: `node ${BIN} pipe loans --rows 5000 --seed 1 --ipc -q | node ${BIN} xlsx > /dev/full`,
      noise: `node ${BIN} pipe loans --rows 5000 --seed 1 -q | node ${BIN} noise --rate 0.1 > /dev/full`,
    };
    // The producers are quiet: whether one finishes (and prints its summary) before the writer
    // fails is a race. One shell for all cases (a process start costs about half a second): each case's exit
    // status (pipefail: the writer's, since its producer exits 0) and stderr go to files.
    const script = Object.entries(cases)
      .map(([name, cmd]) => `(${cmd}) 2> ${name}.err; echo $? > ${name}.rc`)
      .join('\n');
    const r = sh(script, dir);
    expect(r.status).toBe(0);
    for (const name of Object.keys(cases)) {
      const err = readFileSync(join(dir, `${name}.err`), 'utf8');
      expect({ name, lines: err.split('\n').filter(Boolean) }).toEqual({ name, lines: [expect.stringMatching(FULL)] });
      expect({ name, rc: Number(readFileSync(join(dir, `${name}.rc`), 'utf8')) }).toEqual({ name, rc: 1 });
    }
  }, 120_000);

  it('a file on a full disk: E_OUTPUT naming the file, no file, no temporary file (csv, jsonl, .gz, parquet, arrow, xlsx)', async () => {
    const dir = tempDir('datagen-full-');
    const sinks = {
      'a.csv': csv,
      'b.jsonl': jsonl,
      'c.csv.gz': csv,
      'd.parquet': parquet,
      'e.arrow': arrow,
      'f.xlsx': xlsx,
    } as const;
    for (const [name, sink] of Object.entries(sinks)) {
      const path = join(dir, name);
      symlinkSync('/dev/full', join(dir, `.${name}.tmp-${process.pid}`));
      await expect(run(scenario('loans', { rows: 30_000, seed: 1 }), sink({ path } as never)), name).rejects.toMatchObject({
        code: 'E_OUTPUT',
        message: `cannot write ${path}: no space left on device (ENOSPC)`,
      });
      expect(existsSync(path), name).toBe(false);
    }
    expect(readdirSync(dir)).toEqual([]); // the temporary names (here: the symlinks) are gone
    expect(openTemps.size).toBe(0);
  }, 120_000);
});

describe('temporary files and signals', () => {
  it('a temporary file is listed before it exists: a signal while a file is being opened still removes it', async () => {
    const dir = tempDir('datagen-open-');
    const path = join(dir, 'x.csv');
    const temp = join(dir, `.x.csv.tmp-${process.pid}`);
    const opening = openOutput(path); // not awaited: the signal handler may run before the open completes
    expect(openTemps.has(temp)).toBe(true);
    removeOpenTemps(); // what the SIGINT handler does
    const out = await opening;
    await new Promise((resolve) => setTimeout(resolve, 50)); // let any open still under way land
    expect(readdirSync(dir)).toEqual([]);
    out.abort();
  });
});
