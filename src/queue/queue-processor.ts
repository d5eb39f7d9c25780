import { BatchProcessor } from '../batch/batch-processor.js';
import { ConcurrencyManager } from '../concurrency/concurrency-manager.js';
import type { Verdict } from '../classifiers/classifier.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { sleep } from '../internal/abort.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { Emitter, warnHookError, type HookErrorHandler } from '../internal/events.js';
import { integer, number, optionalFunction } from '../internal/validate.js';
import { exponentialDelay } from '../retry/backoff.js';
import type { RetryOptions } from '../retry/options.js';
import { isRetryService, RetryService } from '../retry/retry-service.js';
import type { Job, JobSource } from './ports.js';

/** The events of a {@link QueueProcessor}, by type: what happened to one job. Subscribe with `on(type, listener)`. */
export interface QueueEvents<P> {
  /** The job succeeded and was acknowledged. */
  readonly acked: { readonly type: 'acked'; readonly job: Job<P>; readonly attempts: number; readonly durationMs: number };
  /** The job failed retriably and was scheduled for a later delivery. */
  readonly 'retry-later': { readonly type: 'retry-later'; readonly job: Job<P>; readonly attempts: number; readonly delayMs: number; readonly error: unknown; readonly verdict: Verdict | undefined };
  /** The job failed for good (permanent error or `maxDeliveries`) and was dead-lettered. */
  readonly 'dead-lettered': { readonly type: 'dead-lettered'; readonly job: Job<P>; readonly attempts: number; readonly reason: string; readonly error: unknown };
  /** A claimed job was handed back unstarted at shutdown. */
  readonly released: { readonly type: 'released'; readonly job: Job<P> };
  /** Acknowledging, scheduling, dead-lettering or releasing a job failed at the source. */
  readonly 'settle-failed': { readonly type: 'settle-failed'; readonly job: Job<P>; readonly action: 'ack' | 'retryLater' | 'deadLetter' | 'release'; readonly error: unknown };
}

/** Any {@link QueueEvents} event. */
export type QueueEvent<P> = QueueEvents<P>[keyof QueueEvents<P>];

/** What the handler receives with a job's payload. */
export interface JobContext<P> {
  /** The job (id, deliveries). */
  readonly job: Job<P>;
  /** The in-process attempt within this delivery (1-based). */
  readonly attempt: number;
  /** Aborts only when the processor is stopped with `abortInFlight`, or an attempt times out. */
  readonly signal: AbortSignal;
}

/** Options of {@link QueueProcessor}. */
export interface QueueProcessorOptions {
  /**
   * Jobs handled at once. Minimum: `1`.
   * @default 5
   */
  readonly concurrency?: number;
  /**
   * Jobs claimed per pull. Minimum: `1`.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * In-process retries within one delivery (short hiccups), as a `RetryService` or options.
   * Longer outages go back to the source with `retryLater`.
   * @default { maxAttempts: 2, initialDelayMs: 500 }
   */
  readonly retry?: RetryService | RetryOptions;
  /**
   * A job that fails retriably on this delivery is dead-lettered instead of scheduled again. Minimum: `1`.
   * @default 5
   */
  readonly maxDeliveries?: number;
  /**
   * The delay before a retriable job is delivered again, from how many deliveries it has had.
   * A classifier's `delayMs` (e.g. `Retry-After`) wins when larger.
   * @default (deliveries) => min(60000, 1000 × 2^(deliveries − 1))
   * @example
   * ```ts
   * redeliveryDelayMs: (deliveries) => 30_000 * deliveries
   * ```
   */
  readonly redeliveryDelayMs?: (deliveries: number) => number;
  /**
   * How long to wait before pulling again when the source had no job, in milliseconds. Minimum: `0`.
   * @default 1000
   */
  readonly pollIntervalMs?: number;
  /**
   * Where an event listener's error goes (it never stops the worker).
   * @default a process warning (`BulwarkHookWarning`)
   */
  readonly onHookError?: HookErrorHandler;
  /** The clock, injectable for tests. @default the system clock */
  readonly clock?: Clock;
}

/** Counters of a queue processor. */
export interface QueueMetrics {
  /** Jobs acknowledged. */
  readonly acked: number;
  /** Jobs scheduled for a later delivery. */
  readonly retriedLater: number;
  /** Jobs dead-lettered. */
  readonly deadLettered: number;
  /** Claimed jobs returned unstarted at shutdown. */
  readonly released: number;
  /** Handler attempts made. */
  readonly attempts: number;
  /** Jobs being handled now. */
  readonly inFlight: number;
  /** `acked / (acked + deadLettered)`, `1` before any. */
  readonly successRate: number;
  /** Mean milliseconds per acknowledged job. */
  readonly averageMs: number;
}

