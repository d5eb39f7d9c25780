// One test per BatchProcessor promise that 0.1 broke, then a model-based test of process and stream.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchProcessor, ConcurrencyManager, type ItemOutcome } from '../../src/index.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();
afterEach(() => {
  vi.useRealTimers();
});

const tick = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
const transient = (): Error => Object.assign(new Error('busy'), { code: 'EBUSY' });

describe('stream()', () => {
  it('never deadlocks with several producers blocked on a full buffer', async () => {
    const processor = new BatchProcessor({ concurrency: 5, batchSize: 1 });
    const seen: number[] = [];
    for await (const outcome of processor.stream(Array.from({ length: 40 }, (_, i) => i), async (n) => n)) {
      await tick(); // a slow consumer
      if (outcome.status === 'succeeded') seen.push(outcome.value);
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('breaking out stops the workers, settles in-flight items and returns', async () => {
    const processor = new BatchProcessor({ concurrency: 3, batchSize: 2 });
    const started: number[] = [];
    const finished: number[] = [];
    for await (const outcome of processor.stream(Array.from({ length: 100 }, (_, i) => i), async (n) => {
      started.push(n);
      await tick();
      await tick();
      finished.push(n);
      return n;
    })) {
      void outcome;
      break;
    }
    // Returned only after every started item ended; nothing starts afterwards.
    expect(finished.sort()).toEqual(started.sort());
    const count = started.length;
    await tick();
    await tick();
    expect(started.length).toBe(count);
    expect(count).toBeLessThan(20);
  });
});

describe('hooks cannot corrupt the report', () => {
  it('a throwing onProgress never double-counts or loses the report (0.1: 4 items gave 6 outcomes)', async () => {
    const errors: string[] = [];
    const processor = new BatchProcessor({ concurrency: 2, progressIntervalMs: 0, onProgress: () => { throw new Error('progress bar broke'); }, onHookError: (_e, hook) => errors.push(hook) });
    const report = await processor.process([1, 2, 3, 4], async (n) => n * 2);
    expect(report).toMatchObject({ total: 4, succeeded: 4, failed: [], notProcessed: [], results: [2, 4, 6, 8] });
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(new Set(errors)).toEqual(new Set(['onProgress']));
  });

  it('a throwing onBatchComplete neither fails items nor rejects process()', async () => {
    const processor = new BatchProcessor({ concurrency: 2, batchSize: 2, onBatchComplete: () => { throw new Error('x'); }, onHookError: () => undefined });
    const report = await processor.process([1, 2, 3, 4, 5], async (n) => n);
    expect(report).toMatchObject({ total: 5, succeeded: 5, failed: [] });
  });

  it('the last partial batch of an iterable gets its onBatchComplete', async () => {
    async function* ids(): AsyncGenerator<number> {
      for (let i = 0; i < 250; i++) yield i;
    }
    const summaries: Array<{ batchIndex: number; size: number }> = [];
    const processor = new BatchProcessor({ concurrency: 4, batchSize: 100, onBatchComplete: ({ batchIndex, size }) => summaries.push({ batchIndex, size }) });
    await processor.process(ids(), async (n) => n);
    expect(summaries.sort((a, b) => a.batchIndex - b.batchIndex)).toEqual([{ batchIndex: 0, size: 100 }, { batchIndex: 1, size: 100 }, { batchIndex: 2, size: 50 }]);
  });
});

describe('workers', () => {
  it('never more workers than items: concurrency 1e7 or Infinity over 10 items (0.1 hung / ran out of memory)', async () => {
    for (const concurrency of [1e7, Infinity]) {
      const report = await new BatchProcessor({ concurrency }).process(Array.from({ length: 10 }, (_, i) => i), async (n) => n);
      expect(report.succeeded).toBe(10);
    }
    async function* three(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      yield 3;
    }
    expect((await new BatchProcessor({ concurrency: 1e8 }).process(three(), async (n) => n)).succeeded).toBe(3);
  });

  it("raising a shared manager's limit raises the batch's parallelism", async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    let running = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const done = new BatchProcessor({ concurrency: manager }).process(Array.from({ length: 12 }, (_, i) => i), async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
    });
    await tick();
    expect(running).toBe(1);
    manager.concurrency = 4;
    for (let i = 0; i < 20 && running < 4; i++) {
      gates.shift()?.();
      await tick();
    }
    expect(running).toBe(4);
    while (gates.length > 0 || running > 0) {
      gates.splice(0).forEach((open) => open());
      await tick();
    }
    await done;
    expect(peak).toBe(4);
  });
});

describe('a backoff does not hold a slot', () => {
  it('an item waiting to retry gives its slot to the next item and takes one again, ahead of new items, when its delay ends', async () => {
    vi.useFakeTimers();
    const log: string[] = [];
    const t0 = Date.now();
    let aCalls = 0;
    const processor = new BatchProcessor({ concurrency: 1, retry: { initialDelayMs: 1000, jitter: 'none' } });
    const promise = processor.process(['a', 'b', 'c'], async (item) => {
      log.push(`${item} at ${Date.now() - t0}`);
      if (item === 'a' && ++aCalls === 1) throw transient();
      return item;
    });
    const start = 0;
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual([`a at ${start}`, `b at ${start}`, `c at ${start}`]);
    await vi.advanceTimersByTimeAsync(1000);
    const report = await promise;
    expect(log).toEqual([`a at ${start}`, `b at ${start}`, `c at ${start}`, `a at ${start + 1000}`]);
    expect(report).toMatchObject({ succeeded: 3, attempts: 4, results: ['a', 'b', 'c'] });
  });
});

describe('BatchProcessor: model', () => {
  type Plan = { readonly outcome: 'ok' | 'fail' | 'flaky'; readonly ticks: number };
  it('every item ends exactly once (succeeded, failed or not processed), at most `concurrency` run at once, whatever the hooks and the consumer do', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ outcome: fc.constantFrom<Plan['outcome']>('ok', 'fail', 'flaky'), ticks: fc.integer({ min: 0, max: 3 }) }), { maxLength: 30 }),
        fc.record({
          concurrency: fc.integer({ min: 1, max: 4 }),
          batchSize: fc.integer({ min: 1, max: 5 }),
          throwingHooks: fc.boolean(),
          stopOnError: fc.boolean(),
          abortAfter: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
          mode: fc.constantFrom('process', 'stream', 'stream-break'),
          iterable: fc.boolean(),
          breakAfter: fc.integer({ min: 0, max: 10 }),
        }),
        async (plans, cfg) => {
          const controller = new AbortController();
          let running = 0;
          let peak = 0;
          let handled = 0;
          const calls = new Map<number, number>();
          const processor = new BatchProcessor({
            concurrency: cfg.concurrency,
            batchSize: cfg.batchSize,
            stopOnError: cfg.stopOnError,
            retry: { maxAttempts: 2, initialDelayMs: 1, jitter: 'none', classifier: (e) => ((e as { flaky?: boolean }).flaky === true ? { retriable: true, reason: 'flaky' } : { retriable: false, reason: 'bad' }) },
            progressIntervalMs: 0,
            ...(cfg.throwingHooks ? { onProgress: () => { throw new Error('p'); }, onBatchComplete: () => { throw new Error('b'); } } : {}),
            onHookError: () => undefined,
          });
          const handler = async (index: number): Promise<number> => {
            running++;
            peak = Math.max(peak, running);
            const n = (calls.get(index) ?? 0) + 1;
            calls.set(index, n);
            if (++handled === cfg.abortAfter) controller.abort('stop');
            try {
              for (let t = 0; t < (plans[index] as Plan).ticks; t++) await Promise.resolve();
              const outcome = (plans[index] as Plan).outcome;
              if (outcome === 'fail') throw new Error(`fail ${index}`);
              if (outcome === 'flaky' && n === 1) throw Object.assign(new Error('flaky'), { flaky: true });
              return index;
            } finally {
              running--;
            }
          };
          const indices = plans.map((_, i) => i);
          const input = cfg.iterable ? (function* () { yield* indices; })() : indices;
          const ended = new Map<number, string>();
          if (cfg.mode === 'process') {
            const report = await processor.process(input, handler, { signal: controller.signal });
            for (const i of report.results.keys()) if (report.results[i] !== undefined) ended.set(i, 'succeeded');
            for (const f of report.failed) {
              expect(ended.has(f.index)).toBe(false);
              ended.set(f.index, 'failed');
            }
            for (const n of report.notProcessed) {
              expect(ended.has(n.index)).toBe(false);
              ended.set(n.index, 'not-processed');
            }
            expect(report.succeeded + report.failed.length + report.notProcessed.length).toBe(report.total);
            // An array is accounted in full; an iterable that stopped early is not read further.
            if (!cfg.iterable || (!report.aborted && !report.stoppedOnError)) expect(report.total).toBe(plans.length);
          } else {
            let received = 0;
            for await (const outcome of processor.stream(input, handler, { signal: controller.signal }) as AsyncIterable<ItemOutcome<number, number>>) {
              expect(ended.has(outcome.index), `index ${outcome.index} twice`).toBe(false);
              ended.set(outcome.index, outcome.status);
              if (cfg.mode === 'stream-break' && ++received > cfg.breakAfter) break;
            }
            if (cfg.mode === 'stream' && (!cfg.iterable || (controller.signal.aborted === false && !(cfg.stopOnError && [...ended.values()].includes('failed'))))) {
              expect(ended.size).toBe(plans.length);
            }
          }
          expect(peak).toBeLessThanOrEqual(cfg.concurrency);
          for (const [index, n] of calls) expect(n, `calls of ${index}`).toBeLessThanOrEqual(2);
          expect(running).toBe(0); // nothing left running after process/stream returned
        },
      ),
      { numRuns: 250 },
    );
  });
});

