// Batch processing per item, each library in its own process: items from an async generator at
// concurrency 5, at 10 000, 100 000 and 1 000 000 items (BENCH_ITEMS picks one size).
import { isolated } from './harness.mjs';

const items = () => Number(process.env.BENCH_ITEMS);
async function* source(n) {
  for (let i = 0; i < n; i++) yield i;
}
const handler = (n) => Promise.resolve(n);

const subjects = {
  'bulwark BatchProcessor': async () => {
    const { BatchProcessor } = await import('bulwark');
    const processor = new BatchProcessor({ concurrency: 5, collectResults: false });
    return async (n) => {
      const report = await processor.process(source(n), handler);
      if (report.succeeded !== n) throw new Error('lost items');
    };
  },
  'bulwark BatchProcessor (retry + progress)': async () => {
    const { BatchProcessor } = await import('bulwark');
    const processor = new BatchProcessor({ concurrency: 5, collectResults: false, retry: { maxAttempts: 3 }, onProgress: () => {}, progressIntervalMs: 1000 });
    return async (n) => {
      const report = await processor.process(source(n), handler);
      if (report.succeeded !== n) throw new Error('lost items');
    };
  },
  'p-map': async () => {
    const { default: pMap } = await import('p-map');
    return async (n) => {
      await pMap(source(n), handler, { concurrency: 5 });
    };
  },
};

const sizes = process.env.BENCH_ITEMS === undefined ? [10_000, 100_000, 1_000_000] : [items()];
const subjectArg = process.argv.includes('--subject');
for (const size of subjectArg ? [items()] : sizes) {
  process.env.BENCH_ITEMS = String(size);
  await isolated({
    name: `Batch (${size.toLocaleString('en')} items from an async generator, concurrency 5)`,
    file: import.meta.url,
    subjects,
    units: () => size,
    baseline: 'p-map',
    unit: 'item',
    rounds: Number(process.env.BENCH_ROUNDS ?? (size >= 1_000_000 ? 3 : 5)),
    // A 10 000-item batch lasts ~10 ms: measure 50 of them back to back (each a whole batch).
    repeat: Math.max(1, Math.min(50, Math.floor(500_000 / size))),
    notes: { goal: 'bulwark <= 1.2x p-map (CPU)' },
  });
}
