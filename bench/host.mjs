// bulwark must not tax its host: a plain `await` loop timed in one process before and after using
// every primitive with its defaults (and, for contrast, after `reentrant: 'detect'`, which turns on
// promise hooks for the whole process on purpose). Run in a fresh process per case.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emit, median } from './lib.mjs';

const LOOP = Number(process.env.BENCH_AWAITS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_HOST_ROUNDS ?? 5);

async function awaitLoop() {
  const c0 = process.cpuUsage();
  for (let i = 0; i < LOOP; i++) await null;
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / LOOP;
}

const mode = process.argv[2];
if (mode === undefined) {
  const rows = [];
  for (const which of ['defaults', 'detect']) {
    const ratios = [];
    let before = 0;
    let after = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const out = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), which], { encoding: 'utf8' }).trim());
      ratios.push(out.after / out.before);
      before = out.before;
      after = out.after;
    }
    rows.push({ case: which === 'defaults' ? 'every primitive, default options' : "ConcurrencyManager({ reentrant: 'detect' })", awaitNsBefore: +before.toFixed(1), awaitNsAfter: +after.toFixed(1), ratioMedian: +median(ratios).toFixed(2) });
  }
  emit(`Host cost: a plain await loop (${LOOP.toLocaleString('en')} awaits) before and after using bulwark, same process`, rows, { goal: 'defaults within 10 % (ratio <= 1.10)' });
} else {
  const { BatchProcessor, ConcurrencyManager, RetryService, retry } = await import('bulwark');
  for (let i = 0; i < 3; i++) await awaitLoop(); // warm-up
  const before = await awaitLoop();
  if (mode === 'defaults') {
    const limiter = new ConcurrencyManager();
    await Promise.all(Array.from({ length: 100 }, (_, i) => limiter.run(({ run }) => (i % 10 === 0 ? run(() => i) : i))));
    await retry(() => 1);
    await new RetryService().execute(() => 1);
    await new BatchProcessor({ retry: {} }).process([1, 2, 3], async (n) => n);
    for await (const outcome of new BatchProcessor().stream([1, 2], async (n) => n)) void outcome;
  } else {
    await new ConcurrencyManager({ reentrant: 'detect' }).run(() => 1);
  }
  const after = await awaitLoop();
  console.log(JSON.stringify({ before, after }));
}
