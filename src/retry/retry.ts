import { defaultClassifier } from '../classifiers/index.js';
import type { ErrorClassifier, Verdict } from '../classifiers/classifier.js';
import { isInstance, prop } from '../classifiers/inspect.js';
import { AttemptTimeoutError } from '../errors/attempt-timeout-error.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { messageOf } from '../errors/message.js';
import { PermanentError } from '../errors/permanent-error.js';
import { RetryExhaustedError, type RetryExhaustedReason } from '../errors/retry-exhausted-error.js';
import { UnacceptableResultError } from '../errors/unacceptable-result-error.js';
import { abortReason, neverAbortedSignal, sleep, untilAborted } from '../internal/abort.js';
import { startTimer, type Clock } from '../internal/clock.js';
import { reportHookError, warnHookError, type HookErrorHandler } from '../internal/events.js';
import { integer, knownOptions, number, oneOf, optionalBoolean, optionalFunction, optionalNumber, optionalSignal, clockOption, verdictOption } from '../internal/validate.js';
import { verdictOf } from '../internal/verdict.js';
import { exponentialDelay } from './backoff.js';
import { applyJitter, JITTER_STRATEGIES, type JitterStrategy } from './jitter.js';
import { logLine } from './log.js';
import type { AttemptContext, RetryEvent, RetryHook, RetryLogger, RetryOptions } from './options.js';
import type { RetryBudget } from './retry-budget.js';

/** @internal Options after validation: no `undefined` where a default exists. */
export interface ResolvedRetryOptions {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
  readonly factor: number;
  readonly jitter: JitterStrategy;
  readonly random: () => number;
  readonly classifier: ErrorClassifier;
  readonly unknownErrorVerdict: Verdict;
  readonly onAttemptTimeout: 'retry' | 'classify';
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
  readonly onHookError: HookErrorHandler;
  readonly clock: Clock;
  readonly unref: boolean;
  readonly signal: AbortSignal | undefined;
  /** True when any hook or logger is set: the loop then builds events. */
  readonly observed: boolean;
}

const UNCLASSIFIED: Verdict = { retriable: true, reason: 'unclassified' };
const TIMED_OUT: Verdict = { retriable: true, reason: 'attempt timeout' };

/** Every option `RetryOptions` has: anything else is a typo or another library's name. */
const KNOWN = /* @__PURE__ */ new Set([
  'maxAttempts', 'initialDelayMs', 'maxDelayMs', 'maxRetryAfterMs', 'factor', 'jitter', 'random', 'classifier', 'unknownErrorVerdict',
  'onAttemptTimeout', 'attemptTimeoutMs', 'maxElapsedMs', 'budget', 'retryOnResult', 'operation', 'logger', 'onAttempt', 'onRetry',
  'onSuccess', 'onFailure', 'onHookError', 'clock', 'unref', 'signal',
]);
/** What users of p-retry, async-retry, exponential-backoff and cockatiel reach for, and bulwark's name for it. */
const ALIASES: Readonly<Record<string, string>> = {
  retries: 'maxAttempts (attempts in all: retries + 1)',
  minTimeout: 'initialDelayMs',
  maxTimeout: 'maxDelayMs',
  maxRetryTime: 'maxElapsedMs',
  randomize: 'jitter',
  onFailedAttempt: 'onRetry',
  shouldRetry: 'classifier',
  timeout: 'attemptTimeoutMs',
  numOfAttempts: 'maxAttempts',
  startingDelay: 'initialDelayMs',
  timeMultiple: 'factor',
  maxDelay: 'maxDelayMs',
  concurrency: 'nothing here: limit concurrency with ConcurrencyManager',
};

function checkKnown(options: object): void {
  knownOptions(options, KNOWN, ALIASES, 'retry');
}

function delayOption(name: string, value: unknown, fallback: number): number {
  return number(name, value ?? fallback, 0, Number.MAX_SAFE_INTEGER);
}

const CALL_KEYS = new Set(['signal', 'operation', 'retryOnResult']);

/** @internal Validates per-call options of `RetryService.execute` and `wrap`, synchronously. */
export function checkCallOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('callOptions', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!CALL_KEYS.has(key)) throw new InvalidOptionError(key, 'a known call option (`signal`, `operation` or `retryOnResult`): this one does not exist', (options as Record<string, unknown>)[key]);
  }
  const o = options as { operation?: unknown; retryOnResult?: unknown };
  if (o.operation !== undefined && typeof o.operation !== 'string') throw new InvalidOptionError('operation', 'a string', o.operation);
  optionalFunction('retryOnResult', o.retryOnResult);
}

