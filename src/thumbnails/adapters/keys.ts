import { InvalidStorageKeyError } from '../errors/invalid-storage-key-error.js';

/** The longest key accepted, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** The longest path segment accepted, in UTF-8 bytes (most file systems' limit). */
export const MAX_SEGMENT_BYTES = 255;

const encoder = new TextEncoder();

/**
 * Checks a storage key and returns it. Keys are `/`-separated relative paths: non-empty segments,
 * no `.` or `..`, no leading `/`, no drive letter or backslash, no NUL or other control characters,
 * at most 1024 bytes and 255 bytes per segment. Unicode is allowed (normalise it yourself if your
 * names come from several sources).
 *
 * @throws {InvalidStorageKeyError} naming the problem.
 */
export function validateKey(key: unknown): string {
  if (typeof key !== 'string') throw new InvalidStorageKeyError(String(key), `must be a string, got ${key === null ? 'null' : typeof key}`);
  const fail = (problem: string): never => {
    throw new InvalidStorageKeyError(key, problem);
  };
  if (key.length === 0) fail('must not be empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) fail(key.includes('\u0000') ? 'must not contain NUL bytes' : 'must not contain control characters');
  if (key.includes('\\')) fail('must not contain backslashes');
  // A lone surrogate has no UTF-8 form: file systems would store a replacement character instead.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(key)) fail('must be well-formed Unicode (no lone surrogates)');
  if (key.startsWith('/')) fail('must be relative (no leading "/")');
  if (/^[a-zA-Z]:/.test(key)) fail('must be relative (no drive letter)');
  if (encoder.encode(key).length > MAX_KEY_BYTES) fail(`must be at most ${MAX_KEY_BYTES} bytes`);
  for (const segment of key.split('/')) {
    if (segment === '') fail('must not contain empty segments ("//" or a trailing "/")');
    if (segment === '.' || segment === '..') fail(`must not contain "${segment}" segments`);
    if (encoder.encode(segment).length > MAX_SEGMENT_BYTES) fail(`segments must be at most ${MAX_SEGMENT_BYTES} bytes`);
  }
  return key;
}
