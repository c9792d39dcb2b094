import { statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { Args, Flags, type Command } from '@oclif/core';
import { engineOptions, pacedScenarioSource, scenarioSource } from '../../sources/scenario.js';
import { parsePace, rowsPerTick } from '../core/pace.js';
import { arrow } from '../../sinks/arrow.js';
import { jsonl } from '../../sinks/jsonl.js';
import { run } from '../core/pipeline.js';
import { outputBytes } from '../codecs/output.js';
import { normalizeOptions } from '../core/options.js';
import { parseShard, shardRows } from '../core/shard.js';
import { anomalies, bytes, count, countedSink, ledgerFileEntries, summaryLedger, Progress, progressFlags, quietFlag, stdoutIsPipe } from './progress.js';
import { announcing } from '../core/stdio-link.js';
import { newRunId } from './input.js';
import { DatagenError } from '../core/errors.js';
import { findScenario, findSink, listDatasets, listScenarios, listSinks, sinkForPath } from '../registry.js';
import type { ScenarioDefinition } from '../core/units.js';
import { isScenarioFile } from '../core/paths.js';
import { isPostgresUrl, shownTarget } from '../../sinks/postgres.js';
import { isCodeFile, loadUnitFile } from './ts-file.js';
import { generateDatasetCommand } from './dataset-commands.js';
import { wantsPartitioned } from '../codecs/partition.js';
import { partitionOptions } from '../codecs/text-sink.js';
import { closest } from '../core/suggest.js';
import { DatagenCommand } from './base.js';
import { flagsFor, optionsFromFlags } from './flags.js';
import { parseWorkers } from '../scale/pool.js';
import { runScenarioParallel, type ScenarioOrigin } from '../scale/scenario.js';

/**
 * `datagen generate <scenario>` and `datagen pipe <scenario>`: one command per scenario, made
 * from its declaration, so each has its own flags and --help. `generate` writes a file (format
 * from the extension); `pipe` writes NDJSON rows to stdout for the next process.
 */
/** The engine's flags, with this scenario's default row count shown in --help. */
function engineFlags(def: ScenarioDefinition) {
  return flagsFor({ ...engineOptions, rows: { ...engineOptions.rows, default: def.defaultRows } });
}

function sourceFrom(def: ScenarioDefinition, flags: Record<string, unknown>) {
  return scenarioSource(def, { ...optionsFromFlags(def.name, engineOptions, flags), ...optionsFromFlags(def.name, def.options, flags) });
}

/** Flags for the scenario's default anomaly stages (shown only where it has some). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- oclif's flag types are per-flag generics
function stageFlags(def: ScenarioDefinition): Record<string, any> {
  if (!def.defaultStages) return {};
  return {
    clean: Flags.boolean({ description: `skip the default anomaly stages (${def.defaultStages().map((t) => t.name).join(', ')})` }),
    ledger: Flags.string({ description: 'append a JSON line per injected anomaly to this file' }),
  };
}

function stagesFrom(def: ScenarioDefinition, flags: Record<string, unknown>) {
  return flags.clean || !def.defaultStages ? [] : def.defaultStages();
}

export function generateCommand(def: ScenarioDefinition, origin: ScenarioOrigin = { name: def.name }): Command.Class {
  return class extends DatagenCommand {
    static override summary = `Generate ${def.name} rows into a file: ${def.summary}`;
    static override description = def.description;
    static override aliases = (def.aliases ?? []).map((a) => `generate:${a}`);
    static override examples = [
      ...def.examples.filter((e) => e.includes('generate')).map((e) => `$ ${e}`),
      `$ datagen generate ${def.name} --rows 100 --out - --format jsonl | head -3`,
      `$ datagen generate ${def.name} --rows 10000000 --workers auto --out ${def.name}.csv`,
    ];
    static override flags = {
      ...engineFlags(def),
      ...flagsFor(def.options),
      out: Flags.string({
        char: 'o',
        description:
          `file to write; the format follows the extension [default: ${def.name}.csv]. A folder (trailing / or existing) for partitioned output, ` +
          'format from --format (default csv). - writes to stdout, format from --format (default csv)',
      }),
      format: Flags.string({ description: 'format, when the extension does not say', options: listSinks().map((s) => s.name) }),
      ...progressFlags,
      overwrite: Flags.boolean({ description: 'replace the output file if it exists (a folder: its partitioned output)' }),
      'text-columns': Flags.boolean({ description: 'with --out postgres://...: create columns that may hold malformed values (after malform) as text; without it such values are refused' }),
      ...flagsFor(partitionOptions),
      ...stageFlags(def),
      workers: Flags.string({ description: 'worker threads making the rows (a number, or auto = one per core); the output is the same for any count', default: '1' }),
      ...paceFlags,
    };

    async run(): Promise<void> {
      const { flags, metadata } = await this.parse(this.constructor as Command.Class);
      const workers = parseWorkers(`generate ${def.name}`, flags.workers);
      const paced = flags.pace !== undefined;
      if (paced && (flags.out !== '-' || workers > 1)) {
        // A file is renamed into place once complete, which an endless run never is; workers make rows ahead of any clock.
        throw new DatagenError('E_OPTION', `generate: --pace writes to stdout only, one worker: use --out - (got ${flags.out === undefined ? 'no --out' : `--out ${flags.out}`}${workers > 1 ? `, --workers ${flags.workers}` : ''})`);
      }
      const source = pacedOr(def, flags, metadata) ?? sourceFrom(def, flags);
      const options = { ...optionsFromFlags(def.name, engineOptions, flags), ...optionsFromFlags(def.name, def.options, flags) };
      const quiet = Boolean(flags.quiet);
      const stages = stagesFrom(def, flags);
      let progress: Progress | undefined;
      // With --workers, the same sink is made in each worker from its name and options.
      const write = async (sinkFactory: ReturnType<typeof findSink>, sinkOptions: Record<string, unknown>, folder: boolean) => {
        // NDJSON or Arrow IPC into a pipe goes on to another datagen command, which draws instead.
        const feeds = sinkOptions.path === undefined && stdoutIsPipe() && (sinkFactory.name === 'jsonl' || sinkFactory.name === 'arrow');
        const p = (progress = new Progress({ quiet, progress: Boolean(flags.progress), draw: !feeds }));
        const line = p.start(`generate ${def.name}`, flags.follow ? undefined : plannedRows(def, flags));
        const before = outputBytes();
        const stopped = () => p.stop(`wrote ${count(line.rows)} ${def.name} rows to stdout, ${bytes(outputBytes() - before)}, ${p.seconds().toFixed(1)}s`);
        const undo = sayOnSignal(paced, stopped);
        const sink = countedSink(sinkFactory(sinkOptions as never), p);
        const ledgerPath = flags.ledger as string | undefined;
        const overwrite = Boolean(flags.overwrite);
        try {
          if (workers <= 1) {
            // Anomalies are counted as they are recorded into the ledger file, or without one tallied (see summaryLedger).
            const ledger = stages.length > 0 && !quiet ? summaryLedger(ledgerPath, { overwrite }) : undefined;
            const result = await run(source, ...stages, sink, { ledger: ledger ?? ledgerPath, overwrite });
            return { ...result, bytes: outputBytes() - before, anomalies: ledger?.entries() };
          }
          const result = await runScenarioParallel({ origin, def, options, stages, sink, sinkSpec: { name: sinkFactory.name, options: sinkOptions }, folder, workers, ledger: ledgerPath, overwrite });
          if (result.note) p.say(result.note);
          // Worker threads record anomalies only into a ledger file: counted there (it holds this run only).
          const anomalies = stages.length > 0 && ledgerPath && !quiet ? ledgerFileEntries(ledgerPath) : undefined;
          return { ...result, bytes: outputBytes() - before, anomalies };
        } catch (err) {
          if (paced && isClosedPipe(err)) stopped();
          else p.stop();
          throw err;
        } finally {
          undo();
        }
      };
      const summary = (result: { rows: number; bytes: number; anomalies?: number }, to: string) =>
        progress!.stop(`wrote ${count(result.rows)} ${def.name} rows to ${to}, ${bytes(result.bytes)}${anomalies(result.anomalies)}, ${progress!.seconds().toFixed(1)}s`);
      const partition = optionsFromFlags(def.name, partitionOptions, flags);
      let out = (flags.out as string | undefined) ?? `${def.name}.csv`;
      if (out.trim() === '') throw new DatagenError('E_OPTION', `generate: --out must name a file, a folder or - (stdout), got ${JSON.stringify(out)}`);
      if ((flags.out === undefined || out === '-') && wantsPartitioned(partition)) {
        throw new DatagenError('E_OPTION', `generate: partitioned or rolled output needs --out FOLDER, e.g. --out data/${def.name}/`);
      }
      if (flags.format === 'postgres' && !isPostgresUrl(out)) {
        throw new DatagenError('E_OPTION', `generate: PostgreSQL output is named by --out postgres://user:password@host:port/database#table, not ${JSON.stringify(out)}`);
      }
      if (out === '-') {
        // stdout then carries the rows only; the summary line stays on stderr.
        const sink = findSink((flags.format as string | undefined) ?? 'csv');
        if (sink.name === 'delta') throw new DatagenError('E_OPTION', 'generate: a Delta table is a folder and cannot go to stdout (--out -); name a folder, e.g. --out lake/' + def.name);
        if (paced && !PACED_FORMATS.includes(sink.name)) {
          throw new DatagenError('E_OPTION', `generate: --pace needs a format written as it goes (${PACED_FORMATS.join(', ')}); ${sink.name} is written whole at the end`);
        }
        summary(await write(sink, paced && sink.name === 'arrow' ? pacedArrow(def, flags) : {}, false), 'stdout');
        return;
      }
      // A database URL: rows go to the postgres sink (the table after '#'); the summary hides the password.
      if (isPostgresUrl(out)) {
        summary(await write(findSink('postgres'), { url: out, textColumns: Boolean(flags['text-columns']) }, false), shownTarget(out));
        return;
      }
      // A folder (trailing '/', or one that exists) takes its format from --format, else csv,
      // unless its name has a format's extension (data/loans.parquet/, as Spark names them).
      const bare = out.replace(/[\\/]+$/, '');
      const folder = bare !== out || isFolder(out);
      if (folder) out = bare + '/';
      const sink = flags.format
        ? findSink(flags.format as string)
        : (folder || wantsPartitioned(partition)) && extname(bare) === ''
          ? findSink('csv')
          : sinkForPath(bare);
      summary(await write(sink, { path: out, overwrite: Boolean(flags.overwrite), ...partition }, folder || wantsPartitioned(partition)), out);
    }
  };
}

/** The rows the source will make (this shard's share with --shard): the progress bar's total. */
function plannedRows(def: ScenarioDefinition, flags: Record<string, unknown>): number {
  const engine = normalizeOptions(def.name, engineOptions, optionsFromFlags(def.name, engineOptions, flags));
  const total = engine.rows ?? def.defaultRows;
  if (engine.shard === undefined) return total;
  const [from, to] = shardRows(parseShard(def.name, engine.shard), total);
  return to - from;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function pipeCommand(def: ScenarioDefinition): Command.Class {
  return class extends DatagenCommand {
    static override summary = `Stream ${def.name} rows to stdout as NDJSON (or Arrow IPC with --ipc): ${def.summary}`;
    static override description = def.description;
    static override aliases = (def.aliases ?? []).map((a) => `pipe:${a}`);
    static override examples = def.examples.filter((e) => e.includes('pipe')).map((e) => `$ ${e}`);
    static override flags = {
      ...engineFlags(def),
      ...flagsFor(def.options),
      ...stageFlags(def),
      ipc: Flags.boolean({ description: 'write an Arrow IPC stream (exact types: decimals, dates, timestamps) instead of NDJSON' }),
      ...paceFlags,
      ...(def.defaultStages ? { overwrite: Flags.boolean({ description: "replace the ledger file if it holds another run's lines" }) } : {}),
      ...quietFlag,
    };

    async run(): Promise<void> {
      const { flags, metadata } = await this.parse(this.constructor as Command.Class);
      const runId = newRunId();
      const source = pacedOr(def, flags, metadata) ?? sourceFrom(def, flags);
      const stages = stagesFrom(def, flags);
      // The next stage of the pipe draws progress; pipe prints its summary only.
      const p = new Progress({ quiet: Boolean(flags.quiet) });
      const line = p.start(`pipe ${def.name}`);
      const before = outputBytes();
      const ipc = () => arrow(flags.pace === undefined ? {} : pacedArrow(def, flags));
      const out = countedSink(announcing(flags.ipc ? ipc() : jsonl(), { run: runId, format: flags.ipc ? 'arrow' : 'ndjson' }), p);
      const ledgerPath = flags.ledger as string | undefined;
      const ledger = stages.length > 0 && !flags.quiet ? summaryLedger(ledgerPath, { run: runId, overwrite: Boolean(flags.overwrite) }) : undefined;
      const summary = () => `pipe ${def.name}: ${count(line.rows)} rows to stdout, ${bytes(outputBytes() - before)}${anomalies(ledger?.entries())}, ${p.seconds().toFixed(1)}s`;
      const paced = flags.pace !== undefined;
      const undo = sayOnSignal(paced, () => p.stop(summary()));
      try {
        await run(source, ...stages, out, { ledger: ledger ?? ledgerPath, run: runId, overwrite: flags.overwrite as boolean });
      } catch (err) {
        p.stop(paced && isClosedPipe(err) ? summary() : undefined);
        throw err;
      } finally {
        undo();
      }
      p.stop(summary());
    }
  };
}

/** --pace and --follow (src/core/pace.ts, docs/streaming.md): accepted by scenarios that declare an event-time column. */
const paceFlags = {
  pace: Flags.string({ description: 'emit rows at this rate by the wall clock: N/s, N/m or N/h; the event-time column then comes from a virtual clock at --start + i/N s (docs/streaming.md)' }),
  follow: Flags.boolean({ description: 'keep going without end (needs --pace); Ctrl-C or a closed pipe (| head) ends it' }),
};

/** The paced source when --pace is given (undefined otherwise); --follow without --pace is refused. */
function pacedOr(def: ScenarioDefinition, flags: Record<string, unknown>, metadata: { flags: Record<string, { setFromDefault?: boolean } | undefined> }) {
  if (flags.follow && flags.pace === undefined) {
    throw new DatagenError('E_OPTION', `${def.name}: --follow needs --pace N/s (an endless stream has a rate; a fast one is e.g. --pace 100000/s)`);
  }
  if (flags.pace === undefined) return undefined;
  const options: Record<string, unknown> = { ...optionsFromFlags(def.name, engineOptions, flags), ...optionsFromFlags(def.name, def.options, flags) };
  // --rows always has a value (its default); only one the user typed conflicts with --follow.
  if (flags.follow && metadata.flags.rows?.setFromDefault) delete options.rows;
  return pacedScenarioSource(def, options, { pace: parsePace(def.name, flags.pace as string), follow: Boolean(flags.follow) });
}

/** Formats that write each batch as it comes (Parquet and Excel are written whole at the end). */
const PACED_FORMATS = ['csv', 'jsonl', 'log', 'arrow'];

/** Paced Arrow IPC: record batches of one tick's rows (not 8192), so each leaves on time; still the same bytes every run. */
function pacedArrow(def: ScenarioDefinition, flags: Record<string, unknown>) {
  return { recordBatchRows: Math.min(8192, rowsPerTick(parsePace(def.name, flags.pace as string))) };
}

/** A paced run usually ends by Ctrl-C or kill: it says what it sent first (base.ts then exits as usual). Returns the undo. */
function sayOnSignal(paced: boolean, say: () => void): () => void {
  if (!paced) return () => undefined;
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const signal of signals) process.prependOnceListener(signal, say);
  return () => signals.forEach((signal) => process.removeListener(signal, say));
}

function isClosedPipe(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/**
 * `generate <name>` / `pipe <name>` when no per-scenario command matched: either flags came
 * before the name (re-dispatch to the scenario's command) or the name is unknown (one-line
 * error listing the known ones). The argv is scanned here because its flags belong to the
 * scenario's command, which is not known until the name is found.
 */
function dispatcher(verb: 'generate' | 'pipe', summary: string, examples: string[]): Command.Class {
  return class extends DatagenCommand {
    static override summary = summary;
    static override strict = false;
    static override args = { scenario: Args.string({ description: verb === 'generate' ? 'scenario or dataset name (see `datagen list`), a YAML scenario file (.yml) or a TypeScript file (.ts) exporting one' : 'scenario name (see `datagen list`), a YAML scenario file (.yml) or a TypeScript file (.ts) exporting one' }) };
    static override examples = examples;

    async run(): Promise<void> {
      const argv = [...this.argv];
      await this.parse(this.constructor as Command.Class, []); // nothing to parse here; see above
      const datasets = new Set(listDatasets().map((d) => d.name));
      const known = new Set([...listScenarios().flatMap((s) => [s.name, ...(s.aliases ?? [])]), ...datasets]);
      let at = argv.findIndex((a) => known.has(a) || isScenarioFile(a) || isCodeFile(a));
      if (at < 0) at = argv.findIndex((a, i) => !a.startsWith('-') && !(i > 0 && /^--?[^=]+$/.test(argv[i - 1]!)));
      if (at < 0) throw new DatagenError('E_OPTION', `${verb}: name a scenario, e.g. datagen ${verb} attendance (see datagen list)`);
      const name = argv.splice(at, 1)[0]!;
      if (isScenarioFile(name)) {
        // A YAML scenario gets the same command a registered one has, made on the spot; a file
        // with tables: is a dataset (src/yaml/yaml-dataset.ts) and gets a dataset's command.
        const { loadYamlUnit } = await import('../yaml/yaml-dataset.js');
        const def = loadYamlUnit(name);
        if (def.unit === 'dataset') {
          if (verb === 'pipe') throw new DatagenError('E_OPTION', `pipe: ${name} declares a dataset (tables:): it writes a folder of tables, not one stream; use datagen generate ${name} --out <folder>`);
          await generateDatasetCommand(def, resolve(name)).run(argv, this.config);
          return;
        }
        const command = verb === 'generate' ? generateCommand(def, { file: resolve(name) }) : pipeCommand(def);
        await command.run(argv, this.config);
        return;
      }
      if (isCodeFile(name)) {
        // A TypeScript/JavaScript file (src/cli/ts-file.ts): its default export, run as a registered one.
        const unit = await loadUnitFile(name);
        if (unit.kind === 'dataset') {
          if (verb === 'pipe') throw new DatagenError('E_OPTION', `pipe: ${name} exports a dataset: it writes a folder of tables, not one stream; use datagen generate ${name} --out <folder>`);
          await generateDatasetCommand(unit.def, resolve(name)).run(argv, this.config);
          return;
        }
        const command = verb === 'generate' ? generateCommand(unit.def, { file: resolve(name) }) : pipeCommand(unit.def);
        await command.run(argv, this.config);
        return;
      }
      if (datasets.has(name)) {
        // A dataset is several tables written into a folder: there is no single stream to pipe.
        if (verb === 'pipe') throw new DatagenError('E_OPTION', `pipe: ${name} is a dataset: it writes a folder of tables, not one stream; use datagen generate ${name} --out <folder>`);
        await this.config.runCommand(`generate:${name}`, argv);
        return;
      }
      const near = verb === 'generate' && !known.has(name) ? closest(name, [...datasets]) : undefined;
      if (near) throw new DatagenError('E_UNKNOWN_UNIT', `unknown scenario or dataset '${name}'. Did you mean ${near}?`);
      await this.config.runCommand(`${verb}:${findScenario(name).name}`, argv);
    }
  };
}

export const GenerateDispatch = dispatcher('generate', 'Generate a scenario into a file, or a dataset into a folder (datagen generate <name> --help for its options)', [
  '$ datagen generate attendance --rows 100000 --seed 42 --out data/attendance.csv',
  '$ datagen generate retail --seed 42 --scale 0.01 --out data_raw',
  '$ datagen generate ./warehouse_moves.yml --rows 50000 --out moves.csv',
  '$ datagen generate ./shop.ts --scale 0.01 --out shop/',
]);
export const PipeDispatch = dispatcher('pipe', 'Stream a scenario to stdout as NDJSON, for the next datagen command (datagen pipe <scenario> --help)', [
  '$ datagen pipe attendance --rows 100000 --seed 42 | datagen noise --rate 0.01 | datagen csv > out.csv',
]);
