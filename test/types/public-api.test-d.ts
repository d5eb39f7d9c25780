import { describe, expectTypeOf, it } from 'vitest';
import {
  BatchProcessor,
  ConcurrencyManager,
  RetryService,
  classifiers,
  retry,
  type BatchReport,
  type ConcurrencyStatus,
  type ErrorClassifier,
  type ItemOutcome,
  type Verdict,
} from '../../src/index.js';
import { ThumbnailManager, type RegenerationReport, type ThumbnailResult } from '../../src/thumbnails/index.js';

describe('retry types', () => {
  it('infers the result type and the attempt context', () => {
    expectTypeOf(retry(async ({ attempt, signal }) => {
      expectTypeOf(attempt).toEqualTypeOf<number>();
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
      return 42;
    })).toEqualTypeOf<Promise<number>>();
    expectTypeOf(retry(() => "sync")).toEqualTypeOf<Promise<string>>();
  });

  it('types retryOnResult with the result', () => {
    void retry(() => fetch('x'), { retryOnResult: (r) => {
      expectTypeOf(r).toEqualTypeOf<Response>();
      return !r.ok;
    } });
  });

  it('wrap keeps parameters and awaits the return type', () => {
    const service = new RetryService();
    const wrapped = service.wrap(async (a: number, b: string) => ({ a, b }));
    expectTypeOf(wrapped).parameters.toEqualTypeOf<[number, string]>();
    expectTypeOf(wrapped).returns.toEqualTypeOf<Promise<{ a: number; b: string }>>();
  });

  it('classifiers return a Verdict discriminated by retriable', () => {
    expectTypeOf(classifiers.network).toEqualTypeOf<ErrorClassifier>();
    const verdict = classifiers.http({ status: 429 });
    expectTypeOf(verdict).toEqualTypeOf<Verdict | undefined>();
    if (verdict?.retriable === true) expectTypeOf(verdict.delayMs).toEqualTypeOf<number | undefined>();
    // @ts-expect-error a permanent verdict has no delay
    if (verdict?.retriable === false) void verdict.delayMs;
  });

  it('rejects unknown options', () => {
    // @ts-expect-error not an option
    void new RetryService({ retries: 3 });
    // @ts-expect-error jitter is a union of strings
    void new RetryService({ jitter: 'random' });
  });
});

describe('concurrency and batch types', () => {
  it('run resolves with the awaited result', () => {
    const m = new ConcurrencyManager();
    expectTypeOf(m.run(async () => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(m.run(() => 'x')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(m.status()).toEqualTypeOf<ConcurrencyStatus>();
  });

  it('process reports items and results with their types', () => {
    const p = new BatchProcessor();
    expectTypeOf(p.process([1, 2], async (n) => String(n))).toEqualTypeOf<Promise<BatchReport<number, string>>>();
    expectTypeOf(p.stream(['a'], (s) => s.length)).toEqualTypeOf<AsyncGenerator<ItemOutcome<string, number>, void, undefined>>();
  });
});

describe('thumbnail types', () => {
  it('generate, generateMany and regenerateMissing', () => {
    const m = {} as ThumbnailManager;
    expectTypeOf(m.generate('id')).toEqualTypeOf<Promise<ThumbnailResult>>();
    expectTypeOf(m.generateMany(['id'])).toEqualTypeOf<Promise<BatchReport<string, ThumbnailResult>>>();
    expectTypeOf(m.regenerateMissing({ projectId: 'p' })).toEqualTypeOf<Promise<RegenerationReport>>();
  });
});