/** @internal Validates and fills in defaults, once. */
export function resolveRetryOptions(options: RetryOptions<never> = {}): ResolvedRetryOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
  checkKnown(options);
  const initialDelayMs = delayOption('initialDelayMs', options.initialDelayMs, 1000);
  const maxDelayMs = delayOption('maxDelayMs', options.maxDelayMs, 10_000);
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
  const onHookError = optionalFunction('onHookError', options.onHookError) ?? (logger === undefined ? warnHookError : (error: unknown, hook: string) => logger.error(`${hook} threw: ${messageOf(error)}`, { err: error, hook }));
  return {
    maxAttempts: integer('maxAttempts', options.maxAttempts ?? 3, 1, Infinity, true),
    initialDelayMs,
    maxDelayMs,
    maxRetryAfterMs: delayOption('maxRetryAfterMs', options.maxRetryAfterMs, 60_000),
    factor: number('factor', options.factor ?? 2, 1),
    jitter: oneOf('jitter', options.jitter ?? 'equal', JITTER_STRATEGIES),
    random: optionalFunction('random', options.random) ?? Math.random,
    classifier: optionalFunction('classifier', options.classifier) ?? defaultClassifier,
    unknownErrorVerdict: verdictOption('unknownErrorVerdict', options.unknownErrorVerdict) ?? UNCLASSIFIED,
    onAttemptTimeout: oneOf('onAttemptTimeout', options.onAttemptTimeout ?? 'retry', ['retry', 'classify']),
    attemptTimeoutMs: optionalNumber('attemptTimeoutMs', options.attemptTimeoutMs, 1, Number.MAX_SAFE_INTEGER),
    maxElapsedMs: optionalNumber('maxElapsedMs', options.maxElapsedMs, 0, Number.MAX_SAFE_INTEGER),
    budget: options.budget,
    retryOnResult: optionalFunction('retryOnResult', options.retryOnResult),
    operation: options.operation,
    logger,
    onAttempt,
    onRetry,
    onSuccess,
    onFailure,
    onHookError,
    clock: clockOption(options.clock),
    unref: optionalBoolean('unref', options.unref) ?? false,
    signal: optionalSignal('signal', options.signal),
    observed: logger !== undefined || onAttempt !== undefined || onRetry !== undefined || onSuccess !== undefined || onFailure !== undefined,
  };
}

/**
 * @internal Checks what can only be checked per call, synchronously: `fn` is a function, and an
 * unbounded loop (`maxAttempts: Infinity`) has a way to end.
 */
export function checkCall(fn: unknown, o: ResolvedRetryOptions, signal: AbortSignal | undefined): void {
  if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'a function (the operation to retry)', fn);
  if (o.maxAttempts === Infinity && o.maxElapsedMs === undefined && signal === undefined) {
    throw new InvalidOptionError('maxAttempts', 'finite, or bounded by `maxElapsedMs` or a `signal` (Infinity alone never gives up)', Infinity);
  }
}

/** @internal Filled in by the loop for callers that report per item (BatchProcessor). */
export interface RetryOutcome {
  attempts: number;
  verdict: Verdict | undefined;
}

/**
 * @internal How a caller that schedules attempts (BatchProcessor) takes part in the loop: `around`
 * wraps each attempt (to hold a slot only while it runs), `onBackoff` is told when the loop starts
 * waiting before a retry (to give the slot to someone else meanwhile).
 */
export interface AttemptScheduling {
  around<T>(attempt: number, call: () => Promise<T>): Promise<T>;
  onBackoff(): void;
  /** Let an attempt in flight finish when the signal aborts, instead of abandoning it at once (BatchProcessor reports items as they end). */
  readonly waitOnAbort?: boolean;
}

/**
 * Runs one attempt with its own signal: it aborts when the caller's signal does or, with a timeout,
 * when the attempt times out. A timed-out attempt's late result is ignored; no listener stays on the
 * caller's signal once the attempt is over, whether it settled or timed out.
 */
