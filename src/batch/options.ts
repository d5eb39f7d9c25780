import type { ConcurrencyManager } from '../concurrency/concurrency-manager.js';
import type { Verdict } from '../classifiers/classifier.js';
import type { Clock } from '../internal/clock.js';
import type { RetryOptions } from '../retry/options.js';
import type { RetryService } from '../retry/retry-service.js';

/** Any input the batch processor reads: arrays, sets, generators, async generators, streams. */
export type BatchInput<T> = Iterable<T> | AsyncIterable<T>;

/** What a per-item handler receives with its item. */
export interface ItemContext {
  /** The item's 0-based position in the input. */
  readonly index: number;
  /** The 0-based batch the item belongs to (`Math.floor(index / batchSize)`). */
  readonly batchIndex: number;
  /** The 1-based attempt (always 1 without a retry policy). */
  readonly attempt: number;
  /** Aborts when the run is aborted or, with `attemptTimeoutMs`, when the attempt times out. */
  readonly signal: AbortSignal;
}

/** What a per-batch handler receives with its items. */
export interface BatchContext {
  /** The input position of the batch's first item. */
  readonly firstIndex: number;
  /** The 0-based batch number. */
  readonly batchIndex: number;
  /** The 1-based attempt (always 1 without a retry policy). */
  readonly attempt: number;
  /** Aborts when the run is aborted or the attempt times out. */
  readonly signal: AbortSignal;
}

/** Progress, reported at most every `progressIntervalMs` and once at the end. */
export interface BatchProgress {
  /** Items finished, successfully or not. */
  readonly completed: number;
  /** Items that failed (included in `completed`). */
  readonly failed: number;
  /** Items in all, when known (an array's length, or the `total` option). */
  readonly total: number | undefined;
  /** `completed / total × 100`, when `total` is known. */
  readonly percent: number | undefined;
  /** Items finished per second since the start. */
  readonly ratePerSecond: number;
  /** Estimated milliseconds left, when `total` is known and the rate is not zero. */
  readonly etaMs: number | undefined;
}

/** Reported when every item of a batch has finished. */
export interface BatchSummary {
  /** The 0-based batch number. */
  readonly batchIndex: number;
  /** Items in the batch. */
  readonly size: number;
  /** Items of the batch that succeeded. */
  readonly succeeded: number;
  /** Items of the batch that failed. */
  readonly failed: number;
}

/** One failed item, with everything needed to retry it later or explain it. */
export interface ItemFailure<T> {
  /** The item itself. */
  readonly item: T;
  /** Its 0-based position in the input. */
  readonly index: number;
  /** The final error: the handler's own, a `RetryExhaustedError`, or the abort reason. */
  readonly error: unknown;
  /** How many attempts ran. */
  readonly attempts: number;
  /** The classifier's verdict on the last error (`undefined` without a retry policy). */
  readonly verdict: Verdict | undefined;
}

/** An item that was read but never started (abort or `stopOnError`). */
export interface NotProcessedItem<T> {
  /** The item. */
  readonly item: T;
  /** Its 0-based position in the input. */
  readonly index: number;
}

/** One item's outcome, as streamed by `BatchProcessor.stream`. */
export type ItemOutcome<T, R> =
  | { readonly status: 'succeeded'; readonly item: T; readonly index: number; readonly value: R; readonly attempts: number }
  | ({ readonly status: 'failed' } & ItemFailure<T>)
  | ({ readonly status: 'not-processed' } & NotProcessedItem<T>);

/**
 * The account of a run: every item read is in exactly one of `succeeded`, `failed` or `notProcessed`,
 * so `succeeded + failed.length + notProcessed.length === total`.
 */
