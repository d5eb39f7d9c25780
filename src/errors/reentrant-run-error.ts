import { BulwarkError } from './bulwark-error.js';

/**
 * A task called `run` on the manager it is running in, with `reentrant: 'throw'`. Awaiting such a call
 * on a full manager would deadlock (the outer task holds the slot the inner one waits for).
 */
export class ReentrantRunError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_REENTRANT_RUN' as const;
  override name = 'ReentrantRunError';

  constructor() {
    super(
      ReentrantRunError.code,
      'A task called run() on the ConcurrencyManager it is running in; awaiting it could deadlock (reentrant: "throw")',
    );
  }
}
