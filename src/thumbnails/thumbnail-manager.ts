import { validateKey } from '../adapters/keys.js';
import { BatchProcessor } from '../batch/batch-processor.js';
import type { BatchInput, BatchProgress, BatchReport, BatchSummary, ItemContext } from '../batch/options.js';
import { ConcurrencyManager } from '../concurrency/concurrency-manager.js';
import type { ConcurrencyStatus } from '../concurrency/options.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { messageOf } from '../errors/retry-exhausted-error.js';
import { SegmentationNotFoundError } from '../errors/segmentation-not-found-error.js';
import { stringCode } from '../errors/classifiers/classifier.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { integer, oneOf, optionalBoolean, optionalFunction, optionalSignal } from '../internal/validate.js';
import type { RetryLogger, RetryOptions } from '../retry/options.js';
import type { RetryOutcome } from '../retry/retry.js';
import { RetryService } from '../retry/retry-service.js';
import type { ThumbnailRenderOptions } from './options.js';
import type { SegmentationRecord, SegmentationRepository, ThumbnailInfo, ThumbnailStorage } from './ports.js';
import { render, resolveRenderOptions, type RenderedThumbnail, type ResolvedRenderOptions } from './sharp-renderer.js';

/** Options of `new ThumbnailManager()`: where things live, how work runs, and how thumbnails look. */
export interface ThumbnailManagerOptions extends ThumbnailRenderOptions {
  /** Where thumbnails are written. */
  readonly storage: ThumbnailStorage;
  /** Where segmentations are read and thumbnails recorded. */
  readonly repository: SegmentationRepository;
  /**
   * Where source images are read (by `SegmentationRecord.imageKey`).
   * @default storage
   */
  readonly imageStorage?: Pick<ThumbnailStorage, 'get'>;
  /**
   * How many thumbnails are generated at once: a number, or a `ConcurrencyManager` shared with other
   * work. sharp runs on libuv's thread pool (4 threads unless `UV_THREADPOOL_SIZE` says otherwise),
   * which caps real parallelism; see the README's advice. Minimum: `1`.
   * @default 5
   */
  readonly concurrency?: number | ConcurrencyManager;
  /**
   * The retry policy of each generation: a `RetryService`, or options for one. The default classifier
   * retries transient storage and database errors (`EBUSY`, `EMFILE`, `ETIMEDOUT`, Prisma `P1001`…)
   * and fails corrupt images, missing files and invalid polygons at once.
   * @default { maxAttempts: 3, initialDelayMs: 1000, factor: 2, maxDelayMs: 10000 }
   */
  readonly retry?: RetryService | RetryOptions;
  /**
   * Where retry log lines go ("Generating thumbnail for segmentation X (attempt 1/3)" …). Ignored when
   * `retry` is a `RetryService` (give it its own logger).
   * @default undefined
   */
  readonly logger?: RetryLogger;
  /**
   * `segmentation` draws the record's polygons; `image` makes a plain thumbnail of the image alone.
   * @default 'segmentation'
   */
  readonly kind?: 'segmentation' | 'image';
  /**
   * The storage key of a record's thumbnail. Must return a valid key (see `validateKey`).
   * @default (record, ext) => `thumbnails/${record.projectId}/${record.id}.${ext}`
   * @example
   * ```ts
   * keyFor: (record, ext) => `projects/${record.projectId}/thumbs/${record.id}.${ext}`
   * ```
   */
  readonly keyFor?: (record: SegmentationRecord, extension: string) => string;
  /**
   * Items per batch in `generateMany` (the unit of `onBatchComplete`). Minimum: `1`.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * The clock for durations, injectable for tests.
   * @default the system clock
   */
  readonly clock?: Clock;
}

/** A generated thumbnail. */
export interface ThumbnailResult extends ThumbnailInfo {
  /** The segmentation it belongs to. */
  readonly segmentationId: string;
  /** Attempts it took. */
  readonly attempts: number;
  /** Milliseconds from the first attempt to the record being saved. */
  readonly durationMs: number;
}

/** Per-call options of `generate`. */
export interface GenerateOptions {
  /** Cancels the generation (between attempts at once; passed on to storage and repository calls you wrap). @default undefined */
  readonly signal?: AbortSignal;
}

/** Per-call options of `generateMany`. */
export interface GenerateManyOptions extends GenerateOptions {
  /** Progress, at most every `progressIntervalMs` and once at the end. @default undefined */
  readonly onProgress?: (progress: BatchProgress) => void;
  /** The least milliseconds between two progress calls. Minimum: `0`. @default 1000 */
  readonly progressIntervalMs?: number;
  /** Called when every item of a batch has finished. @default undefined */
  readonly onBatchComplete?: (summary: BatchSummary) => void;
  /** The number of ids, for percent and ETA when `ids` is not an array. @default undefined */
  readonly total?: number;
}

