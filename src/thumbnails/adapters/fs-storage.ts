import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { InvalidStorageKeyError } from '../errors/invalid-storage-key-error.js';
import { StorageNotFoundError } from '../errors/storage-not-found-error.js';
import { InvalidOptionError } from '../../errors/invalid-option-error.js';
import type { ThumbnailStorage } from '../ports.js';
import { validateKey } from './keys.js';

/** Options of {@link FileSystemStorage}. */
export interface FileSystemStorageOptions {
  /** The folder every key lives under. Created on first write. */
  readonly root: string;
}

/** Temporary files end with this, so they are never mistaken for a key's object. */
const TEMP_SUFFIX = '.bulwark-tmp';
/** What a temporary name adds to the last segment: `.<pid>-<12 hex>` and the suffix (pid up to 10 digits). */
const TEMP_EXTRA_BYTES = 1 + 10 + 1 + 12 + TEMP_SUFFIX.length;
const encoder = new TextEncoder();

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** Nothing under the path: it, or a folder on the way, does not exist (or is a file). */
function isMissing(error: unknown): boolean {
  return isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR');
}

/** The longest single `read` Node takes (its length must fit an int32). */
const MAX_READ = 2 ** 31 - 1;

/**
 * Reads a file with as few trips through libuv's thread pool as it can (the pool sharp's work waits
 * in too): one `read` of the size `fstat` tells, where `readFile` reads in 512 KiB chunks (a 1.5 MB
 * image took three reads). A size of 0 (files under /proc) falls back to reading until the end.
 */
async function readWhole(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    // 0: a size the stat cannot tell. Over 2 GiB − 1: one `read` cannot take it (Node aborts the
    // process on such a length); `readFile` rejects it with ERR_FS_FILE_TOO_LARGE.
    if (size === 0 || size > MAX_READ) return viewOf(await file.readFile());
    const data = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await file.read(data, filled, size - filled, filled);
      if (bytesRead === 0) return data.subarray(0, filled); // it shrank while read
      filled += bytesRead;
    }
    return data;
  } finally {
    await file.close();
  }
}

function viewOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Thumbnail storage in a folder. Writes are atomic: data goes to a temporary file beside the target,
 * which is then renamed over it, so a crash (even `SIGKILL`) never leaves a half-written thumbnail
 * under a key; the file and its folder are synced before `put` resolves. Keys are validated (`..`,
 * absolute paths, NUL bytes, lone surrogates, names too long for the file system once the temporary
 * suffix is added are rejected with `InvalidStorageKeyError`), the resolved path must stay inside
 * `root`, and no symbolic link inside the root is followed out of it (reading, writing, deleting).
 *
 * @example
 * ```ts
 * const storage = new FileSystemStorage({ root: '/var/lib/app/thumbnails' });
 * ```
 */
export class FileSystemStorage implements ThumbnailStorage {
  /** The absolute root folder. */
  readonly root: string;

  readonly #prefix: string;
  #realRoot: string | undefined;

  constructor(options: FileSystemStorageOptions) {
    if (typeof options?.root !== 'string' || options.root.length === 0) throw new InvalidOptionError('root', 'a non-empty path', options?.root);
    this.root = resolve(options.root);
    this.#prefix = this.root.endsWith(sep) ? this.root : this.root + sep; // `root: '/'` works too
  }

  /** The absolute file path of a key (after validation). */
  pathOf(key: string): string {
    const path = join(this.root, validateKey(key));
    if (!path.startsWith(this.#prefix)) throw new InvalidStorageKeyError(key, 'resolves outside the storage root');
    if (path.endsWith(TEMP_SUFFIX)) throw new InvalidStorageKeyError(key, `must not end with "${TEMP_SUFFIX}"`);
    // The write goes through a temporary name beside the target: it must fit the file system too.
    const last = key.slice(key.lastIndexOf('/') + 1);
    if (encoder.encode(last).length + TEMP_EXTRA_BYTES > 255) {
      throw new InvalidStorageKeyError(key, `last segment must be at most ${255 - TEMP_EXTRA_BYTES} bytes (a temporary name is added during writes)`);
    }
    return path;
  }

  /**
   * Refuses to follow a symbolic link out of the root: the real path of `target` (the file itself
   * for reads, its folder for writes and deletes) must be inside the root's real path.
   */
  async #contained(key: string, target: string): Promise<void> {
    let real: string;
    try {
      real = await realpath(target);
    } catch (error) {
      if (isMissing(error)) return; // nothing there to escape through
      throw error;
    }
    this.#realRoot ??= await realpath(this.root);
    const root = this.#realRoot;
    if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) throw new InvalidStorageKeyError(key, 'resolves outside the storage root through a symbolic link');
  }