export interface BatchReport<T, R> {
  /** Items accounted for: an array's length; for other inputs, the items read. */
  readonly total: number;
  /** How many items succeeded. */
  readonly succeeded: number;
  /** Every failed item, in the order they failed. */
  readonly failed: readonly ItemFailure<T>[];
  /** Items never started because the run was aborted or stopped on an error, in input order. */
  readonly notProcessed: readonly NotProcessedItem<T>[];
  /**
   * Results in input order (`undefined` at failed or unprocessed positions). Empty with
   * `collectResults: false`.
   */
  readonly results: readonly (R | undefined)[];
  /** Attempts made across all items (retries included). */
  readonly attempts: number;
  /** Batches started. */
  readonly batches: number;
  /** Milliseconds from start to the last item's end. */
  readonly durationMs: number;
  /** Whether the signal aborted the run. */
  readonly aborted: boolean;
  /** Whether `stopOnError` ended the run early. */
  readonly stoppedOnError: boolean;
}

/** Options of `new BatchProcessor()`. */
export interface BatchProcessorOptions {
  /**
   * How many items (or, in per-batch mode, batches) run at once: a number, or a shared
   * `ConcurrencyManager` whose limit then applies across everything that uses it (raising its limit
   * later raises this run's parallelism too). Never more workers than items. An item waiting out a
   * retry backoff holds no slot: it gives it to the next item and takes one again when the delay
   * ends, ahead of items not yet started (at most `max(100, 16 × concurrency)` items wait so before reading
   * pauses). Minimum: `1` (`Infinity` allowed).
   * @default 5
   */
  readonly concurrency?: number | ConcurrencyManager;
  /**
   * Items per batch: the unit of `onBatchComplete`, and what a per-batch handler receives. Input is
   * read as it is processed, never materialised. Minimum: `1`.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Retry each item (or batch) under this policy: a `RetryService`, or options to build one.
   * `undefined`: one attempt per item.
   * @default undefined
   */
  readonly retry?: RetryService | RetryOptions;
  /**
   * Names each item's operation in retry log lines, e.g. `(id) => \`Generating thumbnail for segmentation ${id}\``.
   * One that throws is reported to `onHookError` and the item runs unnamed.
   * @default undefined
   * @example
   * ```ts
   * operation: (id) => `Generating thumbnail for segmentation ${id}`
   * ```
   */
  readonly operation?: (item: never, index: number) => string;
  /**
   * Stop taking new items after the first failure (the rest are reported `notProcessed`). By default
   * one failure never stops or hides the others.
   * @default false
   */
  readonly stopOnError?: boolean;
  /**
   * Keep each result in `report.results`, in input order. Turn off for huge inputs whose results you
   * do not need, so memory stays flat.
   * @default true
   */
  readonly collectResults?: boolean;
  /**
   * Called with progress at most every `progressIntervalMs`, and once at the end.
   * @default undefined
   * @example
   * ```ts
   * onProgress: ({ completed, total, percent }) => console.log(`${completed}/${total} (${percent?.toFixed(0)}%)`)
   * ```
   */
  readonly onProgress?: (progress: BatchProgress) => void;
  /**
   * The least time between two `onProgress` calls, in milliseconds. Minimum: `0`.
   * @default 1000
   */
  readonly progressIntervalMs?: number;
  /**
   * Called when every item of a batch has finished.
   * @default undefined
   * @example
   * ```ts
   * onBatchComplete: ({ batchIndex, succeeded, failed }) => log(`batch ${batchIndex}: ${succeeded} ok, ${failed} failed`)
   * ```
   */
  readonly onBatchComplete?: (summary: BatchSummary) => void;
  /**
   * Where an error thrown by `onProgress` or `onBatchComplete` goes: it never changes the report or
   * counts an item twice.
   * @default a process warning (`BulwarkHookWarning`)
   */
  readonly onHookError?: (error: unknown, hook: string) => void;
  /**
   * The clock for durations and progress throttling, injectable for tests.
   * @default the system clock
   */
  readonly clock?: Clock;
}

/** Per-run options. */
export interface BatchRunOptions {
  /**
   * Stops taking new items; items not started are reported `notProcessed`, in-flight ones get the
   * signal and are reported as they end.
   * @default undefined
   */
  readonly signal?: AbortSignal;
  /**
   * The number of items, for `percent` and `etaMs` when the input is not an array.
   * @default the input's `length` for arrays, otherwise undefined
   */
  readonly total?: number;
}
