/** A point in source-image pixel coordinates. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/**
 * A segmentation polygon in source-image pixel coordinates (of the image as displayed, i.e. after
 * EXIF orientation; see `ThumbnailRenderOptions.polygonSpace`).
 */
export interface Polygon {
  /** Optional identifier, used in error messages and by `parentId`. */
  readonly id?: string;
  /** The points; a polygon needs at least 3, a polyline at least 2. The ring closes implicitly. */
  readonly points: readonly Point[];
  /** `external`: an object's outer contour. `internal`: a hole of its parent (or of the external polygon containing it). */
  readonly type: 'external' | 'internal';
  /** For an `internal` polygon: the `id` of the external polygon it is a hole of. */
  readonly parentId?: string;
  /** `polygon` (default) is filled and stroked; `polyline` is stroked only, never filled or closed. */
  readonly geometry?: 'polygon' | 'polyline';
  /** A class name, looked up in `colors.classes`. */
  readonly class?: string;
  /** A colour for this polygon only (`#RGB`, `#RRGGBB`), overriding type and class colours. */
  readonly color?: string;
}

/** What the repository knows about one segmented image. */
export interface SegmentationRecord {
  /** The segmentation's id. */
  readonly id: string;
  /** The project it belongs to. */
  readonly projectId: string;
  /** Where the source image lives, in `imageStorage` (by default the thumbnail storage). */
  readonly imageKey: string;
  /** The segmentation polygons in source-pixel coordinates. */
  readonly polygons: readonly Polygon[];
  /**
   * Optional: the key of the current thumbnail, if any. When present and different from the new key,
   * the old file is deleted after the new one is recorded (if the storage supports `delete`).
   */
  readonly thumbnailKey?: string;
}

/** What `saveThumbnail` records about a stored thumbnail. */
export interface ThumbnailInfo {
  /** The storage key. */
  readonly key: string;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `jpeg`, `webp` or `png`. */
  readonly format: string;
  /** Size of the encoded file in bytes. */
  readonly bytes: number;
}

/**
 * Where thumbnails (and, by default, source images) live. Implement it over S3, GCS, a database…;
 * bulwark ships `FileSystemStorage` and `MemoryStorage`, and a contract test suite.
 */
export interface ThumbnailStorage {
  /**
   * Stores `data` under `key`, replacing any previous object atomically (never half-written).
   * `meta.signal` aborts when the call timed out (`ioTimeoutMs`) or the generation was abandoned: pass
   * it to your client (S3, fetch…) so abandoned work stops. Every method takes the same optional signal.
   */
  put(key: string, data: Uint8Array, meta: { readonly contentType: string; readonly signal?: AbortSignal }): Promise<void>;
  /** Reads the object; rejects with a `StorageNotFoundError` (code `ERR_BULWARK_STORAGE_NOT_FOUND`) when there is none. */
  get(key: string, options?: IoOptions): Promise<Uint8Array>;
  /** Whether an object exists under `key`. */
  exists(key: string, options?: IoOptions): Promise<boolean>;
  /** Optional: deletes the object; resolves when there was none. */
  delete?(key: string, options?: IoOptions): Promise<void>;
  /**
   * Optional: the absolute path of the object's file on this machine, for readers that open files
   * themselves (a relative path, or one with `[`, which libvips would read as load options, is
   * ignored and `get` used).
   * When the source images' storage has it, `ThumbnailManager` lets sharp read the file instead of
   * calling `get`: no copy of the image in JavaScript memory (a buffer that waits in libuv's queue
   * is promoted to V8's old generation and triggers full garbage collections). Rejects like `get`
   * (`StorageNotFoundError`) when there is no object; resolves `undefined` to have `get` used instead
   * (e.g. for an object that is not a regular file). `FileSystemStorage` has it.
   */
  localPath?(key: string, options?: IoOptions): Promise<string | undefined>;
}

/** What `ThumbnailManager` passes to every storage and repository call. */
export interface IoOptions {
  /** Aborts when the call timed out (`ioTimeoutMs`) or the generation was abandoned. */
  readonly signal?: AbortSignal;
}

/** The repository of segmentations (Prisma, SQL, …); bulwark ships `MemoryRepository`. */
export interface SegmentationRepository {
  /** The segmentation with this id, or `undefined`. */
  getSegmentation(id: string, options?: IoOptions): Promise<SegmentationRecord | undefined>;
  /** Records the thumbnail of a segmentation. Called only after the storage write succeeded. */
  saveThumbnail(id: string, thumbnail: ThumbnailInfo, options?: IoOptions): Promise<void>;
  /** Segmentations of the project without a thumbnail, oldest first, at most `limit` ids. */
  findMissingThumbnails(query: { readonly projectId: string; readonly limit: number }, options?: IoOptions): Promise<{
    readonly totalImages: number;
    readonly missing: number;
    readonly ids: readonly string[];
  }>;
  /**
   * Optional, needed for `regenerateMissing({ verify: 'storage' })`: the project's segmentations that
   * have a recorded thumbnail, oldest first, one page of at most `limit` after the cursor `after` (an
   * opaque string this method returned as `next`; absent for the first page). `next` is absent on the
   * last page.
   */
  listThumbnails?(query: { readonly projectId: string; readonly limit: number; readonly after?: string }, options?: IoOptions): Promise<{
    readonly items: readonly { readonly id: string; readonly key: string }[];
    readonly next?: string;
  }>;
}
