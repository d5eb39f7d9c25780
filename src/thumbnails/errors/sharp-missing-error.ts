import { BulwarkError } from '../../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_SHARP_MISSING';

/** `bulwark/thumbnails` needs the optional peer dependency `sharp`, and it could not be loaded. `cause` says why. */
export class SharpMissingError extends BulwarkError {
  static readonly code = CODE;
  override name = 'SharpMissingError';

  constructor(options?: { readonly cause?: unknown }) {
    super(CODE, 'bulwark/thumbnails needs the "sharp" package: npm install sharp', options);
  }
}