/** One thumbnail that could not be generated, as reported by `regenerateMissing`. */
export interface RegenerationFailure {
  /** The segmentation. */
  readonly segmentationId: string;
  /** The error's stable `code`, when it has one (e.g. `ERR_BULWARK_IMAGE_DECODE`, `ENOENT`). */
  readonly code: string | undefined;
  /** A human-readable message. */
  readonly message: string;
  /** Attempts made. */
  readonly attempts: number;
  /** Whether the final error was considered retriable (a later run may succeed). */
  readonly retriable: boolean | undefined;
}

/** The result of `regenerateMissing`. */
export interface RegenerationReport {
  /** The project. */
  readonly projectId: string;
  /** Whether this was a dry run (nothing generated). */
  readonly dryRun: boolean;
  /** Segmented images in the project. */
  readonly totalImages: number;
  /** Of those, how many had no thumbnail when the run started. */
  readonly missingThumbnails: number;
  /** Thumbnails generated by this run. */
  readonly regeneratedCount: number;
  /** Thumbnails that failed in this run (details in `failures`). */
  readonly failedCount: number;
  /** Ids taken up by this run (at most `limit`), oldest first. */
  readonly segmentationIds: readonly string[];
  /** Milliseconds the run took. */
  readonly processingTime: number;
  /** The concurrency manager's state at the end. */
  readonly concurrencyStatus: ConcurrencyStatus;
  /** Every failure, with its code and message. */
  readonly failures: readonly RegenerationFailure[];
}

/** Counters a user can read or export (see the README's OpenTelemetry recipe). */
export interface ThumbnailMetrics {
  /** Thumbnails generated since the manager was created. */
  readonly generated: number;
  /** Generations that failed for good. */
  readonly failed: number;
  /** Attempts made (first attempts and retries). */
  readonly attempts: number;
  /** Retries made (attempts beyond the first). */
  readonly retries: number;
  /** `generated / (generated + failed)`, `1` before any work. */
  readonly successRate: number;
  /** Mean milliseconds per successful thumbnail, `0` before any. */
  readonly averageProcessingMs: number;
  /** Old thumbnail files that could not be deleted after a regeneration. */
  readonly staleDeletesFailed: number;
  /** Queue depth and activity now. */
  readonly concurrency: ConcurrencyStatus;
}

/** State kept across the attempts of one generation, so a retry after a storage fault does not re-render. */
interface AttemptState {
  record?: SegmentationRecord;
  rendered?: RenderedThumbnail;
  stored?: boolean;
  startedAt?: number;
}

const EXTENSIONS = { jpeg: 'jpg', webp: 'webp', png: 'png' } as const;

/**
 * Generates segmentation thumbnails reliably: every generation runs under a `RetryService`, a
 * `ConcurrencyManager` and, for many ids, a `BatchProcessor`; promises resolve only when every
 * thumbnail was written and recorded or reported failed — nothing is fire-and-forget. Missing
 * thumbnails can be found and regenerated (`regenerateMissing`, or the HTTP recovery endpoint).
 *
 * @example
 * ```ts
 * const thumbnails = new ThumbnailManager({ storage, repository, format: 'webp' });
 * const report = await thumbnails.generateMany(savedSegmentationIds);
 * if (report.failed.length > 0) log.error(report.failed);
 * ```
 */
export class ThumbnailManager {
  readonly #storage: ThumbnailStorage;
  readonly #images: Pick<ThumbnailStorage, 'get'>;
  readonly #repository: SegmentationRepository;
  readonly #manager: ConcurrencyManager;
  readonly #retry: RetryService;
  readonly #render: ResolvedRenderOptions;
  readonly #kind: 'segmentation' | 'image';
  readonly #keyFor: (record: SegmentationRecord, extension: string) => string;
  readonly #batchSize: number;
  readonly #clock: Clock;
  #generated = 0;
  #failed = 0;
  #attempts = 0;
  #totalMs = 0;
  #staleDeletesFailed = 0;

