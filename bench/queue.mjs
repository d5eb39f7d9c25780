// bulwark/queue: throughput of a no-op handler at concurrency 5 (MemoryJobSource: lease, pull, settle
// per job) beside p-queue running the same handler over an array, each in its own process; and the
// ack latency of a fast job that shares a pull with a slow one.
import { isolated } from './harness.mjs';

const N = Number(process.env.BENCH_JOBS ?? 50_000);
const handler = () => undefined;

if (process.argv.includes('--latency')) {
  const { MemoryJobSource, QueueProcessor } = await import('bulwark/queue');
  const { emit } = await import('./lib.mjs');
  const source = new MemoryJobSource();
  source.add(500, 'slow');
  source.add(5, 'fast');
  const worker = new QueueProcessor(source, (ms) => new Promise((resolve) => setTimeout(resolve, ms)), { concurrency: 2, batchSize: 2 });
  const acked = {};
  const t0 = performance.now();
  worker.on('acked', (e) => (acked[e.job.id] = performance.now() - t0));
  void worker.start();
  while (acked.slow === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  await worker.stop();
  emit('Queue ack latency (a 5 ms job pulled together with a 500 ms job)', [
    { job: 'fast (5 ms)', ackedAfterMs: +acked.fast.toFixed(1) },
    { job: 'slow (500 ms)', ackedAfterMs: +acked.slow.toFixed(1) },
  ], { goal: 'the fast job is acked after its own duration, not the slow one' });
} else {
  await isolated({
    name: `Queue throughput (${N.toLocaleString('en')} jobs, no-op handler, concurrency 5)`,
    file: import.meta.url,
    subjects: {
      'bulwark QueueProcessor + MemoryJobSource': async () => {
        const { MemoryJobSource, QueueProcessor } = await import('bulwark/queue');
        return async (units) => {
          const source = new MemoryJobSource();
          for (let i = 0; i < units; i++) source.add(i);
          const worker = new QueueProcessor(source, handler, { concurrency: 5, pollIntervalMs: 1 });
          let done = 0;
          let finish;
          const all = new Promise((resolve) => (finish = resolve));
          worker.on('acked', () => {
            if (++done === units) finish();
          });
          void worker.start();
          await all;
          await worker.stop();
        };
      },
      'p-queue (array of jobs)': async () => {
        const { default: PQueue } = await import('p-queue');
        return async (units) => {
          const queue = new PQueue({ concurrency: 5 });
          for (let i = 0; i < units; i++) void queue.add(() => handler(i));
          await queue.onIdle();
        };
      },
    },
    units: () => N,
    baseline: 'p-queue (array of jobs)',
    unit: 'job',
    rounds: Number(process.env.BENCH_ROUNDS ?? 3),
    notes: { note: 'bulwark leases, pulls and settles every job at its source; p-queue only runs functions' },
  });
  const { execFileSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  if (!process.argv.includes('--subject')) process.stdout.write(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--latency'], { encoding: 'utf8' }));
}
