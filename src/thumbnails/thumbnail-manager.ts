import { isAbsolute } from 'node:path';
import { validateKey } from './adapters/keys.js';
import { BatchProcessor } from '../batch/batch-processor.js';
import type { BatchInput, BatchReport, ItemContext } from '../batch/options.js';
import { ConcurrencyManager, isConcurrencyManager } from '../concurrency/concurrency-manager.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { messageOf } from '../errors/message.js';
import { SegmentationNotFoundError } from './errors/segmentation-not-found-error.js';
import { stringCode } from '../classifiers/inspect.js';
import { startTimer, systemClock, type Clock } from '../internal/clock.js';
import { AttemptTimeoutError } from '../errors/attempt-timeout-error.js';
import { integer, number, oneOf, optionalBoolean, optionalFunction, optionalSignal } from '../internal/validate.js';
import type { RetryOutcome } from '../retry/retry.js';
import { isRetryService, RetryService } from '../retry/retry-service.js';
import type { GenerateManyOptions, GenerateOptions, RegenerateMissingOptions, RegenerationFailure, RegenerationReport, ThumbnailManagerOptions, ThumbnailMetrics, ThumbnailRenderOptions, ThumbnailResult } from './options.js';
import type { SegmentationRecord, SegmentationRepository, ThumbnailInfo, ThumbnailStorage } from './ports.js';
import { render, type RenderedThumbnail } from './render.js';
import { resolveRenderOptions, type ResolvedRenderOptions } from './render-options.js';

/** State kept across the attempts of one generation, so a retry after a storage fault does not re-render. */
interface AttemptState {
  record?: SegmentationRecord;
  rendered?: RenderedThumbnail;
  stored?: boolean;
  startedAt?: number;
  key?: string;
}

const EXTENSIONS = { jpeg: 'jpg', webp: 'webp', png: 'png' } as const;
const OWN_EXTENSIONS: readonly string[] = ['jpg', 'webp', 'png'];

/**
 * Whether sharp may open `path` as it is: absolute (a relative one would resolve against the process's
 * working folder), and without `[`: libvips reads a trailing `[...]` as load options and opens the
 * name before it — another file, unchecked (a key `a.png[x]` read `a.png`, even through a symbolic
 * link out of the root). Anything else is read with `get`.
 */
