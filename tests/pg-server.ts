import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private PostgreSQL server for tests: its own data folder and socket folder under the temp
 * folder, a free port on 127.0.0.1, fsync off (the data is thrown away). Password auth over TCP
 * (scram), so tests can try a wrong password. PostgreSQL refuses to run as root: as root the
 * folder is handed to the `postgres` user and every binary runs through runuser.
 *
 * startPgServer() gives the server, or a sentence saying why none can be started (the tests
 * then skip and print it); it never throws for a missing installation.
 */
export interface PgServer {
  /** postgres://datagen:secret@127.0.0.1:PORT/datagen_test */
  url: string;
  port: number;
  user: string;
  password: string;
  /** The same server and credentials, another database name. */
  urlFor(database: string): string;
  stop(): void;
}

const USER = 'datagen';
const PASSWORD = 'secret-pw-123';
const DATABASE = 'datagen_test';

/** $DATAGEN_PG_BIN when set (the only folder tried), else the newest installed server's bin folder (Debian layout), or one on PATH. */
function binDir(): string | undefined {
  const given = process.env.DATAGEN_PG_BIN;
  if (given !== undefined) return existsSync(join(given, 'initdb')) ? given : undefined;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0]!, 'bin');
  }
  try {
    const initdb = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
    return initdb ? initdb.replace(/\/initdb$/, '') : undefined;
  } catch {
    return undefined;
  }
}

function postgresUid(): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPgServer(): Promise<PgServer | string> {
  const bin = binDir();
  if (!bin) return process.env.DATAGEN_PG_BIN !== undefined ? `no initdb in $DATAGEN_PG_BIN (${process.env.DATAGEN_PG_BIN})` : 'no PostgreSQL server installed (no initdb under /usr/lib/postgresql/*/bin or on PATH)';
  const root = process.getuid?.() === 0;
  const owner = root ? postgresUid() : undefined;
  if (root && !owner) return 'running as root and there is no postgres user to run the server as';
  const dir = mkdtempSync(join(tmpdir(), 'datagen-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, PASSWORD + '\n');
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  chmodSync(dir, 0o700);
  const as = (cmd: string, args: string[]) =>
    root ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe' }) : execFileSync(join(bin, cmd), args, { stdio: 'pipe' });
  try {
    as('initdb', ['-D', data, '-U', USER, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        as('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`, 'start']);
        break;
      } catch (err) {
        if (attempt >= 2) throw err; // the port was taken between the check and the start
      }
    }
    as('psql', ['-h', dir, '-p', String(port), '-U', USER, '-d', 'postgres', '-qAtc', `CREATE DATABASE ${DATABASE}`]);
    const urlFor = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`;
    return {
      url: urlFor(DATABASE),
      port,
      user: USER,
      password: PASSWORD,
      urlFor,
      stop() {
        try {
          as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } catch {
          // already stopped
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    rmSync(dir, { recursive: true, force: true });
    return `could not start a private PostgreSQL server: ${(e.stderr?.toString() || e.message).trim().split('\n')[0]}`;
  }
}
