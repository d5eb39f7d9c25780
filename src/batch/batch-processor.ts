import { isConcurrencyManager, type ConcurrencyManager } from '../concurrency/concurrency-manager.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { setMaxListeners } from 'node:events';
import { abortReason } from '../internal/abort.js';
import { reportHookError, warnHookError, type HookErrorHandler } from '../internal/events.js';
import { Channel } from '../internal/channel.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { integer, number, optionalBoolean, optionalFunction, optionalSignal } from '../internal/validate.js';
import type { AttemptScheduling, RetryOutcome } from '../retry/retry.js';
import { isRetryService, RetryService } from '../retry/retry-service.js';
import type {
  BatchContext,
  BatchInput,
  BatchProcessorOptions,
  BatchProgress,
  BatchReport,
  BatchRunOptions,
  BatchSummary,
  ItemContext,
  ItemFailure,
  ItemOutcome,
  NotProcessedItem,
} from './options.js';

interface Resolved {
  readonly concurrency: number;
  readonly manager: ConcurrencyManager | undefined;
  readonly batchSize: number;
  readonly retry: RetryService | undefined;
  readonly operation: ((item: unknown, index: number) => string) | undefined;
  readonly stopOnError: boolean;
  readonly collectResults: boolean;
  readonly onProgress: ((progress: BatchProgress) => void) | undefined;
  readonly progressIntervalMs: number;
  readonly onBatchComplete: ((summary: BatchSummary) => void) | undefined;
  readonly onHookError: HookErrorHandler;
  readonly clock: Clock;
}

/** How one unit of work (an item, or a batch of items) is executed. */
type Unit<T> = { readonly items: readonly T[]; readonly firstIndex: number; readonly batchIndex: number };
type Execute<T, R> = (unit: Unit<T>, signal: AbortSignal, outcome: RetryOutcome, scheduling: AttemptScheduling | undefined) => Promise<readonly R[] | R>;

interface BatchTally {
  read: number;
  done: number;
  succeeded: number;
  failed: number;
}

type Release = () => void;

/**
 * Where attempts get their slot: a shared `ConcurrencyManager`, or a count kept here. Retries coming
 * back from a backoff go ahead of new items, so items finish (and free memory) before new ones start.
 */
interface Slots {
  limit(): number;
  tryAcquire(): Release | undefined;
  acquire(resumed: boolean, signal: AbortSignal): Promise<Release>;
}

