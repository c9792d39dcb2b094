import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { collect, ndjsonSource } from '../src/index.js';
import { typeLabel } from '../src/core/schema.js';
import type { Batch } from '../src/core/stage.js';

/** NDJSON from another program: what the reader accepts, infers and refuses (in process). */
const read = async (chunks: string[], options: Parameters<typeof ndjsonSource>[0] = {}) => {
  const batches: Batch[] = [];
  for await (const b of ndjsonSource({ input: Readable.from(chunks), ...options }).batches()) batches.push(b);
  return batches;
};

describe('NDJSON input', () => {
  it('a line split over many chunks reads the same as whole lines', async () => {
    const text = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, s: 'x'.repeat(i * 37), v: i + 0.5 })).join('\n') + '\n';
    const whole = await read([text]);
    const bytewise = await read(text.match(/[\s\S]{1,7}/g)!);
    expect(bytewise.flatMap((b) => b.rows)).toEqual(whole.flatMap((b) => b.rows));
    expect(whole[0]!.rows).toHaveLength(50);
  });

  it('refuses a line longer than maxLineLength, naming the line, whether or not it ends', async () => {
    const long = '{"s":"' + 'a'.repeat(500) + '"}';
    for (const chunks of [[`{"s":"ok"}\n${long}\n`], [`{"s":"ok"}\n`, long.slice(0, 300), long.slice(300)]]) {
      await expect(read(chunks, { maxLineLength: 100 })).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringMatching(/^stdin line 2: longer than 100 characters/) });
    }
    expect((await read([`${long}\n`], { maxLineLength: 600 }))[0]!.rows[0]!.s).toHaveLength(500);
  });

  it('skips a UTF-8 BOM at the start, and only there', async () => {
    const [b] = await read(['\ufeff{"a":1}\n{"a":2}\n']);
    expect(b!.rows).toEqual([{ a: 1 }, { a: 2 }]);
    await expect(read(['{"a":1}\n\ufeff{"a":2}\n'])).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('line 2') });
  });

  it('deep nesting is one E_INPUT naming the line, not a stack overflow', async () => {
    const deep = '{"a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}\n';
    await expect(read(['{"a":"x"}\n', deep])).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('line 2') });
  });

  it('infers decimal(18,s) from the text of the numbers, float64 when the digits differ, int64 for integral values (1e3 too)', async () => {
    const [b] = await read(['{"a":12.0,"b":1.5,"c":3,"d":1.50,"e":1e3}\n{"a":3.5,"b":2.25,"c":4,"d":2.00,"e":2}\n']);
    expect(b!.schema.fields.map((f) => `${f.name}:${typeLabel(f.type)}`)).toEqual(['a:decimal(18,1)', 'b:float64', 'c:int64', 'd:decimal(18,2)', 'e:int64']);
  });

  it('an integer beyond 2^53 is refused rather than rounded', async () => {
    await expect(collect(ndjsonSource({ input: Readable.from(['{"id":1}\n{"id":9007199254740993}\n']) }))).rejects.toMatchObject({
      code: 'E_INPUT',
      message: expect.stringMatching(/line 2: column 'id' holds .* beyond 2\^53/),
    });
  });
});

describe('NDJSON input refusals', () => {
  it('blank-only input, invalid UTF-8, non-finite numbers, declared decimals that would round', async () => {
    await expect(read(['\n  \n'])).rejects.toMatchObject({ code: 'E_NO_INPUT' });
    await expect(read([Buffer.from('{"a":1}\n{"a":"\xff"}\n', 'latin1') as unknown as string])).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringMatching(/^stdin line 2: not valid UTF-8/) });
    await expect(read(['{"a":1e400}\n'])).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('beyond the range of a double') });
    const { loans } = await import('../scenarios/loans.js');
    await expect(collect(ndjsonSource({ input: Readable.from(['{"interest_rate":12.05}\n']), schema: loans.schema }))).rejects.toMatchObject({
      code: 'E_INPUT',
      message: expect.stringContaining('holds 12.05, with more than the 1 fraction digits of decimal(4,1)'),
    });
  });
});
