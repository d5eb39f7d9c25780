// Bundle size: min+gzip (esbuild) of the whole core, of `retry` alone and of `ConcurrencyManager`
// alone (tree-shaken), next to the peers a user would pick instead.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { emit } from './lib.mjs';

async function size(contents, stubs = {}) {
  // Replaces whole source modules (matched by path suffix) with minimal stand-ins: what is left is
  // what the rest costs.
  const stub = {
    name: 'stub',
    setup(b) {
      for (const [suffix, body] of Object.entries(stubs)) {
        b.onLoad({ filter: new RegExp(`${suffix.replace(/[./]/g, '\\$&')}$`) }, () => ({ contents: body, loader: 'ts' }));
      }
    },
  };
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    plugins: [stub],
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
emit('Bundle size (esbuild, minified, gzip -9)', rows, { goals: 'retry <= 2.5 kB, ConcurrencyManager <= 2.5 kB (3.5 kB with rate limiting, issue #15), BatchProcessor <= 6 kB, CircuitBreaker <= 2 kB (not met: below the floors in the breakdown, see the README)' });

// Where the bytes go (built from src/): each export alone, then without the default classifier's
// tables (a classifier that knows nothing), then also without option validation and its messages.
// What remains is the primitive itself: the floor any compact default or terser errors could reach.
const NO_CLASSIFIER = { 'src/classifiers/index.ts': 'export const defaultClassifier = () => undefined; export const classifiers = {};' };
const NO_VALIDATION = {
  ...NO_CLASSIFIER,
  'src/internal/validate.ts': 'const id = (_n, v) => v; export const integer = id, number = id, oneOf = id, optionalBoolean = id, optionalFunction = id, optionalNumber = id, optionalSignal = id, optionalInteger = id, positiveInteger = id, verdictOption = id, clockOption = (v) => v, knownOptions = () => {};',
  'src/errors/invalid-option-error.ts': 'export class InvalidOptionError extends Error {}',
};
const breakdown = [];
for (const name of ['retry', 'CircuitBreaker', 'ConcurrencyManager', 'BatchProcessor']) {
  const contents = `export { ${name} } from './src/index.ts';`;
  const whole = await size(contents);
  const noClassifier = await size(contents, NO_CLASSIFIER);
  const bare = await size(contents, NO_VALIDATION);
  breakdown.push({ name, gzipKb: +(whole.gzipBytes / 1000).toFixed(2), withoutDefaultClassifierKb: +(noClassifier.gzipBytes / 1000).toFixed(2), withoutClassifierAndValidationKb: +(bare.gzipBytes / 1000).toFixed(2) });
}
emit('Bundle size breakdown (from src/, min + gzip)', breakdown, { note: 'what each export costs without the default classifier, then also without option validation: the floor of the primitive itself' });
