import { BulwarkError } from './bulwark-error.js';

/** `run` was called while `maxQueued` tasks were already waiting (back-pressure). */
export class QueueFullError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_QUEUE_FULL' as const;
  override name = 'QueueFullError';
  /** The configured `maxQueued`. */
  readonly maxQueued: number;
  /** The configured `maxConcurrent` at the time of rejection. */
  readonly maxConcurrent: number;

  constructor(maxQueued: number, maxConcurrent: number) {
    super(
      QueueFullError.code,
      `Queue is full: ${maxQueued} task${maxQueued === 1 ? '' : 's'} already waiting (maxQueued ${maxQueued}, maxConcurrent ${maxConcurrent})`,
    );
    this.maxQueued = maxQueued;
    this.maxConcurrent = maxConcurrent;
  }
}
