import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csv } from '../sinks/csv.js';
import { BIN, sh, tempDir, SUMMARIES_ONLY } from './helpers.js';

/** `csv --delimiter`: a tab (and any byte-sized character) can be named from a shell; what breaks CSV is refused. */
const datagen = `node ${BIN}`;

describe('csv --delimiter', () => {
  it("'\\t', tab and '\\x09' write the same tab-separated file, which DuckDB reads back as the comma file's rows", async () => {
    const dir = tempDir();
    const rows = `${datagen} pipe attendance --rows 300 --seed 3`;
    const r = sh(
      `${rows} > in.ndjson && ${datagen} csv --out comma.csv < in.ndjson && ${datagen} csv --delimiter '\\t' --out a.tsv < in.ndjson ` +
        `&& ${datagen} csv --delimiter tab < in.ndjson > b.tsv && ${datagen} csv --delimiter '\\x09' --out c.tsv < in.ndjson ` +
        `&& ${datagen} csv --delimiter '\\x1f' --out us.txt < in.ndjson`,
      dir,
    );
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(r.status).toBe(0);
    const tsv = readFileSync(join(dir, 'a.tsv'), 'utf8');
    expect(readFileSync(join(dir, 'b.tsv'), 'utf8')).toBe(tsv);
    expect(readFileSync(join(dir, 'c.tsv'), 'utf8')).toBe(tsv);
    const lines = tsv.trimEnd().split('\n');
    expect(lines[0]).toBe('employee_id\tdepartment\tdate\tstatus\tcheck_in\tcheck_out');
    expect(lines).toHaveLength(301);
    expect(lines.every((l) => l.split('\t').length === 6)).toBe(true);
    // the same bytes as the comma file, with the separator swapped (attendance has no commas or tabs in values)
    expect(tsv).toBe(readFileSync(join(dir, 'comma.csv'), 'utf8').replaceAll(',', '\t'));
    expect(readFileSync(join(dir, 'us.txt'), 'utf8')).toBe(tsv.replaceAll('\t', '\x1f'));

    const con = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const read = async (file: string, delim: string) =>
        (await con.runAndReadAll(`select * from read_csv('${join(dir, file)}', delim = '${delim}', header = true) order by all`)).getRowObjectsJson();
      const fromTsv = await read('a.tsv', '\t');
      expect(fromTsv).toHaveLength(300);
      expect(fromTsv).toEqual(await read('comma.csv', ','));
    } finally {
      con.closeSync();
    }
  });

  it('refuses what is not one character, or breaks CSV, with E_OPTION naming the value', () => {
    for (const bad of [';;', '"', '\n', '\r', '\\x0a', '\\x22', '\\n', '', 'tabs', '\\x1']) {
      expect(() => csv({ delimiter: bad }), JSON.stringify(bad)).toThrowError(
        expect.objectContaining({ code: 'E_OPTION', message: `csv: delimiter must be one character other than a quote or line break (or \\t, tab, \\xHH), got ${JSON.stringify(bad)}` }),
      );
    }
    for (const good of [';', '|', ' ', '\t', '\\t', 'TAB', '\\x1F']) expect(() => csv({ delimiter: good }), good).not.toThrow();
  });

  it('on the command line: one line, E_OPTION, exit 1', () => {
    const r = sh(`${datagen} csv --delimiter ';;' < /dev/null`, tempDir());
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('datagen: csv: delimiter must be one character other than a quote or line break (or \\t, tab, \\xHH), got ";;" [E_OPTION]\n');
  });
});
