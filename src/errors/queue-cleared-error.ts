import { BulwarkError } from './bulwark-error.js';
import { messageOf } from './message.js';

const CODE = 'ERR_BULWARK_QUEUE_CLEARED';

/** A queued task was removed by `clear(reason)` before it started; `cause` is the reason given. */
export class QueueClearedError extends BulwarkError {
  static readonly code = CODE;
  override name = 'QueueClearedError';

  constructor(reason?: unknown) {
    super(
      CODE,
      reason === undefined ? 'Task was cleared from the queue before it started' : `Task was cleared from the queue before it started: ${messageOf(reason)}`,
      reason === undefined ? undefined : { cause: reason },
    );
  }
}