/**
 * A worker loop over a {@link JobSource}: pulls jobs in batches, handles them with concurrency and
 * in-process retry (a `BatchProcessor`), then settles every job exactly once — `ack` on success,
 * `retryLater` with backoff on a retriable failure, `deadLetter` on a permanent one or after
 * `maxDeliveries`. A handler that throws never loses its job. `stop()` is graceful: no new pulls,
 * in-flight jobs finish, claimed-but-unstarted jobs are released.
 *
 * @example
 * ```ts
 * const worker = new QueueProcessor(source, (payload) => sendWelcomeEmail(payload), { concurrency: 10 });
 * process.once('SIGTERM', () => void worker.stop());
 * await worker.start(); // resolves once stopped and drained
 * ```
 */
export class QueueProcessor<P> {
  readonly #source: JobSource<P>;
  readonly #handler: (payload: P, context: JobContext<P>) => unknown;
  readonly #batch: BatchProcessor;
  readonly #batchSize: number;
  readonly #maxDeliveries: number;
  readonly #redelivery: (deliveries: number) => number;
  readonly #pollIntervalMs: number;
  readonly #events: Emitter<QueueEvents<P>>;
  readonly #clock: Clock;
  readonly #limiter: ConcurrencyManager;
  #stopping = new AbortController();
  #inFlight = new AbortController();
  #running: Promise<void> | undefined;
  #acked = 0;
  #retried = 0;
  #dead = 0;
  #released = 0;
  #attempts = 0;
  #totalMs = 0;

