import { setMaxListeners } from 'node:events';
import type { Verdict } from '../classifiers/classifier.js';
import { isInstance, prop } from '../classifiers/inspect.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { sleep } from '../internal/abort.js';
import { startTimer, systemClock, type Clock, type Timer } from '../internal/clock.js';
import { Emitter, reportHookError, warnHookError, type HookErrorHandler } from '../internal/events.js';
import { RateWindow } from '../internal/rate-window.js';
import { integer, knownOptions, number, optionalFunction } from '../internal/validate.js';
import { exponentialDelay } from '../retry/backoff.js';
import type { AttemptContext, RetryOptions } from '../retry/options.js';
import type { AttemptScheduling, RetryOutcome } from '../retry/retry.js';
import { isRetryService, RetryService } from '../retry/retry-service.js';
import { isLeaseLostError } from './guards.js';
import type { Job, JobSource } from './ports.js';

/** A call that settles a job at its source. */
export type Settlement = 'ack' | 'retryLater' | 'deadLetter' | 'release';

/** The events of a {@link QueueProcessor}, by type. Subscribe with `on(type, listener)`. */
export interface QueueEvents<P> {
  /** The job succeeded and was acknowledged. */
  readonly acked: { readonly type: 'acked'; readonly job: Job<P>; readonly attempts: number; readonly durationMs: number };
  /** The job failed retriably and was scheduled for a later delivery. */
  readonly 'retry-later': { readonly type: 'retry-later'; readonly job: Job<P>; readonly attempts: number; readonly delayMs: number; readonly error: unknown; readonly verdict: Verdict | undefined };
  /** The job failed for good (permanent error or `maxDeliveries`) and was dead-lettered. */
  readonly 'dead-lettered': { readonly type: 'dead-lettered'; readonly job: Job<P>; readonly attempts: number; readonly reason: string; readonly error: unknown };
  /** A claimed job was handed back unstarted (at shutdown). */
  readonly released: { readonly type: 'released'; readonly job: Job<P> };
  /** Settling a job at the source kept failing after retries: its lease will expire and it comes back. */
  readonly 'settle-failed': { readonly type: 'settle-failed'; readonly job: Job<P>; readonly action: Settlement; readonly error: unknown };
  /** `pull` failed: the worker waits `delayMs` and pulls again (it never dies of it). */
  readonly 'source-error': { readonly type: 'source-error'; readonly operation: 'pull'; readonly error: unknown; readonly delayMs: number };
  /** The job's lease was lost (expired, or the job was delivered again): its run was aborted and it is left to its new owner. */
  readonly 'lease-lost': { readonly type: 'lease-lost'; readonly job: Job<P>; readonly error: unknown };
}

/** Any {@link QueueEvents} event. */
export type QueueEvent<P> = QueueEvents<P>[keyof QueueEvents<P>];

