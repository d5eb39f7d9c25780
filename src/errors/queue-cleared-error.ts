import { BulwarkError } from './bulwark-error.js';

/** A queued task was removed by `clear(reason)` before it started; `cause` is the reason given. */
export class QueueClearedError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_QUEUE_CLEARED' as const;
  override name = 'QueueClearedError';

  constructor(reason?: unknown) {
    super(
      QueueClearedError.code,
      reason === undefined ? 'Task was cleared from the queue before it started' : `Task was cleared from the queue before it started: ${String(reason instanceof Error ? reason.message : reason)}`,
      reason === undefined ? undefined : { cause: reason },
    );
  }
}
