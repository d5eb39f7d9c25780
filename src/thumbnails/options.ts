import type { BatchProcessorOptions, BatchRunOptions } from '../batch/options.js';
import type { ConcurrencyManager } from '../concurrency/concurrency-manager.js';
import type { ConcurrencyStatus } from '../concurrency/options.js';
import type { Clock } from '../internal/clock.js';
import type { SignalOptions } from '../internal/options.js';
import type { RetryLogger, RetryOptions } from '../retry/options.js';
import type { RetryService } from '../retry/retry-service.js';
import type { SkippedPolygon } from './polygon-validation.js';
import type { SegmentationRecord, SegmentationRepository, ThumbnailInfo, ThumbnailStorage } from './ports.js';

/** Colours of polygons, by type and by class. `#RGB` or `#RRGGBB` (optionally with alpha). */
export interface ThumbnailColors {
  /**
   * Outer contours (and their fill).
   * @default '#FF0000'
   */
  readonly external?: string;
  /**
   * Holes' outlines.
   * @default '#0000FF'
   */
  readonly internal?: string;
  /**
   * Colours by polygon `class`, taking precedence over the type colours.
   * @default {}
   */
  readonly classes?: Readonly<Record<string, string>>;
}

/** How a thumbnail is rendered. Shared by `renderThumbnail` and `ThumbnailManager`. */
export interface ThumbnailRenderOptions {
  /**
   * Width of the box the thumbnail fits, in pixels. Range: `1` to `10000`.
   * @default 300
   */
  readonly width?: number;
  /**
   * Height of the box the thumbnail fits, in pixels. Range: `1` to `10000`.
   * @default 300
   */
  readonly height?: number;
  /**
   * How the image fits the box: `inside` keeps the aspect ratio within the box (one side may be
   * smaller), `cover` fills the box and crops the centre, `fill` stretches to the box.
   * @default 'inside'
   */
  readonly fit?: 'inside' | 'cover' | 'fill';
  /**
   * Output format.
   * @default 'jpeg'
   */
  readonly format?: 'jpeg' | 'webp' | 'png';
  /**
   * JPEG/WebP quality. Range: `1` to `100`.
   * @default 80
   */
  readonly quality?: number;
  /**
   * Polygon colours. Defaults match the segmentation backend: external red, holes blue.
   * @default { external: '#FF0000', internal: '#0000FF', classes: {} }
   */
  readonly colors?: ThumbnailColors;
  /**
   * Tint holes with this colour (at `fillOpacity`) instead of cutting them out — the segmentation
   * backend's look (blue holes over red tissue). `undefined`: holes are cut out.
   * @default undefined
   */
  readonly holeFill?: string;
  /**
   * Small discs on every vertex (after simplification to the output resolution), as editors show
   * them. `radius` in output pixels (minimum `0.5`, default `2`), `color` (default `#FFFF00`).
   * @default undefined (no markers)
   */
  readonly vertexMarkers?: { readonly radius?: number; readonly color?: string };
  /**
   * Discs on the first and last point of every polyline. Same shape as `vertexMarkers`.
   * @default undefined (no markers)
   */
  readonly endMarkers?: { readonly radius?: number; readonly color?: string };
  /**
   * Opacity of the fill inside external polygons (holes stay untouched). Range: `0` to `1`.
   * @default 0.4
   */
  readonly fillOpacity?: number;
  /**
   * Outline width in output pixels (not source pixels: it does not vanish when a 4096² image shrinks
   * to 300²). Range: `0` to `50`.
   * @default 2
   */
  readonly strokeWidth?: number;
  /**
   * Points closer than this many output pixels to the simplified outline are dropped before drawing,
   * so a 200 000-point contour costs about what a 2 000-point one does. `0` keeps every point.
   * Range: `0` to `5`.
   * @default 0.3
   */
  readonly simplifyTolerance?: number;
  /**
   * The most polygons one image may have; more is a `TooManyPolygonsError`. Minimum: `0`.
   * @default 10000
   */
  readonly maxPolygons?: number;
  /**
   * The most points all polygons of one image may have together; more is a `TooManyPointsError`,
   * raised before any point is validated or drawn (in `invalidPolygons: 'skip'` mode too: polygons
   * that would be skipped still count). Drawing time and memory grow with the points, so this bounds
   * what one hostile segmentation can cost. Minimum: `0`.
   * @default 1000000
   */
  readonly maxPoints?: number;
  /**
   * What an invalid polygon does (too few points, a NaN coordinate, an unknown colour…): `fail` the
   * thumbnail with an `InvalidPolygonError`, or `skip` that polygon only — the thumbnail is still made
   * and its result lists what was skipped and why (`skippedPolygons`).
   * @default 'fail'
   */
  readonly invalidPolygons?: 'fail' | 'skip';
  /**
   * The most pixels (width × height) a source image may have, checked from its header before
   * decoding; more is an `ImageTooLargeError` (a decompression bomb cannot exhaust memory). Minimum: `1`.
   * @default 268402689 (sharp's default, 16383 × 16383)
   */
  readonly limitInputPixels?: number;
  /**
   * How strict decoding is (sharp's `failOn`): `warning` rejects truncated or corrupt images that
   * libvips could only partly decode.
   * @default 'warning'
   */
  readonly failOn?: 'none' | 'truncated' | 'error' | 'warning';
  /**
   * Contrast stretching: `auto` stretches images deeper than 8 bits (16-bit microscopy TIFFs that use
   * 12 bits would otherwise look black), `always` stretches every image, `never` none.
   * @default 'auto'
   */
  readonly normalize?: 'auto' | 'always' | 'never';
  /**
   * The coordinate space polygons are given in. `oriented` (default): the image as displayed, after
   * its EXIF orientation is applied — what OpenCV's `imread` and browsers show. `raw`: the pixel
   * grid as stored in the file, before EXIF orientation; the points are rotated/mirrored with the
   * image. Either way the thumbnail itself is always upright.
   * @default 'oriented'
   */
  readonly polygonSpace?: 'oriented' | 'raw';
  /**
   * The colour transparent areas are flattened onto.
   * @default '#000000'
   */
  readonly background?: string;
}