  constructor(source: JobSource<P>, handler: (payload: P, context: JobContext<P>) => unknown, options: QueueProcessorOptions = {}) {
    for (const method of ['pull', 'ack', 'retryLater', 'deadLetter'] as const) {
      if (typeof source?.[method] !== 'function') throw new InvalidOptionError('source', `a JobSource (missing ${method}())`, source);
    }
    if (typeof handler !== 'function') throw new InvalidOptionError('handler', 'a function', handler);
    this.#source = source;
    this.#handler = handler;
    this.#clock = options.clock ?? systemClock;
    this.#limiter = new ConcurrencyManager({ concurrency: integer('concurrency', options.concurrency ?? 5, 1) });
    this.#batchSize = integer('batchSize', options.batchSize ?? 10, 1);
    this.#maxDeliveries = integer('maxDeliveries', options.maxDeliveries ?? 5, 1);
    this.#redelivery = optionalFunction('redeliveryDelayMs', options.redeliveryDelayMs) ?? ((d) => exponentialDelay(d, 1000, 2, 60_000));
    this.#pollIntervalMs = number('pollIntervalMs', options.pollIntervalMs ?? 1000, 0);
    this.#events = new Emitter(optionalFunction('onHookError', options.onHookError) ?? warnHookError);
    const retry = isRetryService(options.retry) ? options.retry : new RetryService({ maxAttempts: 2, initialDelayMs: 500, clock: this.#clock, ...options.retry });
    this.#batch = new BatchProcessor({ concurrency: this.#limiter, retry, batchSize: this.#batchSize, collectResults: false, operation: (job: Job<P>) => `Job ${job.id}`, clock: this.#clock });
  }

  /** Whether `start()` is running. */
  get isRunning(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Subscribes to one kind of event; returns the function that unsubscribes. A listener that throws
   * is reported to `onHookError` and changes nothing.
   *
   * @example
   * ```ts
   * const off = worker.on('dead-lettered', (e) => log.error({ job: e.job.id, reason: e.reason }, 'job dead-lettered'));
   * off();
   * ```
   */
  on<K extends keyof QueueEvents<P>>(type: K, listener: (event: QueueEvents<P>[K]) => void): () => void {
    return this.#events.on(type, listener);
  }

  /** Counters since creation. */
  metrics(): QueueMetrics {
    const done = this.#acked + this.#dead;
    return {
      acked: this.#acked,
      retriedLater: this.#retried,
      deadLettered: this.#dead,
      released: this.#released,
      attempts: this.#attempts,
      inFlight: this.#limiter.active,
      successRate: done === 0 ? 1 : this.#acked / done,
      averageMs: this.#acked === 0 ? 0 : this.#totalMs / this.#acked,
    };
  }

  /**
   * Pulls and handles jobs until `stop()` (or `signal`), then resolves once every claimed job is settled.
   * Calling it while running returns the same promise.
   */
  start(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.#running !== undefined) return this.#running;
    if (this.#stopping.signal.aborted) {
      this.#stopping = new AbortController();
      this.#inFlight = new AbortController();
    }
    const outer = options.signal;
    const onAbort = (): void => void this.stop();
    outer?.addEventListener('abort', onAbort, { once: true });
    if (outer?.aborted) void this.stop();
    this.#running = (async () => {
      try {
        while (!this.#stopping.signal.aborted) {
          const handled = await this.runOnce();
          if (handled === 0 && !this.#stopping.signal.aborted) await sleep(this.#pollIntervalMs, this.#clock, this.#stopping.signal).catch(() => undefined);
        }
      } finally {
        outer?.removeEventListener('abort', onAbort);
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /**
   * Stops gracefully: no new pulls; in-flight jobs finish (or, with `abortInFlight`, get their signal
   * aborted and go back to the source); claimed jobs not yet started are released. Resolves when done.
   */
  async stop(options: { readonly abortInFlight?: boolean } = {}): Promise<void> {
    this.#stopping.abort(new Error('QueueProcessor stopped'));
    if (options.abortInFlight === true) this.#inFlight.abort(new Error('QueueProcessor stopped'));
    await this.#running;
  }

  /** One cycle: pull up to `batchSize` jobs, handle them, settle each. Returns how many were pulled. */
  async runOnce(): Promise<number> {
    const jobs = await this.#source.pull(this.#batchSize);
    if (jobs.length === 0) return 0;
    const started = new Map<string, { at: number; attempts: number }>();
    const report = await this.#batch.process(
      jobs,
      (job, context) => {
        const entry = started.get(job.id);
        if (entry === undefined) started.set(job.id, { at: this.#clock.now(), attempts: context.attempt });
        else entry.attempts = context.attempt;
        return this.#handler(job.payload, { job, attempt: context.attempt, signal: this.#inFlight.signal });
      },
      { signal: this.#stopping.signal },
    );
    const settling: Promise<void>[] = [];
    for (const skipped of report.notProcessed) settling.push(this.#release(skipped.item));
    for (const failure of report.failed) settling.push(this.#fail(failure.item, failure.error, failure.verdict, failure.attempts));
    const failedIds = new Set(report.failed.map((f) => f.item.id));
    const skippedIds = new Set(report.notProcessed.map((n) => n.item.id));
    this.#attempts += report.attempts;
    for (const job of jobs) {
      if (failedIds.has(job.id) || skippedIds.has(job.id)) continue;
      settling.push(
        this.#settle(job, 'ack', () => this.#source.ack(job)).then((ok) => {
          if (!ok) return;
          this.#acked++;
          const entry = started.get(job.id);
          const durationMs = entry === undefined ? 0 : this.#clock.now() - entry.at;
          this.#totalMs += durationMs;
          this.#events.emit('acked', { type: 'acked', job, attempts: entry?.attempts ?? 1, durationMs });
        }),
      );
    }
    await Promise.all(settling);
    return jobs.length;
  }

  async #fail(job: Job<P>, error: unknown, verdict: Verdict | undefined, attempts: number): Promise<void> {
    // Stopped during a backoff or with abortInFlight: the job goes back untouched.
    if (this.#stopping.signal.aborted && (error === this.#stopping.signal.reason || error === this.#inFlight.signal.reason)) {
      await this.#release(job);
      return;
    }
    if (verdict !== undefined && !verdict.retriable) {
      if (await this.#settle(job, 'deadLetter', () => this.#source.deadLetter(job, { error, reason: verdict.reason }))) {
        this.#dead++;
        this.#events.emit('dead-lettered', { type: 'dead-lettered', job, attempts, reason: verdict.reason, error });
      }
      return;
    }
    if (job.deliveries >= this.#maxDeliveries) {
      const reason = `failed on ${job.deliveries} deliveries (maxDeliveries ${this.#maxDeliveries})`;
      if (await this.#settle(job, 'deadLetter', () => this.#source.deadLetter(job, { error, reason }))) {
        this.#dead++;
        this.#events.emit('dead-lettered', { type: 'dead-lettered', job, attempts, reason, error });
      }
      return;
    }
    const delayMs = Math.max(this.#redelivery(job.deliveries), verdict?.retriable === true ? (verdict.delayMs ?? 0) : 0);
    if (await this.#settle(job, 'retryLater', () => this.#source.retryLater(job, { delayMs, error }))) {
      this.#retried++;
      this.#events.emit('retry-later', { type: 'retry-later', job, attempts, delayMs, error, verdict });
    }
  }

  async #release(job: Job<P>): Promise<void> {
    const release = this.#source.release;
    const ok = await this.#settle(job, 'release', () => (release === undefined ? this.#source.retryLater(job, { delayMs: 0, error: undefined }) : release.call(this.#source, [job])));
    if (ok) {
      this.#released++;
      this.#events.emit('released', { type: 'released', job });
    }
  }

  /** Calls the source; a failure is reported as a `settle-failed` event, never thrown away silently. */
  async #settle(job: Job<P>, action: 'ack' | 'retryLater' | 'deadLetter' | 'release', call: () => Promise<void>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (error) {
      if (!this.#events.has('settle-failed')) throw error;
      this.#events.emit('settle-failed', { type: 'settle-failed', job, action, error });
      return false;
    }
  }
}
