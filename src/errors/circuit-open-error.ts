import { BulwarkError } from './bulwark-error.js';

const CODE = 'ERR_BULWARK_CIRCUIT_OPEN';

/**
 * A `CircuitBreaker` is open: the call was not made. Retriable after `retryAfterMs` (when the breaker
 * will let a probe through); the retry loop waits that long instead of hammering, or gives up when
 * it is longer than its `maxRetryAfterMs`.
 */
export class CircuitOpenError extends BulwarkError {
  static readonly code = CODE;
  override name = 'CircuitOpenError';
  /** Milliseconds until the breaker lets a probe call through (0 when a probe is already running). */
  readonly retryAfterMs: number;
  /** The breaker's name, when it has one. */
  readonly breaker: string | undefined;

  constructor(retryAfterMs: number, breaker: string | undefined, options?: { readonly cause?: unknown }) {
    super(CODE, `Circuit${breaker === undefined ? '' : ` ${breaker}`} is open: failing fast, next probe in ${Math.max(0, Math.round(retryAfterMs))}ms`, options);
    this.retryAfterMs = Math.max(0, retryAfterMs);
    this.breaker = breaker;
  }
}
