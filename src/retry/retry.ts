import { AttemptTimeoutError } from '../errors/attempt-timeout-error.js';
import type { ErrorClassifier, Verdict } from '../classifiers/classifier.js';
import { defaultClassifier } from '../classifiers/index.js';
import { PermanentError } from '../errors/permanent-error.js';
import { messageOf } from '../errors/message.js';
import { RetryExhaustedError, type RetryExhaustedReason } from '../errors/retry-exhausted-error.js';
import { UnacceptableResultError } from '../errors/unacceptable-result-error.js';
import { abortReason, neverAbortedSignal, sleep } from '../internal/abort.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { integer, number, oneOf, optionalFunction, optionalNumber, optionalSignal } from '../internal/validate.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { exponentialDelay } from './backoff.js';
import { applyJitter, JITTER_STRATEGIES, type JitterStrategy } from './jitter.js';
import type { AttemptContext, RetryEvent, RetryHook, RetryLogger, RetryOptions } from './options.js';
import type { RetryBudget } from './retry-budget.js';

/** @internal Options after validation: no `undefined` where a default exists. */
export interface ResolvedRetryOptions {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: JitterStrategy;
  readonly random: () => number;
  readonly classifier: ErrorClassifier;
  readonly unknownErrorVerdict: Verdict;
  readonly attemptTimeoutMs: number | undefined;
  readonly maxElapsedMs: number | undefined;
  readonly budget: RetryBudget | undefined;
  readonly retryOnResult: ((result: never) => boolean) | undefined;
  readonly operation: string | undefined;
  readonly logger: RetryLogger | undefined;
  readonly onAttempt: RetryHook | undefined;
  readonly onRetry: RetryHook | undefined;
  readonly onSuccess: RetryHook | undefined;
  readonly onFailure: RetryHook | undefined;
  readonly clock: Clock;
  readonly signal: AbortSignal | undefined;
  /** True when any hook or logger is set: the loop then builds events. */
  readonly observed: boolean;
}

const UNCLASSIFIED: Verdict = { retriable: true, reason: 'unclassified' };

function verdictOption(value: unknown): Verdict | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<Verdict>;
  if (typeof value === 'object' && value !== null && typeof v.retriable === 'boolean' && typeof v.reason === 'string') return value as Verdict;
  throw new InvalidOptionError('unknownErrorVerdict', 'a verdict `{ retriable: boolean, reason: string }`', value);
}

/** @internal Validates and fills in defaults, once. */
export function resolveRetryOptions(options: RetryOptions<never> = {}): ResolvedRetryOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
  const initialDelayMs = number('initialDelayMs', options.initialDelayMs ?? 1000, 0);
  const maxDelayMs = number('maxDelayMs', options.maxDelayMs ?? 10_000, 0);
  const logger = options.logger;
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.info !== 'function' || typeof logger.warn !== 'function' || typeof logger.error !== 'function')) {
    throw new InvalidOptionError('logger', 'an object with info, warn and error methods', logger);
  }
  const onAttempt = optionalFunction('onAttempt', options.onAttempt);
  const onRetry = optionalFunction('onRetry', options.onRetry);
  const onSuccess = optionalFunction('onSuccess', options.onSuccess);
  const onFailure = optionalFunction('onFailure', options.onFailure);
  if (options.budget !== undefined && (typeof options.budget !== 'object' || options.budget === null || typeof options.budget.tryAcquireRetry !== 'function')) {
    throw new InvalidOptionError('budget', 'a RetryBudget', options.budget);
  }
  if (options.operation !== undefined && typeof options.operation !== 'string') throw new InvalidOptionError('operation', 'a string', options.operation);
  return {
    maxAttempts: integer('maxAttempts', options.maxAttempts ?? 3, 1, Infinity, true),
    initialDelayMs,
    maxDelayMs,
    factor: number('factor', options.factor ?? 2, 1),
    jitter: oneOf('jitter', options.jitter ?? 'equal', JITTER_STRATEGIES),
    random: optionalFunction('random', options.random) ?? Math.random,
    classifier: optionalFunction('classifier', options.classifier) ?? defaultClassifier,
    unknownErrorVerdict: verdictOption(options.unknownErrorVerdict) ?? UNCLASSIFIED,
    attemptTimeoutMs: optionalNumber('attemptTimeoutMs', options.attemptTimeoutMs, 1),
    maxElapsedMs: optionalNumber('maxElapsedMs', options.maxElapsedMs, 0),
    budget: options.budget,
    retryOnResult: optionalFunction('retryOnResult', options.retryOnResult),
    operation: options.operation,
    logger,
    onAttempt,
    onRetry,
    onSuccess,
    onFailure,
    clock: options.clock ?? systemClock,
    signal: optionalSignal('signal', options.signal),
    observed: logger !== undefined || onAttempt !== undefined || onRetry !== undefined || onSuccess !== undefined || onFailure !== undefined,
  };
}