function runAttempt<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, attempt: number, timeoutMs: number | undefined, o: ResolvedRetryOptions, outer: AbortSignal | undefined): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    // The caller's abort ends the attempt at once (its signal aborts; a late result is ignored), so
    // an operation that ignores its signal cannot hold the caller.
    const onOuterAbort = (): void => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      const reason = abortReason(outer as AbortSignal);
      controller.abort(reason);
      reject(reason);
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : startTimer(
            o.clock,
            timeoutMs,
            () => {
              if (settled) return;
              settled = true;
              outer?.removeEventListener('abort', onOuterAbort);
              const error = new AttemptTimeoutError(timeoutMs, attempt);
              controller.abort(error);
              reject(error);
            },
            o.unref,
          );
    if (outer?.aborted === true) {
      onOuterAbort();
      return;
    }
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      timer?.cancel();
      outer?.removeEventListener('abort', onOuterAbort);
      return true;
    };
    new Promise<T>((r) => r(fn({ attempt, signal: controller.signal }))).then(
      (value) => finish() && resolve(value),
      (error: unknown) => finish() && reject(error),
    );
  });
}

/**
 * Calls a hook and awaits it; its error (or rejection) is reported, never thrown into the loop. The
 * wait ends early when the caller's signal aborts: a hung metrics call cannot block cancellation.
 */
async function callHook(o: ResolvedRetryOptions, name: string, hook: RetryHook | undefined, e: RetryEvent, signal: AbortSignal | undefined): Promise<void> {
  if (hook === undefined) return;
  let result: unknown;
  try {
    result = hook(e);
  } catch (error) {
    reportHookError(o.onHookError, error, name);
    return;
  }
  try {
    if (typeof result !== 'object' || result === null || typeof (result as PromiseLike<unknown>).then !== 'function') return;
  } catch (error) {
    // A hook returning a value that cannot be read (a revoked Proxy): its problem, not the loop's.
    reportHookError(o.onHookError, error, name);
    return;
  }
  const settled = Promise.resolve(result).then(noop, (error: unknown) => reportHookError(o.onHookError, error, name));
  // The wait ends when the caller aborts: the loop then stops at its next check.
  return untilAborted(settled, signal).catch(noop);
}

/** A `PermanentError`, or any Error carrying its code; false for what cannot be inspected (a revoked Proxy). */
function isPermanent(failure: unknown): boolean {
  return isInstance(failure, PermanentError) || (isInstance(failure, Error) && prop(failure, 'code') === PermanentError.code);
}

function classify(failure: unknown, o: ResolvedRetryOptions): Verdict {
  if (isPermanent(failure)) return { retriable: false, reason: 'PermanentError' };
  return classifyValue(failure, o);
}

/** The classifier's verdict; a classifier that throws or answers garbage is reported and the fallback applies. */
function classifyValue(value: unknown, o: ResolvedRetryOptions): Verdict {
  return verdictOf(o.classifier, value, o.onHookError) ?? o.unknownErrorVerdict;
}

function event(attempt: number, o: ResolvedRetryOptions, delayMs: number | undefined, error: unknown, verdict: Verdict | undefined, elapsedMs: number, operation: string | undefined): RetryEvent {
  return { attempt, maxAttempts: o.maxAttempts, delayMs, error, verdict, elapsedMs, operation };
}

const noop = (): void => undefined;

/**
 * @internal The retry loop. `signal`, `operation` and `retryOnResult` are per call; everything else
 * was resolved once. The rules it keeps, whatever the hooks do:
 * - an operation that succeeded is never run again, and its value is returned;
 * - a hook's error is reported (`onHookError`), never thrown: it changes no outcome;
 * - no attempt starts after the caller's signal aborted or past `maxElapsedMs` (hook time counts);
 * - a timed-out attempt's signal is aborted and its late result ignored.
 */
