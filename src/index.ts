// bulwark: batch work that never fails silently. Core entry: zero runtime dependencies.

// Errors
export { BulwarkError } from './errors/bulwark-error.js';
export type { BulwarkErrorOptions } from './errors/bulwark-error.js';
export type { BulwarkErrorCode } from './errors/codes.js';
export { NotProcessedError } from './errors/not-processed-error.js';
export { CircuitOpenError } from './errors/circuit-open-error.js';
export { InvalidOptionError } from './errors/invalid-option-error.js';
export { PermanentError } from './errors/permanent-error.js';
export { AttemptTimeoutError } from './errors/attempt-timeout-error.js';
export { TaskTimeoutError } from './errors/task-timeout-error.js';
export { RetryExhaustedError } from './errors/retry-exhausted-error.js';
export type { RetryExhaustedReason } from './errors/retry-exhausted-error.js';
export { UnacceptableResultError } from './errors/unacceptable-result-error.js';
export { QueueFullError } from './errors/queue-full-error.js';
export { QueueClearedError } from './errors/queue-cleared-error.js';
export { QueueTimeoutError } from './errors/queue-timeout-error.js';
export { ReentrantRunError } from './errors/reentrant-run-error.js';
export {
  isBulwarkError,
  isRetryExhaustedError,
  isPermanentError,
  isAttemptTimeoutError,
  isTaskTimeoutError,
  isInvalidOptionError,
  isQueueFullError,
  isQueueClearedError,
  isQueueTimeoutError,
  isReentrantRunError,
  isUnacceptableResultError,
  isNotProcessedError,
  isCircuitOpenError,
} from './errors/guards.js';

// Classifiers
export { composeClassifiers, withFallback } from './classifiers/classifier.js';
export type { ErrorClassifier, Verdict } from './classifiers/classifier.js';
export { classifiers, defaultClassifier } from './classifiers/index.js';
export { createHttpClassifier, parseRetryAfter } from './classifiers/http.js';
export type { HttpClassifierOptions } from './classifiers/http.js';

// Time and cancellation
export { systemClock } from './internal/clock.js';
export type { Clock } from './internal/clock.js';
export type { SignalOptions } from './internal/options.js';
export type { HookErrorHandler } from './internal/events.js';

// Retry
export { retry } from './retry/retry.js';
export { RetryService } from './retry/retry-service.js';
export { RetryBudget } from './retry/retry-budget.js';
export type { RetryBudgetOptions } from './retry/retry-budget.js';
export type { JitterStrategy } from './retry/jitter.js';
export type {
  AttemptContext,
  RetryCallOptions,
  RetryEvent,
  RetryHook,
  RetryLogFields,
  RetryLogger,
  RetryOptions,
} from './retry/options.js';

// Concurrency
export { ConcurrencyManager } from './concurrency/concurrency-manager.js';
export type { ConcurrencyEvents, ConcurrencyManagerOptions, ConcurrencyStatus, RateLimit, RunOptions, RunningTask, TaskContext } from './concurrency/options.js';

// Circuit breaker
export { CircuitBreaker } from './circuit/circuit-breaker.js';
export type { CircuitBreakerOptions, CircuitEvents, CircuitSnapshot, CircuitState, CircuitStatus } from './circuit/options.js';

// Batch
export { BatchProcessor } from './batch/batch-processor.js';
export type {
  BatchContext,
  BatchInput,
  BatchProcessorOptions,
  BatchProgress,
  BatchReport,
  BatchRunOptions,
  BatchSummary,
  ItemContext,
  ItemFailure,
  ItemOutcome,
  NotProcessedItem,
} from './batch/options.js';
