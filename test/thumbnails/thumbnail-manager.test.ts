import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { ConcurrencyManager, InvalidOptionError, RetryExhaustedError } from '../../src/index.js';
import {
  ImageDecodeError,
  MemoryRepository,
  MemoryStorage,
  SegmentationNotFoundError,
  ThumbnailManager,
  type SegmentationRepository,
  type ThumbnailStorage,
} from '../../src/thumbnails/index.js';
import { decode } from '../helpers/images.js';
import { faultyPuts, project } from '../helpers/project.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

const fastRetry = { initialDelayMs: 1, maxDelayMs: 5 };

describe('ThumbnailManager.generate', () => {
  it('renders, stores, then records the thumbnail', async () => {
    const { storage, repository } = await project(1);
    const manager = new ThumbnailManager({ storage, repository, format: 'png', retry: fastRetry });
    const result = await manager.generate('seg-0');
    expect(result).toMatchObject({ segmentationId: 'seg-0', key: 'thumbnails/p1/seg-0.png', width: 300, height: 300, format: 'png', attempts: 1 });
    const stored = await storage.get(result.key);
    expect(result.bytes).toBe(stored.byteLength);
    expect(storage.peek(result.key)?.contentType).toBe('image/png');
    expect(repository.thumbnailOf('seg-0')).toEqual({ key: result.key, width: 300, height: 300, format: 'png', bytes: stored.byteLength });
    const px = await decode(stored);
    expect(px.at(150, 150)[0]).toBeGreaterThan(170); // tinted by the square polygon
    expect(px.at(10, 10)).toEqual([128, 128, 128]);
  });

  it("kind: 'image' makes plain thumbnails", async () => {
    const { storage, repository } = await project(1);
    const manager = new ThumbnailManager({ storage, repository, format: 'png', kind: 'image' });
    const px = await decode(await storage.get((await manager.generate('seg-0')).key));
    expect(px.at(150, 150)).toEqual([128, 128, 128]);
  });

  it('fails at once, typed, for a missing segmentation or a corrupt image, storing and recording nothing', async () => {
    const { storage, repository } = await project(1);
    repository.add({ id: 'broken', projectId: 'p1', imageKey: 'images/broken.png', polygons: [] });
    await storage.put('images/broken.png', new TextEncoder().encode('not an image'), { contentType: 'image/png' });
    const manager = new ThumbnailManager({ storage, repository, retry: fastRetry });
    await expect(manager.generate('ghost')).rejects.toBeInstanceOf(SegmentationNotFoundError);
    await expect(manager.generate('broken')).rejects.toBeInstanceOf(ImageDecodeError);
    expect(repository.thumbnailOf('broken')).toBeUndefined();
    expect(storage.keys().filter((k) => k.startsWith('thumbnails/'))).toEqual([]);
    expect(manager.metrics()).toMatchObject({ generated: 0, failed: 2, attempts: 2, retries: 0, successRate: 0 });
  });

  it('retries transient storage faults without re-rendering, then records', async () => {
    const { storage: inner, repository } = await project(1);
    const storage = faultyPuts(inner, (call) => call < 2);
    const getSpy = vi.spyOn(inner, 'get');
    const lines: string[] = [];
    const manager = new ThumbnailManager({ storage, repository, retry: { ...fastRetry, jitter: 'none' }, logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) } });
    const result = await manager.generate('seg-0');
    expect(result.attempts).toBe(3);
    expect(storage.putCalls).toBe(3);
    expect(getSpy).toHaveBeenCalledTimes(1); // the image was read (and rendered) once
    expect(repository.saveCount('seg-0')).toBe(1);
    expect(lines[0]).toBe('Generating thumbnail for segmentation seg-0 (attempt 1/3)');
    expect(lines[1]).toMatch(/^Generating thumbnail for segmentation seg-0 failed \(attempt 1\/3\), retrying in 1ms: EBUSY/);
    expect(lines.at(-1)).toBe('Generating thumbnail for segmentation seg-0 succeeded after 3 attempts');
    expect(manager.metrics()).toMatchObject({ generated: 1, failed: 0, attempts: 3, retries: 2, successRate: 1 });
  });

  it('never records a thumbnail whose storage write failed', async () => {
    const { storage: inner, repository } = await project(1);
    const storage = faultyPuts(inner, () => true);
    const manager = new ThumbnailManager({ storage, repository, retry: fastRetry });
    await expect(manager.generate('seg-0')).rejects.toBeInstanceOf(RetryExhaustedError);
    expect(repository.thumbnailOf('seg-0')).toBeUndefined();
  });

  it('deletes the previous thumbnail after recording a new one under another key', async () => {
    const { storage, repository } = await project(1);
    const jpeg = new ThumbnailManager({ storage, repository, format: 'jpeg' });
    const first = await jpeg.generate('seg-0');
    const webp = new ThumbnailManager({ storage, repository, format: 'webp' });
    const second = await webp.generate('seg-0');
    expect(second.key).toBe('thumbnails/p1/seg-0.webp');
    expect(await storage.exists(first.key)).toBe(false);
    expect(await storage.exists(second.key)).toBe(true);
    expect(repository.thumbnailOf('seg-0')?.format).toBe('webp');
  });

  it('MemoryRepository rejects a thumbnail for an unknown segmentation with a typed error', async () => {
    await expect(new MemoryRepository().saveThumbnail('ghost', { key: 'k', width: 1, height: 1, format: 'png', bytes: 1 })).rejects.toBeInstanceOf(SegmentationNotFoundError);
  });

  it('validates its options', () => {
    const storage = new MemoryStorage();
    const repository = new MemoryRepository();
    expect(() => new ThumbnailManager({ storage: {} as ThumbnailStorage, repository })).toThrow('Expected `storage` to be a ThumbnailStorage (missing put())');
    expect(() => new ThumbnailManager({ storage, repository, concurrency: 0 })).toThrow('Expected `concurrency` to be an integer >= 1, got `0` (number)');
    expect(() => new ThumbnailManager({ storage, repository, fit: 'contain' as 'cover' })).toThrow(InvalidOptionError);
  });
});

