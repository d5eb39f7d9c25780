import { BulwarkError } from '../../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_IMAGE_TOO_LARGE';

/** The image has more pixels than `limitInputPixels` allows (a decompression bomb, or a limit to raise). */
export class ImageTooLargeError extends BulwarkError {
  static readonly code = CODE;
  override name = 'ImageTooLargeError';
  /** The configured pixel limit. */
  readonly limitInputPixels: number;

  constructor(limitInputPixels: number, options?: { readonly cause?: unknown }) {
    super(CODE, `Image exceeds the pixel limit of ${limitInputPixels} pixels (limitInputPixels)`, options);
    this.limitInputPixels = limitInputPixels;
  }
}
