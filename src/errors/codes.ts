/**
 * Every `code` a bulwark error can carry, for exhaustive `switch` statements. Each code names its
 * class: `ERR_BULWARK_RETRY_EXHAUSTED` is a `RetryExhaustedError`, and `isRetryExhaustedError` tells
 * it apart, across copies of the package.
 *
 * @example
 * ```ts
 * import { isBulwarkError, type BulwarkErrorCode } from 'bulwark';
 *
 * function statusFor(error: unknown): number {
 *   if (!isBulwarkError(error)) return 500;
 *   const code: BulwarkErrorCode = error.code;
 *   switch (code) {
 *     case 'ERR_BULWARK_QUEUE_FULL':
 *     case 'ERR_BULWARK_QUEUE_TIMEOUT':
 *       return 503;
 *     case 'ERR_BULWARK_INVALID_OPTION':
 *       return 400;
 *     default:
 *       return 500;
 *   }
 * }
 * ```
 */
export type BulwarkErrorCode =
  // core
  | 'ERR_BULWARK_INVALID_OPTION'
  | 'ERR_BULWARK_PERMANENT'
  | 'ERR_BULWARK_ATTEMPT_TIMEOUT'
  | 'ERR_BULWARK_TASK_TIMEOUT'
  | 'ERR_BULWARK_RETRY_EXHAUSTED'
  | 'ERR_BULWARK_UNACCEPTABLE_RESULT'
  | 'ERR_BULWARK_QUEUE_FULL'
  | 'ERR_BULWARK_QUEUE_CLEARED'
  | 'ERR_BULWARK_QUEUE_TIMEOUT'
  | 'ERR_BULWARK_REENTRANT_RUN'
  | 'ERR_BULWARK_NOT_PROCESSED'
  | 'ERR_BULWARK_CIRCUIT_OPEN'
  // bulwark/thumbnails
  | 'ERR_BULWARK_IMAGE_DECODE'
  | 'ERR_BULWARK_IMAGE_TOO_LARGE'
  | 'ERR_BULWARK_INVALID_POLYGON'
  | 'ERR_BULWARK_TOO_MANY_POLYGONS'
  | 'ERR_BULWARK_TOO_MANY_POINTS'
  | 'ERR_BULWARK_INVALID_STORAGE_KEY'
  | 'ERR_BULWARK_STORAGE_NOT_FOUND'
  | 'ERR_BULWARK_SEGMENTATION_NOT_FOUND'
  | 'ERR_BULWARK_SHARP_MISSING'
  // bulwark/queue
  | 'ERR_BULWARK_LEASE_LOST'
  // bulwark/email
  | 'ERR_BULWARK_EMAIL_DELIVERY';
