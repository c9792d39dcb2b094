import { DatagenError } from '../core/errors.js';

/** Literals and names quoted by doubling: the same SQL text as the database sinks write. */
export { sqlIdent, sqlList, sqlString } from '../codecs/sql.js';

/** DuckDB's message on one line, without its "LINE 1: ..." pointer into our SQL. */
export function duckMessage(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const first = text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'unknown error';
  return first.length > 300 ? `${first.slice(0, 297)}...` : first;
}

/** A DuckDB failure while reading `what`, as the E_INPUT line check prints. */
export function unreadable(what: string, err: unknown): DatagenError {
  if (err instanceof DatagenError) return err;
  return new DatagenError('E_INPUT', `check: cannot read ${what}: ${duckMessage(err)}`);
}

/** Column names for a one-line message: the first ten, then how many more. */
export const names = (list: readonly string[]): string => (list.length <= 10 ? list.join(', ') : `${list.slice(0, 10).join(', ')} and ${list.length - 10} more`);
