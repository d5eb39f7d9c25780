import { BulwarkError } from './bulwark-error.js';

const CODE = 'ERR_BULWARK_NOT_PROCESSED';

/**
 * An item was never started because its run stopped first (aborted, or `stopOnError` after another
 * item failed). Reports use it to say why an item is in `notProcessed`; it is retriable: nothing was
 * attempted, so running the item again is safe.
 */
export class NotProcessedError extends BulwarkError {
  static readonly code = CODE;
  override name = 'NotProcessedError';
  /** Why the run stopped before the item: `aborted` or `stopped-on-error`. */
  readonly reason: 'aborted' | 'stopped-on-error';

  constructor(reason: 'aborted' | 'stopped-on-error', options?: { readonly cause?: unknown }) {
    super(
      CODE,
      reason === 'aborted' ? 'Not processed: the run was aborted before this item started' : 'Not processed: the run stopped on an earlier error',
      options,
    );
    this.reason = reason;
  }
}
