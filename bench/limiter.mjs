// Limiter overhead: 200 000 trivially-resolving tasks at concurrency 5; ns per task (median of rounds,
// the limiters interleaved round by round so machine noise hits them alike).
import Bottleneck from 'bottleneck';
import { bulkhead } from 'cockatiel';
import pLimit from 'p-limit';
import PQueue from 'p-queue';
import { ConcurrencyManager } from 'bulwark';
import { emit, median, now, withPeakHeap } from './lib.mjs';

const N = Number(process.env.BENCH_TASKS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const task = () => Promise.resolve(1);

const peers = {
  'bulwark ConcurrencyManager': () => {
    const m = new ConcurrencyManager({ concurrency: 5 });
    return (fn) => m.run(fn);
  },
  "bulwark (reentrant: 'off')": () => {
    const m = new ConcurrencyManager({ concurrency: 5, reentrant: 'off' });
    return (fn) => m.run(fn);
  },
  'p-limit': () => pLimit(5),
  'p-queue': () => {
    const q = new PQueue({ concurrency: 5 });
    return (fn) => q.add(fn);
  },
  'cockatiel bulkhead': () => {
    const b = bulkhead(5, N);
    return (fn) => b.execute(fn);
  },
  bottleneck: () => {
    const b = new Bottleneck({ concurrency: 5 });
    return (fn) => b.schedule(fn);
  },
};
// cockatiel shifts an array per task (quadratic as the queue grows) and bottleneck schedules every job
// through a timer (about a millisecond each): fewer tasks keep their runs short. Each row says its N.
const sizes = { 'cockatiel bulkhead': Math.min(N, 50_000), bottleneck: Math.min(N, 2_000) };

const times = Object.fromEntries(Object.keys(peers).map((k) => [k, []]));
const heaps = {};
for (let round = -1; round < ROUNDS; round++) {
  for (const [name, make] of Object.entries(peers)) {
    const n = round === -1 ? Math.min(2_000, sizes[name] ?? N) : (sizes[name] ?? N); // round -1 warms up
    const run = make();
    const { value, peakHeapMb } = await withPeakHeap(async () => {
      const start = now();
      const promises = new Array(n);
      for (let i = 0; i < n; i++) promises[i] = run(task);
      await Promise.all(promises);
      return ((now() - start) * 1e6) / n;
    });
    if (round === -1) continue;
    times[name].push(value);
    heaps[name] = Math.max(heaps[name] ?? 0, peakHeapMb);
  }
}
const base = median(times['p-limit']);
emit(
  'Limiter overhead (concurrency 5)',
  Object.entries(times).map(([name, t]) => ({ name, tasks: sizes[name] ?? N, nsPerTask: Math.round(median(t)), ratioVsPLimit: +(median(t) / base).toFixed(2), peakHeapMb: +heaps[name].toFixed(1) })),
  { goal: 'bulwark <= 0.5x p-limit' },
);
