// Real servers on free localhost ports in temporary directories, for the tests, the distributed
// example and its benchmark: PostgreSQL (Debian's package: initdb + postgres, run as the `postgres`
// user when we are root, since PostgreSQL refuses root) and Redis (`redis-server`). Each `start…`
// returns `{ host, port, url, stop() }`; `stop()` shuts the server down and deletes its directory.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** @returns {string | undefined} the directory holding initdb and postgres */
export function findPostgres() {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

/** @returns {string | undefined} the redis-server binary */
export function findRedis() {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
}

/** @returns {Promise<number>} a port free on 127.0.0.1 right now */
export function freePort() {
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

/** Resolves once something accepts TCP connections on the port (or rejects after `ms`). */
async function listening(port, ms, exited) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (exited()) throw new Error('the server exited');
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * @param {{ maxConnections?: number }} [options]
 * @returns {Promise<{ host: string, port: number, url: string, stop(): Promise<void> }>}
 */
export async function startPostgres(options = {}) {
  const bin = findPostgres();
  if (bin === undefined) throw new Error('PostgreSQL is not installed (initdb/postgres not found)');
  const root = mkdtempSync(join(tmpdir(), 'bulwark-pg-'));
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  const sockets = join(root, 'sockets');
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(sockets, { mode: 0o755 });
  // As root, initdb and postgres run as `postgres` (spawned with its uid and gid: signals reach the server itself).
  let user = {};
  if (process.getuid?.() === 0) {
    user = { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) };
    chownSync(data, user.uid, user.gid);
    chownSync(sockets, user.uid, user.gid);
  }
  const env = { ...process.env, LC_ALL: 'C' };
  execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], { stdio: 'pipe', env, cwd: root, ...user });
  const port = await freePort();
  const args = ['-D', data, '-p', String(port), '-k', sockets, '-h', '127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', `max_connections=${options.maxConnections ?? 30}`, '-c', 'superuser_reserved_connections=1'];
  const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], env, cwd: root, ...user });
  let log = '';
  child.stderr.on('data', (chunk) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await listening(port, 15_000, () => child.exitCode !== null);
    // Accepting TCP is not accepting queries yet: wait for the startup to finish.
    for (let i = 0; i < 100 && !log.includes('ready to accept connections'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  } catch (error) {
    await stop();
    throw new Error(`PostgreSQL did not start: ${error.message}\n${log}`);
  }
  return { host: '127.0.0.1', port, url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
}

/** @returns {Promise<{ host: string, port: number, url: string, stop(): Promise<void> }>} */
export async function startRedis() {
  const bin = findRedis();
  if (bin === undefined) throw new Error('redis-server is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-redis-'));
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const onData = (chunk) => (log = (log + chunk.toString()).slice(-4000));
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await listening(port, 15_000, () => child.exitCode !== null);
  } catch (error) {
    await stop();
    throw new Error(`redis-server did not start: ${error.message}\n${log}`);
  }
  return { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}`, stop };
}
