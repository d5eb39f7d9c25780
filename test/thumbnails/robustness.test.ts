// Hostile-input robustness of the renderer's own code paths (each failed on 0.1).
import { describe, expect, it, vi } from 'vitest';
import { encodeBmp } from '../../demo/fixtures.mjs';
import { decodeBmp } from '../../src/thumbnails/bmp.js';
import { stretch } from '../../src/thumbnails/stretch.js';
import { ImageDecodeError } from '../../src/thumbnails/index.js';

describe('16-bit contrast stretch', () => {
  it('maps the 0.5th..99.5th percentile to 0..255 exactly, from a histogram (a 12-bit ramp in 16 bits)', () => {
    const width = 4096;
    const samples = new Float32Array(width);
    for (let i = 0; i < width; i++) samples[i] = i; // 0..4095
    const { data } = stretch(samples, width, 1, 1);
    // 0.5 % of 4096 ≈ sample 20 → 0; 99.5 % ≈ sample 4075 → 255; the middle near 127.
    expect(data[20 * 3]).toBe(0);
    expect(data[4075 * 3]).toBe(255);
    expect(Math.abs((data[2048 * 3] as number) - 128)).toBeLessThanOrEqual(1);
  });

  it('NaN and infinite samples (float TIFFs) are ignored by the percentiles and drawn black', () => {
    const samples = new Float32Array([Number.NaN, 0, 1000, Number.POSITIVE_INFINITY, 2000, Number.NEGATIVE_INFINITY]);
    const { data } = stretch(samples, 6, 1, 1);
    expect([data[0], data[3], data[6], data[9], data[12], data[15]]).toEqual([0, 0, 128, 0, 255, 0]);
  });

  it('never copies or sorts the samples: linear in time, fixed memory (0.1 sorted a copy: 15 s and 3.8 GB at 5000²)', () => {
    const n = 1000 * 1000;
    const samples = new Float32Array(n);
    for (let i = 0; i < n; i++) samples[i] = (i * 7919) % 65_536;
    const sort = vi.spyOn(Float32Array.prototype, 'sort');
    const filter = vi.spyOn(Float32Array.prototype, 'filter');
    try {
      const { data } = stretch(samples, 1000, 1000, 1);
      expect(data.length).toBe(n * 3);
      expect(sort).not.toHaveBeenCalled();
      expect(filter).not.toHaveBeenCalled();
    } finally {
      sort.mockRestore();
      filter.mockRestore();
    }
  });
});

describe('BMP decoder', () => {
  it('a header that promises an alpha mask but is cut before it is an ImageDecodeError, not a RangeError', () => {
    const bmp = encodeBmp({ data: new Uint8Array(4 * 4 * 3), width: 4, height: 4, channels: 3 });
    const view = new DataView(bmp.buffer, bmp.byteOffset, bmp.byteLength);
    view.setUint16(28, 32, true); // 32 bpp
    view.setUint32(30, 6, true); // BI_ALPHABITFIELDS: four masks (R, G, B, A) follow the 40-byte header
    const truncated = bmp.subarray(0, 14 + 40 + 14); // the alpha mask is cut short
    expect(() => decodeBmp(truncated, 1e6)).toThrow(ImageDecodeError);
    expect(() => decodeBmp(truncated, 1e6)).toThrow(/truncated/);
  });
});

describe('never record what was not written, never delete what is not ours', () => {
  it('a record whose thumbnailKey points at its source image never deletes it; foreign keys are kept', async () => {
    const { project } = await import('../helpers/project.js');
    const { ThumbnailManager } = await import('../../src/thumbnails/index.js');
    const { storage, repository, ids } = await project(2);
    const first = ids[0] as string;
    const record = await repository.getSegmentation(first);
    // The backend once stored the source image's key as the "thumbnail".
    await repository.saveThumbnail(first, { key: record?.imageKey as string, width: 1, height: 1, format: 'jpeg', bytes: 1 });
    const second = ids[1] as string;
    await storage.put('uploads/p1/original-photo.png', new Uint8Array([1]), { contentType: 'image/png' });
    await repository.saveThumbnail(second, { key: 'uploads/p1/original-photo.png', width: 1, height: 1, format: 'png', bytes: 1 });
    const manager = new ThumbnailManager({ storage, repository, width: 16, height: 16, retry: { initialDelayMs: 1 } });
    await manager.generateMany(ids);
    expect(await storage.exists(record?.imageKey as string)).toBe(true);
    expect(await storage.exists('uploads/p1/original-photo.png')).toBe(true);
    expect(manager.metrics().staleDeletesFailed).toBe(0);
  });

  it("an owned previous thumbnail is still replaced and deleted (the default key layout)", async () => {
    const { project } = await import('../helpers/project.js');
    const { ThumbnailManager } = await import('../../src/thumbnails/index.js');
    const { storage, repository, ids } = await project(1);
    const id = ids[0] as string;
    await storage.put(`thumbnails/p1/${id}.png`, new Uint8Array([1]), { contentType: 'image/png' });
    await repository.saveThumbnail(id, { key: `thumbnails/p1/${id}.png`, width: 1, height: 1, format: 'png', bytes: 1 });
    await new ThumbnailManager({ storage, repository, width: 16, height: 16, format: 'webp' }).generate(id);
    expect(await storage.exists(`thumbnails/p1/${id}.png`)).toBe(false);
    expect(await storage.exists(`thumbnails/p1/${id}.webp`)).toBe(true);
  });
});

