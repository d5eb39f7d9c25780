import { BulwarkError } from './bulwark-error.js';

const CODE = 'ERR_BULWARK_REENTRANT_RUN';

/**
 * A task called `run` on the manager it is running in, with `reentrant: 'throw'`. Awaiting such a call
 * on a full manager would deadlock (the outer task holds the slot the inner one waits for).
 */
export class ReentrantRunError extends BulwarkError {
  static readonly code = CODE;
  override name = 'ReentrantRunError';

  constructor() {
    super(
      CODE,
      'A task called run() on the ConcurrencyManager it is running in; awaiting it could deadlock (reentrant: "throw")',
    );
  }
}
