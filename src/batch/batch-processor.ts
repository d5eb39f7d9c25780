import { isConcurrencyManager, type ConcurrencyManager } from '../concurrency/concurrency-manager.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { neverAbortedSignal } from '../internal/abort.js';
import { Channel } from '../internal/channel.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { integer, number, optionalBoolean, optionalFunction, optionalSignal } from '../internal/validate.js';
import type { RetryOutcome } from '../retry/retry.js';
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
  readonly workers: number;
  readonly manager: ConcurrencyManager | undefined;
  readonly batchSize: number;
  readonly retry: RetryService | undefined;
  readonly operation: ((item: unknown, index: number) => string) | undefined;
  readonly stopOnError: boolean;
  readonly collectResults: boolean;
  readonly onProgress: ((progress: BatchProgress) => void) | undefined;
  readonly progressIntervalMs: number;
  readonly onBatchComplete: ((summary: BatchSummary) => void) | undefined;
  readonly clock: Clock;
}

/** How one unit of work (an item, or a batch of items) is executed. */
type Unit<T> = { readonly items: readonly T[]; readonly firstIndex: number; readonly batchIndex: number };
type Execute<T, R> = (unit: Unit<T>, signal: AbortSignal, outcome: RetryOutcome) => Promise<readonly R[] | R>;

interface BatchTally {
  read: number;
  done: number;
  succeeded: number;
  failed: number;
}

/** Pulls items (or chunks of items) from any iterable, one read at a time. */
class Reader<T> {
  readonly #array: readonly T[] | undefined;
  #iterator: Iterator<T> | AsyncIterator<T> | undefined;
  #position = 0;
  #chain: Promise<unknown> = Promise.resolve();
  exhausted = false;

  constructor(input: BatchInput<T>) {
    if (Array.isArray(input)) this.#array = input as readonly T[];
    else if (input !== null && typeof input === 'object' && Symbol.asyncIterator in input) this.#iterator = (input as AsyncIterable<T>)[Symbol.asyncIterator]();
    else if (input !== null && input !== undefined && typeof (input as Iterable<T>)[Symbol.iterator] === 'function') this.#iterator = (input as Iterable<T>)[Symbol.iterator]();
    else throw new InvalidOptionError('items', 'an Iterable or AsyncIterable', input);
  }

  get isArray(): boolean {
    return this.#array !== undefined;
  }

