import { sharpErrorVerdict } from '../classifiers/image.js';
import { isBulwarkError } from '../errors/guards.js';
import { ImageDecodeError } from './errors/image-decode-error.js';
import { ImageTooLargeError } from './errors/image-too-large-error.js';

/** @internal Turns sharp's untyped errors into bulwark's typed, permanent ones where the input is at fault. */
export function toImageError(error: unknown, limitInputPixels: number): unknown {
  if (isBulwarkError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new ImageTooLargeError(limitInputPixels, { cause: error });
  const verdict = sharpErrorVerdict(error);
  if (verdict !== undefined && !verdict.retriable) return new ImageDecodeError(`Cannot decode image: ${message}`, { cause: error });
  return error;
}
