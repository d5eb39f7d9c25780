import { permanent, type ErrorClassifier } from './classifier.js';
import { prop, stringCode } from './inspect.js';

/**
 * Fragments of sharp/libvips decoder messages. sharp's errors carry no `code`, so this is the one
 * classifier that reads messages; each fragment names a property of the bytes, which another
 * attempt on the same bytes cannot change.
 */
const PERMANENT_MESSAGES: readonly string[] = [
  'unsupported image format',
  'premature end',
  'corrupt',
  'truncated',
  'input buffer is empty',
  'input buffer has corrupt header',
  'input image exceeds pixel limit',
  'is not a known file format',
  'not a known image format',
  'bad seek',
  'crc error',
  'bad huffman',
  'invalid sos parameters',
  'insufficient image data',
  'libpng read error',
  'not a png file',
  'not a jpeg file',
  'improper call to jpeg library',
  'vipsjpeg: ',
  'tiff2vips: ',
  'webp2vips: ',
  'unable to decode',
  'image to composite must have same dimensions or smaller',
  // sharp's failOn: the decoder reported a problem with the data (its detail may be missing).
  'warning treated as error',
  'not enough data',
  'error in tile',
];

/**
 * Classifies image decoding errors as permanent: bulwark's `ImageDecodeError` and
 * `ImageTooLargeError` (by code), and sharp/libvips errors whose message reports unsupported, truncated or
 * corrupt input ("Input buffer contains unsupported image format", "VipsJpeg: Premature end of JPEG
 * file", "Input image exceeds pixel limit", …). Never retriable: the same bytes fail the same way.
 */
export const imageClassifier: ErrorClassifier = (error) => {
  const code = stringCode(error);
  if (code === 'ERR_BULWARK_IMAGE_DECODE') return permanent('image decode');
  if (code === 'ERR_BULWARK_IMAGE_TOO_LARGE') return permanent('image too large');
  const message = prop(error, 'message');
  if (typeof message !== 'string' || code !== undefined) return undefined;
  const lower = message.toLowerCase();
  for (const fragment of PERMANENT_MESSAGES) {
    if (lower.includes(fragment)) return permanent(`image ${fragment.replace(/[: ]+$/, '')}`);
  }
  return undefined;
};
