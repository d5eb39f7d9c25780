import { BulwarkError } from '../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_LEASE_LOST';

/**
 * A job's lease is no longer this worker's: it expired (the job may already be running elsewhere) or
 * the job was settled. A `JobSource` rejects `extend`, `ack`, `retryLater`, `deadLetter` and
 * `release` with it; the processor then stops the run and leaves the job to its new owner.
 */
export class LeaseLostError extends BulwarkError {
  static readonly code = CODE;
  override name = 'LeaseLostError';
  /** The job's id. */
  readonly jobId: string;

  constructor(jobId: string, why: string) {
    super(CODE, `Lease of job ${JSON.stringify(jobId)} lost: ${why}`);
    this.jobId = jobId;
  }
}