describe('FileSystemStorage on a hostile tree', () => {
  it('refuses to follow a symbolic link out of the root, reading, writing and deleting', async () => {
    const { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileSystemStorage } = await import('../../src/thumbnails/index.js');
    const base = mkdtempSync(join(tmpdir(), 'bulwark-link-'));
    const root = join(base, 'root');
    const outside = join(base, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(outside, join(root, 'escape'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'file-link'));
    const storage = new FileSystemStorage({ root });
    await expect(storage.get('escape/secret.txt')).rejects.toMatchObject({ code: 'ERR_BULWARK_INVALID_STORAGE_KEY' });
    await expect(storage.get('file-link')).rejects.toMatchObject({ code: 'ERR_BULWARK_INVALID_STORAGE_KEY' });
    await expect(storage.exists('file-link')).rejects.toMatchObject({ code: 'ERR_BULWARK_INVALID_STORAGE_KEY' });
    await expect(storage.put('escape/planted.txt', new Uint8Array([1]), { contentType: 'x' })).rejects.toMatchObject({ code: 'ERR_BULWARK_INVALID_STORAGE_KEY' });
    await expect(storage.delete('escape/secret.txt')).rejects.toMatchObject({ code: 'ERR_BULWARK_INVALID_STORAGE_KEY' });
    expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
    expect(existsSync(join(outside, 'secret.txt'))).toBe(true);
    // Inside the root, everything still works.
    await storage.put('inside/a.png', new Uint8Array([1, 2]), { contentType: 'image/png' });
    expect(Array.from(await storage.get('inside/a.png'))).toEqual([1, 2]);
  });

  it("root: '/' maps keys under '/'; segments too long for the temporary name and lone surrogates are invalid keys", async () => {
    const { FileSystemStorage, validateKey } = await import('../../src/thumbnails/index.js');
    expect(new FileSystemStorage({ root: '/' }).pathOf('srv/thumbs/a.png')).toBe('/srv/thumbs/a.png');
    const storage = new FileSystemStorage({ root: '/tmp/x' });
    expect(() => storage.pathOf(`a/${'b'.repeat(240)}`)).toThrow(/last segment must be at most/);
    expect(() => storage.pathOf(`a/${'b'.repeat(200)}`)).not.toThrow();
    expect(() => validateKey('thumb-\uD800.png')).toThrow(/lone surrogates/);
    expect(() => validateKey('thumb-\uDC00x.png')).toThrow(/lone surrogates/);
    expect(validateKey('thumb-😀.png')).toBe('thumb-😀.png');
  });
});

describe('storage and repository calls cannot hang a slot for ever', () => {
  it('a get that never returns fails its attempt after ioTimeoutMs (its signal aborts), is retried, and the slot is freed', async () => {
    const { project } = await import('../helpers/project.js');
    const { ThumbnailManager } = await import('../../src/thumbnails/index.js');
    const { storage, repository, ids } = await project(2);
    const hungSignals: AbortSignal[] = [];
    let calls = 0;
    const hanging = {
      get: (key: string, options?: { signal?: AbortSignal }) => {
        calls++;
        if (!key.includes(ids[0] as string)) return storage.get(key);
        if (options?.signal !== undefined) hungSignals.push(options.signal);
        return new Promise<Uint8Array>(() => undefined);
      },
    };
    const manager = new ThumbnailManager({ storage, imageStorage: hanging, repository, width: 16, height: 16, concurrency: 1, ioTimeoutMs: 50, retry: { maxAttempts: 2, initialDelayMs: 1 } });
    const report = await manager.generateMany(ids);
    expect(report.succeeded).toBe(1); // the other id still got the (single) slot
    expect(report.failed.map((f) => (f.error as { code?: string }).code)).toEqual(['ERR_BULWARK_RETRY_EXHAUSTED']);
    expect(report.failed[0]?.attempts).toBe(2);
    expect(calls).toBe(3);
    expect(hungSignals).toHaveLength(2);
    expect(hungSignals.every((s) => s.aborted)).toBe(true);
  });
});

describe("invalidPolygons: 'skip'", () => {
  it('drops only the bad polygons, lists them with why, and still makes the thumbnail (drawn from the good ones)', async () => {
    const { renderThumbnail } = await import('../../src/thumbnails/index.js');
    const { solid, decode } = await import('../helpers/images.js');
    const image = await solid(64, 64, [0, 0, 0], 'png');
    const polygons = [
      { id: 'good', type: 'external' as const, points: [{ x: 8, y: 8 }, { x: 56, y: 8 }, { x: 56, y: 56 }, { x: 8, y: 56 }] },
      { id: 'two-points', type: 'external' as const, points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
      { id: 'nan', type: 'external' as const, points: [{ x: Number.NaN, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 0 }] },
      { id: 'colour', type: 'external' as const, color: 'red', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 0 }] },
    ];
    await expect(renderThumbnail(image, polygons, { width: 64, height: 64, format: 'png' })).rejects.toMatchObject({ code: 'ERR_BULWARK_INVALID_POLYGON' });
    const result = await renderThumbnail(image, polygons, { width: 64, height: 64, format: 'png', invalidPolygons: 'skip' });
    expect(result.skippedPolygons.map((s) => [s.index, s.id])).toEqual([[1, 'two-points'], [2, 'nan'], [3, 'colour']]);
    expect(result.skippedPolygons[0]?.reason).toBe('a polygon needs at least 3 points, got 2');
    const pixels = await decode(result.data);
    const [r] = pixels.at(32, 32);
    expect(r).toBeGreaterThan(60); // the good square is filled red
    await expect(renderThumbnail(image, 'nope' as never, { invalidPolygons: 'skip' })).rejects.toMatchObject({ code: 'ERR_BULWARK_INVALID_POLYGON' });
  });
});

