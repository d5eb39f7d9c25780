import { UnrecoverableError, type BackoffStrategy, type Job } from 'bullmq';
import { defaultClassifier } from '../classifiers/index.js';
import type { ErrorClassifier, Verdict } from '../classifiers/classifier.js';
import { stringCode } from '../classifiers/inspect.js';
import { isRetryExhaustedError } from '../errors/guards.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { messageOf } from '../errors/message.js';
import { exponentialDelay } from '../retry/backoff.js';
import { applyJitter, JITTER_STRATEGIES, type JitterStrategy } from '../retry/jitter.js';
import { warnHookError, type HookErrorHandler } from '../internal/events.js';
import { integer, knownOptions, number, oneOf, optionalFunction, verdictOption } from '../internal/validate.js';
import { verdictOf } from '../internal/verdict.js';

const UNKNOWN: Verdict = { retriable: true, reason: 'unrecognised error' };

/** What bulwark decided about a job's error, kept on the error BullMQ records. */
export interface JobVerdict {
  readonly retriable: boolean;
  readonly reason: string;
  /** The error's `code`, when it has a string one. */
  readonly code: string | undefined;
}

/**
 * @internal The verdict on an error, looking through a `RetryExhaustedError` (an in-process retry
 * that gave up) to the verdict on its last error: BullMQ's attempts take over from there.
 */
export function judge(error: unknown, o: Judging): { readonly verdict: Verdict; readonly error: unknown } {
  if (isRetryExhaustedError(error)) {
    const last = error.errors[error.errors.length - 1] ?? error;
    return { verdict: error.verdict, error: last };
  }
  // A classifier that throws or answers garbage is reported and decides nothing.
  return { verdict: verdictOf(o.classifier, error, o.onHookError) ?? o.unknown, error };
}

/** @internal How an adapter judges errors: its classifier, the verdict on the unrecognised, where a classifier's own error goes. */
export interface Judging {
  readonly classifier: ErrorClassifier;
  readonly unknown: Verdict;
  readonly onHookError: HookErrorHandler;
}

/** @internal Validates the options every adapter shares (`classifier`, `unknownErrorVerdict`, `onHookError`). */
export function judging(options: { readonly classifier?: ErrorClassifier; readonly unknownErrorVerdict?: Verdict; readonly onHookError?: HookErrorHandler }): Judging {
  return {
    classifier: optionalFunction('classifier', options.classifier) ?? defaultClassifier,
    unknown: verdictOption('unknownErrorVerdict', options.unknownErrorVerdict) ?? UNKNOWN,
    onHookError: optionalFunction('onHookError', options.onHookError) ?? warnHookError,
  };
}

/** BullMQ's own names, and bulwark's for them. */
const ALIASES: Readonly<Record<string, string>> = {
  attempts: "nothing here: set `attempts` on the job (queue.add(name, data, { attempts }))",
  backoff: "nothing here: set `backoff: { type: 'bulwark' }` on the job and `settings.backoffStrategy: bulwarkBackoff()` on the worker",
  delay: 'initialDelayMs',
  type: "nothing here: jobs name the strategy with `backoff: { type: 'bulwark' }`",
};

/**
 * @internal The verdict on each error a classified processor threw, kept beside the error (a frozen
 * error cannot carry the `bulwark` property): `thumbnailProcessor` reads it to record the failure.
 */
export const verdicts = new WeakMap<object, JobVerdict>();

/** Options of `classifiedProcessor`. */
export interface ClassifiedProcessorOptions {
  /**
   * Decides whether a job's error is worth another BullMQ attempt.
   * @default defaultClassifier
   */
  readonly classifier?: ErrorClassifier;
  /**
   * The verdict on an error the classifier does not recognise.
   * @default retriable (BullMQ's `attempts` bound it)
   */
  readonly unknownErrorVerdict?: Verdict;
  /**
   * Where a classifier's own error goes (one that throws, or answers something that is not a
   * verdict): the job is then judged by `unknownErrorVerdict`.
   * @default a process warning (`BulwarkHookWarning`)
   */
  readonly onHookError?: HookErrorHandler;
}

const PROCESSOR_OPTIONS = /* @__PURE__ */ new Set(['classifier', 'unknownErrorVerdict', 'onHookError']);

/**
 * Wraps a BullMQ processor so bulwark's classifiers drive BullMQ's own retry machinery: an error the
 * classifier calls permanent (a 404, a bad address, an image that cannot decode) fails the job at once
 * as BullMQ's `UnrecoverableError` (its `cause` the original error, its `code` kept); a retriable one
 * is rethrown as it is, for the job's `attempts` and backoff (use {@link bulwarkBackoff} to wait as
 * bulwark would, `Retry-After` included). An in-process `RetryExhaustedError` is judged by its last
 * error. The verdict is also attached to the thrown error as `bulwark` ({@link JobVerdict}).
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { bulwarkBackoff, classifiedProcessor } from 'bulwark/bullmq';
 *
 * declare function sendWebhook(url: string): Promise<void>;
 * new Worker('webhooks', classifiedProcessor(async (job) => sendWebhook(job.data.url)), {
 *   connection: { host: '127.0.0.1', port: 6379 },
 *   settings: { backoffStrategy: bulwarkBackoff() },
 * });
 * // producer: queue.add('hook', { url }, { attempts: 8, backoff: { type: 'bulwark' } })
 * ```
 */
