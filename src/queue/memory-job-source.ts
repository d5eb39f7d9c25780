import { systemClock, type Clock } from '../internal/clock.js';
import type { Job, JobSource } from './ports.js';

interface Entry<P> {
  readonly id: string;
  readonly payload: P;
  deliveries: number;
  availableAt: number;
  claimed: boolean;
}

/** A dead-lettered job with why. */
export interface DeadLetteredJob<P> {
  readonly job: Job<P>;
  readonly error: unknown;
  readonly reason: string;
}

/**
 * An in-memory {@link JobSource}: the reference implementation, for tests and single-process use.
 * Jobs are delivered oldest first; a claimed job is invisible until the processor settles it.
 */
export class MemoryJobSource<P> implements JobSource<P> {
  readonly #jobs = new Map<string, Entry<P>>();
  readonly #clock: Clock;
  readonly #acked: Job<P>[] = [];
  readonly #dead: DeadLetteredJob<P>[] = [];
  #nextId = 0;

  constructor(options: { readonly clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  /** Adds a job; returns its id. */
  add(payload: P, id = `job-${++this.#nextId}`): string {
    if (this.#jobs.has(id)) throw new Error(`Job ${id} already exists`);
    this.#jobs.set(id, { id, payload, deliveries: 0, availableAt: 0, claimed: false });
    return id;
  }

  async pull(max: number): Promise<readonly Job<P>[]> {
    const now = this.#clock.now();
    const jobs: Job<P>[] = [];
    for (const entry of this.#jobs.values()) {
      if (jobs.length >= max) break;
      if (entry.claimed || entry.availableAt > now) continue;
      entry.claimed = true;
      entry.deliveries++;
      jobs.push({ id: entry.id, payload: entry.payload, deliveries: entry.deliveries });
    }
    return jobs;
  }

  #settle(job: Job<P>): Entry<P> {
    const entry = this.#jobs.get(job.id);
    if (entry === undefined || !entry.claimed) throw new Error(`Job ${job.id} is not claimed`);
    return entry;
  }

  async ack(job: Job<P>): Promise<void> {
    this.#settle(job);
    this.#jobs.delete(job.id);
    this.#acked.push(job);
  }

  async retryLater(job: Job<P>, details: { readonly delayMs: number }): Promise<void> {
    const entry = this.#settle(job);
    entry.claimed = false;
    entry.availableAt = this.#clock.now() + details.delayMs;
    // Re-insert at the back: other waiting jobs go first.
    this.#jobs.delete(job.id);
    this.#jobs.set(job.id, entry);
  }

  async deadLetter(job: Job<P>, details: { readonly error: unknown; readonly reason: string }): Promise<void> {
    this.#settle(job);
    this.#jobs.delete(job.id);
    this.#dead.push({ job, error: details.error, reason: details.reason });
  }

  async release(jobs: readonly Job<P>[]): Promise<void> {
    for (const job of jobs) {
      const entry = this.#settle(job);
      entry.claimed = false;
      entry.deliveries--; // never started: this delivery does not count
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

  /** Jobs waiting (ready or scheduled) and claimed. */
  counts(): { readonly waiting: number; readonly claimed: number } {
    let waiting = 0;
    let claimed = 0;
    for (const entry of this.#jobs.values()) {
      if (entry.claimed) claimed++;
      else waiting++;
    }
    return { waiting, claimed };
  }
}
