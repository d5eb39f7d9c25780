import { mkdtemp, readdir, rm, truncate, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FileSystemStorage,
  InvalidStorageKeyError,
  MemoryStorage,
  StorageNotFoundError,
  isStorageNotFoundError,
  validateKey,
  type ThumbnailStorage,
} from '../../../src/thumbnails/index.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function fsStorage(): Promise<FileSystemStorage> {
  const root = await mkdtemp(join(tmpdir(), 'bulwark-fs-'));
  roots.push(root);
  return new FileSystemStorage({ root: join(root, 'store') });
}

const adapters: Array<[string, () => Promise<ThumbnailStorage>]> = [
  ['MemoryStorage', async () => new MemoryStorage()],
  ['FileSystemStorage', fsStorage],
];

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

const badKeys: Array<[string, string, string]> = [
  ['parent segment', '../escape.jpg', 'must not contain ".." segments'],
  ['nested parent segment', 'a/../../b.jpg', 'must not contain ".." segments'],
  ['dot segment', 'a/./b.jpg', 'must not contain "." segments'],
  ['absolute path', '/etc/passwd', 'must be relative (no leading "/")'],
  ['drive letter', 'C:/Windows/x', 'must be relative (no drive letter)'],
  ['backslash', 'a\\..\\b', 'must not contain backslashes'],
  ['NUL byte', 'a\u0000b.jpg', 'must not contain NUL bytes'],
  ['control character', 'a\nb.jpg', 'must not contain control characters'],
  ['empty', '', 'must not be empty'],
  ['empty segment', 'a//b.jpg', 'must not contain empty segments ("//" or a trailing "/")'],
  ['trailing slash', 'a/', 'must not contain empty segments ("//" or a trailing "/")'],
  ['very long segment', `${'x'.repeat(256)}.jpg`, 'segments must be at most 255 bytes'],
  ['very long key', Array.from({ length: 12 }, () => 'y'.repeat(100)).join('/'), 'must be at most 1024 bytes'],
];

describe.each(adapters)('storage contract: %s', (_name, make) => {
  it('round-trips bytes, overwrites, and copies the input', async () => {
    const storage = await make();
    const data = bytes(1, 2, 3);
    await storage.put('thumbnails/p1/a.jpg', data, { contentType: 'image/jpeg' });
    data[0] = 99; // later changes to the caller's buffer do not leak in
    expect(Array.from(await storage.get('thumbnails/p1/a.jpg'))).toEqual([1, 2, 3]);
    await storage.put('thumbnails/p1/a.jpg', bytes(4, 5), { contentType: 'image/jpeg' });
    expect(Array.from(await storage.get('thumbnails/p1/a.jpg'))).toEqual([4, 5]);
    expect(await storage.exists('thumbnails/p1/a.jpg')).toBe(true);
    expect(await storage.exists('thumbnails/p1/b.jpg')).toBe(false);
    expect(await storage.exists('thumbnails/p1')).toBe(false); // a "folder" is not an object
  });

  it('rejects get of a missing key with StorageNotFoundError', async () => {
    const storage = await make();
    await expect(storage.get('nope/missing.jpg')).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(StorageNotFoundError);
      expect(isStorageNotFoundError(e)).toBe(true);
      expect((e as StorageNotFoundError).key).toBe('nope/missing.jpg');
      return true;
    });
  });

  it('deletes, and deleting a missing key resolves', async () => {
    const storage = await make();
    await storage.put('x.png', bytes(1), { contentType: 'image/png' });
    await storage.delete?.('x.png');
    expect(await storage.exists('x.png')).toBe(false);
    await expect(storage.delete?.('x.png')).resolves.toBeUndefined();
  });

  it('accepts unicode keys', async () => {
    const storage = await make();
    await storage.put('проект/日本/😀 cell.webp', bytes(7), { contentType: 'image/webp' });
    expect(Array.from(await storage.get('проект/日本/😀 cell.webp'))).toEqual([7]);
  });

  it.each(badKeys)('rejects a key with a %s in put, get, exists and delete', async (_case, key, problem) => {
    const storage = await make();
    for (const call of [
      () => storage.put(key, bytes(1), { contentType: 'image/png' }),
      () => storage.get(key),
      () => storage.exists(key),
      () => storage.delete?.(key) ?? Promise.reject(new InvalidStorageKeyError(key, problem)),
    ]) {
      await expect(call()).rejects.toSatisfy((e: unknown) => {
        expect(e).toBeInstanceOf(InvalidStorageKeyError);
        expect((e as Error).message).toContain(problem);
        expect((e as InvalidStorageKeyError).code).toBe('ERR_BULWARK_INVALID_STORAGE_KEY');
        return true;
      });
    }
  });
});

