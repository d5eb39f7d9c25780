import { BulwarkError } from '../../errors/bulwark-error.js';

/** `bulwark/thumbnails` needs the optional peer dependency `sharp`, and it could not be loaded. `cause` says why. */
export class SharpMissingError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_SHARP_MISSING' as const;
  override name = 'SharpMissingError';

  constructor(options?: { readonly cause?: unknown }) {
    super(SharpMissingError.code, 'bulwark/thumbnails needs the "sharp" package: npm install sharp', options);
  }
}
