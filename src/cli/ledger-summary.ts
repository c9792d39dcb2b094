import { Args, Flags } from '@oclif/core';
import { renderSummaryMarkdown, renderSummaryText, summarizeLedger } from '../ledger-summary.js';
import { withOutput } from '../codecs/output.js';
import { DatagenCommand } from './base.js';

export default class LedgerSummary extends DatagenCommand {
  static override summary = 'Sum up an anomaly ledger: per table, stage, column and kind, the rate asked and the changes injected';
  static override examples = [
    '$ datagen ledger summary anomalies.jsonl',
    '$ datagen ledger summary anomalies.jsonl --markdown anomalies.md',
    '$ datagen ledger summary anomalies.jsonl --markdown anomalies.md --overwrite',
    '$ datagen ledger summary anomalies.jsonl --json | jq ".rows[] | select(.kind == \\"typo\\")"',
  ];
  static override args = { ledger: Args.string({ description: 'ledger file (JSON lines written with --ledger)', required: true }) };
  static override flags = {
    markdown: Flags.string({ description: 'also write the summary as a Markdown report to this file' }),
    overwrite: Flags.boolean({ description: 'replace the --markdown file if it exists' }),
    json: Flags.boolean({ description: 'print JSON instead of a table' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LedgerSummary);
    const summary = await summarizeLedger(args.ledger);
    const print = () => process.stdout.write(flags.json ? JSON.stringify(summary, null, 2) + '\n' : renderSummaryText(summary));
    if (!flags.markdown) return void print();
    // The report file is opened first: an existing one without --overwrite fails before any output.
    await withOutput({ path: flags.markdown, overwrite: flags.overwrite }, async (out) => {
      print();
      await out.write(renderSummaryMarkdown(summary, args.ledger));
    });
  }
}
