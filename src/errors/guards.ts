import { isInstance } from '../classifiers/inspect.js';
import { AttemptTimeoutError } from './attempt-timeout-error.js';
import { TaskTimeoutError } from './task-timeout-error.js';
import { BulwarkError, ERROR_BRAND } from './bulwark-error.js';
import { CircuitOpenError } from './circuit-open-error.js';
import type { BulwarkErrorCode } from './codes.js';
import { InvalidOptionError } from './invalid-option-error.js';
import { NotProcessedError } from './not-processed-error.js';
import { PermanentError } from './permanent-error.js';
import { QueueClearedError } from './queue-cleared-error.js';
import { QueueFullError } from './queue-full-error.js';
import { QueueTimeoutError } from './queue-timeout-error.js';
import { ReentrantRunError } from './reentrant-run-error.js';
import { RetryExhaustedError } from './retry-exhausted-error.js';
import { UnacceptableResultError } from './unacceptable-result-error.js';

/** A class with the static `code` every bulwark error class carries. */
interface ErrorClass<E> {
  new (...args: never[]): E;
  readonly code: BulwarkErrorCode;
}

/** The `code` of any value, read without throwing. */
function codeOf(value: unknown): unknown {
  try {
    return (value as { code?: unknown }).code;
  } catch {
    return undefined;
  }
}

/** True for any error thrown by bulwark, including one made by another copy of the package. */
export function isBulwarkError(value: unknown): value is BulwarkError {
  if (typeof value !== 'object' || value === null) return false;
  // `instanceof` too can throw (a revoked Proxy, a hostile `getPrototypeOf` trap): the brand decides then.
  if (isInstance(value, BulwarkError)) return true;
  try {
    return (value as { [ERROR_BRAND]?: unknown })[ERROR_BRAND] === true && typeof codeOf(value) === 'string';
  } catch {
    return false;
  }
}

/**
 * @internal Builds a guard that recognises instances of `Class`, including instances created by
 * another copy of bulwark (the ESM and CJS builds, or two versions in one `node_modules`): the shared
 * brand and the same `code`.
 */
export function guardFor<E extends BulwarkError>(Class: ErrorClass<E>): (value: unknown) => value is E {
  const { code } = Class;
  return (value: unknown): value is E => isBulwarkError(value) && (isInstance(value, Class) || codeOf(value) === code);
}

/** True for a {@link RetryExhaustedError}. */
export const isRetryExhaustedError = /* @__PURE__ */ guardFor(RetryExhaustedError);
/** True for a {@link PermanentError}. */
export const isPermanentError = /* @__PURE__ */ guardFor(PermanentError);
/** True for an {@link AttemptTimeoutError}. */
export const isAttemptTimeoutError = /* @__PURE__ */ guardFor(AttemptTimeoutError);
/** True for a {@link TaskTimeoutError}. */
export const isTaskTimeoutError = /* @__PURE__ */ guardFor(TaskTimeoutError);
/** True for an {@link InvalidOptionError}. */
export const isInvalidOptionError = /* @__PURE__ */ guardFor(InvalidOptionError);
/** True for an {@link UnacceptableResultError}. */
export const isUnacceptableResultError = /* @__PURE__ */ guardFor(UnacceptableResultError);
/** True for a {@link QueueFullError}. */
export const isQueueFullError = /* @__PURE__ */ guardFor(QueueFullError);
/** True for a {@link QueueClearedError}. */
export const isQueueClearedError = /* @__PURE__ */ guardFor(QueueClearedError);
/** True for a {@link QueueTimeoutError}. */
export const isQueueTimeoutError = /* @__PURE__ */ guardFor(QueueTimeoutError);
/** True for a {@link ReentrantRunError}. */
export const isReentrantRunError = /* @__PURE__ */ guardFor(ReentrantRunError);
/** True for a {@link NotProcessedError}. */
export const isNotProcessedError = /* @__PURE__ */ guardFor(NotProcessedError);
/** True for a {@link CircuitOpenError}. */
export const isCircuitOpenError = /* @__PURE__ */ guardFor(CircuitOpenError);