  /** @throws {InvalidOptionError} when an option is out of range or an interface is missing a method. */
  constructor(options: ThumbnailManagerOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
    const { storage, repository } = options;
    for (const method of ['put', 'get', 'exists'] as const) {
      if (typeof storage?.[method] !== 'function') throw new InvalidOptionError('storage', `a ThumbnailStorage (missing ${method}())`, storage);
    }
    for (const method of ['getSegmentation', 'saveThumbnail', 'findMissingThumbnails'] as const) {
      if (typeof repository?.[method] !== 'function') throw new InvalidOptionError('repository', `a SegmentationRepository (missing ${method}())`, repository);
    }
    if (options.imageStorage !== undefined && typeof options.imageStorage?.get !== 'function') {
      throw new InvalidOptionError('imageStorage', 'an object with get()', options.imageStorage);
    }
    this.#storage = storage;
    this.#images = options.imageStorage ?? storage;
    this.#repository = repository;
    const concurrency = options.concurrency ?? 5;
    this.#manager = concurrency instanceof ConcurrencyManager ? concurrency : new ConcurrencyManager({ maxConcurrent: integer('concurrency', concurrency, 1) });
    this.#retry = options.retry instanceof RetryService ? options.retry : new RetryService(options.logger === undefined ? (options.retry ?? {}) : { ...options.retry, logger: options.logger });
    this.#render = resolveRenderOptions(options);
    this.#kind = oneOf('kind', options.kind ?? 'segmentation', ['segmentation', 'image']);
    this.#keyFor = optionalFunction('keyFor', options.keyFor) ?? ((record, ext) => `thumbnails/${record.projectId}/${record.id}.${ext}`);
    this.#batchSize = integer('batchSize', options.batchSize ?? 100, 1);
    this.#clock = options.clock ?? systemClock;
  }

  /** The concurrency manager the generations run under (`{ active, queued, maxConcurrent }` via `status()`). */
  get concurrency(): ConcurrencyManager {
    return this.#manager;
  }

  /**
   * Generates, stores and records one thumbnail, under the concurrency limit and the retry policy.
   * Resolves when the repository has recorded it.
   *
   * @throws {SegmentationNotFoundError} no such segmentation.
   * @throws {ImageDecodeError | ImageTooLargeError | InvalidPolygonError | TooManyPolygonsError} bad input (never retried).
   * @throws {RetryExhaustedError} transient failures outlasted the retries.
   */
  generate(segmentationId: string, options?: GenerateOptions): Promise<ThumbnailResult> {
    let signal: AbortSignal | undefined;
    try {
      if (typeof segmentationId !== 'string' || segmentationId.length === 0) throw new InvalidOptionError('segmentationId', 'a non-empty string', segmentationId);
      signal = optionalSignal('signal', options?.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    const state: AttemptState = {};
    const outcome: RetryOutcome = { attempts: 0, verdict: undefined };
    const runOptions = signal === undefined ? undefined : { signal };
    return this.#manager.run(
      () =>
        this.#account(
          this.#retry.executeWithOutcome(({ attempt }) => this.#attempt(segmentationId, attempt, state), { ...runOptions, operation: `Generating thumbnail for segmentation ${segmentationId}` }, outcome),
          outcome,
        ),
      runOptions,
    );
  }

