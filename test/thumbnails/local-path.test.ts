// Source images read from their file by sharp (`ThumbnailStorage.localPath`), not copied through `get`.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  FileSystemStorage,
  ImageDecodeError,
  InvalidStorageKeyError,
  MemoryRepository,
  MemoryStorage,
  StorageNotFoundError,
  ThumbnailManager,
  type SegmentationRecord,
  type ThumbnailStorage,
} from '../../src/thumbnails/index.js';
import { InvalidOptionError } from '../../src/index.js';
import { encodeBmp } from '../../demo/fixtures.mjs';
import { decode, solid, square } from '../helpers/images.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function files(): Promise<FileSystemStorage> {
  const root = await mkdtemp(join(tmpdir(), 'bulwark-local-'));
  roots.push(root);
  return new FileSystemStorage({ root });
}

const record = (id: string, imageKey: string): SegmentationRecord => ({ id, projectId: 'p', imageKey, polygons: [square(100, 100, 300, 300)] });
const noRetry = { maxAttempts: 1 };

describe('FileSystemStorage.localPath', () => {
  it('gives the checked path of a stored file; missing keys, escapes and non-files as get would judge them', async () => {
    const storage = await files();
    await storage.put('images/a.png', new Uint8Array([1]), { contentType: 'image/png' });
    expect(await storage.localPath('images/a.png')).toBe(join(storage.root, 'images/a.png'));
    await expect(storage.localPath('images/missing.png')).rejects.toBeInstanceOf(StorageNotFoundError);
    await expect(storage.localPath('images/a.png/below.png')).rejects.toBeInstanceOf(StorageNotFoundError); // ENOTDIR
    await expect(storage.localPath('../outside.png')).rejects.toBeInstanceOf(InvalidStorageKeyError);
    const outside = await mkdtemp(join(tmpdir(), 'bulwark-outside-'));
    roots.push(outside);
    await writeFile(join(outside, 'secret.png'), 'secret');
    await symlink(join(outside, 'secret.png'), join(storage.root, 'images/link.png'));
    await expect(storage.localPath('images/link.png')).rejects.toBeInstanceOf(InvalidStorageKeyError);
    await mkdir(join(storage.root, 'images/folder.png'));
    expect(await storage.localPath('images/folder.png')).toBeUndefined(); // not a file: `get` reports it
  });
});

