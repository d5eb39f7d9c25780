import { optionalSignal } from '../internal/validate.js';
import type { AttemptContext, RetryCallOptions, RetryOptions } from './options.js';
import { resolveRetryOptions, runRetry, type ResolvedRetryOptions, type RetryOutcome } from './retry.js';

/**
 * A reusable retry policy: options are validated once, at construction, so each call costs only the
 * loop itself.
 *
 * @example
 * ```ts
 * const thumbnails = new RetryService({ maxAttempts: 3, logger: console });
 * await thumbnails.execute(({ signal }) => render(id, { signal }), {
 *   operation: `Generating thumbnail for segmentation ${id}`,
 * });
 * ```
 */
export class RetryService {
  readonly #options: ResolvedRetryOptions;

  /** @throws {InvalidOptionError} when an option is out of range. */
  constructor(options: RetryOptions = {}) {
    this.#options = resolveRetryOptions(options as RetryOptions<never>);
  }

  /** The attempts this service makes at most. */
  get maxAttempts(): number {
    return this.#options.maxAttempts;
  }

  /**
   * Runs `fn` under this policy. See {@link retry} for what it resolves and rejects with.
   * A per-call `signal` is used instead of the service's; `operation` and `retryOnResult` likewise.
   */
  execute<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, callOptions?: RetryCallOptions<T>): Promise<T> {
    if (callOptions === undefined) {
      return runRetry(fn, this.#options, this.#options.signal, this.#options.operation, this.#options.retryOnResult as ((r: T) => boolean) | undefined);
    }
    return this.executeWithOutcome(fn, callOptions, undefined);
  }

  /** @internal `execute` that also reports how many attempts ran and the last verdict. */
  executeWithOutcome<T>(
    fn: (context: AttemptContext) => T | PromiseLike<T>,
    callOptions: RetryCallOptions<T> | undefined,
    outcome: RetryOutcome | undefined,
  ): Promise<T> {
    let signal: AbortSignal | undefined;
    try {
      signal = optionalSignal('signal', callOptions?.signal) ?? this.#options.signal;
    } catch (error) {
      return Promise.reject(error);
    }
    return runRetry(
      fn,
      this.#options,
      signal,
      callOptions?.operation ?? this.#options.operation,
      callOptions?.retryOnResult ?? (this.#options.retryOnResult as ((r: T) => boolean) | undefined),
      outcome,
    );
  }

  /**
   * Returns a function with `fn`'s parameters whose calls run under this policy.
   *
   * @example
   * ```ts
   * const sendMail = service.wrap((message: Mail) => transporter.sendMail(message));
   * await sendMail({ to, subject, text });
   * ```
   */
  wrap<A extends unknown[], R>(
    fn: (...args: A) => R | PromiseLike<R>,
    callOptions?: RetryCallOptions<Awaited<R>>,
  ): (...args: A) => Promise<Awaited<R>> {
    return (...args: A) => this.execute(() => fn(...args) as Awaited<R> | PromiseLike<Awaited<R>>, callOptions);
  }
}
