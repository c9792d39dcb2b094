import { DatagenError } from './errors.js';

/**
 * `--shard i/n`: part i (0-based) of n. The index may come from the scheduler running the
 * command (`env/n`): a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX, a Slurm job array
 * SLURM_ARRAY_TASK_ID (submit it with --array=0-<n-1>). The count is always given: a
 * scheduler's notion of the job size is not what decides the file names.
 */
export const SHARD_INDEX_VARIABLES = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID'] as const;

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(owner: string, text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const m = /^(\d+|env)\/(\d+)$/.exec(text.trim());
  if (!m) throw new DatagenError('E_OPTION', `${owner}: --shard must be i/n with 0 <= i < n (or env/n), got ${JSON.stringify(text)}`);
  const count = Number(m[2]);
  let index: number;
  if (m[1] === 'env') {
    const name = SHARD_INDEX_VARIABLES.find((v) => env[v] !== undefined && env[v] !== '');
    if (!name) throw new DatagenError('E_OPTION', `${owner}: --shard ${text} takes the index from ${SHARD_INDEX_VARIABLES.join(' or ')}, and neither is set; give it as --shard 0/${count}`);
    const raw = env[name]!.trim();
    if (!/^\d+$/.test(raw)) throw new DatagenError('E_OPTION', `${owner}: ${name} must be a shard index 0..${count - 1}, got ${JSON.stringify(raw)}`);
    index = Number(raw);
    if (index >= count) throw new DatagenError('E_OPTION', `${owner}: ${name}=${index} is not a shard of ${count} (0..${count - 1}); a Slurm array for --shard env/${count} is --array=0-${count - 1}`);
  } else {
    index = Number(m[1]);
  }
  if (!(count >= 1) || !Number.isSafeInteger(count) || count > 1_000_000) throw new DatagenError('E_OPTION', `${owner}: --shard count must be 1..1000000, got ${m[2]} in ${JSON.stringify(text)}`);
  if (index >= count) throw new DatagenError('E_OPTION', `${owner}: --shard ${text}: index ${index} is not below the count ${count} (shards are 0..${count - 1})`);
  return { index, count };
}

/** Rows [floor(i N / n), floor((i + 1) N / n)) of N: shard i's share. */
export function shardRows(shard: Shard, total: number): [number, number] {
  return [Math.floor((shard.index * total) / shard.count), Math.floor(((shard.index + 1) * total) / shard.count)];
}

/** The part of a file name that says which shard wrote it: 00003-of-00064 (at least five digits). */
export function shardTag(shard: Shard): string {
  const width = Math.max(5, String(shard.count).length);
  return `${String(shard.index).padStart(width, '0')}-of-${String(shard.count).padStart(width, '0')}`;
}

/** A file name with the shard tag before its extension (customers.csv -> customers-00003-of-00064.csv); unchanged for one shard. */
export function shardFileName(name: string, shard: Shard): string {
  if (shard.count === 1) return name;
  const m = /^(.*?)((?:\.[A-Za-z0-9]+)?(?:\.gz)?)$/.exec(name)!;
  return `${m[1]}-${shardTag(shard)}${m[2]}`;
}