describe('ThumbnailManager.generateMany', () => {
  it('generates every thumbnail under the concurrency limit and reports each', async () => {
    const { storage: inner, repository, ids } = await project(30);
    const storage = faultyPuts(inner, () => false);
    const manager = new ThumbnailManager({ storage, repository, concurrency: 3, retry: fastRetry });
    const progress: number[] = [];
    const report = await manager.generateMany(ids, { onProgress: (p) => progress.push(p.completed), progressIntervalMs: 0 });
    expect(report.succeeded).toBe(30);
    expect(report.failed).toEqual([]);
    expect(report.results.map((r) => r?.segmentationId)).toEqual(ids);
    expect(storage.peak).toBeLessThanOrEqual(3);
    expect(progress.at(-1)).toBe(30);
    for (const id of ids) expect(repository.thumbnailOf(id)).toBeDefined();
    expect(manager.concurrency.status()).toEqual({ active: 0, queued: 0, concurrency: 3, borrowed: 0, timedOut: 0 });
  });

  it('accepts an async iterable of ids and a shared ConcurrencyManager', async () => {
    const { storage, repository, ids } = await project(8);
    const shared = new ConcurrencyManager({ concurrency: 2 });
    const manager = new ThumbnailManager({ storage, repository, concurrency: shared });
    async function* stream(): AsyncGenerator<string> {
      yield* ids;
    }
    const report = await manager.generateMany(stream());
    expect(report.total).toBe(8);
    expect(report.succeeded).toBe(8);
  });

  it('reports failures with their typed error and verdict, and keeps going', async () => {
    const { storage, repository, ids } = await project(5);
    const manager = new ThumbnailManager({ storage, repository, retry: fastRetry });
    const report = await manager.generateMany([...ids.slice(0, 2), 'ghost', ...ids.slice(2)]);
    expect(report.succeeded).toBe(5);
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]).toMatchObject({ item: 'ghost', index: 2, attempts: 1, verdict: { retriable: false, reason: 'bulwark ERR_BULWARK_SEGMENTATION_NOT_FOUND' } });
    expect(report.failed[0]?.error).toBeInstanceOf(SegmentationNotFoundError);
  });
});

