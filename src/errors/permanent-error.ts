import { BulwarkError } from './bulwark-error.js';

const CODE = 'ERR_BULWARK_PERMANENT';

/**
 * Throw this (or wrap an error in it) from an operation to stop retrying at once. The retry loop
 * rethrows the `PermanentError` itself, with the original error as `cause`.
 *
 * @example
 * ```ts
 * await retry(async () => {
 *   const res = await fetch(url);
 *   if (res.status === 404) throw new PermanentError('not found', { cause: res });
 *   return res.json();
 * });
 * ```
 */
export class PermanentError extends BulwarkError {
  static readonly code = CODE;
  override name = 'PermanentError';

  constructor(message: string, options?: { readonly cause?: unknown });
  constructor(cause: Error);
  constructor(messageOrCause: string | Error, options?: { readonly cause?: unknown }) {
    if (typeof messageOrCause === 'string') super(CODE, messageOrCause, options);
    else super(CODE, messageOrCause.message, { cause: messageOrCause });
  }
}
