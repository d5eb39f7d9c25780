// A real PostgreSQL server for tests: found on PATH or under /usr/lib/postgresql/*/bin (Debian's
// `postgresql` package, which .ci/run installs when missing), initialised in a temporary directory,
// started on a free localhost port, stopped and deleted afterwards. PostgreSQL refuses to run as root:
// as root, every server command runs as the unprivileged `postgres` user (`runuser`).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** A connection string for the `postgres` superuser and database (trust authentication). */
  readonly url: string;
  stop(): Promise<void>;
}

/** The directory holding initdb/postgres, or undefined when PostgreSQL is not installed. */
export function findPostgres(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

/** Whether a missing server must fail the suite instead of skipping it (CI sets this). */
export const serversRequired = process.env['BULWARK_REQUIRE_SERVERS'] === '1';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export async function startPostgres(options: { readonly maxConnections?: number } = {}): Promise<PostgresServer> {
  const bin = findPostgres();
  if (bin === undefined) throw new Error('PostgreSQL is not installed (initdb/postgres not found)');
  const root = mkdtempSync(join(tmpdir(), 'bulwark-pg-'));
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  const sockets = join(root, 'sockets');
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(sockets, { mode: 0o755 });
  // As root, initdb and postgres run as the `postgres` user (spawned with its uid and gid, so signals
  // reach the server itself, not a wrapper).
  let user: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    user = {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
    };
    chownSync(data, user.uid, user.gid);
    chownSync(sockets, user.uid, user.gid);
  }
  const env = { ...process.env, LC_ALL: 'C' };
  execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], { stdio: 'pipe', env, cwd: root, ...user });
  const port = await freePort();
  const args = [
    '-D', data, '-p', String(port), '-k', sockets, '-h', '127.0.0.1',
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
    '-c', `max_connections=${options.maxConnections ?? 30}`, '-c', 'superuser_reserved_connections=1',
  ];
  const child: ChildProcess = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], env, cwd: root, ...user });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(root, { recursive: true, force: true });
  };
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (child.exitCode !== null || attempt > 150) {
        await stop();
        throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { host: '127.0.0.1', port, url, stop };
}
