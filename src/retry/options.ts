import type { ErrorClassifier, Verdict } from '../classifiers/classifier.js';
import type { Clock } from '../internal/clock.js';
import type { JitterStrategy } from './jitter.js';
import type { RetryBudget } from './retry-budget.js';

/** What the operation receives on each attempt. */
export interface AttemptContext {
  /** The 1-based attempt number. */
  readonly attempt: number;
  /**
   * Aborts when the caller's signal aborts or, with `attemptTimeoutMs`, when this attempt times out.
   * Pass it on to `fetch`, database drivers, `sharp`'s callers… so abandoned work stops.
   */
  readonly signal: AbortSignal;
}

/** The fields every retry hook receives. */
export interface RetryEvent {
  /** The 1-based attempt this event is about. */
  readonly attempt: number;
  /** The configured `maxAttempts` (may be `Infinity`). */
  readonly maxAttempts: number;
  /**
   * `onRetry`: the wait before the next attempt. `onAttempt`: the wait that preceded this attempt
   * (`0` for the first). Otherwise `undefined`.
   */
  readonly delayMs: number | undefined;
  /** The error (or rejected result) of this attempt; `undefined` in `onAttempt` and `onSuccess`. */
  readonly error: unknown;
  /** The classifier's verdict on `error`; `undefined` in `onAttempt` and `onSuccess`. */
  readonly verdict: Verdict | undefined;
  /** Milliseconds since the first attempt started. */
  readonly elapsedMs: number;
  /** The operation's name, when one was given. */
  readonly operation: string | undefined;
}

/**
 * A hook called with a {@link RetryEvent}. An async hook is awaited (so a metric write finishes before
 * the loop goes on). **A hook never changes the outcome**: if it throws or rejects, its error goes to
 * `onHookError` and the loop carries on as if it had returned — a success is still returned (the
 * operation is never run again), a failure still rejects with the same error.
 */
export type RetryHook = (event: RetryEvent) => unknown;

/** The fields of every log line, beside its message (pino, winston and console all keep them). */
export interface RetryLogFields {
  /** The operation's name, when one was given. */
  readonly operation: string | undefined;
  /** The 1-based attempt the line is about. */
  readonly attempt: number;
  /** The configured `maxAttempts`. */
  readonly maxAttempts: number;
  /** The wait before the next attempt (retry lines). */
  readonly delayMs?: number;
  /** The attempt's error itself, under pino's conventional key, so loggers serialise its stack. */
  readonly err?: unknown;
  /** The classifier's reason, e.g. `network ECONNRESET`. */
  readonly verdict?: string;
  /** Whether the error was judged retriable. */
  readonly retriable?: boolean;
}

/**
 * Where the retry loop writes its lines: attempt starts and successes at `info`, retries at `warn`,
 * the final failure at `error`. Each line is a message plus {@link RetryLogFields}. `console`, pino and
 * winston fit as they are: pino (recognised by its `bindings()` method) is called `logger.warn(fields,
 * message)`, as pino expects; every other logger `logger.warn(message, fields)`, as console and
 * winston expect. A logger that throws never changes the outcome.
 */
export interface RetryLogger {
  /** Attempt starts and successes. */
  info(message: string, fields: RetryLogFields): void;
  /** A failed attempt that will be retried. */
  warn(message: string, fields: RetryLogFields): void;
  /** The final failure, and hooks that threw (when no `onHookError` is given). */
  error(message: string, fields: RetryLogFields | { readonly err: unknown; readonly hook: string }): void;
}

