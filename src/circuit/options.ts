import type { ErrorClassifier, Verdict } from '../classifiers/classifier.js';
import type { Clock } from '../internal/clock.js';

/** `closed`: calls go through. `open`: calls fail fast. `half-open`: one probe call goes through. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of `new CircuitBreaker()`. */
export interface CircuitBreakerOptions {
  /**
   * A name for errors, events and logs, e.g. `smtp.example.com`.
   * @default undefined
   */
  readonly name?: string;
  /**
   * Opens after this many counted failures in a row. Minimum: `1`.
   * @default 5
   */
  readonly consecutiveFailures?: number;
  /**
   * Also opens when, over the last `windowMs`, at least `minimumCalls` calls were made and this
   * fraction of them failed (counted failures only). `undefined`: only consecutive failures count.
   * Range: above `0`, at most `1`.
   * @default undefined
   */
  readonly failureRatio?: number;
  /**
   * The sliding window of `failureRatio`, in milliseconds (ten buckets). Minimum: `10`.
   * @default 60000
   */
  readonly windowMs?: number;
  /**
   * Calls the window must hold before `failureRatio` can open the circuit. Minimum: `1`.
   * @default 10
   */
  readonly minimumCalls?: number;
  /**
   * How long the circuit stays open before it lets one probe call through, in milliseconds.
   * Minimum: `0`.
   * @default 30000
   */
  readonly cooldownMs?: number;
  /**
   * With a value above `cooldownMs`, each failed probe multiplies the cooldown by `cooldownFactor`, up
   * to this cap; a successful probe resets it. Minimum: `cooldownMs`.
   * @default cooldownMs (the cooldown does not grow)
   */
  readonly maxCooldownMs?: number;
  /**
   * The growth of the cooldown after a failed probe (see `maxCooldownMs`). Minimum: `1`.
   * @default 2
   */
  readonly cooldownFactor?: number;
  /**
   * Decides which failures count: only those it calls retriable (the dependency is unwell: a 503, a
   * refused connection, a 421). Permanent ones (a 404, a bad address, a 550) show a dependency that
   * answers, so they count as successes for the circuit's health.
   * @default defaultClassifier (unrecognised errors count)
   */
  readonly classifier?: ErrorClassifier;
  /**
   * The verdict for errors the classifier does not recognise.
   * @default { retriable: true, reason: 'unclassified' } (they count)
   */
  readonly unknownErrorVerdict?: Verdict;
  /**
   * A state saved by `snapshot()` (e.g. before a restart), so an open circuit stays open.
   * @default undefined (closed)
   */
  readonly restore?: CircuitSnapshot;
  /**
   * Where an event listener's error goes.
   * @default a process warning (`BulwarkHookWarning`)
   */
  readonly onHookError?: (error: unknown, hook: string) => void;
  /**
   * The clock, injectable for tests (the breaker sets no timer: it checks the time on each call).
   * @default the system clock
   */
  readonly clock?: Clock;
}

/** A breaker's state, as `snapshot()` exports it: JSON-serialisable, restorable after a restart. */
export interface CircuitSnapshot {
  readonly state: CircuitState;
  /** When open: milliseconds until a probe may go through, at `savedAt`. */
  readonly retryAfterMs: number;
  /** The current cooldown (it grows with failed probes when `maxCooldownMs` allows). */
  readonly cooldownMs: number;
  /** Counted failures in a row. */
  readonly consecutiveFailures: number;
  /** Wall-clock time of the snapshot (`Date.now()`), so the time spent down is not forgotten. */
  readonly savedAt: number;
}

/** `status()`: the state and its counters. */
export interface CircuitStatus {
  readonly state: CircuitState;
  /** Counted failures in a row. */
  readonly consecutiveFailures: number;
  /** Calls and counted failures in the sliding window (`failureRatio`). */
  readonly windowCalls: number;
  readonly windowFailures: number;
  /** When open: milliseconds until a probe may go through; otherwise `0`. */
  readonly retryAfterMs: number;
  /** Calls rejected while open, since creation. */
  readonly rejected: number;
}

/** The events of a `CircuitBreaker`, by type. */
export interface CircuitEvents {
  /** The circuit opened (`cause` is the failure that opened it). */
  readonly open: { readonly type: 'open'; readonly cooldownMs: number; readonly cause: unknown };
  /** The cooldown ended: the next call is a probe. */
  readonly halfOpen: { readonly type: 'halfOpen' };
  /** A probe succeeded (or `reset()`): calls go through again. */
  readonly close: { readonly type: 'close' };
  /** A call was rejected without being made. */
  readonly reject: { readonly type: 'reject'; readonly retryAfterMs: number };
}