describe('FileSystemStorage specifics', () => {
  it('writes atomically: no temporary file is left, folders are created', async () => {
    const storage = await fsStorage();
    await Promise.all(Array.from({ length: 20 }, (_, i) => storage.put('deep/nested/dir/same.jpg', new Uint8Array(10_000).fill(i), { contentType: 'image/jpeg' })));
    const files = await readdir(join(storage.root, 'deep/nested/dir'));
    expect(files).toEqual(['same.jpg']);
    const content = await storage.get('deep/nested/dir/same.jpg');
    expect(new Set(content).size).toBe(1); // one whole write won, never a mix
  });

  it('cleans up its temporary file when the final rename fails', async () => {
    const storage = await fsStorage();
    await mkdir(join(storage.root, 'blocked.jpg'), { recursive: true }); // a directory where the file should go
    await writeFile(join(storage.root, 'blocked.jpg', 'inside'), 'x');
    await expect(storage.put('blocked.jpg', bytes(1), { contentType: 'image/jpeg' })).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) });
    expect((await readdir(storage.root)).sort()).toEqual(['blocked.jpg']);
  });

  it('removes only stale temporary files', async () => {
    const storage = await fsStorage();
    await storage.put('a/b.jpg', bytes(1), { contentType: 'image/jpeg' });
    await writeFile(join(storage.root, 'a', 'b.jpg.123-abc.bulwark-tmp'), 'partial');
    expect(await storage.removeStaleTemporaryFiles()).toBe(0); // fresh: may be a write in progress
    expect(await storage.removeStaleTemporaryFiles({ now: Date.now() + 3_600_000 })).toBe(1);
    expect(await readdir(join(storage.root, 'a'))).toEqual(['b.jpg']);
    expect(await new FileSystemStorage({ root: join(storage.root, 'missing') }).removeStaleTemporaryFiles()).toBe(0);
  });

  it('reads files larger than one read chunk whole, and empty files as empty', async () => {
    const storage = await fsStorage();
    // 3 MB of a pattern that differs at every 512 KiB boundary (readFile's chunk): a lost or
    // repeated chunk shows.
    const big = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 19)) & 0xff;
    await storage.put('big/image.png', big, { contentType: 'image/png' });
    const read = await storage.get('big/image.png');
    expect(read.byteLength).toBe(big.byteLength);
    expect(Buffer.compare(Buffer.from(read), Buffer.from(big))).toBe(0);
    await storage.put('big/empty.png', new Uint8Array(0), { contentType: 'image/png' });
    expect((await storage.get('big/empty.png')).byteLength).toBe(0);
  });

  it.runIf(process.platform === 'linux')('reads files whose size stat cannot tell (/proc)', async () => {
    const storage = new FileSystemStorage({ root: '/proc/self' });
    const status = new TextDecoder().decode(await storage.get('status'));
    expect(status).toMatch(/^Name:/);
    expect(status).toContain(`Pid:\t${process.pid}`);
  });

  it('rejects a file over 2 GiB with ERR_FS_FILE_TOO_LARGE, without aborting the process', async () => {
    // Regression: one `read` of the whole size took a length over int32, and Node aborted the process.
    const storage = await fsStorage();
    await storage.put('huge/image.tif', bytes(1), { contentType: 'image/tiff' });
    await truncate(join(storage.root, 'huge/image.tif'), 2 ** 31 + 4096); // sparse: no disk space used
    await expect(storage.get('huge/image.tif')).rejects.toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE' });
  });

  it('reports a file where a folder should be as mkdir does (EEXIST), leaving nothing behind', async () => {
    const storage = await fsStorage();
    await storage.put('a', bytes(1), { contentType: 'image/png' });
    await expect(storage.put('a/b.png', bytes(2), { contentType: 'image/png' })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readdir(storage.root)).toEqual(['a']);
  });

  it('writes into an existing folder and creates missing ones under it', async () => {
    const storage = await fsStorage();
    await storage.put('p/one.webp', bytes(1), { contentType: 'image/webp' });
    await storage.put('p/two.webp', bytes(2), { contentType: 'image/webp' }); // folder there: not created again
    await storage.put('p/deeper/three.webp', bytes(3), { contentType: 'image/webp' });
    expect((await readdir(join(storage.root, 'p'))).sort()).toEqual(['deeper', 'one.webp', 'two.webp']);
    expect([...(await storage.get('p/deeper/three.webp'))]).toEqual([3]);
  });

  it('refuses keys that would collide with its temporary files', async () => {
    const storage = await fsStorage();
    expect(() => storage.pathOf('a.jpg.bulwark-tmp')).toThrow(InvalidStorageKeyError);
  });

  it('validateKey returns valid keys unchanged', () => {
    expect(validateKey('thumbnails/p-1/seg_42.jpg')).toBe('thumbnails/p-1/seg_42.jpg');
    expect(() => validateKey(42)).toThrow('Invalid storage key "42": must be a string, got number');
  });
});