/** Options of `new ThumbnailManager()`: where things live, how work runs, and how thumbnails look. */
export interface ThumbnailManagerOptions extends ThumbnailRenderOptions {
  /** Where thumbnails are written. */
  readonly storage: ThumbnailStorage;
  /** Where segmentations are read and thumbnails recorded. */
  readonly repository: SegmentationRepository;
  /**
   * Where source images are read (by `SegmentationRecord.imageKey`). When it has `localPath` (as
   * `FileSystemStorage` does), sharp reads the file itself instead of a copy made by `get`.
   * @default storage
   */
  readonly imageStorage?: Pick<ThumbnailStorage, 'get' | 'localPath'>;
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
   * Whether a key is a thumbnail this manager made, so that replacing it may delete it. A record's
   * previous `thumbnailKey` is deleted only when this says yes and it is not the record's source
   * image: a record that points its thumbnail at the source image (or anything else) never loses it.
   * @default with the default `keyFor`, keys shaped `thumbnails/<projectId>/<id>.<jpg|webp|png>`; with
   * a custom `keyFor`, none (old thumbnails are kept: give `ownsKey` to have them deleted)
   * @example
   * ```ts
   * ownsKey: (key) => key.startsWith('projects/') && key.includes('/thumbs/')
   * ```
   */
  readonly ownsKey?: (key: string, record: SegmentationRecord) => boolean;
  /**
   * The limit of one storage or repository call, in milliseconds: past it the call's `signal` aborts
   * and the attempt fails retriably — a hung call never holds a slot for ever. Minimum: `1`.
   * @default 30000
   */
  readonly ioTimeoutMs?: number;
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
  /** With `invalidPolygons: 'skip'`: the polygons left out, and why (empty otherwise). */
  readonly skippedPolygons: readonly SkippedPolygon[];
}

/** Per-call options of `generate`: its `signal` cancels the generation (between attempts at once, and passed to storage and repository calls). */
export type GenerateOptions = SignalOptions & {
  /**
   * Render options for this call, over the manager's (`colors` merged key by key), e.g. another
   * `format` or size. Validated before any work.
   * @default the manager's render options
   */
  readonly render?: ThumbnailRenderOptions;
};

/**
 * Per-call options of `generateMany`: a `signal`, the `total` for percent and ETA when `ids` is not
 * an array, and the progress callbacks, documented on `BatchProcessorOptions`.
 */
export type GenerateManyOptions = BatchRunOptions & Pick<BatchProcessorOptions, 'onProgress' | 'progressIntervalMs' | 'onBatchComplete'> & Pick<GenerateOptions, 'render'>;

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

/** Options of `regenerateMissing`. */
export interface RegenerateMissingOptions {
  /** The project to repair. */
  readonly projectId: string;
  /**
   * Only report what is missing; generate nothing.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * At most this many thumbnails taken up by one run, 1..1000.
   * @default 100
   */
  readonly limit?: number;
  /**
   * What counts as missing. `'repository'`: segmentations without a recorded thumbnail.
   * `'storage'`: those, plus recorded thumbnails whose file is gone — every recorded key is checked
   * with `storage.exists` (the repository must implement `listThumbnails`; pages of 500, 8 checks at
   * a time, each bounded by `ioTimeoutMs`). A failing check fails the run: nothing is guessed.
   * @default 'repository'
   */
  readonly verify?: 'repository' | 'storage';
  /**
   * Aborts the run: the scan stops, generation stops taking items (see `generateMany`).
   * @default undefined (the run ends on its own)
   */
  readonly signal?: AbortSignal;
}

/** The result of `regenerateMissing`. */
export interface RegenerationReport {
  /** The project. */
  readonly projectId: string;
  /** Whether this was a dry run (nothing generated). */
  readonly dryRun: boolean;
  /** Segmented images in the project. */
  readonly totalImages: number;
  /**
   * Of those, how many had no thumbnail when the run started: no recorded thumbnail, plus (with
   * `verify: 'storage'`) a recorded one whose file is gone.
   */
  readonly missingThumbnails: number;
  /** With `verify: 'storage'`: recorded thumbnails whose file was gone from storage (counted in `missingThumbnails`); `0` otherwise. */
  readonly missingFiles: number;
  /** Thumbnails generated by this run. */
  readonly regeneratedCount: number;
  /** Thumbnails that failed in this run (details in `failures`). */
  readonly failedCount: number;
  /** Ids taken up by this run (at most `limit`), oldest first. */
  readonly segmentationIds: readonly string[];
  /** Milliseconds the run took (the HTTP endpoint reports it as `processingTime`). */
  readonly durationMs: number;
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
