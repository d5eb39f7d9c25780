import { BulwarkError } from '../../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_STORAGE_NOT_FOUND';

/** `ThumbnailStorage.get` found nothing under the key. Adapters must reject with this (or its `code`). */
export class StorageNotFoundError extends BulwarkError {
  static readonly code = CODE;
  override name = 'StorageNotFoundError';
  /** The missing key. */
  readonly key: string;

  constructor(key: string, options?: { readonly cause?: unknown }) {
    super(CODE, `No object stored under key ${JSON.stringify(key)}`, options);
    this.key = key;
  }
}