/** What the handler receives with a job's payload. */
export interface JobContext<P> {
  /** The job (id, deliveries). */
  readonly job: Job<P>;
  /** The in-process attempt within this delivery (1-based). */
  readonly attempt: number;
  /** Aborts when the attempt times out, the lease is lost, or `stop()`'s deadline passes. Check it before every side effect. */
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
   * Most jobs claimed by one `pull` (the worker pulls only as many as it has free slots). Minimum: `1`.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * The lease asked for on each claim, in milliseconds; renewed every third of it while the handler
   * runs (with `JobSource.extend`). If the process dies, the job comes back after at most this long.
   * Minimum: `100`.
   * @default 30000
   */
  readonly leaseMs?: number;
  /**
   * One handler attempt's limit, in milliseconds: its signal aborts and the attempt fails retriably.
   * `undefined`: no limit.
   * @default undefined
   */
  readonly attemptTimeoutMs?: number;
  /**
   * After an attempt timed out, how long the processor waits for that run to actually settle before
   * the job may run again (in this process, or — since its lease is kept meanwhile — anywhere).
   * A handler that ignores its signal longer than this may overlap with the next run. Minimum: `0`.
   * @default 5000
   */
  readonly timeoutGraceMs?: number;
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
   * The delay before a retriable job is delivered again, from how many deliveries it has had. A
   * classifier's `delayMs` (e.g. `Retry-After`) wins when larger; either way at most `maxDelayMs`.
   * @default (deliveries) => min(60000, 1000 × 2^(deliveries − 1))
   * @example
   * ```ts
   * redeliveryDelayMs: (deliveries) => 30_000 * deliveries
   * ```
   */
  readonly redeliveryDelayMs?: (deliveries: number) => number;
  /**
   * The longest delay a job is scheduled for (a server's `Retry-After: 1e11` must not park a job for
   * centuries). Minimum: `0`.
   * @default 900000 (15 minutes)
   */
  readonly maxDelayMs?: number;
  /**
   * Pacing for sources whose consumers have quotas (SMTP providers, APIs): at most `limit` job starts
   * in any `intervalMs` (a sliding window). `undefined`: no pacing.
   * @default undefined
   * @example
   * ```ts
   * rate: { limit: 10, intervalMs: 1000 } // 10 e-mails per second
   * ```
   */
  readonly rate?: { readonly limit: number; readonly intervalMs: number };
  /**
   * One source call's limit (`ack`, `retryLater`, `deadLetter`, `release`), in milliseconds: a call
   * that hangs is abandoned and retried (four attempts in all), then reported as `settle-failed`, and
   * the job's lease lapses so it comes back. Bounds how long `stop()` can wait on a stuck source.
   * Minimum: `1`.
   * @default 10000
   */
  readonly sourceTimeoutMs?: number;
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

/** Why a run ended without the handler's own result. */
class Stopped extends Error {
  override name = 'QueueStopped';
}

/** One job in flight. */
interface Flight<P> {
  readonly job: Job<P>;
  readonly controller: AbortController;
  readonly startedAt: number;
  leaseLost: boolean;
  /** The handler's own promise of the latest attempt while it runs (it may outlive a timed-out attempt). */
  live: Promise<void> | undefined;
  /** When the lease was last renewed (or taken). */
  renewedAt: number;
  /**
   * Ends the wait for the run when its signal is aborted (stop deadline, lost lease), whether or not
   * the handler listens: settled directly, not through an abort listener (adding the first listener to
   * a fresh AbortSignal costs ~6 µs on Node 20, more than the rest of a job's bookkeeping).
   */
  abandon: (reason: unknown) => void;
  readonly abandoned: Promise<never>;
}

const noop = (): void => undefined;

/** Every `QueueProcessorOptions` key: anything else is a typo or an older name. */
const KNOWN_OPTIONS = /* @__PURE__ */ new Set(['concurrency', 'batchSize', 'leaseMs', 'attemptTimeoutMs', 'timeoutGraceMs', 'retry', 'maxDeliveries', 'redeliveryDelayMs', 'maxDelayMs', 'rate', 'sourceTimeoutMs', 'pollIntervalMs', 'onHookError', 'clock']);
/** bulwark 0.1's names, and 0.2's for them. */
const OPTION_ALIASES: Readonly<Record<string, string>> = {
  maxConcurrent: 'concurrency',
  onEvent: "on(type, listener) on the processor",
  timeoutMs: 'attemptTimeoutMs',
  maxAttempts: 'maxDeliveries',
};

/** A run cut by `stop()`'s deadline (the `Stopped` itself or an error caused by it); false for what cannot be inspected. */
function isStopped(error: unknown): boolean {
  return isInstance(error, Stopped) || isInstance(prop(error, 'cause'), Stopped);
}

/**
 * A worker loop over a {@link JobSource} with the semantics of a well-run job system: jobs are claimed
 * under a lease that is renewed while they run and expires if the process dies; each job is settled
 * (`ack`, `retryLater`, `deadLetter`) as soon as it finishes, and the worker pulls more as slots free
 * up; a job is never run twice at once (a timed-out run is waited for, up to `timeoutGraceMs`); a
 * failing source is retried with backoff and reported, never fatal; `stop({ timeoutMs })` stops
 * pulling, waits for running jobs up to the deadline, then aborts them — a job that fails during the
 * stop counts its delivery, so a poison job still reaches the dead-letter queue.
 *
 * @example
 * ```ts
 * const worker = new QueueProcessor(source, (payload) => sendWelcomeEmail(payload), { concurrency: 10 });
 * void worker.start(); // never rejects: failures are events
 * process.once('SIGTERM', () => void worker.stop({ timeoutMs: 20_000 }));
 * ```
 */
export class QueueProcessor<P> {
  readonly #source: JobSource<P>;
  readonly #handler: (payload: P, context: JobContext<P>) => unknown;
  readonly #concurrency: number;
  readonly #batchSize: number;
  readonly #leaseMs: number;
  readonly #timeoutGraceMs: number;
  readonly #maxDeliveries: number;
  readonly #redelivery: (deliveries: number) => number;
  readonly #maxDelayMs: number;
  readonly #pollIntervalMs: number;
  readonly #rate: RateWindow | undefined;
  readonly #retry: RetryService;
  readonly #sourceRetry: RetryService;
  readonly #events: Emitter<QueueEvents<P>>;
  readonly #onHookError: HookErrorHandler;
  readonly #clock: Clock;
  readonly #flights = new Set<Flight<P>>();
  #slotWaiters: Array<() => void> = [];
  /** Releases and other settlements running outside a flight. */
  #settling = 0;
  #stopping = QueueProcessor.#stopController();
  #running: Promise<void> | undefined;
  #acked = 0;
  #retried = 0;
  #dead = 0;
  #released = 0;
  #attempts = 0;
  #totalMs = 0;

