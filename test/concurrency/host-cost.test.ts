import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('bulwark does not tax its host', () => {
  // With promise hooks on, every `await` in the process pays for them, for good (measured on Node 20:
  // a plain await loop 3.5x slower). AsyncLocalStorage.run switches them on; default options must not.
  it('using every primitive with its defaults leaves promise hooks off for the whole process', async () => {
    const out = resolve(here, '../../.tmp/hooks-child.mjs');
    await build({ entryPoints: [resolve(here, 'hooks-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'silent' });
    const result = JSON.parse(execFileSync(process.execPath, [out], { encoding: 'utf8' })) as { before: boolean; after: boolean };
    expect(result).toEqual({ before: false, after: false });
  });

  it("the probe itself sees hooks switched on (reentrant: 'detect' does, on purpose)", async () => {
    const out = resolve(here, '../../.tmp/hooks-probe.mjs');
    await build({
      stdin: {
        contents: `import { executionAsyncId } from 'node:async_hooks';
          import { ConcurrencyManager } from './src/index.ts';
          const probe = async () => { const a = executionAsyncId(); await null; return executionAsyncId() !== a; };
          const before = await probe();
          await new ConcurrencyManager({ reentrant: 'detect' }).run(() => 1);
          process.stdout.write(JSON.stringify({ before, after: await probe() }));`,
        resolveDir: resolve(here, '../..'),
        loader: 'ts',
      },
      bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'silent',
    });
    expect(JSON.parse(execFileSync(process.execPath, [out], { encoding: 'utf8' }))).toEqual({ before: false, after: true });
  });
});
