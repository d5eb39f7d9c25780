import { StorageNotFoundError } from '../errors/storage-not-found-error.js';
import type { ThumbnailStorage } from '../ports.js';
import { validateKey } from './keys.js';

/** An object held by {@link MemoryStorage}. */
export interface StoredObject {
  readonly data: Uint8Array;
  readonly contentType: string;
}

/**
 * Thumbnail storage in a `Map`: the reference implementation, for tests, demos and caches. Keys are
 * validated like `FileSystemStorage`'s; stored bytes are copied, so later changes to the caller's
 * buffer do not leak in.
 */
export class MemoryStorage implements ThumbnailStorage {
  readonly #objects = new Map<string, StoredObject>();

  put(key: string, data: Uint8Array, meta: { readonly contentType: string }): Promise<void> {
    try {
      this.#objects.set(validateKey(key), { data: new Uint8Array(data), contentType: meta.contentType });
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  get(key: string): Promise<Uint8Array> {
    try {
      const object = this.#objects.get(validateKey(key));
      if (object === undefined) throw new StorageNotFoundError(key);
      return Promise.resolve(new Uint8Array(object.data));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  exists(key: string): Promise<boolean> {
    try {
      return Promise.resolve(this.#objects.has(validateKey(key)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  delete(key: string): Promise<void> {
    try {
      this.#objects.delete(validateKey(key));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Every key, in insertion order. */
  keys(): string[] {
    return [...this.#objects.keys()];
  }

  /** The stored object with its content type, or `undefined`. */
  peek(key: string): StoredObject | undefined {
    return this.#objects.get(key);
  }

  /** How many objects are stored. */
  get size(): number {
    return this.#objects.size;
  }
}
