// One benchmark measurement. bench/run.js starts this file in a fresh process per case, so that
// the peak RSS it reports belongs to that case alone and no JIT or heap state leaks between cases.
//
//   node bench/case.js '{"kind":"pipeline","format":"csv","rows":1000000,"seed":42,"out":"/tmp/x.csv"}'
//
// Prints one JSON line on stdout: { rows, seconds, bytes, maxRssKB, sha256?, tables? }.
// `seconds` covers only the measured work (not module loading, not setup such as pre-generating
// rows); `maxRssKB` is the process's peak up to the end of that work, setup included.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { stringify } from 'csv-stringify/sync';
import ndjson from 'ndjson';
import { scenario } from '../dist/sources/scenario.js';
import { ndjsonSource } from '../dist/sources/ndjson.js';
import { run } from '../dist/src/core/pipeline.js';
import { csv } from '../dist/sinks/csv.js';
import { noise } from '../dist/transforms/noise.js';
import { missing } from '../dist/transforms/missing.js';
import { findDataset, findSink, findTransform } from '../dist/src/registry.js';
import { kindOf } from '../dist/src/core/schema.js';
import { jsonDecoder } from '../dist/src/codecs/codec.js';
import { formatDate, formatTime } from '../dist/src/core/temporal.js';

import { runDataset } from '../dist/src/datasets/run.js';

const args = JSON.parse(process.argv[2]);
const source = () => scenario(args.scenario ?? 'attendance', { rows: args.rows, seed: args.seed ?? 42 });

const cases = {
  // The command line itself, run in this process (oclif's execute), as a user types it: the
  // peak RSS then covers the command and its worker threads, which share this process.
  async cli({ argv, out }) {
    const { execute } = await import('@oclif/core');
    const start = performance.now();
    await execute({ dir: new URL('../bin/run.js', import.meta.url).href, args: argv });
    const seconds = (performance.now() - start) / 1000;
    const maxRssKB = process.resourceUsage().maxRSS;
    return { rows: args.rows, seconds, bytes: sizeOf(out), maxRssKB };
  },

  // The library as users call it: generation, optional stages, formatting and the file write.
  async pipeline({ format, stages, out }) {
    // stages: true (the attendance noise + missing pair) or a list of [transform name, options].
    const transforms = stages === true
      ? [noise({ rate: 0.01 }), missing({ rate: 0.02, columns: ['check_in', 'check_out'] })]
      : (stages ?? []).map(([name, options]) => findTransform(name)(options));
    const sink = findSink(format === 'ndjson' ? 'jsonl' : format)({ path: out });
    return timed(async () => (await run(source(), ...transforms, sink)).rows, out);
  },

  // A whole dataset (every table, its default stages, its files, ledger and manifest) into a
  // folder, as `datagen generate <dataset> --scale S` does; seconds and bytes per table too.
  async dataset({ dataset, scale, out }) {
    const perTable = new Map();
    const start = performance.now();
    let tableStart = start;
    const result = await runDataset(findDataset(dataset), {
      out,
      scale,
      seed: args.seed ?? 42,
      overwrite: true,
      onTable(e) {
        if (e.phase === 'start') tableStart = performance.now();
        else perTable.set(e.table, { rows: e.rows, seconds: (performance.now() - tableStart) / 1000 });
      },
    });
    const seconds = (performance.now() - start) / 1000;
    const maxRssKB = process.resourceUsage().maxRSS;
    const bytes = new Map();
    for (const f of result.files) bytes.set(f.table, (bytes.get(f.table) ?? 0) + f.bytes);
    const tables = result.tables.map((t) => ({ name: t.name, rows: t.rows, files: t.files, seconds: perTable.get(t.name).seconds, bytes: bytes.get(t.name) ?? 0 }));
    return { rows: tables.reduce((s, t) => s + t.rows, 0), seconds, bytes: [...bytes.values()].reduce((s, b) => s + b, 0), maxRssKB, tables };
  },

  // Formatting comparison, library side: the csv sink fed batches generated beforehand, so
  // generation cost is left out and only formatting + writing is timed.
  async 'format-sink'({ out }) {
    const { schema, batches } = await collectBatches();
    const memory = { kind: 'source', name: 'memory', schema, batches: async function* () { yield* batches; } };
    return withHash(await timed(async () => (await run(memory, csv({ path: out }))).rows, out), out);
  },

  // Formatting comparison, csv-stringify side: the same batches, one stringify() call per batch,
  // dates and times converted to text exactly as the csv sink does, same backpressured file write.
  async 'format-csv-stringify'({ out }) {
    const { schema, batches } = await collectBatches();
    const names = schema.fields.map((f) => f.name);
    const convert = schema.fields.map((f) => ({ date: formatDate, time: formatTime })[kindOf(f.type)]);
    return withHash(
      await timed(async () => {
        const file = createWriteStream(out);
        const write = async (text) => file.write(text) || (await once(file, 'drain'));
        await write(stringify([names]));
        let rows = 0;
        for (const batch of batches) {
          const records = batch.rows.map((row) =>
            names.map((name, c) => {
              const v = row[name];
              return v === null || v === undefined || !convert[c] ? v : convert[c](v);
            }),
          );
          await write(stringify(records));
          rows += records.length;
        }
        await new Promise((resolve, reject) => file.on('error', reject).end(resolve));
        return rows;
      }, out),
      out,
    );
  },

  // Parsing comparison, library side: ndjsonSource splits and parses lines itself, per batch,
  // and decodes dates and times (schema inferred from the first batch, as `datagen` does).
  async 'parse-ndjson-source'({ input }) {
    return timed(async () => {
      let rows = 0;
      for await (const b of ndjsonSource({ input: createReadStream(input) }).batches()) rows += b.rows.length;
      return rows;
    }, input);
  },

  // Parsing comparison, `ndjson` package side: its per-row object stream, then the same
  // decoding into typed rows gathered in batches of 8192, so both sides do the same work.
  async 'parse-ndjson-package'({ input }) {
    const decoders = source().schema.fields.map((f) => [f.name, jsonDecoder(kindOf(f.type))]);
    return timed(async () => {
      let rows = 0;
      let batch = [];
      for await (const obj of createReadStream(input).pipe(ndjson.parse())) {
        const row = {};
        for (const [name, decode] of decoders) row[name] = decode(obj[name] ?? null);
        batch.push(row);
        if (batch.length === 8192) {
          rows += batch.length;
          batch = [];
        }
      }
      return rows + batch.length;
    }, input);
  },
};

function sizeOf(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, name) => n + sizeOf(join(path, name)), 0);
}

async function collectBatches() {
  const src = source();
  const batches = [];
  for await (const b of src.batches()) batches.push(b);
  return { schema: src.schema, batches };
}

async function timed(work, file) {
  const start = performance.now();
  const rows = await work();
  const seconds = (performance.now() - start) / 1000;
  // maxRSS is in kilobytes on Linux; read before any checking work (hashing) can raise it.
  return { rows, seconds, bytes: statSync(file).size, maxRssKB: process.resourceUsage().maxRSS };
}

// A hash of the output, so the driver can check both formatters wrote the very same bytes.
async function withHash(result, file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return { ...result, sha256: hash.digest('hex') };
}

console.log(JSON.stringify(await cases[args.kind](args)));