describe('signals', () => {
  it('items waiting for a slot or a retry never pile listeners on the caller signal (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const failed = new Set<number>();
      const report = await new BatchProcessor({ concurrency: 2, retry: { initialDelayMs: 1, jitter: 'none' } }).process(
        Array.from({ length: 60 }, (_, i) => i),
        async (i) => {
          if (i % 3 === 0 && !failed.has(i)) {
            failed.add(i);
            throw transient();
          }
          await tick();
          return i;
        },
        { signal: controller.signal },
      );
      expect(report.succeeded).toBe(60);
      await tick();
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});

describe('found by the adversarial review', () => {
  it('an input that throws while being read rejects process() and stream() — never an uncaught error', async () => {
    async function* gen(): AsyncGenerator<number> {
      yield 0;
      yield 1;
      yield 2;
      throw new Error('gen fail');
    }
    const slow = async (x: number): Promise<number> => {
      await new Promise((r) => setTimeout(r, x === 0 ? 30 : 5));
      return x;
    };
    await expect(new BatchProcessor({ concurrency: 4 }).process(gen(), slow)).rejects.toThrow('gen fail');
    const iterate = async (): Promise<void> => {
      for await (const outcome of new BatchProcessor({ concurrency: 4 }).stream(gen(), slow)) void outcome;
    };
    await expect(iterate()).rejects.toThrow('gen fail');
    const always: AsyncIterable<number> = { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('every time')) }) };
    await expect(new BatchProcessor({ concurrency: 3 }).process(always, slow)).rejects.toThrow('every time');
  });

  it('a shared manager that refuses a slot fails the item with its error: every item is still accounted for', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, maxQueued: 0 });
    let release: () => void = () => undefined;
    const busy = manager.run(() => new Promise<void>((r) => (release = r)));
    const report = await new BatchProcessor({ concurrency: manager }).process([1, 2, 3, 4, 5], async (x) => x);
    release();
    await busy;
    expect(report.total).toBe(5);
    expect(report.succeeded + report.failed.length + report.notProcessed.length).toBe(5);
    expect(report.failed.map((f) => (f.error as { code?: string }).code)).toEqual(Array(report.failed.length).fill('ERR_BULWARK_QUEUE_FULL'));
  });

  it("an input whose return() throws after a stop does not lose the report", async () => {
    const items = { [Symbol.iterator]: () => { let i = 0; return { next: () => ({ done: false, value: i++ }), return: () => { throw new Error('return fail'); } }; } };
    const errors: string[] = [];
    const report = await new BatchProcessor({ concurrency: 1, stopOnError: true, onHookError: (_e, hook) => errors.push(hook) }).process(items as Iterable<number>, async (x) => {
      if (x === 2) throw new Error('stop here');
      return x;
    });
    expect(report).toMatchObject({ succeeded: 2, stoppedOnError: true });
    expect(report.failed).toHaveLength(1);
    expect(errors).toEqual(['input return()']);
  });

  it('processBatches: a result that is not one value per item fails the batch instead of misreporting', async () => {
    const processor = new BatchProcessor({ concurrency: 1, batchSize: 3 });
    const tooFew = await processor.processBatches([1, 2, 3], async () => [1]);
    expect(tooFew.failed.map((f) => (f.error as { code?: string }).code)).toEqual(['ERR_BULWARK_INVALID_OPTION', 'ERR_BULWARK_INVALID_OPTION', 'ERR_BULWARK_INVALID_OPTION']);
    const notArray = await processor.processBatches([1, 2, 3], async () => 'abc' as never);
    expect(notArray.succeeded).toBe(0);
    const none = await processor.processBatches([1, 2, 3], async () => undefined);
    expect(none.succeeded).toBe(3);
  });
});
