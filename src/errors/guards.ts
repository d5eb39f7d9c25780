import { AttemptTimeoutError } from './attempt-timeout-error.js';
import { BulwarkError } from './bulwark-error.js';
import { stringCode } from './classifiers/classifier.js';
import { InvalidOptionError } from './invalid-option-error.js';
import { PermanentError } from './permanent-error.js';
import { QueueClearedError } from './queue-cleared-error.js';
import { QueueFullError } from './queue-full-error.js';
import { QueueTimeoutError } from './queue-timeout-error.js';
import { ReentrantRunError } from './reentrant-run-error.js';
import { RetryExhaustedError } from './retry-exhausted-error.js';

/** A class with the static `code` every bulwark error class carries. */
interface ErrorClass<E> {
  new (...args: never[]): E;
  readonly code: string;
}

/**
 * Builds a guard that recognises instances of `Class`, including instances created by another copy
 * of bulwark (two versions in one `node_modules`): `instanceof`, or an `Error` with the same `code`.
 * @internal
 */
export function guardFor<E extends BulwarkError>(Class: ErrorClass<E>): (value: unknown) => value is E {
  const { code } = Class;
  return (value: unknown): value is E =>
    value instanceof Class || (value instanceof Error && stringCode(value) === code);
}

const BULWARK_CODE = /^ERR_BULWARK_[A-Z_]+$/;

/** True for any error thrown by bulwark (any copy of it). */
export function isBulwarkError(value: unknown): value is BulwarkError {
  if (value instanceof BulwarkError) return true;
  if (!(value instanceof Error)) return false;
  const code = stringCode(value);
  return code !== undefined && BULWARK_CODE.test(code);
}

/** True for a {@link RetryExhaustedError}. */
export const isRetryExhaustedError = /* @__PURE__ */ guardFor(RetryExhaustedError);
/** True for a {@link PermanentError}. */
export const isPermanentError = /* @__PURE__ */ guardFor(PermanentError);
/** True for an {@link AttemptTimeoutError}. */
export const isAttemptTimeoutError = /* @__PURE__ */ guardFor(AttemptTimeoutError);
/** True for an {@link InvalidOptionError}. */
export const isInvalidOptionError = /* @__PURE__ */ guardFor(InvalidOptionError);
/** True for a {@link QueueFullError}. */
export const isQueueFullError = /* @__PURE__ */ guardFor(QueueFullError);
/** True for a {@link QueueClearedError}. */
export const isQueueClearedError = /* @__PURE__ */ guardFor(QueueClearedError);
/** True for a {@link QueueTimeoutError}. */
export const isQueueTimeoutError = /* @__PURE__ */ guardFor(QueueTimeoutError);
/** True for a {@link ReentrantRunError}. */
export const isReentrantRunError = /* @__PURE__ */ guardFor(ReentrantRunError);
