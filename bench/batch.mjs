// Batch streaming: 1 000 000 items from an async generator; µs per item and heap growth.
import pMap from 'p-map';
import { BatchProcessor } from 'bulwark';
import { emit, median, now, withPeakHeap } from './lib.mjs';

const N = Number(process.env.BENCH_ITEMS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
async function* source() {
  for (let i = 0; i < N; i++) yield i;
}
const handler = (n) => Promise.resolve(n);

const peers = {
  'bulwark BatchProcessor (retry + progress + report)': async () => {
    const processor = new BatchProcessor({ concurrency: 5, collectResults: false, retry: { maxAttempts: 3 }, onProgress: () => {}, progressIntervalMs: 1000 });
    const report = await processor.process(source(), handler);
    if (report.succeeded !== N) throw new Error('lost items');
  },
  'bulwark BatchProcessor (no retry)': async () => {
    const processor = new BatchProcessor({ concurrency: 5, collectResults: false });
    const report = await processor.process(source(), handler);
    if (report.succeeded !== N) throw new Error('lost items');
  },
  'p-map (async iterable)': async () => {
    await pMap(source(), handler, { concurrency: 5 });
  },
};
const times = Object.fromEntries(Object.keys(peers).map((k) => [k, []]));
const growth = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(peers)) {
    const start = now();
    const { peakHeapMb } = await withPeakHeap(run);
    times[name].push(((now() - start) * 1000) / N);
    growth[name] = Math.max(growth[name] ?? 0, peakHeapMb);
  }
}
const base = median(times['p-map (async iterable)']);
emit(
  `Batch streaming (${N.toLocaleString('en')} items, async generator, concurrency 5)`,
  Object.keys(peers).map((name) => ({ name, usPerItem: +median(times[name]).toFixed(3), ratioVsPMap: +(median(times[name]) / base).toFixed(2), heapGrowthMb: +growth[name].toFixed(1) })),
  { goal: 'bulwark <= 1.5x p-map, flat heap' },
);