/** The repository's required methods only (no `listThumbnails`), bound to it. */
function delegate(repository: MemoryRepository): SegmentationRepository {
  return {
    getSegmentation: (id) => repository.getSegmentation(id),
    saveThumbnail: (id, info) => repository.saveThumbnail(id, info),
    findMissingThumbnails: (query) => repository.findMissingThumbnails(query),
  };
}

describe('ThumbnailManager.regenerateMissing', () => {
  it('finds the missing thumbnails, oldest first, and regenerates them', async () => {
    const { storage, repository, ids } = await project(10);
    const manager = new ThumbnailManager({ storage, repository });
    await manager.generateMany(ids.slice(0, 4));

    const dry = await manager.regenerateMissing({ projectId: 'p1', dryRun: true, limit: 3 });
    expect(dry).toMatchObject({ projectId: 'p1', dryRun: true, totalImages: 10, missingThumbnails: 6, regeneratedCount: 0, failedCount: 0, segmentationIds: ['seg-4', 'seg-5', 'seg-6'], failures: [] });
    expect(repository.thumbnailOf('seg-4')).toBeUndefined();

    const run = await manager.regenerateMissing({ projectId: 'p1' });
    expect(run).toMatchObject({ totalImages: 10, missingThumbnails: 6, regeneratedCount: 6, failedCount: 0, concurrencyStatus: { active: 0, queued: 0, concurrency: 5 } });
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    const after = await manager.regenerateMissing({ projectId: 'p1', dryRun: true });
    expect(after.missingThumbnails).toBe(0);
  });

  it("verify: 'storage' also finds recorded thumbnails whose file is gone, and regenerates them", async () => {
    const { storage, repository, ids } = await project(10);
    const manager = new ThumbnailManager({ storage, repository });
    await manager.generateMany(ids.slice(0, 6));
    await storage.delete('thumbnails/p1/seg-1.jpg');
    await storage.delete('thumbnails/p1/seg-3.jpg');

    // The default trusts the repository: the two lost files go unnoticed.
    const trusting = await manager.regenerateMissing({ projectId: 'p1', dryRun: true });
    expect(trusting).toMatchObject({ missingThumbnails: 4, missingFiles: 0, segmentationIds: ['seg-6', 'seg-7', 'seg-8', 'seg-9'] });

    const dry = await manager.regenerateMissing({ projectId: 'p1', dryRun: true, verify: 'storage' });
    expect(dry).toMatchObject({ totalImages: 10, missingThumbnails: 6, missingFiles: 2, segmentationIds: ['seg-6', 'seg-7', 'seg-8', 'seg-9', 'seg-1', 'seg-3'] });
    // `limit` bounds what one run takes up, not what is counted.
    const limited = await manager.regenerateMissing({ projectId: 'p1', dryRun: true, verify: 'storage', limit: 5 });
    expect(limited).toMatchObject({ missingThumbnails: 6, missingFiles: 2, segmentationIds: ['seg-6', 'seg-7', 'seg-8', 'seg-9', 'seg-1'] });

    const run = await manager.regenerateMissing({ projectId: 'p1', verify: 'storage' });
    expect(run).toMatchObject({ regeneratedCount: 6, failedCount: 0 });
    expect(await storage.exists('thumbnails/p1/seg-1.jpg')).toBe(true);
    expect(await storage.exists('thumbnails/p1/seg-3.jpg')).toBe(true);
    expect(await manager.regenerateMissing({ projectId: 'p1', dryRun: true, verify: 'storage' })).toMatchObject({ missingThumbnails: 0, missingFiles: 0, segmentationIds: [] });
  });

  it("verify: 'storage' pages through the repository and stops on a cursor seen before", async () => {
    const { storage, repository, ids } = await project(7);
    const manager = new ThumbnailManager({ storage, repository });
    await manager.generateMany(ids);
    for (const id of ['seg-0', 'seg-4', 'seg-6']) await storage.delete(`thumbnails/p1/${id}.jpg`);
    const pages: Array<string | undefined> = [];
    // Pages of 2, whatever `limit` asks: a repository may return fewer.
    const paged = {
      ...delegate(repository),
      listThumbnails: (query: { projectId: string; limit: number; after?: string }) => {
        pages.push(query.after);
        return repository.listThumbnails({ ...query, limit: 2 });
      },
    };
    const report = await new ThumbnailManager({ storage, repository: paged }).regenerateMissing({ projectId: 'p1', dryRun: true, verify: 'storage' });
    expect(report).toMatchObject({ missingFiles: 3, segmentationIds: ['seg-0', 'seg-4', 'seg-6'] });
    expect(pages).toEqual([undefined, '2', '4', '6']);

    let calls = 0;
    const stuck = {
      ...delegate(repository),
      listThumbnails: () => {
        calls++;
        return Promise.resolve({ items: [{ id: 'seg-0', key: 'thumbnails/p1/seg-0.jpg' }], next: 'same' });
      },
    };
    const stuckReport = await new ThumbnailManager({ storage, repository: stuck }).regenerateMissing({ projectId: 'p1', dryRun: true, verify: 'storage' });
    expect(calls).toBe(2);
    expect(stuckReport.segmentationIds).toEqual(['seg-0']);

    // A cycle of cursors (a → b → a) stops too.
    const cursors: Array<string | undefined> = [];
    const cycling = {
      ...delegate(repository),
      listThumbnails: (query: { after?: string }) => {
        cursors.push(query.after);
        return Promise.resolve({ items: [], next: query.after === 'a' ? 'b' : 'a' });
      },
    };
    await new ThumbnailManager({ storage, repository: cycling }).regenerateMissing({ projectId: 'p1', dryRun: true, verify: 'storage' });
    expect(cursors).toEqual([undefined, 'a', 'b']);
  });

  it("verify: 'storage' never hangs: a check that never returns is cut at ioTimeoutMs, and the caller's signal stops the scan", async () => {
    const { storage, repository, ids } = await project(3);
    await new ThumbnailManager({ storage, repository }).generateMany(ids);
    let signalled = 0;
    const hung: ThumbnailStorage = {
      put: (key, data, meta) => storage.put(key, data, meta),
      get: (key) => storage.get(key),
      exists: (_key, options) =>
        new Promise<boolean>(() => {
          options?.signal?.addEventListener('abort', () => void signalled++);
        }),
    };
    await expect(new ThumbnailManager({ storage: hung, repository, ioTimeoutMs: 20 }).regenerateMissing({ projectId: 'p1', verify: 'storage' })).rejects.toMatchObject({ code: 'ERR_BULWARK_ATTEMPT_TIMEOUT' });
    expect(signalled).toBeGreaterThan(0); // the hung call was told to stop

    const controller = new AbortController();
    const run = new ThumbnailManager({ storage: hung, repository }).regenerateMissing({ projectId: 'p1', verify: 'storage', signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(run).rejects.toThrow('shutting down');
  });

  it("verify: 'storage' fails the run when a check fails (nothing guessed, nothing generated), and needs listThumbnails", async () => {
    const { storage, repository, ids } = await project(3);
    const manager = new ThumbnailManager({ storage, repository });
    await manager.generateMany(ids);
    await storage.delete('thumbnails/p1/seg-2.jpg');
    const broken: ThumbnailStorage = {
      put: (key, data, meta) => storage.put(key, data, meta),
      get: (key) => storage.get(key),
      exists: () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })),
    };
    const put = vi.spyOn(storage, 'put');
    await expect(new ThumbnailManager({ storage: broken, repository }).regenerateMissing({ projectId: 'p1', verify: 'storage' })).rejects.toMatchObject({ code: 'EACCES' });
    expect(put).not.toHaveBeenCalled();

    const withoutList = delegate(repository);
    await expect(new ThumbnailManager({ storage, repository: withoutList }).regenerateMissing({ projectId: 'p1', verify: 'storage' })).rejects.toBeInstanceOf(InvalidOptionError);
    // @ts-expect-error not a mode
    await expect(manager.regenerateMissing({ projectId: 'p1', verify: 'files' })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('reports failures with code and message', async () => {
    const { storage, repository } = await project(2);
    repository.add({ id: 'corrupt', projectId: 'p1', imageKey: 'images/corrupt.png', polygons: [] });
    await storage.put('images/corrupt.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]), { contentType: 'image/png' });
    const report = await new ThumbnailManager({ storage, repository }).regenerateMissing({ projectId: 'p1' });
    expect(report.regeneratedCount).toBe(2);
    expect(report.failures).toEqual([
      { segmentationId: 'corrupt', code: 'ERR_BULWARK_IMAGE_DECODE', message: expect.stringContaining('Cannot decode image'), attempts: 1, retriable: false },
    ]);
  });

  it.each([
    [{ projectId: 'p1', limit: 0 }, 'Expected `limit` to be an integer from 1 to 1000, got `0` (number)'],
    [{ projectId: 'p1', limit: 5000 }, 'Expected `limit` to be an integer from 1 to 1000, got `5000` (number)'],
    [{ projectId: 'p1', limit: 2.5 }, 'Expected `limit` to be an integer from 1 to 1000, got `2.5` (number)'],
    [{ projectId: 'p1', dryRun: 'yes' }, 'Expected `dryRun` to be a boolean, got `"yes"` (string)'],
    [{ projectId: '' }, 'Expected `projectId` to be a non-empty string, got `""` (string)'],
  ])('rejects %j', async (options, message) => {
    const manager = new ThumbnailManager({ storage: new MemoryStorage(), repository: new MemoryRepository() });
    await expect(manager.regenerateMissing(options as never)).rejects.toThrow(message);
  });
});

describe('ThumbnailManager: output', () => {
  it('writes decodable thumbnails in each format', async () => {
    for (const format of ['jpeg', 'webp', 'png'] as const) {
      const { storage, repository } = await project(1);
      const result = await new ThumbnailManager({ storage, repository, format, width: 200, height: 100 }).generate('seg-0');
      const meta = await sharp(await storage.get(result.key)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, 100, 100]);
    }
  });
});

describe('ThumbnailManager: attempts under composition', () => {
  it('a timed-out attempt never saves its record after the retry did (its signal is checked before each write)', async () => {
    const { storage, repository, ids } = await project(1);
    const saves: string[] = [];
    let gets = 0;
    const slowFirstRead = { get: async (key: string) => { if (++gets === 1) await new Promise((r) => setTimeout(r, 300)); return storage.get(key); } };
    const save = repository.saveThumbnail.bind(repository);
    repository.saveThumbnail = async (id, info) => { saves.push(info.key); return save(id, info); };
    const manager = new ThumbnailManager({ storage, imageStorage: slowFirstRead, repository, width: 32, height: 32, retry: { attemptTimeoutMs: 100, initialDelayMs: 1 } });
    await manager.generate(ids[0] as string);
    await new Promise((r) => setTimeout(r, 400)); // let the abandoned first attempt finish its read
    expect(saves).toHaveLength(1);
  });

  it('computes the key once per generation: a non-deterministic keyFor plus a failed write records the key that was written', async () => {
    const { storage, repository, ids } = await project(1);
    let n = 0;
    const flaky = faultyPuts(storage, (call) => call <= 1);
    const manager = new ThumbnailManager({ storage: flaky, repository, width: 32, height: 32, retry: { initialDelayMs: 1 }, keyFor: (r, ext) => `thumbs/${r.id}-${++n}.${ext}` });
    const result = await manager.generate(ids[0] as string);
    expect(result.key).toBe(`thumbs/${ids[0]}-1.jpg`);
    expect(await storage.exists(result.key)).toBe(true);
    expect(repository.thumbnailOf(ids[0] as string)?.key).toBe(result.key);
  });
});