  constructor(source: JobSource<P>, handler: (payload: P, context: JobContext<P>) => unknown, options: QueueProcessorOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
    knownOptions(options, KNOWN_OPTIONS, OPTION_ALIASES, 'QueueProcessor');
    for (const method of ['pull', 'ack', 'retryLater', 'deadLetter'] as const) {
      if (typeof source?.[method] !== 'function') throw new InvalidOptionError('source', `a JobSource (missing ${method}())`, source);
    }
    if (typeof handler !== 'function') throw new InvalidOptionError('handler', 'a function', handler);
    this.#source = source;
    this.#handler = handler;
    this.#clock = options.clock ?? systemClock;
    this.#concurrency = integer('concurrency', options.concurrency ?? 5, 1);
    this.#batchSize = integer('batchSize', options.batchSize ?? 10, 1);
    this.#leaseMs = number('leaseMs', options.leaseMs ?? 30_000, 100, Number.MAX_SAFE_INTEGER);
    this.#timeoutGraceMs = number('timeoutGraceMs', options.timeoutGraceMs ?? 5_000, 0, Number.MAX_SAFE_INTEGER);
    this.#maxDeliveries = integer('maxDeliveries', options.maxDeliveries ?? 5, 1);
    this.#redelivery = optionalFunction('redeliveryDelayMs', options.redeliveryDelayMs) ?? ((d) => exponentialDelay(d, 1000, 2, 60_000));
    this.#maxDelayMs = number('maxDelayMs', options.maxDelayMs ?? 900_000, 0, Number.MAX_SAFE_INTEGER);
    this.#pollIntervalMs = number('pollIntervalMs', options.pollIntervalMs ?? 1000, 0);
    const rate = options.rate;
    if (rate !== undefined && (typeof rate !== 'object' || rate === null)) throw new InvalidOptionError('rate', 'an object `{ limit, intervalMs }`', rate);
    this.#rate = rate === undefined ? undefined : new RateWindow(integer('rate.limit', rate.limit, 1), number('rate.intervalMs', rate.intervalMs, 1, Number.MAX_SAFE_INTEGER), this.#clock);
    this.#onHookError = optionalFunction('onHookError', options.onHookError) ?? warnHookError;
    this.#events = new Emitter(this.#onHookError);
    const attemptTimeoutMs = options.attemptTimeoutMs === undefined ? undefined : number('attemptTimeoutMs', options.attemptTimeoutMs, 1, Number.MAX_SAFE_INTEGER);
    this.#retry = isRetryService(options.retry)
      ? options.retry
      : new RetryService({ maxAttempts: 2, initialDelayMs: 500, clock: this.#clock, ...(attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs }), ...options.retry });
    // Source calls (ack, retryLater…) get a few quick retries through the same classifiers.
    this.#sourceRetry = new RetryService({
      maxAttempts: 4,
      initialDelayMs: 100,
      maxDelayMs: 2000,
      attemptTimeoutMs: number('sourceTimeoutMs', options.sourceTimeoutMs ?? 10_000, 1, Number.MAX_SAFE_INTEGER),
      clock: this.#clock,
      classifier: (error) => (isLeaseLostError(error) ? { retriable: false, reason: 'lease lost' } : undefined),
    });
  }

