/**
 * One error type for everything a user can get wrong. The code is stable (scripts and tests
 * match on it); the message is one line that names the problem and the value.
 */
export type ErrorCode =
  | 'E_OPTION' // an option has the wrong type, is out of range or missing
  | 'E_UNKNOWN_UNIT' // no scenario, transform or sink by that name
  | 'E_UNKNOWN_COLUMN' // a column named in an option is not in the schema
  | 'E_CAPACITY' // the options cannot produce the requested number of rows
  | 'E_SCENARIO_FILE' // a YAML scenario file is malformed (names file, line and problem)
  | 'E_INPUT' // malformed input rows (names the line)
  | 'E_SCHEMA' // `check`: no schema to check against, an unknown --schema, or data whose columns do not match it
  | 'E_NO_INPUT' // a command that reads rows from stdin was run without piped input
  | 'E_OUTPUT' // the output cannot be written
  | 'E_WORKER' // a worker thread of --workers stopped before its work was done
  | 'E_DATABASE' // a database cannot be written: a table exists with other columns, a value its column cannot hold
  | 'E_SHARDS' // `finish`: shards missing, or written with other options
  | 'E_INCREMENT' // --increment: no base run in --out, or one made with another seed, scale or options
  | 'E_UPSTREAM'; // the datagen command piping into this one failed and said why: exit 1 without a second message

export class DatagenError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'DatagenError';
    this.code = code;
  }
}

export function isDatagenError(err: unknown): err is DatagenError {
  return err instanceof DatagenError;
}
