import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
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

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/**
 * Thumbnail storage in a folder. Writes are atomic: data goes to a temporary file beside the target,
 * which is then renamed over it, so a crash (even `SIGKILL`) never leaves a half-written thumbnail
 * under a key. Keys are validated (`..`, absolute paths, NUL bytes, over-long names are rejected with
 * `InvalidStorageKeyError`) and, as a second fence, the resolved path must stay inside `root`.
 *
 * @example
 * ```ts
 * const storage = new FileSystemStorage({ root: '/var/lib/app/thumbnails' });
 * ```
 */
export class FileSystemStorage implements ThumbnailStorage {
  /** The absolute root folder. */
  readonly root: string;

  constructor(options: FileSystemStorageOptions) {
    if (typeof options?.root !== 'string' || options.root.length === 0) throw new InvalidOptionError('root', 'a non-empty path', options?.root);
    this.root = resolve(options.root);
  }

  /** The absolute file path of a key (after validation). */
  pathOf(key: string): string {
    const path = join(this.root, validateKey(key));
    if (!path.startsWith(this.root + sep)) throw new InvalidStorageKeyError(key, 'resolves outside the storage root');
    if (path.endsWith(TEMP_SUFFIX)) throw new InvalidStorageKeyError(key, `must not end with "${TEMP_SUFFIX}"`);
    return path;
  }

  async put(key: string, data: Uint8Array, _meta: { readonly contentType: string }): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    try {
      await writeFile(temp, data, { flag: 'wx' });
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const path = this.pathOf(key);
    try {
      const buffer = await readFile(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) throw new StorageNotFoundError(key, { cause: error });
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    const path = this.pathOf(key);
    try {
      return (await stat(path)).isFile();
    } catch (error) {
      if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return false;
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
    try {
      await unlink(path);
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw error;
    }
  }
}