  /** The stop signal: every job waiting for its rate slot listens to it (no MaxListeners warning). */
  static #stopController(): AbortController {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
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
      inFlight: this.#flights.size,
      successRate: done === 0 ? 1 : this.#acked / done,
      averageMs: this.#acked === 0 ? 0 : this.#totalMs / this.#acked,
    };
  }

  /**
   * Pulls and handles jobs until `stop()` (or `signal`), then resolves once every claimed job is
   * settled. Never rejects, awaited or not: failures are events (`source-error`, `settle-failed`).
   * Calling it while running returns the same promise.
   */
  start(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.#running !== undefined) return this.#running;
    if (this.#stopping.signal.aborted) this.#stopping = QueueProcessor.#stopController();
    const outer = options.signal;
    const onAbort = (): void => void this.stop();
    outer?.addEventListener('abort', onAbort, { once: true });
    if (outer?.aborted === true) void this.stop();
    const running = this.#loop()
      .catch((error: unknown) => this.#events.emit('source-error', { type: 'source-error', operation: 'pull', error, delayMs: 0 }))
      .finally(() => {
        outer?.removeEventListener('abort', onAbort);
        this.#running = undefined;
      });
    this.#running = running;
    return running;
  }

  /**
   * Stops gracefully: no new pulls; running jobs may finish until `timeoutMs`, then their signals
   * abort and — once they settle, or after `timeoutGraceMs` — they count as failed deliveries
   * (scheduled again, or dead-lettered after `maxDeliveries`). Resolves when every job is settled.
   */
  async stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs === undefined ? Infinity : number('timeoutMs', options.timeoutMs, 0, Number.MAX_SAFE_INTEGER);
    this.#stopping.abort(new Stopped('QueueProcessor stopped'));
    let timer: Timer | undefined;
    if (timeoutMs !== Infinity && this.#flights.size > 0) {
      timer = startTimer(this.#clock, timeoutMs, () => {
        for (const flight of this.#flights) {
          const reason = new Stopped(`QueueProcessor stopped: the job did not finish within ${timeoutMs}ms`);
          flight.controller.abort(reason);
          flight.abandon(reason);
        }
      });
    }
    try {
      await this.#running;
      while (this.#flights.size > 0 || this.#settling > 0) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    } finally {
      timer?.cancel();
    }
  }

  /**
   * One cycle, for tests and cron-style use: pulls as many jobs as it can run at once (at most
   * `batchSize` and `concurrency`), handles them, settles each. Returns how many were pulled. A
   * failing `pull` rejects.
   */
  async runOnce(): Promise<number> {
    const asked = Math.min(this.#batchSize, this.#concurrency - this.#flights.size);
    if (asked <= 0) return 0;
    const jobs = await this.#source.pull(asked, { leaseMs: this.#leaseMs });
    const before = new Set(this.#flights);
    this.#launch(jobs, asked);
    const mine = [...this.#flights].filter((f) => !before.has(f));
    while (mine.some((f) => this.#flights.has(f)) || this.#settling > 0) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    return jobs.length;
  }

  async #loop(): Promise<void> {
    let failures = 0;
    const stopSignal = this.#stopping.signal;
    while (!stopSignal.aborted) {
      while (this.#flights.size >= this.#concurrency && !stopSignal.aborted) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
      if (stopSignal.aborted) break;
      let jobs: readonly Job<P>[];
      const asked = Math.min(this.#batchSize, this.#concurrency - this.#flights.size);
      try {
        jobs = await this.#source.pull(asked, { leaseMs: this.#leaseMs });
        failures = 0;
      } catch (error) {
        // The worker never dies of a transient fault: wait, report, pull again.
        failures++;
        const delayMs = exponentialDelay(failures, 500, 2, 30_000);
        this.#events.emit('source-error', { type: 'source-error', operation: 'pull', error, delayMs });
        await sleep(delayMs, this.#clock, stopSignal).catch(noop);
        continue;
      }
      if (jobs.length === 0) {
        await sleep(this.#pollIntervalMs, this.#clock, stopSignal).catch(noop);
        continue;
      }
      this.#launch(jobs, asked);
    }
    // Stopped: resolve only once every claimed job is settled (runs finished, releases done).
    while (this.#flights.size > 0 || this.#settling > 0) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
  }

  /**
   * Starts the pulled jobs, at most `asked` of them and one per id: a source that returns more than
   * asked, or a job twice, gets the extras released instead of overloading the worker.
   */
  #launch(jobs: readonly Job<P>[], asked: number): void {
    let started = 0;
    const seen = new Set<string>();
    for (const job of jobs) {
      if (seen.has(job.id) || [...this.#flights].some((f) => f.job.id === job.id)) continue; // already running here
      seen.add(job.id);
      if (started < asked) {
        started++;
        void this.#run(job);
      } else void this.#tracked(this.#settleRelease(job));
    }
  }

  /** Counts a settlement that is not part of a flight, so stop() waits for it. */
  async #tracked(work: Promise<void>): Promise<void> {
    this.#settling++;
    try {
      await work;
    } finally {
      this.#settling--;
      this.#wake();
    }
  }

  #wake(): void {
    const waiters = this.#slotWaiters;
    this.#slotWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Runs one job to its settlement. Never rejects. */
  async #run(job: Job<P>): Promise<void> {
    if (this.#stopping.signal.aborted && this.#running !== undefined) {
      await this.#tracked(this.#settleRelease(job));
      return;
    }
    const now = this.#clock.now();
    let abandon: (reason: unknown) => void = noop;
    const abandoned = new Promise<never>((_resolve, reject) => (abandon = reject));
    abandoned.catch(noop);
    const flight: Flight<P> = { job, controller: new AbortController(), startedAt: now, leaseLost: false, live: undefined, renewedAt: now, abandon, abandoned };
    this.#flights.add(flight);
    this.#armRenewal();
    try {
      if (this.#rate !== undefined) {
        try {
          await this.#rate.take(this.#stopping.signal);
        } catch {
          await this.#settleRelease(job); // stopped before it started
          return;
        }
      }
      const outcome: RetryOutcome = { attempts: 0, verdict: undefined };
      const scheduling: AttemptScheduling = {
        waitOnAbort: true,
        // At most one live run per job: a timed-out run is waited for (up to the grace) first.
        around: async (_attempt, call) => {
          if (flight.live !== undefined) await this.#settledOrGrace(flight.live);
          return call();
        },
        onBackoff: noop,
      };
      const attempt = (context: AttemptContext): Promise<unknown> => {
        const live = Promise.resolve().then(() => this.#handler(job.payload, { job, attempt: context.attempt, signal: context.signal }));
        const settled = live.then(
          () => {
            if (flight.live === settled) flight.live = undefined;
          },
          () => {
            if (flight.live === settled) flight.live = undefined;
          },
        );
        flight.live = settled;
        return live;
      };
      let failure: unknown;
      let failed = false;
      try {
        await Promise.race([this.#retry.executeTrusted(attempt, flight.controller.signal, `Job ${job.id}`, outcome, scheduling), flight.abandoned]);
      } catch (error) {
        failed = true;
        failure = error;
      }
      this.#attempts += outcome.attempts;
      // Never settle while a timed-out run may still be working on the job.
      if (flight.live !== undefined) await this.#settledOrGrace(flight.live);
      if (flight.leaseLost) return; // the job belongs to someone else now
      if (!failed) {
        if (await this.#settle(job, 'ack', () => this.#source.ack(job))) {
          this.#acked++;
          const durationMs = this.#clock.now() - flight.startedAt;
          this.#totalMs += durationMs;
          this.#events.emit('acked', { type: 'acked', job, attempts: outcome.attempts, durationMs });
        }
        return;
      }
      await this.#fail(job, failure, outcome);
    } finally {
      this.#flights.delete(flight);
      this.#wake();
    }
  }

  #renewal: Timer | undefined;

  /**
   * Keeps the leases of running jobs alive: one timer for all of them (not one per job), ticking every
   * `leaseMs / 3` while any job runs; a lost lease aborts that job's run.
   */
  #armRenewal(): void {
    const extend = this.#source.extend;
    if (extend === undefined || this.#renewal !== undefined) return;
    const every = Math.max(1, Math.floor(this.#leaseMs / 3));
    this.#renewal = startTimer(this.#clock, every, () => {
      this.#renewal = undefined;
      const now = this.#clock.now();
      for (const flight of this.#flights) {
        if (now - flight.renewedAt < every) continue;
        flight.renewedAt = now;
        Promise.resolve()
          .then(() => extend.call(this.#source, flight.job, this.#leaseMs))
          .then(noop, (error: unknown) => {
          if (!isLeaseLostError(error) || !this.#flights.has(flight)) return; // a transient fault: the next tick retries
          flight.leaseLost = true;
          flight.controller.abort(error);
          flight.abandon(error);
          this.#events.emit('lease-lost', { type: 'lease-lost', job: flight.job, error });
          });
      }
      if (this.#flights.size > 0) this.#armRenewal();
    });
  }

  /** Resolves when `live` settles or after the grace period, whichever first. */
  #settledOrGrace(live: Promise<unknown>): Promise<void> {
    let timer: Timer | undefined;
    const grace = new Promise<void>((resolve) => (timer = startTimer(this.#clock, this.#timeoutGraceMs, resolve)));
    return Promise.race([live.then(noop, noop), grace]).finally(() => timer?.cancel());
  }

  async #fail(job: Job<P>, error: unknown, outcome: RetryOutcome): Promise<void> {
    const verdict = outcome.verdict;
    const stopped = isStopped(error);
    if (!stopped && verdict !== undefined && !verdict.retriable) {
      await this.#settleDead(job, error, verdict.reason, outcome.attempts);
      return;
    }
    // A retriable failure — or a run cut by stop()'s deadline — counts its delivery.
    if (job.deliveries >= this.#maxDeliveries) {
      await this.#settleDead(job, error, `failed on ${job.deliveries} deliveries (maxDeliveries ${this.#maxDeliveries})`, outcome.attempts);
      return;
    }
    const asked = verdict?.retriable === true && typeof verdict.delayMs === 'number' && verdict.delayMs > 0 ? verdict.delayMs : 0;
    const delayMs = Math.min(this.#maxDelayMs, Math.max(this.#redeliveryDelay(job.deliveries), asked));
    if (await this.#settle(job, 'retryLater', () => this.#source.retryLater(job, { delayMs, error }))) {
      this.#retried++;
      this.#events.emit('retry-later', { type: 'retry-later', job, attempts: outcome.attempts, delayMs, error, verdict });
    }
  }

  /** The user's `redeliveryDelayMs`, guarded: a throw or a non-number falls back to the default backoff (and is reported). */
  #redeliveryDelay(deliveries: number): number {
    try {
      const value = this.#redelivery(deliveries);
      if (typeof value === 'number' && value >= 0 && value !== Infinity) return value;
      throw new TypeError(`redeliveryDelayMs returned ${String(value)}, not a number of milliseconds`);
    } catch (error) {
      reportHookError(this.#onHookError, error, 'redeliveryDelayMs');
      return exponentialDelay(deliveries, 1000, 2, 60_000);
    }
  }

  async #settleDead(job: Job<P>, error: unknown, reason: string, attempts: number): Promise<void> {
    if (await this.#settle(job, 'deadLetter', () => this.#source.deadLetter(job, { error, reason }))) {
      this.#dead++;
      this.#events.emit('dead-lettered', { type: 'dead-lettered', job, attempts, reason, error });
    }
  }

  async #settleRelease(job: Job<P>): Promise<void> {
    const release = this.#source.release;
    const ok = await this.#settle(job, 'release', () => (release === undefined ? this.#source.retryLater(job, { delayMs: 0, error: undefined }) : release.call(this.#source, [job])));
    if (ok) {
      this.#released++;
      this.#events.emit('released', { type: 'released', job });
    }
  }

  /**
   * Calls the source, retrying transient faults with backoff. A lost lease or a call that keeps
   * failing is reported (`lease-lost`, `settle-failed`); the job's lease then expires and it comes
   * back. Never throws.
   */
  async #settle(job: Job<P>, action: Settlement, call: () => Promise<void>): Promise<boolean> {
    const outcome: RetryOutcome = { attempts: 0, verdict: undefined };
    try {
      await this.#sourceRetry.executeTrusted(call, undefined, `${action} job ${job.id}`, outcome);
      return true;
    } catch (error) {
      if (isLeaseLostError(error)) this.#events.emit('lease-lost', { type: 'lease-lost', job, error });
      else this.#events.emit('settle-failed', { type: 'settle-failed', job, action, error });
      return false;
    }
  }
}

