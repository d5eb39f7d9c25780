import { optionalSignal } from '../internal/validate.js';
import type { AttemptContext, RetryCallOptions, RetryOptions } from './options.js';
import { checkCall, checkCallOptions, resolveRetryOptions, runRetry, type AttemptScheduling, type ResolvedRetryOptions, type RetryOutcome } from './retry.js';

const BRAND = /* @__PURE__ */ Symbol.for('bulwark.RetryService');

/**
 * @internal Whether `value` is a `RetryService` of any copy of bulwark (the ESM and CJS builds, or two
 * versions): a brand, not `instanceof`, so a service built by one copy is not mistaken for options.
 */
export function isRetryService(value: unknown): value is RetryService {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

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

  /** @throws {InvalidOptionError} when an option is out of range or unknown. */
  constructor(options: RetryOptions = {}) {
    this.#options = resolveRetryOptions(options as RetryOptions<never>);
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The attempts this service makes at most. */
  get maxAttempts(): number {
    return this.#options.maxAttempts;
  }

  /**
   * Runs `fn` under this policy. See {@link retry} for what it resolves and rejects with.
   * A per-call `signal` is used instead of the service's; `operation` and `retryOnResult` likewise.
   *
   * @throws {InvalidOptionError} synchronously, before any attempt, when `fn` is not a function or a
   * call option is invalid.
   */
  execute<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, callOptions?: RetryCallOptions<T>): Promise<T> {
    if (callOptions === undefined) {
      checkCall(fn, this.#options, this.#options.signal);
      return runRetry(fn, this.#options, this.#options.signal, this.#options.operation, this.#options.retryOnResult as ((r: T) => boolean) | undefined);
    }
    return this.executeWithOutcome(fn, callOptions, undefined);
  }

  /**
   * @internal For bulwark's own callers, whose arguments are known good: no per-call validation.
   * Reports attempts and the last verdict in `outcome`.
   */
  executeTrusted<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, signal: AbortSignal | undefined, operation: string | undefined, outcome: RetryOutcome, scheduling?: AttemptScheduling): Promise<T> {
    return runRetry(fn, this.#options, signal ?? this.#options.signal, operation ?? this.#options.operation, this.#options.retryOnResult as ((r: T) => boolean) | undefined, outcome, scheduling);
  }

  /** @internal `execute` that also reports how many attempts ran and the last verdict. */
  executeWithOutcome<T>(
    fn: (context: AttemptContext) => T | PromiseLike<T>,
    callOptions: RetryCallOptions<T> | undefined,
    outcome: RetryOutcome | undefined,
    scheduling?: AttemptScheduling,
  ): Promise<T> {
    checkCallOptions(callOptions);
    const signal = optionalSignal('signal', callOptions?.signal) ?? this.#options.signal;
    checkCall(fn, this.#options, signal);
    return runRetry(
      fn,
      this.#options,
      signal,
      callOptions?.operation ?? this.#options.operation,
      callOptions?.retryOnResult ?? (this.#options.retryOnResult as ((r: T) => boolean) | undefined),
      outcome,
      scheduling,
    );
  }

  /**
   * Returns a function with `fn`'s parameters whose calls run under this policy. `this` is passed
   * through, so a wrapped method still sees its object.
   *
   * @example
   * ```ts
   * const sendMail = service.wrap((message: Mail) => transporter.sendMail(message));
   * await sendMail({ to, subject, text });
   * ```
   */
  wrap<A extends unknown[], R, This = unknown>(
    fn: (this: This, ...args: A) => R | PromiseLike<R>,
    callOptions?: RetryCallOptions<Awaited<R>>,
  ): (this: This, ...args: A) => Promise<Awaited<R>> {
    if (typeof fn !== 'function') checkCall(fn, this.#options, undefined);
    checkCallOptions(callOptions);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const service = this;
    return function (this: This, ...args: A): Promise<Awaited<R>> {
      return service.execute(() => fn.apply(this, args) as Awaited<R> | PromiseLike<Awaited<R>>, callOptions);
    };
  }
}