  /** Reads up to `count` items; fewer (or none) when the input ends. Serialised for async iterators. */
  read(count: number): T[] | Promise<T[]> {
    if (this.#array !== undefined) {
      const start = this.#position;
      const end = Math.min(start + count, this.#array.length);
      this.#position = end;
      if (end >= this.#array.length) this.exhausted = true;
      return count === 1 ? (start < end ? [this.#array[start] as T] : []) : this.#array.slice(start, end);
    }
    const next = this.#chain.then(() => this.#readIterator(count));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #readIterator(count: number): Promise<T[]> {
    const items: T[] = [];
    const iterator = this.#iterator;
    while (!this.exhausted && iterator !== undefined && items.length < count) {
      const result = await iterator.next();
      if (result.done === true) this.exhausted = true;
      else items.push(result.value);
    }
    return items;
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
    await this.#chain;
    await this.#iterator.return?.();
  }
}

/** One run of the processor over one input. */
class Run<T, R> {
  readonly #o: Resolved;
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
  #read = 0;
  #succeeded = 0;
  #failures = 0;
  #attempts = 0;
  #batches = 0;
  #stoppedOnError = false;
  #lastProgress = -Infinity;

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
    this.#reader = new Reader(input);
    this.#execute = execute;
    this.#perBatch = perBatch;
    this.#unitSize = perBatch ? o.batchSize : 1;
    this.#signal = signal ?? neverAbortedSignal();
    this.#sink = sink;
    this.#total = total ?? (Array.isArray(input) ? input.length : undefined);
    this.#start = o.clock.now();
  }

  get #halted(): boolean {
    return this.#stoppedOnError || this.#signal.aborted;
  }

  async run(): Promise<BatchReport<T, R>> {
    const workers: Promise<void>[] = [];
    for (let i = 0; i < this.#o.workers; i++) workers.push(this.#worker());
    await Promise.all(workers);
    if (this.#halted) {
      for (const rest of this.#reader.rest()) {
        this.#read++;
        await this.#notProcessedItem(rest.item, rest.index);
      }
      await this.#reader.close();
    }
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
      aborted: this.#signal.aborted,
      stoppedOnError: this.#stoppedOnError,
    };
  }

  async #worker(): Promise<void> {
    const isArray = this.#reader.isArray;
    while (!this.#halted && !this.#reader.exhausted) {
      const pending = this.#reader.read(this.#unitSize);
      const items = isArray ? (pending as T[]) : await pending;
      if (items.length === 0) return;
      const firstIndex = this.#read;
      this.#read += items.length;
      const batchIndex = Math.floor(firstIndex / this.#o.batchSize);
      this.#count(batchIndex, items.length);
      const unit: Unit<T> = { items, firstIndex, batchIndex };
      if (this.#halted) {
        for (let i = 0; i < items.length; i++) await this.#notProcessedItem(items[i] as T, firstIndex + i);
        continue;
      }
      await (this.#o.manager === undefined ? this.#runUnit(unit) : this.#o.manager.run(() => this.#runUnit(unit)).catch((error: unknown) => this.#failUnit(unit, error, { attempts: 0, verdict: undefined })));
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

  async #runUnit(unit: Unit<T>): Promise<void> {
    // Stopped while waiting for a slot of a shared manager: never started.
    if (this.#halted) {
      for (let i = 0; i < unit.items.length; i++) await this.#notProcessedItem(unit.items[i] as T, unit.firstIndex + i);
      return;
    }
    const outcome: RetryOutcome = { attempts: 1, verdict: undefined };
    let value: readonly R[] | R;
    try {
      value = await this.#execute(unit, this.#signal, outcome);
    } catch (error) {
      await this.#failUnit(unit, error, outcome);
      return;
    }
    this.#attempts += outcome.attempts;
    const { items, firstIndex } = unit;
    for (let i = 0; i < items.length; i++) {
      const result = this.#perBatch ? (value as readonly R[] | undefined)?.[i] : (value as R);
      this.#succeeded++;
      if (this.#o.collectResults) this.#results[firstIndex + i] = result as R;
      this.#done(unit.batchIndex, true);
      if (this.#sink !== undefined) await this.#sink({ status: 'succeeded', item: items[i] as T, index: firstIndex + i, value: result as R, attempts: outcome.attempts });
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
    const tally = this.#tallies.get(Math.floor(index / this.#o.batchSize));
    if (tally !== undefined) tally.done++;
  }

  #done(batchIndex: number, succeeded: boolean): void {
    const tally = this.#tallies.get(batchIndex);
    if (tally === undefined) return;
    tally.done++;
    if (succeeded) tally.succeeded++;
    else tally.failed++;
    const complete = tally.done === tally.read && (tally.read === this.#o.batchSize || this.#reader.exhausted);
    if (complete) {
      this.#tallies.delete(batchIndex);
      this.#o.onBatchComplete?.({ batchIndex, size: tally.read, succeeded: tally.succeeded, failed: tally.failed });
    }
  }

  #progress(final: boolean): void {
    const onProgress = this.#o.onProgress;
    if (onProgress === undefined) return;
    const now = this.#o.clock.now();
    if (!final && now - this.#lastProgress < this.#o.progressIntervalMs) return;
    this.#lastProgress = now;
    const completed = this.#succeeded + this.#failures;
    const elapsed = now - this.#start;
    const ratePerSecond = elapsed > 0 ? (completed * 1000) / elapsed : 0;
    const total = this.#total;
    onProgress({
      completed,
      failed: this.#failures,
      total,
      percent: total === undefined ? undefined : total === 0 ? 100 : (completed / total) * 100,
      ratePerSecond,
      etaMs: total === undefined || ratePerSecond === 0 ? undefined : Math.max(0, ((total - completed) / ratePerSecond) * 1000),
    });
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
    let manager: ConcurrencyManager | undefined;
    let workers: number;
    if (isConcurrencyManager(concurrency)) {
      manager = concurrency;
      workers = Number.isFinite(concurrency.concurrency) ? concurrency.concurrency : 1000;
    } else {
      workers = integer('concurrency', concurrency, 1);
    }
    const retry = options.retry;
    this.#o = {
      workers,
      manager,
      batchSize: integer('batchSize', options.batchSize ?? 100, 1),
      retry: retry === undefined ? undefined : isRetryService(retry) ? retry : new RetryService(retry),
      operation: optionalFunction('operation', options.operation as ((item: unknown, index: number) => string) | undefined),
      stopOnError: optionalBoolean('stopOnError', options.stopOnError) ?? false,
      collectResults: optionalBoolean('collectResults', options.collectResults) ?? true,
      onProgress: optionalFunction('onProgress', options.onProgress),
      progressIntervalMs: number('progressIntervalMs', options.progressIntervalMs ?? 1000, 0),
      onBatchComplete: optionalFunction('onBatchComplete', options.onBatchComplete),
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
    return (unit, signal, outcome) =>
      retry.executeWithOutcome(
        ({ attempt, signal: attemptSignal }) => handler(unit.items[0] as T, { index: unit.firstIndex, batchIndex: unit.batchIndex, attempt, signal: attemptSignal }) as Awaited<R> | PromiseLike<Awaited<R>>,
        operation === undefined ? { signal } : { signal, operation: operation(unit.items[0], unit.firstIndex) },
        outcome,
      );
  }

  #batchExecutor<T, R>(
    handler: (items: readonly T[], context: BatchContext) => readonly R[] | void | PromiseLike<readonly R[] | void>,
  ): Execute<T, R> {
    const { retry } = this.#o;
    const call = async (unit: Unit<T>, attempt: number, signal: AbortSignal): Promise<readonly R[]> =>
      (await handler(unit.items, { firstIndex: unit.firstIndex, batchIndex: unit.batchIndex, attempt, signal })) ?? [];
    if (retry === undefined) return (unit, signal) => call(unit, 1, signal);
    return (unit, signal, outcome) => retry.executeWithOutcome(({ attempt, signal: s }) => call(unit, attempt, s), { signal, operation: `Batch ${unit.batchIndex}` }, outcome);
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
