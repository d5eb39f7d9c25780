import { BulwarkError } from '../../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_INVALID_STORAGE_KEY';

/** A storage key is unsafe or malformed: `..` segments, an absolute path, a NUL byte, too long. */
export class InvalidStorageKeyError extends BulwarkError {
  static readonly code = CODE;
  override name = 'InvalidStorageKeyError';
  /** The rejected key. */
  readonly key: string;

  constructor(key: string, problem: string) {
    super(CODE, `Invalid storage key ${JSON.stringify(key.length > 80 ? `${key.slice(0, 77)}...` : key)}: ${problem}`);
    this.key = key;
  }
}
