/** A job claimed from a {@link JobSource}. */
export interface Job<P> {
  /** Unique id. */
  readonly id: string;
  /** What the handler works on. */
  readonly payload: P;
  /** How many times this job has been delivered, this delivery included (1 on the first). */
  readonly deliveries: number;
}

/**
 * Where jobs come from (Redis, SQS, a database table, BullMQ…). `pull` claims jobs: a claimed job must
 * not be delivered again until it is acknowledged, scheduled for later, dead-lettered or released.
 * Every pulled job gets exactly one of those calls from the processor — none is left in limbo.
 */
export interface JobSource<P> {
  /** Claims up to `max` ready jobs (fewer, or none, when there are not that many). */
  pull(max: number): Promise<readonly Job<P>[]>;
  /** The job succeeded: remove it. */
  ack(job: Job<P>): Promise<void>;
  /** The job failed transiently: deliver it again after `delayMs`. */
  retryLater(job: Job<P>, details: { readonly delayMs: number; readonly error: unknown }): Promise<void>;
  /** The job failed for good (permanent error, or too many deliveries): park it for a person. */
  deadLetter(job: Job<P>, details: { readonly error: unknown; readonly reason: string }): Promise<void>;
  /** Optional: returns claimed jobs that were never started (graceful shutdown). Defaults to `retryLater(job, { delayMs: 0 })`. */
  release?(jobs: readonly Job<P>[]): Promise<void>;
}