  /**
   * Generates thumbnails for many ids (an array, or any iterable or async iterable, read as slots
   * free up) and resolves with a report accounting for every id: `succeeded`, `failed` (with the
   * error, attempts and verdict), `notProcessed` (after an abort). Never rejects because of one id.
   */
  generateMany(segmentationIds: BatchInput<string>, options: GenerateManyOptions = {}): Promise<BatchReport<string, ThumbnailResult>> {
    let processor: BatchProcessor;
    try {
      processor = new BatchProcessor({
        concurrency: this.#manager,
        batchSize: this.#batchSize,
        retry: this.#retry,
        operation: (id: string) => `Generating thumbnail for segmentation ${id}`,
        clock: this.#clock,
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        ...(options.progressIntervalMs === undefined ? {} : { progressIntervalMs: options.progressIntervalMs }),
        ...(options.onBatchComplete === undefined ? {} : { onBatchComplete: options.onBatchComplete }),
      });
    } catch (error) {
      return Promise.reject(error);
    }
    const states = new Map<number, AttemptState>();
    const handler = async (id: string, context: ItemContext): Promise<ThumbnailResult> => {
      if (typeof id !== 'string' || id.length === 0) throw new InvalidOptionError('segmentationId', 'a non-empty string', id);
      let state = states.get(context.index);
      if (state === undefined || context.attempt === 1) {
        state = {};
        states.set(context.index, state);
      }
      const result = await this.#attempt(id, context.attempt, state);
      states.delete(context.index);
      return result;
    };
    const run = processor.process(segmentationIds, handler, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.total === undefined ? {} : { total: options.total }),
    });
    return run.then((report) => {
      for (const failure of report.failed) {
        this.#failed++;
        this.#attempts += failure.attempts;
      }
      for (const result of report.results) {
        if (result === undefined) continue;
        this.#generated++;
        this.#attempts += result.attempts;
        this.#totalMs += result.durationMs;
      }
      return report;
    });
  }

  /**
   * Finds the project's segmentations that have no thumbnail (oldest first, at most `limit`) and
   * generates them — or, with `dryRun`, only reports them.
   *
   * @throws {InvalidOptionError} `limit` outside 1..1000, `dryRun` not a boolean, empty `projectId`.
   */
  async regenerateMissing(options: { readonly projectId: string; readonly dryRun?: boolean; readonly limit?: number; readonly signal?: AbortSignal }): Promise<RegenerationReport> {
    const projectId = options?.projectId;
    if (typeof projectId !== 'string' || projectId.length === 0) throw new InvalidOptionError('projectId', 'a non-empty string', projectId);
    const dryRun = optionalBoolean('dryRun', options.dryRun) ?? false;
    const limit = integer('limit', options.limit ?? 100, 1, 1000);
    const signal = optionalSignal('signal', options.signal);
    const start = this.#clock.now();
    const missing = await this.#repository.findMissingThumbnails({ projectId, limit });
    const ids = [...missing.ids];
    let regeneratedCount = 0;
    let failures: RegenerationFailure[] = [];
    if (!dryRun && ids.length > 0) {
      const report = await this.generateMany(ids, signal === undefined ? {} : { signal });
      regeneratedCount = report.succeeded;
      failures = report.failed.map((f) => ({
        segmentationId: f.item,
        code: stringCode(f.error),
        message: messageOf(f.error),
        attempts: f.attempts,
        retriable: f.verdict?.retriable,
      }));
      for (const skipped of report.notProcessed) {
        failures.push({ segmentationId: skipped.item, code: 'ERR_BULWARK_NOT_PROCESSED', message: 'Not processed: the run was aborted', attempts: 0, retriable: true });
      }
    }
    return {
      projectId,
      dryRun,
      totalImages: missing.totalImages,
      missingThumbnails: missing.missing,
      regeneratedCount,
      failedCount: failures.length,
      segmentationIds: ids,
      processingTime: this.#clock.now() - start,
      concurrencyStatus: this.#manager.status(),
      failures,
    };
  }

  /** Success rate, retries, queue depth and time per thumbnail since the manager was created. */
  metrics(): ThumbnailMetrics {
    const done = this.#generated + this.#failed;
    return {
      generated: this.#generated,
      failed: this.#failed,
      attempts: this.#attempts,
      retries: this.#attempts - done,
      successRate: done === 0 ? 1 : this.#generated / done,
      averageProcessingMs: this.#generated === 0 ? 0 : this.#totalMs / this.#generated,
      staleDeletesFailed: this.#staleDeletesFailed,
      concurrency: this.#manager.status(),
    };
  }

  async #account(work: Promise<ThumbnailResult>, outcome: RetryOutcome): Promise<ThumbnailResult> {
    try {
      const result = await work;
      this.#generated++;
      this.#attempts += outcome.attempts;
      this.#totalMs += result.durationMs;
      return result;
    } catch (error) {
      this.#failed++;
      this.#attempts += outcome.attempts;
      throw error;
    }
  }

  /** One attempt: read the record and image, render, store, record — skipping what an earlier attempt finished. */
  async #attempt(id: string, attempt: number, state: AttemptState): Promise<ThumbnailResult> {
    state.startedAt ??= this.#clock.now();
    if (state.record === undefined) {
      const record = await this.#repository.getSegmentation(id);
      if (record === undefined) throw new SegmentationNotFoundError(id);
      state.record = record;
    }
    const record = state.record;
    const key = validateKey(this.#keyFor(record, EXTENSIONS[this.#render.format]));
    if (state.rendered === undefined) {
      const image = await this.#images.get(record.imageKey);
      state.rendered = await render(image, this.#kind === 'segmentation' ? record.polygons : undefined, this.#render);
    }
    const rendered = state.rendered;
    if (state.stored !== true) {
      await this.#storage.put(key, rendered.data, { contentType: rendered.contentType });
      state.stored = true;
    }
    const info: ThumbnailInfo = { key, width: rendered.width, height: rendered.height, format: rendered.format, bytes: rendered.data.byteLength };
    await this.#repository.saveThumbnail(id, info);
    const previous = record.thumbnailKey;
    if (previous !== undefined && previous !== key && this.#storage.delete !== undefined) {
      await this.#storage.delete(previous).catch(() => {
        this.#staleDeletesFailed++;
      });
    }
    return { ...info, segmentationId: id, attempts: attempt, durationMs: this.#clock.now() - state.startedAt };
  }
}