describe('thumbnails: found by the adversarial review', () => {
  it('a symbolic link on the way never gets folders created outside the root', async () => {
    const { mkdtempSync, mkdirSync, symlinkSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileSystemStorage } = await import('../../src/thumbnails/index.js');
    const base = mkdtempSync(join(tmpdir(), 'bulwark-mkdir-'));
    mkdirSync(join(base, 'root'));
    mkdirSync(join(base, 'outside'));
    symlinkSync(join(base, 'outside'), join(base, 'root', 'link'));
    const storage = new FileSystemStorage({ root: join(base, 'root') });
    await expect(storage.put('link/deep/er/x.png', new Uint8Array([1]), { contentType: 'image/png' })).rejects.toMatchObject({ code: 'ERR_BULWARK_INVALID_STORAGE_KEY' });
    expect(existsSync(join(base, 'outside', 'deep'))).toBe(false);
  });

  it("the default ownsKey owns this record's own key only: another record's live thumbnail is never deleted", async () => {
    const { project } = await import('../helpers/project.js');
    const { ThumbnailManager } = await import('../../src/thumbnails/index.js');
    const { storage, repository, ids } = await project(2);
    const [a, b] = ids as [string, string];
    await storage.put(`thumbnails/p1/${b}.jpg`, new Uint8Array([1]), { contentType: 'image/jpeg' });
    await repository.saveThumbnail(a, { key: `thumbnails/p1/${b}.jpg`, width: 1, height: 1, format: 'jpeg', bytes: 1 });
    await new ThumbnailManager({ storage, repository, width: 16, height: 16, format: 'webp' }).generate(a);
    expect(await storage.exists(`thumbnails/p1/${b}.jpg`)).toBe(true);
  });

  it('a storage whose delete is not a function is refused at construction, not after a successful write', async () => {
    const { MemoryRepository, MemoryStorage, ThumbnailManager } = await import('../../src/thumbnails/index.js');
    const storage = Object.assign(new MemoryStorage(), { delete: null });
    expect(() => new ThumbnailManager({ storage: storage as never, repository: new MemoryRepository() })).toThrow('Expected `storage.delete` to be a function or undefined');
  });
});

