import { systemClock, type Clock } from '../internal/clock.js';
import { LeaseLostError } from './lease-lost-error.js';
import type { Job, JobSource, PullOptions } from './ports.js';

interface Entry<P> {
  readonly id: string;
  readonly payload: P;
  deliveries: number;
  availableAt: number;
  /** The current lease's token and end, while claimed. */
  lease: string | undefined;
  leaseUntil: number;
}

/** A dead-lettered job with why. */
export interface DeadLetteredJob<P> {
  readonly job: Job<P>;
  readonly error: unknown;
  readonly reason: string;
}

/**
 * An in-memory {@link JobSource}: the reference implementation of the lease contract, for tests and
 * single-process use. Jobs are delivered oldest first; a claimed job is invisible until the
 * processor settles it or its lease expires (then it is delivered again, counted).
 */
export class MemoryJobSource<P> implements JobSource<P> {
  readonly #jobs = new Map<string, Entry<P>>();
  readonly #clock: Clock;
  readonly #acked: Job<P>[] = [];
  readonly #dead: DeadLetteredJob<P>[] = [];
  /** Leases already settled, and how: a repeated call for the same lease is a no-op (idempotence). */
  readonly #settled = new Map<string, 'ack' | 'retryLater' | 'deadLetter' | 'release'>();
  #nextId = 0;
  #nextLease = 0;

  constructor(options: { readonly clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  /** Adds a job; returns its id. */
  add(payload: P, id = `job-${++this.#nextId}`): string {
    if (this.#jobs.has(id)) throw new Error(`Job ${id} already exists`);
    this.#jobs.set(id, { id, payload, deliveries: 0, availableAt: 0, lease: undefined, leaseUntil: 0 });
    return id;
  }

  async pull(max: number, options: PullOptions = { leaseMs: 30_000 }): Promise<readonly Job<P>[]> {
    const now = this.#clock.now();
    const jobs: Job<P>[] = [];
    for (const entry of this.#jobs.values()) {
      if (jobs.length >= max) break;
      if (entry.lease !== undefined && entry.leaseUntil > now) continue;
      if (entry.availableAt > now) continue;
      // An expired lease (its worker vanished) is claimed again: a new delivery.
      entry.lease = `lease-${++this.#nextLease}`;
      entry.leaseUntil = now + options.leaseMs;
      entry.deliveries++;
      jobs.push({ id: entry.id, payload: entry.payload, deliveries: entry.deliveries, lease: entry.lease });
    }
    return jobs;
  }

  /** Whether this exact call was already made for this lease (a retried call after a lost reply). */
  #repeated(job: Job<P>, action: 'ack' | 'retryLater' | 'deadLetter' | 'release'): boolean {
    return job.lease !== undefined && this.#settled.get(job.lease) === action;
  }

  #remember(job: Job<P>, action: 'ack' | 'retryLater' | 'deadLetter' | 'release'): void {
    if (job.lease !== undefined) this.#settled.set(job.lease, action);
  }

  /** The entry, if `job` still holds its lease; a `LeaseLostError` otherwise. */
  #held(job: Job<P>): Entry<P> {
    const entry = this.#jobs.get(job.id);
    if (entry === undefined) throw new LeaseLostError(job.id, 'the job is settled');
    if (entry.lease === undefined || entry.lease !== job.lease) throw new LeaseLostError(job.id, 'it was delivered again');
    if (entry.leaseUntil <= this.#clock.now()) throw new LeaseLostError(job.id, 'the lease expired');
    return entry;
  }

  async extend(job: Job<P>, leaseMs: number): Promise<void> {
    this.#held(job).leaseUntil = this.#clock.now() + leaseMs;
  }

  async ack(job: Job<P>): Promise<void> {
    if (this.#repeated(job, 'ack')) return;
    this.#held(job);
    this.#jobs.delete(job.id);
    this.#acked.push(job);
    this.#remember(job, 'ack');
  }

  async retryLater(job: Job<P>, details: { readonly delayMs: number }): Promise<void> {
    if (this.#repeated(job, 'retryLater')) return;
    const entry = this.#held(job);
    this.#remember(job, 'retryLater');
    entry.lease = undefined;
    entry.availableAt = this.#clock.now() + details.delayMs;
    // Re-insert at the back: other waiting jobs go first.
    this.#jobs.delete(job.id);
    this.#jobs.set(job.id, entry);
  }

  async deadLetter(job: Job<P>, details: { readonly error: unknown; readonly reason: string }): Promise<void> {
    if (this.#repeated(job, 'deadLetter')) return;
    this.#held(job);
    this.#jobs.delete(job.id);
    this.#dead.push({ job, error: details.error, reason: details.reason });
    this.#remember(job, 'deadLetter');
  }

  /** Returns never-started jobs; all or none (every lease is checked before any job is released). */
  async release(jobs: readonly Job<P>[]): Promise<void> {
    const pending = jobs.filter((job) => !this.#repeated(job, 'release'));
    const entries = pending.map((job) => this.#held(job));
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry<P>;
      entry.lease = undefined;
      entry.deliveries--; // never started: this delivery does not count
      this.#remember(pending[i] as Job<P>, 'release');
    }
  }

  /** Jobs acknowledged, in order. */
  get acked(): readonly Job<P>[] {
    return this.#acked;
  }

  /** Jobs dead-lettered, in order. */
  get deadLettered(): readonly DeadLetteredJob<P>[] {
    return this.#dead;
  }

  /** Jobs waiting (ready, scheduled, or with an expired lease) and claimed (under a live lease). */
  counts(): { readonly waiting: number; readonly claimed: number } {
    const now = this.#clock.now();
    let waiting = 0;
    let claimed = 0;
    for (const entry of this.#jobs.values()) {
      if (entry.lease !== undefined && entry.leaseUntil > now) claimed++;
      else waiting++;
    }
    return { waiting, claimed };
  }
}
