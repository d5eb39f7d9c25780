import { BulwarkError } from '../../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_IMAGE_DECODE';

/**
 * The source image could not be decoded: empty, truncated, corrupt, or in a format that is not
 * supported. Permanent: retrying the same bytes cannot succeed. `cause` is the decoder's error.
 */
export class ImageDecodeError extends BulwarkError {
  static readonly code = CODE;
  override name = 'ImageDecodeError';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(CODE, message, options);
  }
}
