// Limiter overhead at concurrency 5, each limiter in its own process: a burst (N tasks queued at once)
// and a shallow queue (waves of 1000 tasks, each wave awaited), CPU ns per task.
import { isolated } from './harness.mjs';

const N = Number(process.env.BENCH_TASKS ?? 200_000);
const task = () => Promise.resolve(1);
const mode = process.env.BENCH_LIMITER_MODE ?? (process.argv.includes('--shallow') ? 'shallow' : 'burst');

async function drive(run, units) {
  if (mode === 'burst') {
    const promises = new Array(units);
    for (let i = 0; i < units; i++) promises[i] = run(task);
    await Promise.all(promises);
    return;
  }
  for (let done = 0; done < units; done += 1000) {
    const wave = new Array(Math.min(1000, units - done));
    for (let i = 0; i < wave.length; i++) wave[i] = run(task);
    await Promise.all(wave);
  }
}

const subjects = {
  'bulwark ConcurrencyManager': async () => {
    const { ConcurrencyManager } = await import('bulwark');
    const m = new ConcurrencyManager({ concurrency: 5 });
    return (units) => drive((fn) => m.run(fn), units);
  },
  'p-limit': async () => {
    const { default: pLimit } = await import('p-limit');
    const limit = pLimit(5);
    return (units) => drive(limit, units);
  },
  'p-queue': async () => {
    const { default: PQueue } = await import('p-queue');
    const q = new PQueue({ concurrency: 5 });
    return (units) => drive((fn) => q.add(fn), units);
  },
  'cockatiel bulkhead': async () => {
    const { bulkhead } = await import('cockatiel');
    const b = bulkhead(5, N);
    return (units) => drive((fn) => b.execute(fn), units);
  },
};
// cockatiel shifts an array per task (quadratic as its queue grows): fewer tasks keep its runs short.
const sizes = { 'cockatiel bulkhead': Math.min(N, 50_000) };

await isolated({
  name: mode === 'burst' ? `Limiter burst (${N.toLocaleString('en')} tasks queued at once, concurrency 5)` : `Limiter shallow queue (waves of 1000, ${N.toLocaleString('en')} tasks, concurrency 5)`,
  file: import.meta.url,
  subjects,
  units: (name) => sizes[name] ?? N,
  baseline: 'p-limit',
  unit: 'task',
  notes: { goal: mode === 'burst' ? 'bulwark <= 0.5x p-limit (CPU)' : 'bulwark <= 1.0x p-limit (CPU)' },
});