describe('ThumbnailManager with a storage that has localPath', () => {
  it('lets sharp read the file (get is not called), with the same thumbnail as from bytes', async () => {
    const image = await solid(400, 400, [128, 128, 128], 'png');
    const storage = await files();
    await storage.put('images/a.png', image, { contentType: 'image/png' });
    const get = vi.spyOn(storage, 'get');
    const fromFile = await new ThumbnailManager({ storage, repository: new MemoryRepository([record('a', 'images/a.png')]), format: 'png' }).generate('a');
    expect(get).not.toHaveBeenCalledWith('images/a.png', expect.anything());
    const memory = new MemoryStorage();
    await memory.put('images/a.png', image, { contentType: 'image/png' });
    const fromBytes = await new ThumbnailManager({ storage: memory, repository: new MemoryRepository([record('a', 'images/a.png')]), format: 'png' }).generate('a');
    const a = await storage.get(fromFile.key);
    const b = await memory.get(fromBytes.key);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    expect((await decode(a)).at(150, 150)[0]).toBeGreaterThan(170); // the polygon is drawn
  });

  it('reads a BMP (which sharp cannot decode) through get, once', async () => {
    const storage = await files();
    const pixels = new Uint8Array(400 * 400 * 3).fill(128);
    await storage.put('images/a.bmp', encodeBmp({ width: 400, height: 400, channels: 3, data: pixels }), { contentType: 'image/bmp' });
    const get = vi.spyOn(storage, 'get');
    const result = await new ThumbnailManager({ storage, repository: new MemoryRepository([record('a', 'images/a.bmp')]), format: 'png' }).generate('a');
    expect(get.mock.calls.filter(([key]) => key === 'images/a.bmp')).toHaveLength(1);
    expect((await decode(await storage.get(result.key))).at(10, 10)).toEqual([128, 128, 128]);
  });

  it('judges an empty or broken file as it judges those bytes (ImageDecodeError, permanent)', async () => {
    const storage = await files();
    await storage.put('images/empty.png', new Uint8Array(0), { contentType: 'image/png' });
    await storage.put('images/text.png', new TextEncoder().encode('not an image'), { contentType: 'image/png' });
    const manager = new ThumbnailManager({ storage, repository: new MemoryRepository([record('empty', 'images/empty.png'), record('text', 'images/text.png')]), retry: noRetry });
    await expect(manager.generate('empty')).rejects.toThrow('Image is empty');
    await expect(manager.generate('text')).rejects.toBeInstanceOf(ImageDecodeError);
  });

  it('reports a file gone between localPath and the read as StorageNotFoundError, not a decode error', async () => {
    const storage = await files();
    await storage.put('images/a.png', await solid(400, 400, [1, 2, 3], 'png'), { contentType: 'image/png' });
    const vanishing: ThumbnailStorage = {
      put: (k, d, m) => storage.put(k, d, m),
      get: (k) => storage.get(k),
      exists: (k) => storage.exists(k),
      localPath: async (k) => {
        const path = await storage.localPath(k);
        await rm(join(storage.root, k));
        return path;
      },
    };
    const manager = new ThumbnailManager({ storage: vanishing, repository: new MemoryRepository([record('a', 'images/a.png')]), retry: noRetry });
    const error = await manager.generate('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageNotFoundError);
    expect((error as StorageNotFoundError).key).toBe('images/a.png');
    expect((error as Error).message).not.toContain(storage.root); // the key, not the absolute path
  });

  it('never lets libvips read a trailing [...] as load options (another file, even through a link out of the root)', async () => {
    // Regression: sharp('…/a.png[x]') opened '…/a.png', unchecked; here a symbolic link out of the root.
    const storage = await files();
    const outside = await mkdtemp(join(tmpdir(), 'bulwark-outside-'));
    roots.push(outside);
    await writeFile(join(outside, 'secret.png'), await solid(400, 400, [255, 0, 0], 'png'));
    await mkdir(join(storage.root, 'images'), { recursive: true });
    await symlink(join(outside, 'secret.png'), join(storage.root, 'images/a.png'));
    await storage.put('images/a.png[x]', await solid(400, 400, [0, 0, 255], 'png'), { contentType: 'image/png' });
    await storage.put('images/b.png[page=1]', await solid(400, 400, [0, 255, 0], 'png'), { contentType: 'image/png' });
    const repository = new MemoryRepository([{ ...record('a', 'images/a.png[x]'), polygons: [] }, { ...record('b', 'images/b.png[page=1]'), polygons: [] }]);
    const manager = new ThumbnailManager({ storage, repository, format: 'png', kind: 'image', retry: noRetry });
    expect((await decode(await storage.get((await manager.generate('a')).key))).at(10, 10)).toEqual([0, 0, 255]);
    expect((await decode(await storage.get((await manager.generate('b')).key))).at(10, 10)).toEqual([0, 255, 0]);
  });

  it('reads with get when a custom localPath gives a relative path', async () => {
    const memory = new MemoryStorage();
    await memory.put('images/a.png', await solid(400, 400, [128, 128, 128], 'png'), { contentType: 'image/png' });
    const storage: ThumbnailStorage = { put: (k, d, m) => memory.put(k, d, m), get: vi.fn((k: string) => memory.get(k)), exists: (k) => memory.exists(k), localPath: (k) => Promise.resolve(k) };
    await new ThumbnailManager({ storage, repository: new MemoryRepository([record('a', 'images/a.png')]), retry: noRetry }).generate('a');
    expect(storage.get).toHaveBeenCalledTimes(1);
  });

  it('bounds a localPath that never settles or throws at once like any storage call: the slot is freed, the next id runs', async () => {
    const memory = new MemoryStorage();
    await memory.put('images/a.png', await solid(400, 400, [128, 128, 128], 'png'), { contentType: 'image/png' });
    const base = { put: (k: string, d: Uint8Array, m: { contentType: string }) => memory.put(k, d, m), get: (k: string) => memory.get(k), exists: (k: string) => memory.exists(k) };
    for (const localPath of [() => new Promise<string>(() => {}), () => { throw new Error('localPath bug'); }]) {
      const repository = new MemoryRepository([record('a', 'images/a.png'), record('b', 'images/a.png')]);
      const manager = new ThumbnailManager({ storage: { ...base, localPath } as ThumbnailStorage, repository, concurrency: 1, ioTimeoutMs: 50, retry: noRetry });
      const report = await manager.generateMany(['a', 'b']);
      expect(report.failed.map((f) => f.item)).toEqual(['a', 'b']); // both ran and ended; none hung
      expect(report.succeeded).toBe(0);
    }
  });

  it('uses get when localPath resolves undefined, and refuses a localPath that is not a function', async () => {
    const memory = new MemoryStorage();
    await memory.put('images/a.png', await solid(400, 400, [128, 128, 128], 'png'), { contentType: 'image/png' });
    const storage: ThumbnailStorage = { put: (k, d, m) => memory.put(k, d, m), get: vi.fn((k: string) => memory.get(k)), exists: (k) => memory.exists(k), localPath: () => Promise.resolve(undefined) };
    await new ThumbnailManager({ storage, repository: new MemoryRepository([record('a', 'images/a.png')]) }).generate('a');
    expect(storage.get).toHaveBeenCalledTimes(1);
    const repository = new MemoryRepository();
    expect(() => new ThumbnailManager({ storage: { ...storage, localPath: 'yes' } as unknown as ThumbnailStorage, repository })).toThrow(InvalidOptionError);
    expect(() => new ThumbnailManager({ storage: memory, repository, imageStorage: { get: (k: string) => memory.get(k), localPath: 1 } as unknown as ThumbnailStorage })).toThrow(InvalidOptionError);
  });
});