class LocalSlots implements Slots {
  readonly #limit: number;
  #used = 0;
  readonly #resumed: Array<() => void> = [];
  readonly #fresh: Array<() => void> = [];
  readonly #release: Release = () => {
    this.#used--;
    const next = this.#resumed.shift() ?? this.#fresh.shift();
    next?.();
  };

  constructor(limit: number) {
    this.#limit = limit;
  }

  limit(): number {
    return this.#limit;
  }

  tryAcquire(): Release | undefined {
    if (this.#used >= this.#limit || this.#resumed.length > 0 || this.#fresh.length > 0) return undefined;
    this.#used++;
    return this.#release;
  }

  acquire(resumed: boolean, signal: AbortSignal): Promise<Release> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    if (this.#used < this.#limit && (resumed || (this.#resumed.length === 0 && this.#fresh.length === 0))) {
      this.#used++;
      return Promise.resolve(this.#release);
    }
    return new Promise<Release>((resolve, reject) => {
      const queue = resumed ? this.#resumed : this.#fresh;
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.#used++;
        resolve(this.#release);
      };
      const onAbort = (): void => {
        const index = queue.indexOf(wake);
        if (index !== -1) queue.splice(index, 1);
        reject(abortReason(signal));
      };
      queue.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

class ManagerSlots implements Slots {
  readonly #manager: ConcurrencyManager;

  constructor(manager: ConcurrencyManager) {
    this.#manager = manager;
  }

  limit(): number {
    return this.#manager.concurrency;
  }

  tryAcquire(): undefined {
    return undefined;
  }

  /** A manager task that holds its slot until released. */
  acquire(resumed: boolean, signal: AbortSignal): Promise<Release> {
    return new Promise<Release>((resolve, reject) => {
      this.#manager.run(() => new Promise<void>((release) => resolve(release)), resumed ? { priority: 1, signal } : { signal }).catch(reject);
    });
  }
}

/** Pulls items (or chunks of items) from any iterable, one read at a time. */
class Reader<T> {
  readonly #array: readonly T[] | undefined;
  readonly #iterator: Iterator<T> | AsyncIterator<T> | undefined;
  #position = 0;
  #busy = false;
  readonly #waiting: Array<() => void> = [];
  exhausted = false;

  constructor(input: BatchInput<T>) {
    if (Array.isArray(input)) this.#array = input as readonly T[];
    else if (input !== null && typeof input === 'object' && Symbol.asyncIterator in input) this.#iterator = (input as AsyncIterable<T>)[Symbol.asyncIterator]();
    else if (input !== null && input !== undefined && typeof (input as Iterable<T>)[Symbol.iterator] === 'function') this.#iterator = (input as Iterable<T>)[Symbol.iterator]();
    else throw new InvalidOptionError('items', 'an Iterable or AsyncIterable', input);
    if (this.#array !== undefined && this.#array.length === 0) this.exhausted = true;
  }

  get isArray(): boolean {
    return this.#array !== undefined;
  }

  /** Array items not read yet. */
  get unread(): number {
    return this.#array === undefined ? 0 : this.#array.length - this.#position;
  }

  /** Array items: synchronous, no promise. */
  readArray(count: number): T[] {
    const array = this.#array as readonly T[];
    const start = this.#position;
    const end = Math.min(start + count, array.length);
    this.#position = end;
    if (end >= array.length) this.exhausted = true;
    return count === 1 ? (start < end ? [array[start] as T] : []) : array.slice(start, end);
  }

  /** Iterator items, one reader at a time (a generator must not be re-entered). */
  async read(count: number): Promise<T[]> {
    if (count === 1 && !this.#busy) return this.#readOne();
    while (this.#busy) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#busy = true;
    try {
      const items: T[] = [];
      const iterator = this.#iterator as Iterator<T> | AsyncIterator<T>;
      while (!this.exhausted && items.length < count) {
        const result = await iterator.next();
        if (result.done === true) this.exhausted = true;
        else items.push(result.value);
      }
      return items;
    } finally {
      this.#busy = false;
      this.#waiting.shift()?.();
    }
  }

  /** The common case, uncontended and one item: one `next()`, no loop, no extra promise. */
  async #readOne(): Promise<T[]> {
    this.#busy = true;
    try {
      const result = await (this.#iterator as Iterator<T> | AsyncIterator<T>).next();
      if (result.done === true) {
        this.exhausted = true;
        return [];
      }
      return [result.value];
    } finally {
      this.#busy = false;
      this.#waiting.shift()?.();
    }
  }

  /** The array items never read, with their indices (arrays only). */
  rest(): NotProcessedItem<T>[] {
    const rest: NotProcessedItem<T>[] = [];
    if (this.#array === undefined) return rest;
    for (let index = this.#position; index < this.#array.length; index++) rest.push({ item: this.#array[index] as T, index });
    this.#position = this.#array.length;
    this.exhausted = true;
    return rest;
  }

  /** Lets a generator clean up when the run stops before its end. */
  async close(): Promise<void> {
    if (this.exhausted || this.#iterator === undefined) return;
    this.exhausted = true;
    while (this.#busy) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    await this.#iterator.return?.();
  }
}

/** One run of the processor over one input. */
class Run<T, R> {
  readonly #o: Resolved;
  readonly #slots: Slots;
  readonly #reader: Reader<T>;
  readonly #execute: Execute<T, R>;
  readonly #unitSize: number;
  readonly #perBatch: boolean;
  readonly #signal: AbortSignal;
  readonly #sink: ((outcome: ItemOutcome<T, R>) => void | Promise<void>) | undefined;
  readonly #total: number | undefined;
  readonly #start: number;
  readonly #results: (R | undefined)[] = [];
  readonly #failed: ItemFailure<T>[] = [];
  readonly #notProcessed: NotProcessedItem<T>[] = [];
  readonly #tallies = new Map<number, BatchTally>();
  readonly #workers: Promise<void>[] = [];
  /** Units that gave their slot back for a backoff and have not finished. */
  #detached = 0;
  /** Woken when a detached unit ends: workers waiting for room, and `run()` waiting for the last. */
  #roomWaiters: Array<() => void> = [];
  #spawning = false;
  #read = 0;
  #succeeded = 0;
  #failures = 0;
  #attempts = 0;
  #batches = 0;
  #stoppedOnError = false;
  #lastProgress = -Infinity;
  #lastProgressCompleted = -1;

  constructor(
    o: Resolved,
    input: BatchInput<T>,
    execute: Execute<T, R>,
    perBatch: boolean,
    signal: AbortSignal | undefined,
    total: number | undefined,
    sink: ((outcome: ItemOutcome<T, R>) => void | Promise<void>) | undefined,
  ) {
    this.#o = o;
    this.#slots = o.manager === undefined ? new LocalSlots(o.concurrency) : new ManagerSlots(o.manager);
    this.#reader = new Reader(input);
    this.#execute = execute;
    this.#perBatch = perBatch;
    this.#unitSize = perBatch ? o.batchSize : 1;
    this.#caller = signal;
    // The run's own signal, linked to the caller's by one listener: every slot wait, retry and
    // handler of the run listens to it, so no caller signal collects a listener per waiting item.
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    this.#controller = controller;
    this.#signal = controller.signal;
    this.#sink = sink;
    this.#total = total ?? (Array.isArray(input) ? input.length : undefined);
    this.#start = o.clock.now();
  }

  /** Set once by the signal's abort event: cheaper than reading `signal.aborted` per item. */
  #aborted = false;

  #readError: { readonly error: unknown } | undefined;
  #stoppedOnRead = false;

  get #halted(): boolean {
    return this.#stoppedOnError || this.#aborted || this.#stoppedOnRead;
  }

  readonly #caller: AbortSignal | undefined;
  readonly #controller: AbortController;

  async run(): Promise<BatchReport<T, R>> {
    const caller = this.#caller;
    const onAbort = (): void => {
      this.#aborted = true;
      this.#controller.abort(abortReason(caller as AbortSignal));
    };
    if (caller?.aborted === true) onAbort();
    else caller?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#runAll();
    } finally {
      caller?.removeEventListener('abort', onAbort);
    }
  }

  async #runAll(): Promise<BatchReport<T, R>> {
    this.#spawn();
    // Workers spawn more workers as they read; wait until every one has finished.
    // Every worker's promise is handled where it is made (a read error is recorded, never unhandled).
    for (let i = 0; i < this.#workers.length; i++) await this.#workers[i];
    while (this.#detached > 0) await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    if (this.#readError !== undefined) {
      await this.#reader.close().catch(() => undefined);
      throw this.#readError.error;
    }
    if (this.#halted) {
      for (const rest of this.#reader.rest()) {
        this.#read++;
        this.#count(Math.floor(rest.index / this.#o.batchSize), 1);
        await this.#notProcessedItem(rest.item, rest.index);
      }
      try {
        await this.#reader.close();
      } catch (error) {
        reportHookError(this.#o.onHookError, error, 'input return()');
      }
    }
    // The last, partial batch of an iterable ends with the input: report it (and any batch whose
    // items all ended before the input's end was known).
    for (const batchIndex of [...this.#tallies.keys()].sort((a, b) => a - b)) this.#completeBatch(batchIndex, true);
    this.#progress(true);
    return {
      total: this.#read,
      succeeded: this.#succeeded,
      failed: this.#failed,
      notProcessed: this.#notProcessed,
      results: this.#results,
      attempts: this.#attempts,
      batches: this.#batches,
      durationMs: this.#o.clock.now() - this.#start,
      aborted: this.#aborted,
      stoppedOnError: this.#stoppedOnError,
    };
  }

  /**
   * Starts workers while the limit allows (read each time: a shared manager's limit may rise) and
   * there is input for them: never more workers looking for an item than unread array items, and for
   * an iterable one more only once every worker has an item. Never recursive.
   */
  #spawn(): void {
    if (this.#spawning) return;
    this.#spawning = true;
    try {
      while (!this.#reader.exhausted && !this.#halted && this.#live < this.#slots.limit() && this.#looking < (this.#reader.isArray ? this.#reader.unread : 1)) {
        this.#live++;
        this.#looking++;
        this.#workers.push(
          this.#work().then(
            () => void this.#live--,
            (error: unknown) => {
              this.#live--;
              // Reading the input failed: stop, and reject the run with it once in-flight items end.
              if (this.#readError === undefined) this.#readError = { error };
              this.#stoppedOnRead = true;
            },
          ),
        );
      }
    } finally {
      this.#spawning = false;
    }
  }

  /** Workers alive, and those of them looking for an item (waiting for a slot or reading). */
  #live = 0;
  #looking = 0;

  async #work(): Promise<void> {
    const isArray = this.#reader.isArray;
    let looking = true;
    const stopLooking = (): void => {
      if (looking) this.#looking--;
      looking = false;
    };
    try {
      while (!this.#halted && !this.#reader.exhausted) {
        if (!looking) {
          looking = true;
          this.#looking++;
        }
        // Items waiting out a backoff hold no slot; past `max(100, 16 × limit)` of them, reading waits.
        while (this.#detached >= Math.max(100, 16 * this.#slots.limit())) await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
        let release = this.#slots.tryAcquire();
        if (release === undefined) {
          try {
            release = await this.#slots.acquire(false, this.#signal);
          } catch (refused) {
            if (this.#halted) return; // aborted while waiting for a slot: nothing was read
            // The shared manager refused a slot (queue full, queue timeout, cleared): the next item
            // fails with its error, so every item is still accounted for.
            const items = isArray ? this.#reader.readArray(this.#unitSize) : await this.#reader.read(this.#unitSize);
            if (items.length === 0) return;
            const firstIndex = this.#read;
            this.#read += items.length;
            const batchIndex = Math.floor(firstIndex / this.#o.batchSize);
            this.#count(batchIndex, items.length);
            await this.#failUnit({ items, firstIndex, batchIndex }, refused, { attempts: 0, verdict: undefined });
            continue;
          }
        }
        if (this.#halted || this.#reader.exhausted) {
          release();
          return;
        }
        let items: T[];
        try {
          items = isArray ? this.#reader.readArray(this.#unitSize) : await this.#reader.read(this.#unitSize);
        } catch (error) {
          release();
          throw error;
        }
        stopLooking();
        if (items.length === 0) {
          release();
          return;
        }
        const firstIndex = this.#read;
        this.#read += items.length;
        const batchIndex = Math.floor(firstIndex / this.#o.batchSize);
        this.#count(batchIndex, items.length);
        this.#spawn();
        const pending = this.#runUnit({ items, firstIndex, batchIndex }, release);
        if (pending !== undefined) await pending;
      }
    } finally {
      stopLooking();
    }
  }

  #count(batchIndex: number, items: number): void {
    let tally = this.#tallies.get(batchIndex);
    if (tally === undefined) {
      tally = { read: 0, done: 0, succeeded: 0, failed: 0 };
      this.#tallies.set(batchIndex, tally);
      this.#batches++;
    }
    tally.read += items;
  }

  /**
   * Runs one unit holding `release`'s slot. Resolves when the worker may go on: the unit has ended,
   * or it gave its slot back to wait out a backoff (it then finishes on its own, taking a slot again
   * for each attempt).
   */
  #runUnit(unit: Unit<T>, release: Release): Promise<void> | void {
    const outcome: RetryOutcome = { attempts: 1, verdict: undefined };
    if (this.#o.retry === undefined) {
      return this.#execute(unit, this.#signal, outcome, undefined).then(
        (value) => {
          release();
          return this.#succeed(unit, value, outcome);
        },
        (error: unknown) => {
          release();
          return this.#failUnit(unit, error, outcome);
        },
      );
    }
    return new Promise<void>((workerFree) => {
      let holding: Release | undefined = release;
      let detached = false;
      const slots = this.#slots;
      const signal = this.#signal;
      const scheduling: AttemptScheduling = {
        waitOnAbort: true,
        around: (_attempt, call) => {
          if (holding !== undefined) return call();
          return slots.acquire(true, signal).then((r) => {
            holding = r;
            return call();
          });
        },
        onBackoff: () => {
          holding?.();
          holding = undefined;
          if (!detached) {
            detached = true;
            this.#detached++;
            workerFree();
          }
        },
      };
      const end = (): void => {
        holding?.();
        holding = undefined;
        if (detached) {
          this.#detached--;
          const waiters = this.#roomWaiters;
          this.#roomWaiters = [];
          for (const wake of waiters) wake();
        }
      };
      this.#execute(unit, signal, outcome, scheduling)
        .then(
          (value) => {
            end();
            return this.#succeed(unit, value, outcome);
          },
          (error: unknown) => {
            end();
            return this.#failUnit(unit, error, outcome);
          },
        )
        .then(() => workerFree(), () => workerFree());
    });
  }

  #succeed(unit: Unit<T>, value: readonly R[] | R, outcome: RetryOutcome): Promise<void> | void {
    this.#attempts += outcome.attempts;
    const { items, firstIndex } = unit;
    if (this.#sink !== undefined) return this.#succeedToSink(unit, value, outcome);
    for (let i = 0; i < items.length; i++) {
      this.#succeeded++;
      if (this.#o.collectResults) this.#results[firstIndex + i] = (this.#perBatch ? (value as readonly R[] | undefined)?.[i] : value) as R;
      this.#done(unit.batchIndex, true);
    }
    this.#progress(false);
  }

  async #succeedToSink(unit: Unit<T>, value: readonly R[] | R, outcome: RetryOutcome): Promise<void> {
    const { items, firstIndex } = unit;
    for (let i = 0; i < items.length; i++) {
      const result = (this.#perBatch ? (value as readonly R[] | undefined)?.[i] : value) as R;
      this.#succeeded++;
      this.#done(unit.batchIndex, true);
      await (this.#sink as (outcome: ItemOutcome<T, R>) => void | Promise<void>)({ status: 'succeeded', item: items[i] as T, index: firstIndex + i, value: result, attempts: outcome.attempts });
    }
    this.#progress(false);
  }

  async #failUnit(unit: Unit<T>, error: unknown, outcome: RetryOutcome): Promise<void> {
    this.#attempts += outcome.attempts;
    const { items, firstIndex } = unit;
    for (let i = 0; i < items.length; i++) {
      const failure: ItemFailure<T> = { item: items[i] as T, index: firstIndex + i, error, attempts: outcome.attempts, verdict: outcome.verdict };
      this.#failures++;
      if (this.#sink === undefined) this.#failed.push(failure);
      this.#done(unit.batchIndex, false);
      if (this.#sink !== undefined) await this.#sink({ status: 'failed', ...failure });
    }
    if (this.#o.stopOnError) this.#stoppedOnError = true;
    this.#progress(false);
  }

  async #notProcessedItem(item: T, index: number): Promise<void> {
    if (this.#sink === undefined) this.#notProcessed.push({ item, index });
    else await this.#sink({ status: 'not-processed', item, index });
    const batchIndex = Math.floor(index / this.#o.batchSize);
    const tally = this.#tallies.get(batchIndex);
    if (tally !== undefined) tally.done++;
  }

  #done(batchIndex: number, succeeded: boolean): void {
    const tally = this.#tallies.get(batchIndex);
    if (tally === undefined) return;
    tally.done++;
    if (succeeded) tally.succeeded++;
    else tally.failed++;
    this.#completeBatch(batchIndex, false);
  }

  /** Reports a batch whose items have all ended: a full one at once, a partial one once the input ended. */
  #completeBatch(batchIndex: number, final: boolean): void {
    const tally = this.#tallies.get(batchIndex);
    if (tally === undefined || tally.done !== tally.read) return;
    if (tally.read !== this.#o.batchSize && !final && !(this.#reader.exhausted && this.#read === (batchIndex * this.#o.batchSize) + tally.read)) return;
    this.#tallies.delete(batchIndex);
    const onBatchComplete = this.#o.onBatchComplete;
    if (onBatchComplete === undefined) return;
    try {
      onBatchComplete({ batchIndex, size: tally.read, succeeded: tally.succeeded, failed: tally.failed });
    } catch (error) {
      reportHookError(this.#o.onHookError, error, 'onBatchComplete');
    }
  }

  /**
   * Completions left before the clock is read again: reading it per item is measurable at a million
   * items, so the gap adapts to the pace — every item when items are slow, up to 1024 when they take
   * microseconds — keeping a progress call at most 1/8 of `progressIntervalMs` late.
   */
  #progressCountdown = 0;
  #progressStride = 1;
  #lastCheck = Number.NaN;

  #progress(final: boolean): void {
    const onProgress = this.#o.onProgress;
    if (onProgress === undefined) return;
    if (!final && this.#o.progressIntervalMs > 0 && --this.#progressCountdown > 0) return;
    const now = this.#o.clock.now();
    if (!Number.isNaN(this.#lastCheck)) {
      const perItem = (now - this.#lastCheck) / this.#progressStride;
      this.#progressStride = perItem > 0 ? Math.max(1, Math.min(1024, Math.floor(this.#o.progressIntervalMs / 8 / perItem))) : Math.min(1024, this.#progressStride * 2);
    }
    this.#lastCheck = now;
    this.#progressCountdown = this.#progressStride;
    const completed = this.#succeeded + this.#failures;
    if (!final && completed === this.#lastProgressCompleted) return;
    if (!final && now - this.#lastProgress < this.#o.progressIntervalMs) return;
    this.#lastProgress = now;
    this.#lastProgressCompleted = completed;
    const elapsed = now - this.#start;
    const ratePerSecond = elapsed > 0 ? (completed * 1000) / elapsed : 0;
    const total = this.#total;
    try {
      onProgress({
        completed,
        failed: this.#failures,
        total,
        percent: total === undefined ? undefined : total === 0 ? 100 : (completed / total) * 100,
        ratePerSecond,
        etaMs: total === undefined || ratePerSecond === 0 ? undefined : Math.max(0, ((total - completed) / ratePerSecond) * 1000),
      });
    } catch (error) {
      reportHookError(this.#o.onHookError, error, 'onProgress');
    }
  }
}

/**
 * Processes an array or any (async) iterable with bounded concurrency, optional per-item retry and
 * progress, and returns a report that accounts for every item — one failure never stops or hides the
 * others. Input is pulled as slots free up (100 000 items from a generator keep memory flat).
 *
 * @example
 * ```ts
 * const processor = new BatchProcessor({ concurrency: 5, retry: { maxAttempts: 3 } });
 * const report = await processor.process(imageIds, (id, { signal }) => makeThumbnail(id, { signal }));
 * console.log(`${report.succeeded}/${report.total} ok`, report.failed.map((f) => f.item));
 * ```
 */
export class BatchProcessor {
  readonly #o: Resolved;

  /** @throws {InvalidOptionError} when an option is out of range. */
  constructor(options: BatchProcessorOptions = {}) {
    const concurrency = options.concurrency ?? 5;
    const manager = isConcurrencyManager(concurrency) ? concurrency : undefined;
    const retry = options.retry;
    this.#o = {
      concurrency: manager === undefined ? integer('concurrency', concurrency, 1, Infinity, true) : manager.concurrency,
      manager,
      batchSize: integer('batchSize', options.batchSize ?? 100, 1),
      retry: retry === undefined ? undefined : isRetryService(retry) ? retry : new RetryService(retry),
      operation: optionalFunction('operation', options.operation as ((item: unknown, index: number) => string) | undefined),
      stopOnError: optionalBoolean('stopOnError', options.stopOnError) ?? false,
      collectResults: optionalBoolean('collectResults', options.collectResults) ?? true,
      onProgress: optionalFunction('onProgress', options.onProgress),
      progressIntervalMs: number('progressIntervalMs', options.progressIntervalMs ?? 1000, 0),
      onBatchComplete: optionalFunction('onBatchComplete', options.onBatchComplete),
      onHookError: optionalFunction('onHookError', options.onHookError) ?? warnHookError,
      clock: options.clock ?? systemClock,
    };
  }

  /**
   * Runs `handler` once per item (retrying per the policy) and resolves with the report when every
   * item has finished or been accounted for. Never rejects because of a handler: failures are in
   * `report.failed`. Rejects only for invalid arguments, or if reading the input itself throws.
   */
  process<T, R>(items: BatchInput<T>, handler: (item: T, context: ItemContext) => R | PromiseLike<R>, runOptions?: BatchRunOptions): Promise<BatchReport<T, Awaited<R>>> {
    return this.#begin<T, Awaited<R>>(items, handler, runOptions, this.#itemExecutor(handler), false, undefined);
  }

  /**
   * Per-batch mode, for bulk writes that replace N single queries: `handler` receives up to
   * `batchSize` items and may return one result per item. If it throws (after retries), every item of
   * that batch is reported failed with that error.
   */
  processBatches<T, R = void>(
    items: BatchInput<T>,
    handler: (items: readonly T[], context: BatchContext) => readonly R[] | void | PromiseLike<readonly R[] | void>,
    runOptions?: BatchRunOptions,
  ): Promise<BatchReport<T, R>> {
    return this.#begin<T, R>(items, handler, runOptions, this.#batchExecutor(handler), true, undefined);
  }

  /**
   * Streaming mode: yields each item's outcome as it completes, instead of collecting a report.
   * Reading slows down while the consumer lags (at most `batchSize` outcomes are buffered); breaking
   * out of the loop stops the run and leaves no work behind.
   *
   * @example
   * ```ts
   * for await (const outcome of processor.stream(ids, render)) {
   *   if (outcome.status === 'failed') console.error(outcome.index, outcome.error);
   * }
   * ```
   */
  async *stream<T, R>(items: BatchInput<T>, handler: (item: T, context: ItemContext) => R | PromiseLike<R>, runOptions?: BatchRunOptions): AsyncGenerator<ItemOutcome<T, Awaited<R>>, void, undefined> {
    const stop = new AbortController();
    const outer = optionalSignal('signal', runOptions?.signal);
    const signal = outer === undefined ? stop.signal : AbortSignal.any([outer, stop.signal]);
    // Outcomes wait in a bounded channel: workers block (back-pressure) while the consumer lags.
    const channel = new Channel<ItemOutcome<T, Awaited<R>>>(this.#o.batchSize);
    let finished = false;
    const run = this.#begin<T, Awaited<R>>(items, handler, { ...runOptions, signal }, this.#itemExecutor(handler), false, (outcome) => channel.send(outcome)).finally(() => {
      finished = true;
      channel.close();
    });
    try {
      for (;;) {
        const next = await channel.receive();
        if (next.done === true) break;
        yield next.value;
      }
      await run;
    } finally {
      if (!finished) {
        // The consumer left early (break, return, throw): stop reading, release blocked workers, and
        // wait for in-flight items to settle so no work is left behind.
        stop.abort();
        channel.cancel();
        await run.catch(() => undefined);
      }
    }
  }

  #itemExecutor<T, R>(handler: (item: T, context: ItemContext) => R | PromiseLike<R>): Execute<T, Awaited<R>> {
    const { retry, operation } = this.#o;
    if (retry === undefined) {
      return async (unit, signal): Promise<Awaited<R>> => {
        const value: Awaited<R> = await handler(unit.items[0] as T, { index: unit.firstIndex, batchIndex: unit.batchIndex, attempt: 1, signal });
        return value;
      };
    }
    const onHookError = this.#o.onHookError;
    /** The item's operation name; a hook that throws is reported, never thrown while the item holds a slot. */
    const nameOf = (unit: Unit<T>): string | undefined => {
      if (operation === undefined) return undefined;
      try {
        const name: unknown = operation(unit.items[0], unit.firstIndex);
        return typeof name === 'string' ? name : undefined;
      } catch (error) {
        reportHookError(onHookError, error, 'operation');
        return undefined;
      }
    };
    return (unit, signal, outcome, scheduling) =>
      retry.executeTrusted(
        ({ attempt, signal: attemptSignal }) => handler(unit.items[0] as T, { index: unit.firstIndex, batchIndex: unit.batchIndex, attempt, signal: attemptSignal }) as Awaited<R> | PromiseLike<Awaited<R>>,
        signal,
        nameOf(unit),
        outcome,
        scheduling,
      );
  }

  #batchExecutor<T, R>(
    handler: (items: readonly T[], context: BatchContext) => readonly R[] | void | PromiseLike<readonly R[] | void>,
  ): Execute<T, R> {
    const { retry } = this.#o;
    const call = async (unit: Unit<T>, attempt: number, signal: AbortSignal): Promise<readonly R[]> => {
      const results = await handler(unit.items, { firstIndex: unit.firstIndex, batchIndex: unit.batchIndex, attempt, signal });
      if (results === undefined) return [];
      // One result per item, or none: anything else would misreport items (a string split per item…).
      if (!Array.isArray(results) || results.length !== unit.items.length) {
        throw new InvalidOptionError('result', `an array of ${unit.items.length} results (one per item) or undefined`, results);
      }
      return results;
    };
    if (retry === undefined) return (unit, signal) => call(unit, 1, signal);
    return (unit, signal, outcome, scheduling) => retry.executeTrusted(({ attempt, signal: s }) => call(unit, attempt, s), signal, `Batch ${unit.batchIndex}`, outcome, scheduling);
  }

  #begin<T, R>(
    items: BatchInput<T>,
    handler: unknown,
    runOptions: BatchRunOptions | undefined,
    execute: Execute<T, R>,
    perBatch: boolean,
    sink: ((outcome: ItemOutcome<T, R>) => void | Promise<void>) | undefined,
  ): Promise<BatchReport<T, R>> {
    let run: Run<T, R>;
    try {
      if (typeof handler !== 'function') throw new InvalidOptionError('handler', 'a function', handler);
      const signal = optionalSignal('signal', runOptions?.signal);
      const total = runOptions?.total === undefined ? undefined : integer('total', runOptions.total, 0);
      run = new Run<T, R>(this.#o, items, execute, perBatch, signal, total, sink);
    } catch (error) {
      return Promise.reject(error);
    }
    return run.run();
  }
}
