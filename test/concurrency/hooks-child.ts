// Run by host-cost.test.ts in a fresh process (bundled with esbuild): uses every primitive with its
// defaults, then reports whether promise hooks got switched on for the whole process.
import { executionAsyncId } from 'node:async_hooks';
import { BatchProcessor, ConcurrencyManager, RetryService, retry } from '../../src/index.js';

async function hooksOn(): Promise<boolean> {
  const before = executionAsyncId();
  await null;
  return executionAsyncId() !== before;
}

const before = await hooksOn();
const limiter = new ConcurrencyManager({ concurrency: 2 });
await Promise.all(Array.from({ length: 20 }, (_, i) => limiter.run(async ({ run }) => (i % 5 === 0 ? run(() => i) : i))));
await retry(async ({ attempt }) => (attempt < 2 ? Promise.reject(Object.assign(new Error('x'), { code: 'ECONNRESET' })) : 1), { initialDelayMs: 0 });
await new RetryService().execute(() => 1);
await new BatchProcessor({ concurrency: 3, retry: { initialDelayMs: 0 } }).process([1, 2, 3, 4], async (n) => n);
for await (const outcome of new BatchProcessor({ concurrency: 2 }).stream([1, 2, 3], async (n) => n)) void outcome;
const after = await hooksOn();
process.stdout.write(JSON.stringify({ before, after }));
