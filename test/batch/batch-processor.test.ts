import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  BatchProcessor,
  ConcurrencyManager,
  RetryExhaustedError,
  RetryService,
  type BatchProgress,
  type BatchSummary,
  type ItemOutcome,
} from '../../src/index.js';
import { flush } from '../helpers/deferred.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

const errno = (code: string): Error => Object.assign(new Error(code), { code });
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('BatchProcessor.process', () => {
  it('processes every item and returns results in input order', async () => {
    const processor = new BatchProcessor({ concurrency: 3 });
    const report = await processor.process(range(20), async (n, { index }) => {
      await new Promise((resolve) => setTimeout(resolve, (n * 7) % 5)); // finish out of order
      expect(index).toBe(n);
      return n * n;
    });
    expect(report.results).toEqual(range(20).map((n) => n * n));
    expect(report).toMatchObject({ total: 20, succeeded: 20, failed: [], notProcessed: [], attempts: 20, batches: 1, aborted: false, stoppedOnError: false });
  });

  it('never runs more than `concurrency` handlers at once', async () => {
    let running = 0;
    let peak = 0;
    await new BatchProcessor({ concurrency: 4 }).process(range(50), async () => {
      running++;
      peak = Math.max(peak, running);
      await flush();
      running--;
    });
    expect(peak).toBe(4);
  });

  it('continues on error by default and reports each failure with item, index, error, attempts, verdict', async () => {
    const retry = new RetryService({ maxAttempts: 2, initialDelayMs: 0 });
    const enoent = errno('ENOENT');
    const report = await new BatchProcessor({ concurrency: 2, retry }).process(['a', 'missing', 'b', 'flaky', 'c'], async (item, { attempt }) => {
      if (item === 'missing') throw enoent;
      if (item === 'flaky') throw errno('EBUSY');
      return `${item}@${attempt}`;
    });
    expect(report.succeeded).toBe(3);
    expect(report.results).toEqual(['a@1', undefined, 'b@1', undefined, 'c@1']);
    const byItem = Object.fromEntries(report.failed.map((f) => [f.item, f]));
    expect(byItem['missing']).toEqual({ item: 'missing', index: 1, error: enoent, attempts: 1, verdict: { retriable: false, reason: 'file-system ENOENT' } });
    expect(byItem['flaky']?.index).toBe(3);
    expect(byItem['flaky']?.attempts).toBe(2);
    expect(byItem['flaky']?.error).toBeInstanceOf(RetryExhaustedError);
    expect(byItem['flaky']?.verdict).toEqual({ retriable: true, reason: 'file-system EBUSY' });
    expect(report.attempts).toBe(1 + 1 + 1 + 2 + 1);
  });

  it('stopOnError stops taking items and reports the rest as not processed', async () => {
    const seen: number[] = [];
    const report = await new BatchProcessor({ concurrency: 1, stopOnError: true }).process(range(10), async (n) => {
      seen.push(n);
      if (n === 3) throw new Error('bad item');
    });
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(report.succeeded).toBe(3);
    expect(report.failed.map((f) => f.index)).toEqual([3]);
    expect(report.notProcessed.map((n) => n.index)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(report.total).toBe(10);
    expect(report.stoppedOnError).toBe(true);
  });

  it('an abort stops taking items, lets in-flight ones finish, and loses nothing from the report', async () => {
    const controller = new AbortController();
    const report = await new BatchProcessor({ concurrency: 2 }).process(
      range(100),
      async (n) => {
        if (n === 9) controller.abort(new Error('deploy'));
        await flush();
        return n;
      },
      { signal: controller.signal },
    );
    expect(report.aborted).toBe(true);
    expect(report.total).toBe(100);
    expect(report.succeeded + report.failed.length + report.notProcessed.length).toBe(100);
    expect(report.succeeded).toBe(10); // 0..9 were started before the abort took effect
    expect(report.notProcessed[0]?.index).toBe(10);
  });

  it('pulls from an endless generator without materialising it (read-ahead bounded by concurrency)', async () => {
    let produced = 0;
    let closed = false;
    let completed = 0;
    async function* endless(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) {
          produced++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const controller = new AbortController();
    let maxReadAhead = 0;
    const report = await new BatchProcessor({ concurrency: 5, collectResults: false }).process(
      endless(),
      async () => {
        maxReadAhead = Math.max(maxReadAhead, produced - completed);
        await Promise.resolve();
        if (++completed === 20_000) controller.abort();
      },
      { signal: controller.signal },
    );
    expect(maxReadAhead).toBeLessThanOrEqual(5);
    expect(closed).toBe(true);
    expect(report.results).toEqual([]);
    expect(report.total).toBe(report.succeeded + report.notProcessed.length);
    expect(report.succeeded).toBeGreaterThanOrEqual(20_000);
    expect(report.succeeded).toBeLessThan(20_005);
  });

  it('reports progress with counts, percent, rate and ETA from the injected clock', async () => {
    let now = 0;
    const clock = { now: () => now, setTimeout, clearTimeout };
    const progress: BatchProgress[] = [];
    await new BatchProcessor({ concurrency: 1, clock, progressIntervalMs: 2000, onProgress: (p) => progress.push(p) }).process(range(4), async (n) => {
      now += 1000;
      if (n === 1) throw new Error('x');
    });
    // Items end at t=1000 (first call: throttle starts empty), 2000 (<2000 since last), 3000 (emit), 4000 (<2000), final.
    expect(progress).toEqual([
      { completed: 1, failed: 0, total: 4, percent: 25, ratePerSecond: 1, etaMs: 3000 },
      { completed: 3, failed: 1, total: 4, percent: 75, ratePerSecond: 1, etaMs: 1000 },
      { completed: 4, failed: 1, total: 4, percent: 100, ratePerSecond: 1, etaMs: 0 },
    ]);
  });

  it('calls onBatchComplete once per batch with its counts', async () => {
    const summaries: BatchSummary[] = [];
    const report = await new BatchProcessor({ concurrency: 3, batchSize: 4, onBatchComplete: (s) => summaries.push(s) }).process(range(10), async (n) => {
      await flush();
      if (n % 5 === 0) throw new Error(`${n}`);
    });
    expect(report.batches).toBe(3);
    expect(summaries.sort((a, b) => a.batchIndex - b.batchIndex)).toEqual([
      { batchIndex: 0, size: 4, succeeded: 3, failed: 1 },
      { batchIndex: 1, size: 4, succeeded: 3, failed: 1 },
      { batchIndex: 2, size: 2, succeeded: 2, failed: 0 },
    ]);
  });

  it('shares a ConcurrencyManager limit across processors', async () => {
    const manager = new ConcurrencyManager({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    const handler = async (): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      await flush();
      running--;
    };
    const [a, b] = await Promise.all([
      new BatchProcessor({ concurrency: manager }).process(range(30), handler),
      new BatchProcessor({ concurrency: manager }).process(range(30), handler),
    ]);
    expect(peak).toBe(3);
    expect(a.succeeded + b.succeeded).toBe(60);
  });

  it('validates its options with the usual message', async () => {
    expect(() => new BatchProcessor({ concurrency: 0 })).toThrow('Expected `concurrency` to be an integer >= 1 or Infinity, got `0` (number)');
    expect(() => new BatchProcessor({ batchSize: 1.5 })).toThrow('Expected `batchSize` to be an integer >= 1, got `1.5` (number)');
    const p = new BatchProcessor();
    await expect(p.process(42 as unknown as number[], () => 1)).rejects.toThrow('Expected `items` to be an Iterable or AsyncIterable, got `42` (number)');
    await expect(p.process([1], 'x' as unknown as () => void)).rejects.toThrow('Expected `handler` to be a function');
  });
});

describe('BatchProcessor.processBatches', () => {
  it('hands batches to the handler and maps results back to items', async () => {
    const calls: Array<{ items: readonly number[]; firstIndex: number; batchIndex: number }> = [];
    const report = await new BatchProcessor({ batchSize: 4, concurrency: 2 }).processBatches(range(10), async (items, { firstIndex, batchIndex }) => {
      calls.push({ items, firstIndex, batchIndex });
      if (batchIndex === 1) throw new Error('bulk insert failed');
      return items.map((n) => n * 10);
    });
    expect(calls.map((c) => c.items)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(report.succeeded).toBe(6);
    expect(report.failed.map((f) => f.index)).toEqual([4, 5, 6, 7]);
    expect(report.results).toEqual([0, 10, 20, 30, undefined, undefined, undefined, undefined, 80, 90]);
  });

  it('retries a failing batch as a whole', async () => {
    let calls = 0;
    const report = await new BatchProcessor({ batchSize: 5, retry: { initialDelayMs: 0, maxAttempts: 3 } }).processBatches(range(5), async () => {
      if (++calls < 3) throw errno('40001');
    });
    expect(calls).toBe(3);
    expect(report.succeeded).toBe(5);
    expect(report.attempts).toBe(3);
  });
});

describe('BatchProcessor.stream', () => {
  it('yields every outcome as it completes', async () => {
    const outcomes: ItemOutcome<number, number>[] = [];
    for await (const outcome of new BatchProcessor({ concurrency: 2 }).stream(range(6), async (n) => {
      if (n === 2) throw new Error('two');
      return n + 1;
    })) {
      outcomes.push(outcome);
    }
    expect(outcomes).toHaveLength(6);
    expect(outcomes.filter((o) => o.status === 'succeeded').map((o) => (o.status === 'succeeded' ? o.value : 0)).sort()).toEqual([1, 2, 4, 5, 6]);
    expect(outcomes.find((o) => o.status === 'failed')).toMatchObject({ index: 2, item: 2 });
  });

  it('breaking out stops the run: no handler starts afterwards', async () => {
    const handler = vi.fn(async (n: number) => n);
    let count = 0;
    for await (const outcome of new BatchProcessor({ concurrency: 2, batchSize: 4 }).stream(range(10_000), handler)) {
      void outcome;
      if (++count === 10) break;
    }
    const calls = handler.mock.calls.length;
    await flush();
    expect(handler.mock.calls.length).toBe(calls);
    expect(calls).toBeLessThan(30);
  });
});

describe('BatchProcessor: accounting property', () => {
  it('succeeded + failed + notProcessed === total, each index exactly once, under random failures and aborts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { maxLength: 60 }),
        fc.option(fc.nat({ max: 60 })),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.boolean(),
        async (fails, abortAt, concurrency, stopOnError, asGenerator) => {
          const controller = new AbortController();
          const items = fails.map((_, i) => i);
          async function* gen(): AsyncGenerator<number> {
            yield* items;
          }
          let started = 0;
          const report = await new BatchProcessor({ concurrency, stopOnError, batchSize: 7 }).process(
            asGenerator ? gen() : items,
            async (i) => {
              if (abortAt !== null && started++ === abortAt) controller.abort();
              await Promise.resolve();
              if (fails[i]) throw new Error(`fail ${i}`);
              return i;
            },
            { signal: controller.signal },
          );
          expect(report.succeeded + report.failed.length + report.notProcessed.length).toBe(report.total);
          const indices = [...report.failed.map((f) => f.index), ...report.notProcessed.map((n) => n.index), ...report.results.flatMap((r, i) => (r === undefined ? [] : [i]))];
          expect(new Set(indices).size).toBe(indices.length);
          expect(indices.length).toBe(report.total);
          if (!asGenerator) expect(report.total).toBe(items.length);
          if (abortAt === null && !stopOnError) {
            expect(report.total).toBe(items.length);
            expect(report.failed.map((f) => f.index).sort((a, b) => a - b)).toEqual(items.filter((i) => fails[i]));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
