import { BulwarkError } from './bulwark-error.js';

const CODE = 'ERR_BULWARK_ATTEMPT_TIMEOUT';

/** One attempt ran longer than `attemptTimeoutMs`. Retriable: the next attempt starts after the backoff. */
export class AttemptTimeoutError extends BulwarkError {
  static readonly code = CODE;
  override name = 'AttemptTimeoutError';
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  /** The 1-based attempt number that timed out. */
  readonly attempt: number;

  constructor(timeoutMs: number, attempt: number) {
    super(CODE, `Attempt ${attempt} timed out after ${timeoutMs}ms`);
    this.timeoutMs = timeoutMs;
    this.attempt = attempt;
  }
}
