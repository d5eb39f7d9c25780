// Type-checks every ```ts block of README.md and docs/*.md (```typescript blocks are illustrative only),
// with `bulwark` and `bulwark/thumbnails` mapped to the sources, so the documentation keeps compiling.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

function blocks(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1] as string);
}

it('every ts example in the README and the guides type-checks', () => {
  const sources = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const dir = join(root, '.tmp', 'doc-examples');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const source of sources) {
    blocks(source).forEach((code, i) => {
      const name = `${source.replace(/[/.]/g, '_')}_${i}.ts`;
      writeFileSync(join(dir, name), `// from ${source}, example ${i + 1}\n${code}\nexport {};\n`);
      files.push(name);
    });
  }
  expect(files.length).toBeGreaterThanOrEqual(8);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.json',
      compilerOptions: {
        noUnusedLocals: false,
        baseUrl: '.',
        paths: { bulwark: ['../../src/index.ts'], 'bulwark/thumbnails': ['../../src/thumbnails/index.ts'] },
      },
      include: files,
    }),
  );
  let output = '';
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  } catch (error) {
    output = (error as { stdout?: string }).stdout ?? String(error);
  }
  expect(output).toBe('');
}, 60_000);
