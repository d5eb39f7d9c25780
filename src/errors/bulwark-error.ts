/**
 * Options accepted by every bulwark error constructor.
 */
export interface BulwarkErrorOptions {
  /** The underlying error or value that caused this one. */
  readonly cause?: unknown;
}

/**
 * Base class of every error bulwark throws. Each subclass has a stable string {@link BulwarkError.code}
 * that survives two copies of the package being loaded (compare `code`, or use the type guards).
 */
export class BulwarkError extends Error {
  override name = 'BulwarkError';
  /** A stable, machine-readable identifier for the kind of failure, e.g. `ERR_RETRY_EXHAUSTED`. */
  readonly code: string;

  constructor(code: string, message: string, options?: BulwarkErrorOptions) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
  }
}
