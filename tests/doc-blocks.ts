/**
 * What tests/docs-commands.test.ts runs from a Markdown file, in the order the reader meets it.
 *
 * Code blocks are indented blocks (4+ spaces after a blank line, also inside list items) and
 * fenced blocks (``` or ~~~). Inside them:
 * - a **command** is a line starting with `datagen `, `npx datagen ` or `$ ` followed by one of
 *   those, plus its continuation lines (the previous line ends with `\`, or the line starts
 *   with `|`). Other lines (comments, `npm ci`, sample output, SQL) are not run.
 * - after a `$ ` command, the lines up to the next blank line or command are its **expected
 *   output**: each must appear, as a whole line, in what the command printed; a line ending in
 *   `[E_CODE]` means the command must fail.
 * - a block whose first line is `import ... from 'datagen'` is a **TypeScript program**.
 * - a fenced block with a file name in its info string (```yaml title="orders.yml") is a
 *   **file** the reader saves: it is written to that name before the next steps run.
 */
export type Step =
  | { kind: 'command'; line: number; text: string; output: string[] }
  | { kind: 'typescript'; line: number; text: string }
  | { kind: 'file'; line: number; name: string; text: string };

const COMMAND = /^(\$ )?((?:npx )?datagen\s.*)$/;

export function docSteps(markdown: string): Step[] {
  const lines = markdown.split('\n');
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]!);
    if (fence) {
      const [, indent, marker, info] = fence;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !lines[j]!.trimStart().startsWith(marker!); j++) body.push(lines[j]!.slice(Math.min(indent!.length, lines[j]!.search(/\S|$/))));
      const name = /title="([^"]+)"/.exec(info!)?.[1];
      if (name) steps.push({ kind: 'file', line: i + 2, name, text: body.join('\n') + '\n' });
      else steps.push(...blockSteps(body, i + 2));
      i = j;
      continue;
    }
    if (/^ {4,}\S/.test(lines[i]!) && (i === 0 || lines[i - 1]!.trim() === '')) {
      let j = i;
      while (j < lines.length && (/^ {4,}\S/.test(lines[j]!) || (lines[j]!.trim() === '' && /^ {4,}\S/.test(lines[j + 1] ?? '')))) j++;
      const block = lines.slice(i, j);
      const indent = Math.min(...block.filter((l) => l.trim() !== '').map((l) => l.search(/\S/)));
      steps.push(...blockSteps(block.map((l) => l.slice(indent)), i + 1));
      i = j - 1;
    }
  }
  return steps;
}

/** Steps of one code block whose first line is line `first` (1-based) of the file. */
function blockSteps(block: string[], first: number): Step[] {
  if (/^import .* from 'datagen';/.test(block[0] ?? '')) return [{ kind: 'typescript', line: first, text: block.join('\n') + '\n' }];
  const steps: Step[] = [];
  let current: Extract<Step, { kind: 'command' }> | undefined;
  let dollar = false;
  for (let j = 0; j < block.length; j++) {
    const m = COMMAND.exec(block[j]!);
    if (m) {
      const parts = [m[2]!];
      while (j + 1 < block.length && (parts.at(-1)!.endsWith('\\') || block[j + 1]!.trimStart().startsWith('|'))) parts.push(block[++j]!);
      current = { kind: 'command', line: first + j - parts.length + 1, text: parts.join('\n'), output: [] };
      dollar = Boolean(m[1]);
      steps.push(current);
    } else if (current && dollar && block[j]!.trim() !== '') {
      current.output.push(block[j]!);
    } else {
      current = undefined;
    }
  }
  return steps;
}
