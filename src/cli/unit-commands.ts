import { Flags, type Command } from '@oclif/core';
import { arrow } from '../../sinks/arrow.js';
import { jsonl } from '../../sinks/jsonl.js';
import { shownTarget } from '../../sinks/postgres.js';
import { run } from '../core/pipeline.js';
import { outputBytes } from '../codecs/output.js';
import { anomalies, bytes, count, countedSink, countedSource, Progress, summaryLedger, progressFlags, quietFlag, stdoutIsPipe } from './progress.js';
import { announcing } from '../core/stdio-link.js';
import type { SinkFactory, TransformFactory } from '../core/units.js';
import { DatagenCommand } from './base.js';
import { flagsFor, optionsFromFlags } from './flags.js';
import { inputFlags, stdinSource } from './input.js';

/**
 * One command per transform and per sink, made from the unit's declaration: rows in on stdin
 * (NDJSON or Arrow IPC, detected); a transform writes rows to stdout in the format it read
 * (or as --ipc says), a sink writes its format.
 */
export function transformCommand(unit: TransformFactory): Command.Class {
  return class extends DatagenCommand {
    static override summary = unit.summary;
    static override description = unit.description;
    static override examples = unit.examples.map((e) => `$ ${e}`);
    static override flags = {
      ...flagsFor(unit.options),
      ledger: Flags.string({ description: 'write a JSON line per change to this file (the answer key); stages of one pipe may share it' }),
      overwrite: Flags.boolean({ description: "replace the ledger file if it holds another run's lines" }),
      ...inputFlags,
      ipc: Flags.boolean({ allowNo: true, description: 'write Arrow IPC (typed) instead of NDJSON to stdout [default: the format read from stdin]' }),
      ...quietFlag,
    };

    async run(): Promise<void> {
      const { flags } = await this.parse(this.constructor as Command.Class);
      const transform = unit(optionsFromFlags(unit.name, unit.options, flags) as never); // options checked before any input is read
      const input = await stdinSource(unit.name, flags as Parameters<typeof stdinSource>[1]);
      const ipc = (flags.ipc as boolean | undefined) ?? input.format === 'arrow';
      // A transform's rows go on to the next stage, which draws progress: a summary only here.
      const quiet = Boolean(flags.quiet);
      const p = new Progress({ quiet });
      const line = p.start(unit.name);
      let rowsIn = 0;
      const source = countedSource(input.source, (b) => void (rowsIn += b.rows.length));
      const before = outputBytes();
      const out = countedSink(announcing(ipc ? arrow() : jsonl(), { run: input.run, format: ipc ? 'arrow' : 'ndjson' }), p);
      const ledgerPath = flags.ledger as string | undefined;
      const overwrite = flags.overwrite as boolean;
      const ledger = quiet ? undefined : summaryLedger(ledgerPath, { run: input.run, overwrite });
      try {
        await run(source, transform, out, { ledger: ledger ?? ledgerPath, run: input.run, overwrite });
      } catch (err) {
        p.stop();
        throw err;
      }
      p.stop(`${unit.name}: ${count(rowsIn)} rows in, ${count(line.rows)} out${anomalies(ledger?.entries())}, ${bytes(outputBytes() - before)} to stdout, ${p.seconds().toFixed(1)}s`);
    }
  };
}

export function sinkCommand(unit: SinkFactory): Command.Class {
  return class extends DatagenCommand {
    static override summary = unit.summary;
    static override description = unit.description;
    static override examples = unit.examples.map((e) => `$ ${e}`);
    static override aliases = unit.aliases ?? [];
    // The sink's own options come after the input flags: a sink's --table (a database table) has no default to hide.
    static override flags = { ...inputFlags, ...flagsFor(unit.options), ...progressFlags };

    async run(): Promise<void> {
      const { flags } = await this.parse(this.constructor as Command.Class);
      const sink = unit(optionsFromFlags(unit.name, unit.options, flags) as never);
      const input = await stdinSource(unit.name, flags as Parameters<typeof stdinSource>[1]);
      // Rows written to stdout for another datagen command are announced to it (src/core/stdio-link.ts).
      const toStdout = flags.out === undefined || flags.out === '-';
      const relay = toStdout && (unit.name === 'jsonl' || unit.name === 'arrow');
      // The last stage of a pipe draws progress; one handing rows on through a pipe does not.
      const p = new Progress({ quiet: Boolean(flags.quiet), progress: Boolean(flags.progress), draw: !(relay && stdoutIsPipe()) });
      const line = p.start(unit.name);
      const before = outputBytes();
      try {
        await run(input.source, countedSink(relay ? announcing(sink, { run: input.run, format: unit.name === 'arrow' ? 'arrow' : 'ndjson' }) : sink, p));
      } catch (err) {
        p.stop();
        throw err;
      }
      // Delta writes its data files itself (not through src/codecs/output.ts): no byte count.
      // A database (--url) is named without its password; its bytes are the COPY text sent.
      const db = typeof flags.url === 'string' ? shownTarget(flags.url, flags.table as string | undefined) : undefined;
      const written = unit.name === 'delta' ? '' : `, ${bytes(outputBytes() - before)}`;
      p.stop(`${unit.name}: ${count(line.rows)} rows to ${db ?? (toStdout ? 'stdout' : (flags.out as string))}${written}, ${p.seconds().toFixed(1)}s`);
    }
  };
}
