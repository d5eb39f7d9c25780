// The bad-input corpus: each case is generated here, names the `code` it must produce, and runs in
// this process (which must stay up). A second test feeds the image and polygon cases to one
// ThumbnailManager batch: every bad item fails with its code, every good one is still generated.
import { describe, expect, it } from 'vitest';
import { encodeBmp } from '../../demo/fixtures.mjs';
import { BatchProcessor, ConcurrencyManager, RetryService, retry } from '../../src/index.js';
import {
  FileSystemStorage,
  MemoryRepository,
  MemoryStorage,
  ThumbnailManager,
  renderThumbnail,
  type Polygon,
} from '../../src/thumbnails/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { circle, pngClaiming, solid, square, tiff16 } from '../helpers/images.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

const GREY: [number, number, number] = [100, 100, 100];
const ok = square(10, 10, 50, 50);
const pts = (...xy: unknown[]): unknown[] => {
  const out: unknown[] = [];
  for (let i = 0; i < xy.length; i += 2) out.push({ x: xy[i], y: xy[i + 1] });
  return out;
};

type Case = { name: string; code: string | null; image?: () => Promise<Uint8Array>; polygons?: unknown[]; run?: () => Promise<unknown> | unknown };

const png = (): Promise<Uint8Array> => solid(64, 64, GREY, 'png');
const fsStorage = new FileSystemStorage({ root: mkdtempSync(join(tmpdir(), 'bulwark-bad-')) });

const cases: Case[] = [
  // Images
  { name: 'zero-byte file', code: 'ERR_BULWARK_IMAGE_DECODE', image: async () => new Uint8Array(0) },
  { name: 'truncated JPEG', code: 'ERR_BULWARK_IMAGE_DECODE', image: async () => (await solid(200, 200, GREY, 'jpeg')).subarray(0, 300) },
  { name: 'truncated PNG', code: 'ERR_BULWARK_IMAGE_DECODE', image: async () => (await solid(200, 200, GREY, 'png')).subarray(0, 70) },
  { name: 'text file named .png', code: 'ERR_BULWARK_IMAGE_DECODE', image: async () => new TextEncoder().encode('<html>not an image</html>') },
  { name: 'PNG header claiming 100 000 × 100 000 pixels', code: 'ERR_BULWARK_IMAGE_TOO_LARGE', image: () => pngClaiming(100_000, 100_000) },
  { name: 'BMP with RLE compression', code: 'ERR_BULWARK_IMAGE_DECODE', image: async () => {
    const bmp = encodeBmp({ data: new Uint8Array(4 * 4 * 3), width: 4, height: 4, channels: 3 });
    new DataView(bmp.buffer).setUint32(30, 1, true);
    return bmp;
  } },
  { name: '16-bit TIFF (valid: stretched, not an error)', code: null, image: async () => tiff16(64, 64) },
  // Polygons
  { name: 'NaN coordinate', code: 'ERR_BULWARK_INVALID_POLYGON', polygons: [{ type: 'external', points: pts(0, 0, Number.NaN, 1, 2, 2) }] },
  { name: 'Infinity coordinate', code: 'ERR_BULWARK_INVALID_POLYGON', polygons: [{ type: 'external', points: pts(0, 0, 1, Infinity, 2, 2) }] },
  { name: 'string coordinates', code: 'ERR_BULWARK_INVALID_POLYGON', polygons: [{ type: 'external', points: pts('1', '2', 3, 4, 5, 6) }] },
  { name: 'polygon with 2 points', code: 'ERR_BULWARK_INVALID_POLYGON', polygons: [{ type: 'external', points: pts(0, 0, 5, 5) }] },
  { name: 'polygon with no points', code: 'ERR_BULWARK_INVALID_POLYGON', polygons: [{ type: 'external', points: [] }] },
  { name: 'points not an array', code: 'ERR_BULWARK_INVALID_POLYGON', polygons: [{ type: 'external', points: 'M0 0' }] },
  { name: '11 polygons over a cap of 10', code: 'ERR_BULWARK_TOO_MANY_POLYGONS', polygons: Array.from({ length: 11 }, () => ok) },
  { name: '1 000 001 points over the default maxPoints', code: 'ERR_BULWARK_TOO_MANY_POINTS', polygons: [circle(32, 32, 20, 600_000), circle(32, 32, 10, 400_001)] },
  { name: '200 000-point polygon (valid: simplified)', code: null, polygons: [circle(32, 32, 20, 200_000)] },
  { name: 'self-intersecting polygon (valid)', code: null, polygons: [{ type: 'external', points: pts(0, 0, 60, 60, 60, 0, 0, 60) }] },
  { name: 'points far outside the image (valid: clipped)', code: null, polygons: [{ type: 'external', points: pts(-1e12, -1e12, 1e12, 0, 0, 1e12) }] },
  // Storage keys
  { name: 'key with ..', code: 'ERR_BULWARK_INVALID_STORAGE_KEY', run: () => fsStorage.put('thumbnails/../../etc/passwd', new Uint8Array(1), { contentType: 'x' }) },
  { name: 'absolute key', code: 'ERR_BULWARK_INVALID_STORAGE_KEY', run: () => fsStorage.get('/etc/passwd') },
  { name: 'key with a NUL byte', code: 'ERR_BULWARK_INVALID_STORAGE_KEY', run: () => fsStorage.exists('a\u0000.png') },
  { name: 'very long key', code: 'ERR_BULWARK_INVALID_STORAGE_KEY', run: () => fsStorage.put('k'.repeat(5000), new Uint8Array(1), { contentType: 'x' }) },
  { name: 'missing key', code: 'ERR_BULWARK_STORAGE_NOT_FOUND', run: () => fsStorage.get('nothing/here.png') },
  { name: 'unknown segmentation id', code: 'ERR_BULWARK_SEGMENTATION_NOT_FOUND', run: () => new ThumbnailManager({ storage: new MemoryStorage(), repository: new MemoryRepository() }).generate('no-such-id') },
  { name: 'unicode key (valid)', code: null, run: () => fsStorage.put('サムネイル/клетка-😀.png', new Uint8Array(1), { contentType: 'x' }) },
  // Options out of range
  { name: 'regenerateMissing limit: 0', code: 'ERR_BULWARK_INVALID_OPTION', run: () => new ThumbnailManager({ storage: new MemoryStorage(), repository: new MemoryRepository() }).regenerateMissing({ projectId: 'p', limit: 0 }) },
  { name: 'regenerateMissing limit: 5000', code: 'ERR_BULWARK_INVALID_OPTION', run: () => new ThumbnailManager({ storage: new MemoryStorage(), repository: new MemoryRepository() }).regenerateMissing({ projectId: 'p', limit: 5000 }) },
  { name: 'concurrency: 0', code: 'ERR_BULWARK_INVALID_OPTION', run: () => new ConcurrencyManager({ concurrency: 0 }) },
  { name: 'factor: -1', code: 'ERR_BULWARK_INVALID_OPTION', run: () => new RetryService({ factor: -1 }) },
  { name: 'initialDelayMs: NaN', code: 'ERR_BULWARK_INVALID_OPTION', run: () => retry(() => 1, { initialDelayMs: Number.NaN }) },
  { name: 'maxDelayMs: Infinity', code: 'ERR_BULWARK_INVALID_OPTION', run: () => new RetryService({ maxDelayMs: Infinity }) },
  { name: 'batchSize: 0', code: 'ERR_BULWARK_INVALID_OPTION', run: () => new BatchProcessor({ batchSize: 0 }) },
  { name: 'thumbnail width: -5', code: 'ERR_BULWARK_INVALID_OPTION', run: () => new ThumbnailManager({ storage: new MemoryStorage(), repository: new MemoryRepository(), width: -5 }) },
  // Cancellation
  { name: 'already-aborted signal (its reason is rethrown)', code: 'E_DEPLOY', run: () => retry(() => 1, { signal: AbortSignal.abort(Object.assign(new Error('deploy'), { code: 'E_DEPLOY' })) }) },
  { name: 'already-aborted signal on run()', code: 'E_DEPLOY', run: () => new ConcurrencyManager().run(() => 1, { signal: AbortSignal.abort(Object.assign(new Error('deploy'), { code: 'E_DEPLOY' })) }) },
];

