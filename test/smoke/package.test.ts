// Packs bulwark as npm would publish it, installs the tarball into a throw-away consumer project and
// loads both entry points with ESM `import` and CJS `require`: a broken `exports` map fails here.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
let consumer: string;

function node(file: string, source: string): string {
  writeFileSync(join(consumer, file), source);
  return execFileSync(process.execPath, [file], { cwd: consumer, encoding: 'utf8' }).trim();
}

beforeAll(() => {
  consumer = mkdtempSync(join(tmpdir(), 'bulwark-consumer-'));
  // Build, then pack exactly what would be published.
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', consumer], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const packed = JSON.parse(out) as Array<{ filename: string }>;
  const filename = packed[0]?.filename ?? '';
  const target = join(consumer, 'node_modules', 'bulwark');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(consumer, filename), '-C', target, '--strip-components=1']);
  // sharp is the user's own (optional peer) dependency: link the one this repo installed.
  symlinkSync(join(root, 'node_modules', 'sharp'), join(consumer, 'node_modules', 'sharp'));
  symlinkSync(join(root, 'node_modules', '@img'), join(consumer, 'node_modules', '@img'));
  // bullmq too (bulwark/bullmq imports it; bulwark/postgres imports nothing: the pool is passed in).
  // Its own dependencies resolve from the link's real path.
  symlinkSync(join(root, 'node_modules', 'bullmq'), join(consumer, 'node_modules', 'bullmq'));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
}, 180_000);

afterAll(() => {
  rmSync(consumer, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('loads the core with ESM import and runs a retry', () => {
    const out = node(
      'esm.mjs',
      `import { retry, RetryService, ConcurrencyManager, BatchProcessor, classifiers } from 'bulwark';
       let n = 0;
       const v = await retry(() => { if (++n < 2) throw Object.assign(new Error('x'), { code: 'ECONNRESET' }); return 'ok' }, { initialDelayMs: 1 });
       console.log(v, n, typeof RetryService, typeof ConcurrencyManager, typeof BatchProcessor, typeof classifiers.network);`,
    );
    expect(out).toBe('ok 2 function function function function');
  });

  it('loads the core with CJS require', () => {
    const out = node(
      'cjs.cjs',
      `const { ConcurrencyManager, RetryExhaustedError } = require('bulwark');
       const m = new ConcurrencyManager({ concurrency: 2 });
       m.run(() => 21 * 2).then((v) => console.log(v, JSON.stringify(m.status()), new RetryExhaustedError({ attempts: 1, errors: [1], elapsedMs: 0, reason: 'max-attempts', verdict: { retriable: true, reason: 'r' } }).code));`,
    );
    expect(out).toBe('42 {"active":0,"queued":0,"concurrency":2,"borrowed":0,"timedOut":0} ERR_BULWARK_RETRY_EXHAUSTED');
  });

  it('loads bulwark/thumbnails both ways', () => {
    expect(node('thumbs.mjs', `import * as t from 'bulwark/thumbnails'; console.log(typeof t.ThumbnailManager, typeof t.MemoryStorage);`)).toBe('function function');
    expect(node('thumbs.cjs', `const t = require('bulwark/thumbnails'); console.log(typeof t.ThumbnailManager, typeof t.MemoryStorage);`)).toBe('function function');
  });

  it('loads bulwark/email and bulwark/queue both ways', () => {
    expect(node('sub.mjs', `import { createMailSender } from 'bulwark/email'; import { QueueProcessor, MemoryJobSource } from 'bulwark/queue'; console.log(typeof createMailSender, typeof QueueProcessor, typeof MemoryJobSource);`)).toBe('function function function');
    expect(node('sub.cjs', `const { createMailSender } = require('bulwark/email'); const { QueueProcessor } = require('bulwark/queue'); console.log(typeof createMailSender, typeof QueueProcessor);`)).toBe('function function');
  });

  it('loads bulwark/postgres and bulwark/bullmq both ways, neither reaching sharp', () => {
    const probe = `console.log(typeof p.PostgresRepository, typeof p.postgresSchema, typeof b.classifiedProcessor, typeof b.bulwarkBackoff, Object.keys(r.cache).some((k) => k.includes('sharp')));`;
    expect(node('pgb.mjs', `import * as p from 'bulwark/postgres'; import * as b from 'bulwark/bullmq'; import { createRequire } from 'node:module'; const r = createRequire(import.meta.url); ${probe}`)).toBe('function function function function false');
    expect(node('pgb.cjs', `const p = require('bulwark/postgres'); const b = require('bulwark/bullmq'); const r = require; ${probe}`)).toBe('function function function function false');
  });

  it('does not load sharp when only the core is imported', () => {
    const out = node('nosharp.mjs', `import 'bulwark'; import { createRequire } from 'node:module'; const r = createRequire(import.meta.url); console.log(Object.keys(r.cache).some((k) => k.includes('sharp')));`);
    expect(out).toBe('false');
  });
});