export async function runRetry<T>(
  fn: (context: AttemptContext) => T | PromiseLike<T>,
  o: ResolvedRetryOptions,
  signal: AbortSignal | undefined,
  operation: string | undefined,
  retryOnResult: ((result: T) => boolean) | undefined,
  outcome?: RetryOutcome,
  scheduling?: AttemptScheduling,
): Promise<T> {
  if (signal?.aborted) throw abortReason(signal);
  const { clock, maxAttempts, observed } = o;
  const start = clock.now();
  o.budget?.recordCall();
  // An attempt gets its own signal (and is abandoned at once when the caller aborts) with a timeout
  // or a caller signal; otherwise it is the caller's own: no controller, no listener per attempt.
  const timed = o.attemptTimeoutMs !== undefined || (signal !== undefined && signal !== neverAbortedSignal() && scheduling?.waitOnAbort !== true);
  const callerSignal = signal ?? neverAbortedSignal();
  let errors: unknown[] | undefined;
  let lastVerdict: Verdict | undefined;
  let previousDelay = o.initialDelayMs;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    if (observed) {
      logLine(o.logger, 'info', `${operation ?? 'Operation'} (${attemptLabel(attempt, maxAttempts)})`, operation, attempt, maxAttempts, undefined, undefined, undefined);
      await callHook(o, 'onAttempt', o.onAttempt, event(attempt, o, waited, undefined, undefined, clock.now() - start, operation), signal);
    }
    // Checked before every attempt, hooks or not: nothing starts after an abort or past the budget.
    if (signal?.aborted) throw abortReason(signal);
    if (attempt > 1 && o.maxElapsedMs !== undefined && clock.now() - start >= o.maxElapsedMs) {
      const last = (errors as unknown[])[errors === undefined ? 0 : errors.length - 1];
      throw (await giveUp(o, 'max-elapsed', attempt - 1, errors ?? [], lastVerdict ?? UNCLASSIFIED, last, start, operation, signal)).error;
    }
    if (outcome !== undefined) outcome.attempts = attempt;
    let failure: unknown;
    let verdict: Verdict | undefined;
    let succeeded = false;
    let result: T | undefined;
    let returned = false;
    try {
      if (scheduling === undefined) result = timed ? await runAttempt(fn, attempt, o.attemptTimeoutMs, o, signal) : await fn({ attempt, signal: callerSignal });
      else result = await scheduling.around(attempt, () => (timed ? runAttempt(fn, attempt, o.attemptTimeoutMs, o, signal) : Promise.resolve(fn({ attempt, signal: callerSignal }))));
      returned = true;
    } catch (error) {
      failure = error;
    }
    if (returned) {
      // Judging a value is not an attempt: a throwing `retryOnResult` is final, never a reason to run
      // an operation that already returned once more.
      if (retryOnResult === undefined || !retryOnResult(result as T)) succeeded = true;
      else {
        verdict = classifyValue(result, o);
        failure = new UnacceptableResultError(result, verdict);
      }
    }
    if (succeeded) {
      // The value is secured: nothing below can turn this success into a failure or a re-run.
      if (observed) {
        logLine(o.logger, 'info', `${operation ?? 'Operation'} succeeded after ${attempt} attempt${attempt === 1 ? '' : 's'}`, operation, attempt, maxAttempts, undefined, undefined, undefined);
        await callHook(o, 'onSuccess', o.onSuccess, event(attempt, o, undefined, undefined, undefined, clock.now() - start, operation), signal);
      }
      return result as T;
    }
    // The caller's abort wins over whatever the attempt did with it.
    if (signal?.aborted) throw abortReason(signal);
    (errors ??= []).push(failure);
    if (verdict === undefined) verdict = isInstance(failure, AttemptTimeoutError) && o.onAttemptTimeout === 'retry' ? TIMED_OUT : classify(failure, o);
    if (outcome !== undefined) outcome.verdict = verdict;
    lastVerdict = verdict;

    let stop: RetryExhaustedReason | 'permanent' | undefined;
    let delay = 0;
    if (!verdict.retriable) stop = 'permanent';
    else if (attempt >= maxAttempts) stop = 'max-attempts';
    else {
      if (verdict.delayMs === undefined) {
        const backoff = exponentialDelay(attempt, o.initialDelayMs, o.factor, o.maxDelayMs);
        const jittered = applyJitter(o.jitter, backoff, previousDelay, o.initialDelayMs, o.maxDelayMs, o.random);
        // A broken random source (NaN, out of range) falls back to the plain backoff.
        delay = jittered >= 0 && jittered <= o.maxDelayMs ? jittered : Math.round(backoff);
      } else if (typeof verdict.delayMs === 'number' && !Number.isNaN(verdict.delayMs)) {
        delay = Math.max(0, verdict.delayMs);
        if (!(delay <= o.maxRetryAfterMs)) stop = 'retry-after';
      } else {
        delay = Math.round(exponentialDelay(attempt, o.initialDelayMs, o.factor, o.maxDelayMs));
      }
      if (stop === undefined && o.maxElapsedMs !== undefined && clock.now() - start + delay >= o.maxElapsedMs) stop = 'max-elapsed';
      if (stop === undefined && o.budget !== undefined && !o.budget.tryAcquireRetry()) stop = 'budget';
    }

    if (stop === undefined) {
      // The backoff timer is armed before the hook is awaited, so fake timers advanced inside
      // `onRetry` move it, and a slow hook's time is part of the wait rather than added to it.
      const wait = sleep(delay, clock, signal, o.unref);
      wait.catch(noop);
      scheduling?.onBackoff();
      if (observed) {
        logLine(o.logger, 'warn', `${operation ?? 'Operation'} failed (${attemptLabel(attempt, maxAttempts)}), retrying in ${delay}ms: ${messageOf(failure)}`, operation, attempt, maxAttempts, delay, failure, verdict);
        await callHook(o, 'onRetry', o.onRetry, event(attempt, o, delay, failure, verdict, clock.now() - start, operation), signal);
      }
      await wait;
      previousDelay = delay;
      waited = delay;
      // No attempt starts past the budget, however long the hooks took.
      if (o.maxElapsedMs === undefined || clock.now() - start < o.maxElapsedMs) continue;
      stop = 'max-elapsed';
    }

    throw (await giveUp(o, stop, attempt, errors, verdict, failure, start, operation, signal)).error;
  }
}

