// Deterministic, seeded fault injection: transient storage faults on 30 % of attempts. Every item is
// generated or its failure reported; a second pass (regenerateMissing) completes the rest.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchProcessor, ConcurrencyManager, RetryExhaustedError, RetryService } from '../../src/index.js';
import { MemoryRepository, MemoryStorage, ThumbnailManager, type ThumbnailStorage } from '../../src/thumbnails/index.js';
import { solid, square } from '../helpers/images.js';
import { prng, transient } from '../helpers/seeded.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

/** Storage whose `put` fails transiently with probability `rate` (seeded), counting concurrent puts. */
function flaky(inner: MemoryStorage, random: () => number, rate: number): ThumbnailStorage & { enabled: boolean; injected: number; active: number; peak: number } {
  const storage = {
    enabled: true,
    injected: 0,
    active: 0,
    peak: 0,
    async put(key: string, data: Uint8Array, meta: { contentType: string }): Promise<void> {
      storage.active++;
      storage.peak = Math.max(storage.peak, storage.active);
      try {
        await Promise.resolve();
        if (storage.enabled && random() < rate) {
          storage.injected++;
          throw transient(random, key);
        }
        await inner.put(key, data, meta);
      } finally {
        storage.active--;
      }
    },
    get: (key: string) => inner.get(key),
    exists: (key: string) => inner.exists(key),
    delete: (key: string) => inner.delete(key),
  };
  return storage;
}

async function batch(count: number, size = 64): Promise<{ images: MemoryStorage; repository: MemoryRepository; ids: string[] }> {
  const images = new MemoryStorage();
  const repository = new MemoryRepository();
  const image = await solid(size, size, [90, 90, 90], 'png');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `seg-${i}`;
    await images.put(`images/${id}.png`, image, { contentType: 'image/png' });
    repository.add({ id, projectId: 'p', imageKey: `images/${id}.png`, polygons: [square(size * 0.2, size * 0.2, size * 0.8, size * 0.8)] });
    ids.push(id);
  }
  return { images, repository, ids };
}

describe('fault injection: the 230-image batch', () => {
  it('generates every thumbnail or reports its failure, then regenerateMissing completes the rest', async () => {
    const { images, repository, ids } = await batch(230);
    const thumbs = new MemoryStorage();
    const storage = flaky(thumbs, prng(230), 0.3);
    const manager = new ThumbnailManager({ storage, imageStorage: images, repository, format: 'png', width: 32, height: 32, concurrency: 5, retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 } });

    const report = await manager.generateMany(ids);
    expect(report.total).toBe(230);
    expect(report.succeeded + report.failed.length).toBe(230);
    expect(storage.injected).toBeGreaterThan(50); // 30 % of ~300 attempts
    // With 3 attempts, P(fail) = 0.3³ = 2.7 %: a few fail, each reported with every attempt's error.
    expect(report.failed.length).toBeGreaterThan(0);
    for (const failure of report.failed) {
      expect(failure.error).toBeInstanceOf(RetryExhaustedError);
      expect(failure.attempts).toBe(3);
      expect((failure.error as RetryExhaustedError).errors.map((e) => (e as { code: string }).code).every((c) => c === 'EBUSY' || c === 'ETIMEDOUT')).toBe(true);
      expect(repository.thumbnailOf(failure.item)).toBeUndefined();
    }
    // Recorded exactly the generated ones, each once, each stored.
    for (const id of ids) {
      const thumbnail = repository.thumbnailOf(id);
      const failed = report.failed.some((f) => f.item === id);
      expect(thumbnail === undefined).toBe(failed);
      if (thumbnail !== undefined) expect(await thumbs.exists(thumbnail.key)).toBe(true);
      expect(repository.saveCount(id)).toBe(failed ? 0 : 1);
    }
    expect(storage.peak).toBeLessThanOrEqual(5);

    // Recovery, faults still on: retries absorb them again; repeat until nothing is missing.
    let rounds = 0;
    for (;;) {
      const recovery = await manager.regenerateMissing({ projectId: 'p', limit: 1000 });
      rounds++;
      if (recovery.missingThumbnails === 0 || rounds > 5) break;
    }
    const final = await manager.regenerateMissing({ projectId: 'p', dryRun: true });
    expect(final.missingThumbnails).toBe(0);
    expect(rounds).toBeLessThanOrEqual(3);
  }, 60_000);
});