/** @internal Filled in by the loop for callers that report per item (BatchProcessor). */
export interface RetryOutcome {
  attempts: number;
  verdict: Verdict | undefined;
}

function attemptLabel(attempt: number, max: number): string {
  return max === Infinity ? `attempt ${attempt}` : `attempt ${attempt}/${max}`;
}

function runAttemptWithTimeout<T>(
  fn: (context: AttemptContext) => T | PromiseLike<T>,
  attempt: number,
  timeoutMs: number,
  clock: Clock,
  outer: AbortSignal | undefined,
): Promise<T> {
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(abortReason(outer as AbortSignal));
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  return new Promise<T>((resolve, reject) => {
    const handle = clock.setTimeout(() => {
      const error = new AttemptTimeoutError(timeoutMs, attempt);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    const done = (): void => {
      clock.clearTimeout(handle);
      outer?.removeEventListener('abort', onOuterAbort);
    };
    // A late settlement after the timeout lands on an already-settled promise: no unhandled rejection.
    new Promise<T>((r) => r(fn({ attempt, signal: controller.signal }))).then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

/**
 * @internal The retry loop. `signal`, `operation` and `retryOnResult` are per call; everything else
 * was resolved once.
 */
export async function runRetry<T>(
  fn: (context: AttemptContext) => T | PromiseLike<T>,
  o: ResolvedRetryOptions,
  signal: AbortSignal | undefined,
  operation: string | undefined,
  retryOnResult: ((result: T) => boolean) | undefined,
  outcome?: RetryOutcome,
): Promise<T> {
  if (signal?.aborted) throw abortReason(signal);
  const { clock, maxAttempts, observed } = o;
  const start = clock.now();
  o.budget?.recordCall();
  let errors: unknown[] | undefined;
  let previousDelay = o.initialDelayMs;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    if (observed) {
      o.logger?.info(`${operation ?? 'Operation'} (${attemptLabel(attempt, maxAttempts)})`);
      await call(o.onAttempt, event(attempt, maxAttempts, waited, undefined, undefined, clock.now() - start, operation));
    }
    if (outcome !== undefined) outcome.attempts = attempt;
    let failure: unknown;
    let verdict: Verdict | undefined;
    try {
      const result =
        o.attemptTimeoutMs === undefined
          ? await fn({ attempt, signal: signal ?? neverAbortedSignal() })
          : await runAttemptWithTimeout(fn, attempt, o.attemptTimeoutMs, clock, signal);
      if (retryOnResult === undefined || !retryOnResult(result)) {
        if (observed) {
          if (o.logger !== undefined) o.logger.info(`${operation ?? 'Operation'} succeeded after ${attempt} attempt${attempt === 1 ? '' : 's'}`);
          await call(o.onSuccess, event(attempt, maxAttempts, undefined, undefined, undefined, clock.now() - start, operation));
        }
        return result;
      }
      verdict = o.classifier(result) ?? o.unknownErrorVerdict;
      failure = new UnacceptableResultError(result, verdict);
    } catch (error) {
      failure = error;
    }
    // The caller's abort wins over whatever the attempt did with it.
    if (signal?.aborted) throw abortReason(signal);
    (errors ??= []).push(failure);
    if (verdict === undefined) verdict = classify(failure, o);
    if (outcome !== undefined) outcome.verdict = verdict;

    let stop: RetryExhaustedReason | 'permanent' | undefined;
    let delay = 0;
    if (!verdict.retriable) stop = 'permanent';
    else if (attempt >= maxAttempts) stop = 'max-attempts';
    else {
      const backoff = exponentialDelay(attempt, o.initialDelayMs, o.factor, o.maxDelayMs);
      delay = verdict.delayMs === undefined
        ? applyJitter(o.jitter, backoff, previousDelay, o.initialDelayMs, o.maxDelayMs, o.random)
        : Math.min(Math.max(0, verdict.delayMs), o.maxDelayMs);
      if (o.maxElapsedMs !== undefined && clock.now() - start + delay >= o.maxElapsedMs) stop = 'max-elapsed';
      else if (o.budget !== undefined && !o.budget.tryAcquireRetry()) stop = 'budget';
    }

    if (stop !== undefined) {
      const elapsedMs = clock.now() - start;
      const error =
        stop === 'permanent'
          ? failure
          : new RetryExhaustedError({ attempts: attempt, errors, elapsedMs, reason: stop, verdict, operation });
      if (observed) {
        if (o.logger !== undefined) {
          o.logger.error(
            stop === 'permanent'
              ? `${operation ?? 'Operation'} failed permanently (${attemptLabel(attempt, maxAttempts)}, ${verdict.reason}): ${messageOf(failure)}`
              : `${(error as RetryExhaustedError).message}`,
          );
        }
        await call(o.onFailure, event(attempt, maxAttempts, undefined, failure, verdict, elapsedMs, operation));
      }
      throw error;
    }

    if (observed) {
      o.logger?.warn(`${operation ?? 'Operation'} failed (${attemptLabel(attempt, maxAttempts)}), retrying in ${delay}ms: ${messageOf(failure)}`);
      await call(o.onRetry, event(attempt, maxAttempts, delay, failure, verdict, clock.now() - start, operation));
    }
    previousDelay = delay;
    waited = delay;
    await sleep(delay, clock, signal);
  }
}

/** Calls a hook; an async hook is awaited, so its rejection stops the loop instead of going unhandled. */
async function call(hook: RetryHook | undefined, e: RetryEvent): Promise<void> {
  if (hook === undefined) return;
  const result = hook(e);
  if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') await result;
}

function classify(failure: unknown, o: ResolvedRetryOptions): Verdict {
  if (failure instanceof PermanentError || (failure instanceof Error && (failure as { code?: unknown }).code === PermanentError.code)) {
    return { retriable: false, reason: 'PermanentError' };
  }
  return o.classifier(failure) ?? o.unknownErrorVerdict;
}

function event(
  attempt: number,
  maxAttempts: number,
  delayMs: number | undefined,
  error: unknown,
  verdict: Verdict | undefined,
  elapsedMs: number,
  operation: string | undefined,
): RetryEvent {
  return { attempt, maxAttempts, delayMs, error, verdict, elapsedMs, operation };
}

/**
 * Runs `fn` until it succeeds, a permanent error is thrown, or attempts run out, waiting an
 * exponential, jittered backoff between attempts.
 *
 * Resolves with `fn`'s value. Rejects with: the original error when the classifier calls it permanent
 * (or a {@link PermanentError} the operation threw); a {@link RetryExhaustedError} carrying every
 * attempt's error when retriable failures ran out; the signal's `reason` when aborted.
 *
 * @example
 * ```ts
 * const user = await retry(({ signal }) => fetchUser(id, { signal }), { maxAttempts: 5 });
 * ```
 */
export function retry<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, options?: RetryOptions<T>): Promise<T> {
  let resolved: ResolvedRetryOptions;
  try {
    resolved = resolveRetryOptions(options as RetryOptions<never> | undefined);
  } catch (error) {
    return Promise.reject(error);
  }
  return runRetry(fn, resolved, resolved.signal, resolved.operation, options?.retryOnResult);
}
