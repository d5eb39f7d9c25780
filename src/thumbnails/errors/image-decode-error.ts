import { BulwarkError } from '../../errors/bulwark-error.js';

/**
 * The source image could not be decoded: empty, truncated, corrupt, or in a format that is not
 * supported. Permanent: retrying the same bytes cannot succeed. `cause` is the decoder's error.
 */
export class ImageDecodeError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_IMAGE_DECODE' as const;
  override name = 'ImageDecodeError';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(ImageDecodeError.code, message, options);
  }
}
