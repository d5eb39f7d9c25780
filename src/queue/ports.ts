/** A job claimed from a {@link JobSource}, under a lease. */
export interface Job<P> {
  /** Unique id. */
  readonly id: string;
  /** What the handler works on. */
  readonly payload: P;
  /** How many times this job has been delivered, this delivery included (1 on the first). */
  readonly deliveries: number;
  /**
   * This delivery's lease token, if the source uses one: settling or extending with a stale token
   * (the lease expired and the job was delivered again) must fail with a `LeaseLostError`.
   */
  readonly lease?: string;
}

/** Details of a claim. */
export interface PullOptions {
  /**
   * The lease (visibility timeout) of the claimed jobs, in milliseconds: a job not settled or extended
   * within it becomes available again, counted as a new delivery — so a job whose worker died is
   * never lost.
   */
  readonly leaseMs: number;
}

/**
 * Where jobs come from (a database table, Redis, SQS, BullMQ…). The contract, which `MemoryJobSource`
 * implements and which a database- or Redis-backed source implements the same way:
 *
 * - `pull(max, { leaseMs })` claims up to `max` ready jobs for `leaseMs`; a claimed job is invisible
 *   to other pulls until its lease expires. Each claim counts as a delivery (`deliveries` + 1).
 * - `extend(job, leaseMs)` (optional, recommended) renews the lease while the handler runs; the
 *   processor calls it every `leaseMs / 3`. Without it, a handler longer than the lease may run twice.
 * - Every pulled job gets exactly one of `ack`, `retryLater`, `deadLetter` or `release` from the
 *   processor, unless its lease was lost first. Each must reject with `LeaseLostError` when the
 *   lease is no longer the caller's (expired, or the job was delivered again), and must be idempotent
 *   for the same lease (a retried `ack` after a lost reply is fine).
 * - A failing call (network, database) simply rejects: the processor retries it with backoff and, if
 *   it keeps failing, lets the lease expire so the job comes back (at-least-once delivery).
 */
export interface JobSource<P> {
  /** Claims up to `max` ready jobs (fewer, or none, when there are not that many). */
  pull(max: number, options: PullOptions): Promise<readonly Job<P>[]>;
  /** Renews the job's lease for `leaseMs` from now. */
  extend?(job: Job<P>, leaseMs: number): Promise<void>;
  /** The job succeeded: remove it. */
  ack(job: Job<P>): Promise<void>;
  /** The job failed transiently: deliver it again after `delayMs`. */
  retryLater(job: Job<P>, details: { readonly delayMs: number; readonly error: unknown }): Promise<void>;
  /** The job failed for good (permanent error, or too many deliveries): park it for a person. */
  deadLetter(job: Job<P>, details: { readonly error: unknown; readonly reason: string }): Promise<void>;
  /** Optional: returns claimed jobs that were never started; their delivery does not count. Defaults to `retryLater(job, { delayMs: 0 })`. */
  release?(jobs: readonly Job<P>[]): Promise<void>;
}