  async put(key: string, data: Uint8Array, _meta: { readonly contentType: string }): Promise<void> {
    const path = this.pathOf(key);
    const folder = dirname(path);
    // Check the nearest folder that exists before creating any: a symbolic link on the way must not
    // get folders made outside the root.
    let existing = folder;
    let exists = false;
    for (;;) {
      try {
        // A file where a folder should be: mkdir below reports it (EEXIST), as it always did.
        exists = (await stat(existing)).isDirectory();
        break;
      } catch (error) {
        if (!isCode(error, 'ENOENT') || existing === this.root || dirname(existing) === existing) break;
        existing = dirname(existing);
      }
    }
    await this.#contained(key, existing);
    // The folder was there: checked above, nothing to create (one trip through the thread pool less).
    if (existing !== folder || !exists) {
      await mkdir(folder, { recursive: true });
      await this.#contained(key, folder);
    }
    const temp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    try {
      // Durable before it is reported done: the data is synced, then renamed, then the folder is
      // synced so the rename itself survives a power cut.
      const file = await open(temp, 'wx');
      try {
        await file.writeFile(data);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, path);
      const dir = await open(folder, 'r');
      try {
        await dir.sync();
      } catch (error) {
        // Some file systems (and Windows) cannot sync a folder: the rename stays atomic, only its durability is the OS's.
        if (!isCode(error, 'EINVAL') && !isCode(error, 'EPERM') && !isCode(error, 'EISDIR')) throw error;
      } finally {
        await dir.close();
      }
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const path = this.pathOf(key);
    await this.#contained(key, path);
    try {
      return await readWhole(path);
    } catch (error) {
      if (isMissing(error)) throw new StorageNotFoundError(key, { cause: error });
      throw error;
    }
  }

  /**
   * The file of `key`, checked like `get` (inside the root, no symbolic link out of it):
   * `ThumbnailManager` hands it to sharp, which reads it without a copy in JavaScript memory.
   * `undefined` when it is not a regular file (a folder, a device): `get` then reports what is wrong.
   *
   * @throws {StorageNotFoundError} nothing stored under `key`.
   */
  async localPath(key: string): Promise<string | undefined> {
    const path = this.pathOf(key);
    await this.#contained(key, path);
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      if (isMissing(error)) throw new StorageNotFoundError(key, { cause: error });
      throw error;
    }
    return info.isFile() ? path : undefined; // a folder, a device…: `get` says what is wrong
  }

  async exists(key: string): Promise<boolean> {
    const path = this.pathOf(key);
    await this.#contained(key, path);
    try {
      return (await stat(path)).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /**
   * Removes temporary files left behind by writes that were interrupted (a crash or `SIGKILL` between
   * writing and renaming) and are older than `olderThanMs`, so they cannot belong to a write in
   * progress. They never hold a key's object, so this only frees space. Returns how many were removed.
   */
  async removeStaleTemporaryFiles(options: { readonly olderThanMs?: number; readonly now?: number } = {}): Promise<number> {
    const olderThanMs = options.olderThanMs ?? 3_600_000;
    const now = options.now ?? Date.now();
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isCode(error, 'ENOENT')) return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.name.endsWith(TEMP_SUFFIX)) {
          const info = await stat(path).catch(() => undefined);
          if (info !== undefined && now - info.mtimeMs >= olderThanMs) {
            await rm(path, { force: true });
            removed++;
          }
        }
      }
    };
    await walk(this.root);
    return removed;
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await this.#contained(key, dirname(path));
    try {
      await unlink(path);
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw error;
    }
  }
}
