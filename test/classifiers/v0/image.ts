import { permanent, walkCauses, type ErrorClassifier, type Verdict } from './classifier.js';
import { prop, stringCode } from './inspect.js';

/**
 * Phrases only sharp and libvips write: matched in any error without a `code`. sharp's errors carry
 * no `code`, so this is the one classifier that reads messages, and only where the phrase cannot come
 * from anything else (a generic "truncated" or "corrupt" could be an upstream HTTP body: not here).
 */
const UNAMBIGUOUS: readonly string[] = [
  'contains unsupported image format',
  'input buffer is empty',
  'input buffer has corrupt header',
  'input image exceeds pixel limit',
  'is not a known file format',
  'vipsjpeg: ',
  'vipspng: ',
  'tiff2vips: ',
  'webp2vips: ',
  'gifload: ',
  'heifload: ',
  'libpng read error',
  'premature end of jpeg file',
  'corrupt jpeg data',
  'improper call to jpeg library',
  'image to composite must have same dimensions or smaller',
  'warning treated as error due to failon',
];

/**
 * More fragments, true of sharp's errors but too generic for errors of unknown origin: used only
 * where the error is known to come from sharp (bulwark/thumbnails' renderer).
 */
const FROM_SHARP: readonly string[] = /* @__PURE__ */ UNAMBIGUOUS.concat([
  'unsupported image format',
  'premature end',
  'corrupt',
  'truncated',
  'not a known image format',
  'bad seek',
  'crc error',
  'bad huffman',
  'invalid sos parameters',
  'insufficient image data',
  'not a png file',
  'not a jpeg file',
  'unable to decode',
  // sharp's failOn: the decoder reported a problem with the data (its detail may be missing).
  'warning treated as error',
  'not enough data',
  'error in tile',
]);

function matchMessage(error: unknown, fragments: readonly string[]): Verdict | undefined {
  const message = prop(error, 'message');
  if (typeof message !== 'string') return undefined;
  const lower = message.toLowerCase();
  for (const fragment of fragments) {
    if (lower.includes(fragment)) return permanent(`image ${fragment.replace(/[: ]+$/, '')}`);
  }
  return undefined;
}

function visit(error: unknown): Verdict | undefined {
  const code = stringCode(error);
  if (code === 'ERR_BULWARK_IMAGE_DECODE') return permanent('image decode');
  if (code === 'ERR_BULWARK_IMAGE_TOO_LARGE') return permanent('image too large');
  return code === undefined ? matchMessage(error, UNAMBIGUOUS) : undefined;
}

/** @internal The verdict on an error known to come from sharp: the broader fragment list applies. */
export function sharpErrorVerdict(error: unknown): Verdict | undefined {
  return stringCode(error) === undefined ? matchMessage(error, FROM_SHARP) : undefined;
}

/**
 * Classifies image decoding errors as permanent: bulwark's `ImageDecodeError` and
 * `ImageTooLargeError` (by code), and sharp/libvips errors whose message can only come from them
 * ("Input buffer contains unsupported image format", "VipsJpeg: Premature end of JPEG file", "Input
 * image exceeds pixel limit", …). Never retriable: the same bytes fail the same way. A message like
 * "Upstream response truncated" is not an image error and gets no opinion.
 */
export const imageClassifier: ErrorClassifier = (error) => walkCauses(error, visit);
