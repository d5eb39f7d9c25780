// Bundle size: min+gzip (esbuild) of the whole core, of `retry` alone and of `ConcurrencyManager`
// alone (tree-shaken), next to the peers a user would pick instead.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { emit } from './lib.mjs';

async function size(contents) {
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
    treeShaking: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

const cases = {
  'bulwark core (everything)': "export * from 'bulwark';",
  'bulwark retry only': "export { retry } from 'bulwark';",
  'bulwark ConcurrencyManager only': "export { ConcurrencyManager } from 'bulwark';",
  'bulwark BatchProcessor only': "export { BatchProcessor } from 'bulwark';",
  'bulwark CircuitBreaker only': "export { CircuitBreaker } from 'bulwark';",
  'p-retry': "export * from 'p-retry'; export { default } from 'p-retry';",
  'p-limit': "export { default } from 'p-limit';",
  'p-queue': "export { default } from 'p-queue';",
  cockatiel: "export * from 'cockatiel';",
};
const rows = [];
for (const [name, contents] of Object.entries(cases)) rows.push({ name, ...(await size(contents)), gzipKb: 0 });
for (const row of rows) row.gzipKb = +(row.gzipBytes / 1000).toFixed(2);
emit('Bundle size (esbuild, minified, gzip -9)', rows, { goals: 'retry <= 2.5 kB, ConcurrencyManager <= 2.5 kB, BatchProcessor <= 6 kB, CircuitBreaker <= 2 kB (not met: see the README)' });