async function outcome(c: Case): Promise<string | null> {
  try {
    if (c.run !== undefined) await c.run();
    else await renderThumbnail(await (c.image ?? png)(), (c.polygons ?? [ok]) as Polygon[], { width: 32, height: 32, maxPolygons: c.name.startsWith('11 polygons') ? 10 : 10_000 });
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? `uncoded ${String(error)}`;
  }
}

describe('bad input corpus', () => {
  it('covers every input error of bulwark/thumbnails and of option validation', () => {
    const covered = new Set(cases.map((c) => c.code));
    for (const code of ['ERR_BULWARK_IMAGE_DECODE', 'ERR_BULWARK_IMAGE_TOO_LARGE', 'ERR_BULWARK_INVALID_POLYGON', 'ERR_BULWARK_TOO_MANY_POLYGONS', 'ERR_BULWARK_TOO_MANY_POINTS', 'ERR_BULWARK_INVALID_STORAGE_KEY', 'ERR_BULWARK_STORAGE_NOT_FOUND', 'ERR_BULWARK_SEGMENTATION_NOT_FOUND', 'ERR_BULWARK_INVALID_OPTION']) {
      expect(covered, code).toContain(code);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(await outcome(c)).toBe(c.code);
  });

  it('one batch of good and bad images: each bad one fails with its code, the good ones are generated', async () => {
    const storage = new MemoryStorage();
    const repository = new MemoryRepository();
    const expected = new Map<string, string | null>();
    const imageCases = cases.filter((c) => c.run === undefined && !c.name.startsWith('11 polygons'));
    for (const [i, c] of imageCases.entries()) {
      const id = `case-${i}`;
      await storage.put(`images/${id}`, await (c.image ?? png)(), { contentType: 'application/octet-stream' });
      repository.add({ id, projectId: 'p', imageKey: `images/${id}`, polygons: (c.polygons ?? [ok]) as Polygon[] });
      expected.set(id, c.code);
    }
    const manager = new ThumbnailManager({ storage, repository, width: 32, height: 32, retry: { initialDelayMs: 1 } });
    const report = await manager.generateMany([...expected.keys()]);
    expect(report.total).toBe(expected.size);
    for (const failure of report.failed) {
      expect((failure.error as { code?: string }).code).toBe(expected.get(failure.item));
      expect(failure.attempts, `${failure.item}: ${String(failure.error)} ${String((failure.error as Error).cause)}`).toBe(1); // bad input is never retried
    }
    expect(report.succeeded).toBe([...expected.values()].filter((code) => code === null).length);
  });
});