describe('fault injection: 10 000 items with the core primitives', () => {
  it('accounts for every item; a second pass over the failures completes the batch', async () => {
    const random = prng(10_000);
    const done = new Map<number, number>();
    const limiter = new ConcurrencyManager({ concurrency: 8 });
    let running = 0;
    let peak = 0;
    const handler = async (n: number): Promise<number> => {
      running++;
      peak = Math.max(peak, running);
      try {
        await Promise.resolve();
        if (random() < 0.3) throw transient(random, `item ${n}`);
        done.set(n, (done.get(n) ?? 0) + 1);
        return n;
      } finally {
        running--;
      }
    };
    const retry = new RetryService({ maxAttempts: 3, initialDelayMs: 0, jitter: 'none' });
    const processor = new BatchProcessor({ concurrency: limiter, retry, batchSize: 500, collectResults: false });
    const items = Array.from({ length: 10_000 }, (_, i) => i);
    const first = await processor.process(items, handler);
    expect(first.succeeded + first.failed.length + first.notProcessed.length).toBe(10_000);
    expect(first.notProcessed).toEqual([]);
    expect(first.failed.length).toBeGreaterThan(150); // ≈ 2.7 %
    expect(first.failed.length).toBeLessThan(450);
    expect(first.batches).toBe(20);

    const second = await processor.process(first.failed.map((f) => f.item), handler);
    const third = await processor.process(second.failed.map((f) => f.item), handler);
    expect(third.failed).toEqual([]);
    expect(done.size).toBe(10_000);
    expect([...done.values()].every((count) => count === 1)).toBe(true); // nothing done twice
    expect(peak).toBeLessThanOrEqual(8);
  }, 60_000);
});

describe('fault injection: invariants over random fault plans', () => {
  it('succeeded + failed + notProcessed === total, nothing recorded twice, limit respected', async () => {
    const { images, repository: template, ids } = await batch(12, 32);
    const records = template.records();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
        async (seed, rate, concurrency, abortAfter) => {
          const random = prng(seed);
          const repository = new MemoryRepository(records);
          const thumbs = new MemoryStorage();
          const storage = flaky(thumbs, random, rate);
          // The repository fails too, sometimes.
          const save = repository.saveThumbnail.bind(repository);
          repository.saveThumbnail = async (id, info) => {
            if (random() < rate / 2) throw transient(random, `save ${id}`);
            return save(id, info);
          };
          const controller = new AbortController();
          let started = 0;
          const get = images.get.bind(images);
          const imageStorage = {
            get: (key: string) => {
              if (abortAfter !== undefined && started++ === abortAfter) controller.abort(new Error('stop'));
              return get(key);
            },
          };
          const manager = new ThumbnailManager({ storage, imageStorage, repository, format: 'png', width: 16, height: 16, concurrency: concurrency, retry: { maxAttempts: 3, initialDelayMs: 0, jitter: 'none' } });
          const report = await manager.generateMany(ids, { signal: controller.signal });
          expect(report.succeeded + report.failed.length + report.notProcessed.length).toBe(report.total);
          expect(report.total).toBe(ids.length);
          for (const id of ids) expect(repository.saveCount(id)).toBeLessThanOrEqual(1);
          for (const result of report.results) if (result !== undefined) expect(repository.thumbnailOf(result.segmentationId)?.key).toBe(result.key);
          expect(storage.peak).toBeLessThanOrEqual(concurrency);
          expect(manager.concurrency.status()).toEqual({ active: 0, queued: 0, concurrency, borrowed: 0, timedOut: 0 });
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