describe('holes are subtracted as a union', () => {
  it('where two holes of one object overlap, the overlap stays cut out (0.1 refilled it with even-odd)', async () => {
    const { renderThumbnail } = await import('../../src/thumbnails/index.js');
    const { solid, decode } = await import('../helpers/images.js');
    const image = await solid(40, 40, [0, 0, 0], 'png');
    const sq = (x0: number, y0: number, x1: number, y1: number) => [{ x: x0, y: y0 }, { x: x1, y: y0 }, { x: x1, y: y1 }, { x: x0, y: y1 }];
    const polygons = [
      { id: 'cell', type: 'external' as const, points: sq(2, 2, 38, 38) },
      { type: 'internal' as const, parentId: 'cell', points: sq(10, 10, 25, 25) },
      { type: 'internal' as const, parentId: 'cell', points: [...sq(18, 18, 32, 32)].reverse() }, // the other way round
    ];
    const out = await decode((await renderThumbnail(image, polygons, { width: 40, height: 40, format: 'png', strokeWidth: 0 })).data);
    const red = (x: number, y: number): number => (out.at(x, y) as number[])[0] as number;
    expect(red(5, 5)).toBeGreaterThan(60); // tissue
    expect(red(13, 13)).toBeLessThan(10); // hole A only
    expect(red(29, 29)).toBeLessThan(10); // hole B only
    expect(red(21, 21)).toBeLessThan(10); // both holes: still a hole
  });
});

describe('render options per call', () => {
  it('generate(id, { render }) overrides the manager for that call only; bad ones reject before any work', async () => {
    const { project } = await import('../helpers/project.js');
    const { ThumbnailManager } = await import('../../src/thumbnails/index.js');
    const { storage, repository, ids } = await project(2);
    const manager = new ThumbnailManager({ storage, repository, width: 32, height: 32, format: 'jpeg' });
    const webp = await manager.generate(ids[0] as string, { render: { format: 'webp', width: 16, height: 16 } });
    expect(webp).toMatchObject({ format: 'webp', key: expect.stringMatching(/\.webp$/) });
    expect(Math.max(webp.width, webp.height)).toBe(16);
    const plain = await manager.generate(ids[1] as string);
    expect(plain).toMatchObject({ format: 'jpeg' });
    expect(Math.max(plain.width, plain.height)).toBe(32);
    await expect(manager.generate(ids[1] as string, { render: { width: 0 } })).rejects.toMatchObject({ code: 'ERR_BULWARK_INVALID_OPTION', option: 'width' });
    const many = await manager.generateMany(ids, { render: { format: 'png' } });
    expect(many.results.map((r) => r?.format)).toEqual(['png', 'png']);
  });
});

describe("the segmentation backend's look, as options", () => {
  it('holeFill tints holes instead of cutting them; vertex and end markers are drawn (decoded pixels)', async () => {
    const { renderThumbnail } = await import('../../src/thumbnails/index.js');
    const { solid, decode } = await import('../helpers/images.js');
    const image = await solid(60, 60, [0, 0, 0], 'png');
    const sq = (x0: number, y0: number, x1: number, y1: number) => [{ x: x0, y: y0 }, { x: x1, y: y0 }, { x: x1, y: y1 }, { x: x0, y: y1 }];
    const polygons = [
      { id: 'cell', type: 'external' as const, points: sq(4, 4, 40, 40) },
      { type: 'internal' as const, parentId: 'cell', points: sq(14, 14, 30, 30) },
      { type: 'external' as const, geometry: 'polyline' as const, points: [{ x: 45, y: 50 }, { x: 55, y: 50 }] },
    ];
    const base = { width: 60, height: 60, format: 'png' as const, strokeWidth: 0, fillOpacity: 1 };
    const tinted = await decode((await renderThumbnail(image, polygons, { ...base, holeFill: '#0000FF' })).data);
    expect(tinted.at(22, 22)).toEqual([0, 0, 255]); // the hole, tinted blue
    expect(tinted.at(8, 8)).toEqual([255, 0, 0]); // the tissue, red
    const marked = await decode((await renderThumbnail(image, polygons, { ...base, fillOpacity: 0, strokeWidth: 1, vertexMarkers: { radius: 2, color: '#00FF00' }, endMarkers: { radius: 3, color: '#FFFFFF' } })).data);
    expect(marked.at(4, 4)).toEqual([0, 255, 0]); // a vertex of the cell
    expect(marked.at(45, 50)).toEqual([255, 255, 255]); // the polyline's first point
    expect(marked.at(20, 10)).toEqual([0, 0, 0]); // inside, no fill
    await expect(renderThumbnail(image, polygons, { holeFill: 'blue' })).rejects.toMatchObject({ option: 'holeFill' });
  });
});
