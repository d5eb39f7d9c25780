// A backoff wait that holds no slot: 100 items of 20 ms work at concurrency 5, 30 % of them failing
// once and retried after 1 s. Wall time and throughput (real timers: this is about waiting, not CPU).
import { BatchProcessor, retry } from 'bulwark';
import pMap from 'p-map';
import pRetry from 'p-retry';
import { emit, now } from './lib.mjs';

const ITEMS = Number(process.env.BENCH_BACKOFF_ITEMS ?? 100);
const WORK_MS = 20;
const DELAY_MS = Number(process.env.BENCH_BACKOFF_DELAY_MS ?? 1000);
const flaky = new Set(Array.from({ length: ITEMS }, (_, i) => i).filter((i) => (i * 7) % 10 < 3)); // 30 %, spread out
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const busy = () => Object.assign(new Error('busy'), { code: 'EBUSY' });

function work() {
  const failedOnce = new Set();
  return async (i) => {
    await sleep(WORK_MS);
    if (flaky.has(i) && !failedOnce.has(i)) {
      failedOnce.add(i);
      throw busy();
    }
    return i;
  };
}

const ids = Array.from({ length: ITEMS }, (_, i) => i);
const subjects = {
  'bulwark BatchProcessor, retry option (the backoff frees the slot)': async () => {
    const report = await new BatchProcessor({ concurrency: 5, retry: { initialDelayMs: DELAY_MS, jitter: 'none' } }).process(ids, work());
    if (report.succeeded !== ITEMS) throw new Error('lost items');
  },
  'bulwark BatchProcessor, retry() inside the handler (the backoff holds the slot)': async () => {
    const run = work();
    const report = await new BatchProcessor({ concurrency: 5 }).process(ids, (i) => retry(() => run(i), { initialDelayMs: DELAY_MS, jitter: 'none' }));
    if (report.succeeded !== ITEMS) throw new Error('lost items');
  },
  'p-map + p-retry (the backoff holds the slot)': async () => {
    const run = work();
    await pMap(ids, (i) => pRetry(() => run(i), { retries: 2, minTimeout: DELAY_MS, factor: 2, randomize: false }), { concurrency: 5 });
  },
};
const rows = [];
for (const [name, run] of Object.entries(subjects)) {
  const start = now();
  await run();
  const seconds = (now() - start) / 1000;
  rows.push({ name, seconds: +seconds.toFixed(2), itemsPerSecond: +(ITEMS / seconds).toFixed(1) });
}
const freed = rows[0].seconds;
for (const row of rows) row.speedup = +(row.seconds / freed).toFixed(2);
emit(`Retry backoff and slots (${ITEMS} items × ${WORK_MS} ms, concurrency 5, 30 % retried once after ${DELAY_MS} ms)`, rows, {
  ideal: `${((ITEMS * WORK_MS) / 5 / 1000 + DELAY_MS / 1000 + (WORK_MS / 1000)).toFixed(2)} s (all work in parallel plus one backoff)`,
});