function readableBySharp(path: unknown): path is string {
  return typeof path === 'string' && isAbsolute(path) && !path.includes('[');
}

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
  readonly #images: Pick<ThumbnailStorage, 'get' | 'localPath'>;
  readonly #repository: SegmentationRepository;
  readonly #manager: ConcurrencyManager;
  readonly #retry: RetryService;
  readonly #render: ResolvedRenderOptions;
  readonly #renderInput: ThumbnailRenderOptions;
  readonly #kind: 'segmentation' | 'image';
  readonly #keyFor: (record: SegmentationRecord, extension: string) => string;
  readonly #ownsKey: (key: string, record: SegmentationRecord) => boolean;
  readonly #ioTimeoutMs: number;
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
    if (options.storage?.delete !== undefined && typeof options.storage.delete !== 'function') throw new InvalidOptionError('storage.delete', 'a function or undefined', options.storage.delete);
    optionalFunction('storage.localPath', options.storage?.localPath);
    optionalFunction('imageStorage.localPath', options.imageStorage?.localPath);
    if (options.imageStorage !== undefined && typeof options.imageStorage?.get !== 'function') {
      throw new InvalidOptionError('imageStorage', 'an object with get()', options.imageStorage);
    }
    this.#storage = storage;
    this.#images = options.imageStorage ?? storage;
    this.#repository = repository;
    const concurrency = options.concurrency ?? 5;
    this.#manager = isConcurrencyManager(concurrency) ? concurrency : new ConcurrencyManager({ concurrency: integer('concurrency', concurrency, 1) });
    this.#retry = isRetryService(options.retry) ? options.retry : new RetryService(options.logger === undefined ? (options.retry ?? {}) : { ...options.retry, logger: options.logger });
    this.#render = resolveRenderOptions(options);
    this.#renderInput = options;
    this.#kind = oneOf('kind', options.kind ?? 'segmentation', ['segmentation', 'image']);
    this.#ioTimeoutMs = number('ioTimeoutMs', options.ioTimeoutMs ?? 30_000, 1, Number.MAX_SAFE_INTEGER);
    const keyFor = optionalFunction('keyFor', options.keyFor);
    this.#keyFor = keyFor ?? ((record, ext) => `thumbnails/${record.projectId}/${record.id}.${ext}`);
    this.#ownsKey =
      optionalFunction('ownsKey', options.ownsKey) ??
      // The default layout's keys of this very record: never another record's live thumbnail.
      (keyFor === undefined ? (key, record) => OWN_EXTENSIONS.some((ext) => key === `thumbnails/${record.projectId}/${record.id}.${ext}`) : () => false);
    this.#batchSize = integer('batchSize', options.batchSize ?? 100, 1);
    this.#clock = options.clock ?? systemClock;
  }

  /** The concurrency manager the generations run under (`{ active, queued, concurrency }` via `status()`). */
  get concurrency(): ConcurrencyManager {
    return this.#manager;
  }

  /**
   * Generates, stores and records one thumbnail, under the concurrency limit and the retry policy.
   * Resolves when the repository has recorded it.
   *
   * @throws {SegmentationNotFoundError} no such segmentation.
   * @throws {ImageDecodeError | ImageTooLargeError | InvalidPolygonError | TooManyPolygonsError | TooManyPointsError} bad input (never retried).
   * @throws {RetryExhaustedError} transient failures outlasted the retries.
   */
  generate(segmentationId: string, options?: GenerateOptions): Promise<ThumbnailResult> {
    let signal: AbortSignal | undefined;
    let renderOptions: ResolvedRenderOptions;
    try {
      if (typeof segmentationId !== 'string' || segmentationId.length === 0) throw new InvalidOptionError('segmentationId', 'a non-empty string', segmentationId);
      signal = optionalSignal('signal', options?.signal);
      renderOptions = this.#renderFor(options?.render);
    } catch (error) {
      return Promise.reject(error);
    }
    const state: AttemptState = {};
    const outcome: RetryOutcome = { attempts: 0, verdict: undefined };
    const runOptions = signal === undefined ? undefined : { signal };
    return this.#manager.run(
      () =>
        this.#account(
          this.#retry.executeWithOutcome(({ attempt, signal }) => this.#attempt(segmentationId, attempt, state, signal, renderOptions), { ...runOptions, operation: `Generating thumbnail for segmentation ${segmentationId}` }, outcome),
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
    let renderOptions: ResolvedRenderOptions;
    try {
      renderOptions = this.#renderFor(options.render);
      processor = new BatchProcessor({
        concurrency: this.#manager,
        batchSize: this.#batchSize,
        retry: this.#retry,
        operation: (id: unknown) => `Generating thumbnail for segmentation ${messageOf(id)}`,
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
      const result = await this.#attempt(id, context.attempt, state, context.signal, renderOptions);
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
   * With `verify: 'storage'`, recorded thumbnails whose file is gone count as missing too.
   *
   * @throws {InvalidOptionError} `limit` outside 1..1000, `dryRun` not a boolean, empty `projectId`,
   * `verify` not `'repository'` or `'storage'`, or `'storage'` with a repository without `listThumbnails`.
   */
  async regenerateMissing(options: RegenerateMissingOptions): Promise<RegenerationReport> {
    const projectId = options?.projectId;
    if (typeof projectId !== 'string' || projectId.length === 0) throw new InvalidOptionError('projectId', 'a non-empty string', projectId);
    const dryRun = optionalBoolean('dryRun', options.dryRun) ?? false;
    const limit = integer('limit', options.limit ?? 100, 1, 1000);
    const verify = oneOf('verify', options.verify ?? 'repository', ['repository', 'storage']);
    if (verify === 'storage' && typeof this.#repository.listThumbnails !== 'function') {
      throw new InvalidOptionError('verify', "'repository' (this repository has no listThumbnails, which 'storage' needs)", verify);
    }
    const signal = optionalSignal('signal', options.signal);
    const start = this.#clock.now();
    const missing = await this.#io(0, signal, (s) => this.#repository.findMissingThumbnails({ projectId, limit }, { signal: s }));
    const ids = [...missing.ids];
    const missingFiles = verify === 'storage' ? await this.#findMissingFiles(projectId, ids, limit, signal) : 0;
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
      missingThumbnails: missing.missing + missingFiles,
      missingFiles,
      regeneratedCount,
      failedCount: failures.length,
      segmentationIds: ids,
      durationMs: this.#clock.now() - start,
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

  /** Whether `key` is a thumbnail this manager may delete (`ownsKey`; a throwing `ownsKey` keeps the file). */
  #owns(key: string, record: SegmentationRecord): boolean {
    try {
      return this.#ownsKey(key, record) === true;
    } catch {
      return false; // when in doubt, keep the file
    }
  }

  /**
   * Pages through the recorded thumbnails, checks each key with `storage.exists` (8 at a time), adds
   * the ids whose file is gone to `ids` while under `limit`, and returns how many are gone in all.
   */
  async #findMissingFiles(projectId: string, ids: string[], limit: number, signal: AbortSignal | undefined): Promise<number> {
    const list = this.#repository.listThumbnails as NonNullable<SegmentationRepository['listThumbnails']>;
    const taken = new Set(ids);
    let gone = 0;
    let after: string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const cursor = after;
      const page = await this.#io(0, signal, (s) => list.call(this.#repository, cursor === undefined ? { projectId, limit: 500 } : { projectId, limit: 500, after: cursor }, { signal: s }));
      if (!Array.isArray(page?.items)) throw new TypeError('listThumbnails must resolve to { items: Array<{ id, key }>, next?: string }');
      const items = page.items;
      for (let i = 0; i < items.length; i += 8) {
        const chunk = items.slice(i, i + 8);
        const found = await Promise.all(chunk.map((item) => this.#io(0, signal, (s) => this.#storage.exists(item.key, { signal: s }))));
        chunk.forEach((item, k) => {
          if (found[k] === true) return;
          gone++;
          if (ids.length < limit && !taken.has(item.id)) {
            taken.add(item.id);
            ids.push(item.id);
          }
        });
      }
      // The last page, or a cursor seen before (a repository bug: stop rather than loop forever).
      if (page.next === undefined || seen.has(page.next)) return gone;
      seen.add(page.next);
      after = page.next;
    }
  }

  /**
   * One storage or repository call, bounded: its own signal aborts after `ioTimeoutMs` or when the
   * attempt's does, and the wait ends then even if the call ignores its signal (the slot is freed).
   */
  #io<T>(attempt: number, signal: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timeoutMs = this.#ioTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const stop = (reason: unknown): void => {
        controller.abort(reason);
        reject(reason);
      };
      const timer = startTimer(this.#clock, timeoutMs, () => stop(new AttemptTimeoutError(timeoutMs, attempt)));
      const onAbort = (): void => stop((signal as AbortSignal).reason);
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      Promise.resolve()
        .then(() => call(controller.signal))
        .then(resolve, reject)
        .finally(() => {
          timer.cancel();
          signal?.removeEventListener('abort', onAbort);
        });
    });
  }

  /** The manager's render options, or this call's over them (validated now, before any work). */
  #renderFor(render: ThumbnailRenderOptions | undefined): ResolvedRenderOptions {
    if (render === undefined) return this.#render;
    if (typeof render !== 'object' || render === null) throw new InvalidOptionError('render', 'render options (an object)', render);
    const base = this.#renderInput;
    return resolveRenderOptions({ ...base, ...render, colors: { ...base.colors, ...render.colors, classes: { ...base.colors?.classes, ...render.colors?.classes } } });
  }

  /**
   * One attempt: read the record and image, render, store, record — skipping what an earlier attempt
   * finished. Its `signal` aborts when the attempt timed out or the caller aborted: it is checked
   * before every side effect, so an abandoned attempt never writes after its replacement did.
   */
  async #attempt(id: string, attempt: number, state: AttemptState, signal: AbortSignal, renderOptions: ResolvedRenderOptions): Promise<ThumbnailResult> {
    state.startedAt ??= this.#clock.now();
    if (state.record === undefined) {
      const record = await this.#io(attempt, signal, (s) => this.#repository.getSegmentation(id, { signal: s }));
      if (record === undefined) throw new SegmentationNotFoundError(id);
      state.record = record;
    }
    const record = state.record;
    // Computed once per generation: a non-deterministic `keyFor` plus a failed write must not record a
    // key that was never written.
    const key = (state.key ??= validateKey(this.#keyFor(record, EXTENSIONS[renderOptions.format])));
    if (state.rendered === undefined) {
      const images = this.#images;
      const read = (): Promise<Uint8Array> => this.#io(attempt, signal, (s) => images.get(record.imageKey, { signal: s }));
      // A local file is read by sharp itself: no copy of the image waits in JavaScript memory.
      const localPath = typeof images.localPath === 'function' ? images.localPath : undefined;
      const path = localPath === undefined ? undefined : await this.#io(attempt, signal, (s) => localPath.call(images, record.imageKey, { signal: s }));
      const image = readableBySharp(path) ? { path, key: record.imageKey, bytes: read } : await read();
      state.rendered = await render(image, this.#kind === 'segmentation' ? record.polygons : undefined, renderOptions);
    }
    const rendered = state.rendered;
    if (state.stored !== true) {
      signal.throwIfAborted();
      await this.#io(attempt, signal, (s) => this.#storage.put(key, rendered.data, { contentType: rendered.contentType, signal: s }));
      state.stored = true;
    }
    const info: ThumbnailInfo = { key, width: rendered.width, height: rendered.height, format: rendered.format, bytes: rendered.data.byteLength };
    signal.throwIfAborted();
    await this.#io(attempt, signal, (s) => this.#repository.saveThumbnail(id, info, { signal: s }));
    const previous = record.thumbnailKey;
    // Only a thumbnail this manager owns is deleted — never the source image, never a foreign key.
    if (previous !== undefined && previous !== key && previous !== record.imageKey && typeof this.#storage.delete === 'function' && this.#owns(previous, record)) {
      const remove = this.#storage.delete.bind(this.#storage);
      await this.#io(attempt, signal, (s) => remove(previous, { signal: s })).catch(() => {
        this.#staleDeletesFailed++;
      });
    }
    return { ...info, segmentationId: id, attempts: attempt, durationMs: this.#clock.now() - state.startedAt, skippedPolygons: rendered.skippedPolygons };
  }
}
