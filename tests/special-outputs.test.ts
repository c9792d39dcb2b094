import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, sh, tempDir } from './helpers.js';

/** A device or named pipe given as --out is written to, never replaced by a regular file. */
describe('--out a device or a named pipe', () => {
  it('a FIFO stays a FIFO and its reader gets every row, with or without --overwrite', () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'rows.csv')]);
    for (const flags of ['', '--overwrite']) {
      const r = sh(`(wc -l < rows.csv > count.txt &) ; node ${BIN} generate loans --rows 500 --out rows.csv ${flags} -q && sleep 0.5 && cat count.txt`, dir);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('501');
      expect(statSync(join(dir, 'rows.csv')).isFIFO()).toBe(true);
    }
  });

  it('/dev/null stays a character device', () => {
    if (!statSync('/dev/null').isCharacterDevice()) return; // nothing to protect on this machine
    const r = sh(`node ${BIN} generate loans --rows 100 --out /dev/null --format parquet --overwrite -q`, tempDir());
    expect(r.status, r.stderr).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});