/** Options of `retry()` and `new RetryService()`. All are optional and validated once. */
export interface RetryOptions<T = unknown> {
  /**
   * How many attempts in all, the first included. `Infinity` retries until success, a permanent
   * error, `maxElapsedMs` or the signal. Minimum: `1`.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * The backoff before the first retry, in milliseconds. Minimum: `0`.
   * @default 1000
   */
  readonly initialDelayMs?: number;
  /**
   * The longest computed backoff between attempts, in milliseconds. A classifier's `delayMs`
   * (`Retry-After`) is not capped by it but by `maxRetryAfterMs`. Minimum: `0`.
   * @default 10000
   */
  readonly maxDelayMs?: number;
  /**
   * The longest server-requested wait (a classifier's `delayMs`, e.g. HTTP `Retry-After`) the loop
   * honours, in milliseconds. A longer one is not waited: the loop gives up at once with a
   * `RetryExhaustedError` (`reason: 'retry-after'`), whose last error carries the server's answer, so
   * the caller can reschedule the work instead of holding a worker for hours (a `Retry-After: 1e11`
   * would otherwise park it for 3175 years). Minimum: `0`.
   * @default 60000
   */
  readonly maxRetryAfterMs?: number;
  /**
   * The multiplier between consecutive backoffs. Minimum: `1`.
   * @default 2
   */
  readonly factor?: number;
  /**
   * How the backoff is randomised: `none`, `full`, `equal` or `decorrelated` (see {@link JitterStrategy}).
   * `equal` keeps every wait within `[delay / 2, delay)`: spread out, never immediate.
   * @default 'equal'
   */
  readonly jitter?: JitterStrategy;
  /**
   * The random source for jitter, returning numbers in `[0, 1)`; inject a seeded one in tests.
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * Decides, from each error, whether to retry. `undefined` from it means "unrecognised".
   * @default defaultClassifier (network, file system, database, SMTP, HTTP, image, bulwark)
   */
  readonly classifier?: ErrorClassifier;
  /**
   * The verdict for errors the classifier does not recognise. Retrying is the default (as in p-retry
   * and cockatiel): the attempt count bounds it, and the final error is never swallowed. Use
   * `{ retriable: false, reason: 'unrecognised' }` to retry only known-transient errors.
   * @default { retriable: true, reason: 'unclassified' }
   */
  readonly unknownErrorVerdict?: Verdict;
  /**
   * Per-attempt timeout in milliseconds: the attempt's signal aborts and the attempt fails with a
   * retriable `AttemptTimeoutError`. `undefined` means no timeout. Minimum: `1`.
   * @default undefined
   */
  readonly attemptTimeoutMs?: number;
  /**
   * How an attempt this loop timed out (`AttemptTimeoutError`) is judged. `retry`: always retriable,
   * whatever the `classifier` says (a custom classifier written for the operation's own errors, or
   * `withFallback(…, permanent)`, never turns timeouts permanent by accident). `classify`: the
   * `classifier` decides, as for any error — the way to make timeouts permanent on purpose.
   * @default 'retry'
   */
  readonly onAttemptTimeout?: 'retry' | 'classify';
  /**
   * Total time budget in milliseconds, measured from the first attempt's start: a retry whose wait
   * would end at or after it is not started, and the loop fails with `RetryExhaustedError`
   * (`reason: 'max-elapsed'`). `undefined` means no budget. Minimum: `0`.
   * @default undefined
   */
  readonly maxElapsedMs?: number;
  /**
   * A {@link RetryBudget} shared with other calls or services, limiting retries to a fraction of calls.
   * @default undefined (no budget)
   */
  readonly budget?: RetryBudget;
  /**
   * Treats a returned value as a failure when it returns `true`. The classifier then judges the value
   * itself (the HTTP classifier understands a fetch `Response` and its `Retry-After`).
   * @default undefined (every returned value is a success)
   * @example
   * ```ts
   * await retry(() => fetch(url), { retryOnResult: (res) => !res.ok });
   * ```
   */
  readonly retryOnResult?: (result: T) => boolean;
  /**
   * The operation's name, used in log lines and events, e.g. `Generating thumbnail for segmentation 42`.
   * @default undefined ("Operation" in log lines)
   */
  readonly operation?: string;
  /**
   * Where log lines go (`console`, a pino or winston logger). `undefined` logs nothing.
   * @default undefined
   * @example
   * ```ts
   * new RetryService({ logger: console, operation: 'Sending welcome email' });
   * ```
   */
  readonly logger?: RetryLogger;
  /**
   * Called before every attempt.
   * @default undefined
   * @example
   * ```ts
   * onAttempt: ({ attempt, maxAttempts }) => metrics.increment('attempts')
   * ```
   */
  readonly onAttempt?: RetryHook;
  /**
   * Called after a failed attempt that will be retried, with the wait in `delayMs`.
   * @default undefined
   * @example
   * ```ts
   * onRetry: ({ attempt, delayMs, verdict }) => log(`retry ${attempt} in ${delayMs}ms: ${verdict?.reason}`)
   * ```
   */
  readonly onRetry?: RetryHook;
  /**
   * Called once when an attempt succeeds.
   * @default undefined
   * @example
   * ```ts
   * onSuccess: ({ attempt, elapsedMs }) => histogram.record(elapsedMs)
   * ```
   */
  readonly onSuccess?: RetryHook;
  /**
   * Called once when the loop gives up (permanent error, attempts or budget exhausted); not on abort.
   * @default undefined
   * @example
   * ```ts
   * onFailure: ({ error, verdict }) => deadLetter.push({ error, reason: verdict?.reason })
   * ```
   */
  readonly onFailure?: RetryHook;
  /**
   * Where a hook's error goes (`onAttempt`, `onRetry`, `onSuccess`, `onFailure`): it never changes the
   * outcome of the operation. Receives the error and the hook's name.
   * @default the logger's `error` when a `logger` is set, otherwise a process warning (`BulwarkHookWarning`)
   * @example
   * ```ts
   * onHookError: (error, hook) => metrics.increment('hook_errors', { hook })
   * ```
   */
  readonly onHookError?: (error: unknown, hook: string) => void;
  /**
   * The clock (time and timers), injectable so tests with fake timers see exact delays.
   * @default the system clock (globals read at call time, so `vi.useFakeTimers()` just works)
   */
  readonly clock?: Clock;
  /**
   * `unref` the backoff and attempt timers, so a wait between retries never keeps a CLI process alive
   * on its own (as p-retry's `unref`).
   * @default false
   */
  readonly unref?: boolean;
  /**
   * Cancels the whole loop: the wait between attempts ends at once, no further attempt starts, and
   * the promise rejects with the signal's `reason`. Also passed to the operation.
   * @default undefined
   */
  readonly signal?: AbortSignal;
}

/** Per-call options of `RetryService.execute` and `wrap`. */
export interface RetryCallOptions<T = unknown> {
  /** Cancels this call (see {@link RetryOptions.signal}). @default undefined */
  readonly signal?: AbortSignal;
  /** This call's name in log lines and events; overrides the service's. @default the service's `operation` */
  readonly operation?: string;
  /** Judges this call's results (see {@link RetryOptions.retryOnResult}). @default the service's */
  readonly retryOnResult?: (result: T) => boolean;
}
