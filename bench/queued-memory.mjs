// Queued memory: 1 000 000 tasks queued at once behind one blocked task; bytes per queued task
// (heap after queueing minus heap before, after a GC). One limiter per child process.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emit } from './lib.mjs';

const N = Number(process.env.BENCH_QUEUED ?? 1_000_000);
const which = process.argv[2];

if (which === undefined) {
  const rows = [];
  for (const name of ['bulwark', 'p-limit', 'p-queue']) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', fileURLToPath(import.meta.url), name], { encoding: 'utf8', env: process.env });
    rows.push(JSON.parse(out.trim().split('\n').at(-1)));
  }
  const base = rows.find((r) => r.name === 'p-limit').bytesPerTask;
  for (const row of rows) row.ratioVsPLimit = +(row.bytesPerTask / base).toFixed(2);
  emit(`Queued memory (${N.toLocaleString('en')} tasks)`, rows, { goal: 'bulwark <= 0.5x p-limit' });
} else {
  const gate = { release: undefined };
  const blocker = () => new Promise((resolve) => (gate.release = resolve));
  const task = () => 1;
  let run;
  if (which === 'bulwark') {
    const { ConcurrencyManager } = await import('bulwark');
    const m = new ConcurrencyManager({ concurrency: 1 });
    run = (fn) => m.run(fn);
  } else if (which === 'p-limit') {
    const { default: pLimit } = await import('p-limit');
    run = pLimit(1);
  } else {
    const { default: PQueue } = await import('p-queue');
    const q = new PQueue({ concurrency: 1 });
    run = (fn) => q.add(fn);
  }
  const first = run(blocker);
  await new Promise((resolve) => setImmediate(resolve));
  const promises = new Array(N);
  global.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) promises[i] = run(task);
  await new Promise((resolve) => setImmediate(resolve));
  global.gc();
  const after = process.memoryUsage().heapUsed;
  // The array of N promise references is the caller's, not the limiter's: subtract 8 B per slot.
  const bytesPerTask = Math.round((after - before) / N - 8);
  gate.release();
  await first;
  await Promise.all(promises);
  console.log(JSON.stringify({ name: which, bytesPerTask, totalMb: +((after - before) / 1048576).toFixed(0) }));
}
