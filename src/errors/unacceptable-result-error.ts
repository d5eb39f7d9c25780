import { BulwarkError } from './bulwark-error.js';
import type { Verdict } from '../classifiers/classifier.js';

const CODE = 'ERR_BULWARK_UNACCEPTABLE_RESULT';

/**
 * `retryOnResult` rejected a returned value (e.g. a fetch `Response` with status 503). Thrown when
 * the classifier calls that result permanent; when it is retriable and attempts run out, it is the
 * `cause` of the `RetryExhaustedError`. The value itself is in `result`.
 */
export class UnacceptableResultError extends BulwarkError {
  static readonly code = CODE;
  override name = 'UnacceptableResultError';
  /** The rejected value. */
  readonly result: unknown;
  /** The classifier's verdict on the value. */
  readonly verdict: Verdict;

  constructor(result: unknown, verdict: Verdict) {
    super(CODE, `Result rejected by retryOnResult (${verdict.reason})`);
    this.result = result;
    this.verdict = verdict;
  }
}
