import { describe, expect, it } from 'vitest';
import { BatchProcessor, ConcurrencyManager, isRetryExhaustedError } from '../../src/index.js';
import { HOSTILE, watchProcess, settleWithin, safeDescribe } from './hostile.js';

watchProcess();

describe('BatchProcessor with hostile thrown values', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    for (const retry of [undefined, { maxAttempts: 2, initialDelayMs: 0 }]) {
      it(`process: handler throws ${name} (retry ${retry ? 'on' : 'off'})`, async () => {
        const value = make();
        const reported: string[] = [];
        const p = new BatchProcessor({
          concurrency: 2,
          batchSize: 2,
          ...(retry ? { retry: { ...retry, onRetry: () => { throw value; }, logger: { info() {}, warn() {}, error() {} } } } : {}),
          progressIntervalMs: 0,
          onProgress: () => { throw value; },
          onBatchComplete: () => { throw value; },
          onHookError: (_e, h) => void reported.push(h),
        });
        const r = await settleWithin(p.process([1, 2, 3], (n) => { if (n !== 2) throw value; return n; }));
        if ('hung' in r) throw new Error('hung');
        if (!r.ok) throw new Error(`rejected: ${safeDescribe(r.error)}`);
        const report = r.value;
        expect(report.succeeded).toBe(1);
        expect(report.failed.length).toBe(2);
        for (const f of report.failed) {
          if (retry) expect(f.error === value || isRetryExhaustedError(f.error), safeDescribe(f.error)).toBe(true);
          else expect(f.error === value).toBe(true);
        }
      });
    }
    it(`stream: handler throws ${name}`, async () => {
      const value = make();
      const p = new BatchProcessor({ concurrency: 2, onHookError: () => {} });
      const outcomes: string[] = [];
      const run = (async () => {
        for await (const o of p.stream([1, 2, 3], (n) => { if (n !== 2) throw value; return n; })) outcomes.push(o.status);
      })();
      const r = await settleWithin(run);
      expect('hung' in r).toBe(false);
      if (!('hung' in r) && !r.ok) throw new Error(`rejected: ${safeDescribe(r.error)}`);
      expect(outcomes.sort()).toEqual(['failed', 'failed', 'succeeded']);
    });
    it(`processBatches with a shared manager and ${name}`, async () => {
      const value = make();
      const m = new ConcurrencyManager({ concurrency: 1 });
      const p = new BatchProcessor({ concurrency: m, batchSize: 2, retry: { maxAttempts: 2, initialDelayMs: 0 } });
      const r = await settleWithin(p.processBatches([1, 2, 3], () => { throw value; }));
      if ('hung' in r) throw new Error('hung');
      if (!r.ok) throw new Error(`rejected: ${safeDescribe(r.error)}`);
      expect(r.value.failed.length).toBe(3);
    });
    it(`iterable input throws ${name}`, async () => {
      const value = make();
      const p = new BatchProcessor({ concurrency: 2 });
      function* gen() { yield 1; throw value; }
      const r = await settleWithin(p.process(gen(), (n) => n));
      if ('hung' in r) throw new Error('hung');
      expect(!r.ok && r.error === value, !r.ok ? safeDescribe(r.error) : 'ok').toBe(true);
    });
    it(`operation hook throws ${name}`, async () => {
      const value = make();
      const p = new BatchProcessor({ concurrency: 2, retry: { maxAttempts: 2, initialDelayMs: 0 }, operation: () => { throw value; } });
      const r = await settleWithin(p.process([1, 2], (n) => n));
      if ('hung' in r) throw new Error('hung');
      if (!r.ok) throw new Error(`process rejected with ${safeDescribe(r.error)}`);
    });
  }
});