/**
 * Builds the final error (the failure itself when permanent), logs it and calls `onFailure`. Boxed:
 * an async function resolving to a thrown thenable (or a revoked Proxy) would adopt or read it.
 */
async function giveUp(
  o: ResolvedRetryOptions,
  stop: RetryExhaustedReason | 'permanent',
  attempt: number,
  errors: unknown[],
  verdict: Verdict,
  failure: unknown,
  start: number,
  operation: string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ readonly error: unknown }> {
  const elapsedMs = o.clock.now() - start;
  const error = stop === 'permanent' ? failure : new RetryExhaustedError({ attempts: attempt, errors, elapsedMs, reason: stop, verdict, operation });
  if (o.observed) {
    const message = stop === 'permanent' ? `${operation ?? 'Operation'} failed permanently (${attemptLabel(attempt, o.maxAttempts)}, ${verdict.reason}): ${messageOf(failure)}` : (error as RetryExhaustedError).message;
    logLine(o.logger, 'error', message, operation, attempt, o.maxAttempts, undefined, failure, verdict);
    await callHook(o, 'onFailure', o.onFailure, event(attempt, o, undefined, failure, verdict, elapsedMs, operation), signal);
  }
  return { error };
}

let defaults: ResolvedRetryOptions | undefined;

interface CacheEntry {
  readonly resolved: ResolvedRetryOptions;
  readonly keys: readonly string[];
  readonly values: readonly unknown[];
}
const resolvedCache = /* @__PURE__ */ new WeakMap<object, CacheEntry>();

/**
 * `retry(fn, options)` with the same options object (a module-level constant, the common case) skips
 * validation after the first call — it costs what a prebuilt `RetryService` costs. The cache entry
 * remembers every key and value, so an object mutated between calls is validated again, never stale.
 */
function resolveCached(options: RetryOptions<never>): ResolvedRetryOptions {
  if (typeof options !== 'object' || options === null) return resolveRetryOptions(options);
  const hit = resolvedCache.get(options);
  if (hit !== undefined) {
    let i = 0;
    let same = true;
    for (const key in options) {
      if (hit.keys[i] !== key || hit.values[i] !== (options as Record<string, unknown>)[key]) {
        same = false;
        break;
      }
      i++;
    }
    if (same && i === hit.keys.length) return hit.resolved;
  }
  const resolved = resolveRetryOptions(options);
  const keys: string[] = [];
  const values: unknown[] = [];
  for (const key in options) {
    keys.push(key);
    values.push((options as Record<string, unknown>)[key]);
  }
  resolvedCache.set(options, { resolved, keys, values });
  return resolved;
}

function attemptLabel(attempt: number, max: number): string {
  return max === Infinity ? `attempt ${attempt}` : `attempt ${attempt}/${max}`;
}

/**
 * Runs `fn` until it succeeds, a permanent error is thrown, or attempts run out, waiting an
 * exponential, jittered backoff between attempts.
 *
 * Resolves with `fn`'s value. Rejects with: the original error when the classifier calls it permanent
 * (or a {@link PermanentError} the operation threw); a {@link RetryExhaustedError} carrying every
 * attempt's error when retriable failures ran out; the signal's `reason` when aborted.
 *
 * @throws {InvalidOptionError} synchronously, before any attempt, when `fn` is not a function or an
 * option is invalid or unknown.
 *
 * @example
 * ```ts
 * const user = await retry(({ signal }) => fetchUser(id, { signal }), { maxAttempts: 5 });
 * ```
 */
export function retry<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, options?: RetryOptions<T>): Promise<T> {
  const resolved = options === undefined ? (defaults ??= resolveRetryOptions()) : resolveCached(options as RetryOptions<never>);
  checkCall(fn, resolved, resolved.signal);
  return runRetry(fn, resolved, resolved.signal, resolved.operation, options?.retryOnResult);
}

