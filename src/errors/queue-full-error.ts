import { BulwarkError } from './bulwark-error.js';

const CODE = 'ERR_BULWARK_QUEUE_FULL';

/** `run` was called while `maxQueued` tasks were already waiting (back-pressure). */
export class QueueFullError extends BulwarkError {
  static readonly code = CODE;
  override name = 'QueueFullError';
  /** The configured `maxQueued`. */
  readonly maxQueued: number;
  /** The configured `concurrency` at the time of rejection. */
  readonly concurrency: number;

  constructor(maxQueued: number, concurrency: number) {
    super(
      CODE,
      `Queue is full: ${maxQueued} task${maxQueued === 1 ? '' : 's'} already waiting (maxQueued ${maxQueued}, concurrency ${concurrency})`,
    );
    this.maxQueued = maxQueued;
    this.concurrency = concurrency;
  }
}