export function classifiedProcessor<D, R, N extends string = string>(
  processor: (job: Job<D, R, N>, token?: string, signal?: AbortSignal) => Promise<R>,
  options: ClassifiedProcessorOptions = {},
): (job: Job<D, R, N>, token?: string, signal?: AbortSignal) => Promise<R> {
  if (typeof processor !== 'function') throw new InvalidOptionError('processor', 'a function', processor);
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
  knownOptions(options, PROCESSOR_OPTIONS, ALIASES, 'classifiedProcessor');
  const o = judging(options);
  return async (job, token, signal) => {
    try {
      return await processor(job, token, signal);
    } catch (caught) {
      // BullMQ records `error.message`: a thrown string or number becomes an Error carrying it.
      const thrown = typeof caught === 'object' && caught !== null ? caught : Object.assign(new Error(String(caught)), { cause: caught });
      const { verdict, error } = judge(thrown, o);
      const detail: JobVerdict = { retriable: verdict.retriable, reason: verdict.reason, code: stringCode(error) };
      if (verdict.retriable) {
        if (typeof error === 'object' && error !== null) {
          verdicts.set(error, detail);
          try {
            if (Object.isExtensible(error)) Object.assign(error, { bulwark: detail });
          } catch {
            // a Proxy or a setter that refuses: the verdict is still in `verdicts`
          }
        }
        throw error;
      }
      const message = messageOf(error);
      const unrecoverable = Object.assign(new UnrecoverableError(message), { cause: error, code: detail.code, bulwark: detail });
      verdicts.set(unrecoverable, detail);
      throw unrecoverable;
    }
  };
}

/** Options of `bulwarkBackoff`: bulwark's exponential backoff, computed for BullMQ. */
export interface BulwarkBackoffOptions {
  /** The wait before the first retry, in milliseconds. Minimum: `0`. @default 1000 */
  readonly initialDelayMs?: number;
  /** Growth per retry. Minimum: `1`. @default 2 */
  readonly factor?: number;
  /** The longest computed wait, in milliseconds. @default 30000 (or `initialDelayMs` if larger) */
  readonly maxDelayMs?: number;
  /** `none`, `full`, `equal` or `decorrelated`. @default 'equal' */
  readonly jitter?: JitterStrategy;
  /**
   * A `Retry-After` (the verdict's `delayMs`) is waited exactly up to this; beyond it the job fails
   * instead of sleeping for hours. Minimum: `0`.
   * @default 300000 (5 minutes)
   */
  readonly maxRetryAfterMs?: number;
  /** Decides whether to retry at all (a permanent error ends the job). @default defaultClassifier */
  readonly classifier?: ErrorClassifier;
  /** @default retriable */
  readonly unknownErrorVerdict?: Verdict;
  /**
   * Where a classifier's own error goes (one that throws, or answers something that is not a verdict).
   * @default a process warning (`BulwarkHookWarning`)
   */
  readonly onHookError?: HookErrorHandler;
  /** A source of numbers in `[0, 1)` for the jitter (tests). @default Math.random */
  readonly random?: () => number;
}

const BACKOFF_OPTIONS = /* @__PURE__ */ new Set(['initialDelayMs', 'factor', 'maxDelayMs', 'jitter', 'maxRetryAfterMs', 'classifier', 'unknownErrorVerdict', 'onHookError', 'random']);

/**
 * A BullMQ `backoffStrategy` (worker `settings.backoffStrategy`, used by jobs added with
 * `backoff: { type: 'bulwark' }`): the delay before retry number `attemptsMade`, as bulwark's retry
 * would wait — exponential with jitter, or exactly the error's `Retry-After` (up to
 * `maxRetryAfterMs`) — and `-1` (no retry) for an error the classifier calls permanent.
 */
export function bulwarkBackoff(options: BulwarkBackoffOptions = {}): BackoffStrategy {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
  knownOptions(options, BACKOFF_OPTIONS, ALIASES, 'bulwarkBackoff');
  const initial = number('initialDelayMs', options.initialDelayMs ?? 1000, 0, Number.MAX_SAFE_INTEGER);
  const factor = number('factor', options.factor ?? 2, 1, 1000);
  const max = number('maxDelayMs', options.maxDelayMs ?? Math.max(30_000, initial), initial, Number.MAX_SAFE_INTEGER);
  const jitter = oneOf('jitter', options.jitter ?? 'equal', JITTER_STRATEGIES);
  const maxRetryAfter = integer('maxRetryAfterMs', options.maxRetryAfterMs ?? 300_000, 0);
  const o = judging(options);
  const random = optionalFunction('random', options.random) ?? Math.random;
  return (attemptsMade, _type, err) => {
    const { verdict } = judge(err, o);
    if (!verdict.retriable) return -1;
    // As in retry: a Retry-After (Infinity included) beyond the cap gives up; NaN is ignored.
    if (typeof verdict.delayMs === 'number' && !Number.isNaN(verdict.delayMs)) return verdict.delayMs > maxRetryAfter ? -1 : Math.max(0, Math.ceil(verdict.delayMs));
    const delay = exponentialDelay(Math.max(1, attemptsMade), initial, factor, max);
    const previous = attemptsMade <= 1 ? initial : exponentialDelay(attemptsMade - 1, initial, factor, max);
    return applyJitter(jitter, delay, previous, initial, max, random);
  };
}
