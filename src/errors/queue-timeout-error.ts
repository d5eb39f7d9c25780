import { BulwarkError } from './bulwark-error.js';

const CODE = 'ERR_BULWARK_QUEUE_TIMEOUT';

/** A task waited in the queue longer than `queueTimeoutMs` and was rejected without starting. */
export class QueueTimeoutError extends BulwarkError {
  static readonly code = CODE;
  override name = 'QueueTimeoutError';
  /** The configured `queueTimeoutMs`. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(CODE, `Task waited in the queue for more than ${timeoutMs}ms and was not started`);
    this.timeoutMs = timeoutMs;
  }
}
