import type { BulwarkErrorCode } from './codes.js';

/**
 * Options accepted by every bulwark error constructor.
 */
export interface BulwarkErrorOptions {
  /** The underlying error or value that caused this one. */
  readonly cause?: unknown;
}

/**
 * @internal The brand every bulwark error carries, shared by every copy of the package in a process
 * (ESM and CJS builds, two versions in one `node_modules`), so guards recognise them all.
 */
export const ERROR_BRAND: unique symbol = /* @__PURE__ */ Symbol.for('bulwark.error') as never;

/**
 * Base class of every error bulwark throws. Each subclass has a stable string {@link BulwarkError.code}
 * (and the same `static code`) that survives two copies of the package being loaded: compare `code`,
 * or use the type guards (`isRetryExhaustedError`…), never `instanceof` across copies.
 */
export class BulwarkError extends Error {
  override name = 'BulwarkError';
  /** A stable, machine-readable identifier for the kind of failure, e.g. `ERR_BULWARK_RETRY_EXHAUSTED`. */
  readonly code: BulwarkErrorCode;

  constructor(code: BulwarkErrorCode, message: string, options?: BulwarkErrorOptions) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    // Set here rather than as a computed class member, which would keep the class from tree-shaking.
    Object.defineProperty(this, ERROR_BRAND, { value: true });
  }
}
