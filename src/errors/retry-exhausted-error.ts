import { BulwarkError } from './bulwark-error.js';
import type { Verdict } from '../classifiers/classifier.js';
import { messageOf } from './message.js';

/**
 * Why the retry loop gave up on an operation whose last error was retriable:
 * - `max-attempts`: `maxAttempts` attempts all failed;
 * - `max-elapsed`: the next attempt could not begin within `maxElapsedMs`;
 * - `budget`: the shared {@link RetryBudget} refused another retry;
 * - `retry-after`: the server asked for a longer wait (`Retry-After`) than `maxRetryAfterMs`.
 */
export type RetryExhaustedReason = 'max-attempts' | 'max-elapsed' | 'budget' | 'retry-after';

const CODE = 'ERR_BULWARK_RETRY_EXHAUSTED';

/**
 * Every attempt failed with a retriable error and the loop stopped. Carries every attempt's error;
 * `cause` is the last one.
 */
export class RetryExhaustedError extends BulwarkError {
  static readonly code = CODE;
  override name = 'RetryExhaustedError';
  /** How many attempts ran. */
  readonly attempts: number;
  /** Each attempt's error (or rejected result), in order; `errors.length === attempts`. */
  readonly errors: readonly unknown[];
  /** Milliseconds from the first attempt's start to giving up. */
  readonly elapsedMs: number;
  /** Why the loop stopped. */
  readonly reason: RetryExhaustedReason;
  /** The classifier's verdict on the last error. */
  readonly verdict: Verdict;
  /** The operation's name, when one was given. */
  readonly operation: string | undefined;

  constructor(details: {
    readonly attempts: number;
    readonly errors: readonly unknown[];
    readonly elapsedMs: number;
    readonly reason: RetryExhaustedReason;
    readonly verdict: Verdict;
    readonly operation?: string | undefined;
  }) {
    const last = details.errors[details.errors.length - 1];
    const what = details.operation ?? 'Operation';
    const why =
      details.reason === 'max-attempts'
        ? ''
        : details.reason === 'max-elapsed'
          ? ' (time budget maxElapsedMs exhausted)'
          : details.reason === 'budget'
            ? ' (retry budget exhausted)'
            : ` (the server asked to wait ${details.verdict.retriable && details.verdict.delayMs !== undefined ? `${details.verdict.delayMs}ms` : 'longer'}, more than maxRetryAfterMs)`;
    super(
      CODE,
      `${what} failed after ${details.attempts} attempt${details.attempts === 1 ? '' : 's'}${why}: ${messageOf(last)}`,
      { cause: last },
    );
    this.attempts = details.attempts;
    this.errors = details.errors;
    this.elapsedMs = details.elapsedMs;
    this.reason = details.reason;
    this.verdict = details.verdict;
    this.operation = details.operation;
  }
}

