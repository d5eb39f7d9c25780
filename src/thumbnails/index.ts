// bulwark/thumbnails: segmentation thumbnails on sharp (an optional peer dependency).

// Manager
export { ThumbnailManager } from './thumbnail-manager.js';
export type {
  GenerateManyOptions,
  GenerateOptions,
  RegenerationFailure,
  RegenerateMissingOptions,
  RegenerationReport,
  ThumbnailManagerOptions,
  ThumbnailMetrics,
  ThumbnailResult,
} from './options.js';

// Recovery endpoint
export { createRecoveryHandler, createRecoveryMiddleware } from './http.js';
export type { ExpressLikeRequest, ExpressLikeResponse, RecoveryEndpointOptions, RecoveryLogger, RecoveryReply, RecoveryRequest } from './http.js';

// Rendering
export { renderThumbnail } from './render.js';
export type { RenderedThumbnail } from './render.js';
export type { ThumbnailColors, ThumbnailRenderOptions } from './options.js';
export { validatePolygons } from './polygon-validation.js';
export { fromBackendPolygons, fromCocoSegmentation } from './mappers.js';
export type { BackendPolygon, CocoRle, CocoSegmentation, PointLike } from './mappers.js';
export type { SkippedPolygon } from './polygon-validation.js';
export { decodeBmp, isBmp } from './bmp.js';
export type { RawImage } from './bmp.js';

// Ports and adapters
export type { IoOptions, Point, Polygon, SegmentationRecord, SegmentationRepository, ThumbnailInfo, ThumbnailStorage } from './ports.js';
export { FileSystemStorage } from './adapters/fs-storage.js';
export type { FileSystemStorageOptions } from './adapters/fs-storage.js';
export { MemoryStorage } from './adapters/memory-storage.js';
export type { StoredObject } from './adapters/memory-storage.js';
export { MemoryRepository } from './adapters/memory-repository.js';
export { validateKey } from './adapters/keys.js';

// Errors of this subpath
export { ImageDecodeError } from './errors/image-decode-error.js';
export { ImageTooLargeError } from './errors/image-too-large-error.js';
export { InvalidPolygonError } from './errors/invalid-polygon-error.js';
export { TooManyPolygonsError } from './errors/too-many-polygons-error.js';
export { TooManyPointsError } from './errors/too-many-points-error.js';
export { InvalidStorageKeyError } from './errors/invalid-storage-key-error.js';
export { StorageNotFoundError } from './errors/storage-not-found-error.js';
export { SegmentationNotFoundError } from './errors/segmentation-not-found-error.js';
export { SharpMissingError } from './errors/sharp-missing-error.js';
export {
  isImageDecodeError,
  isImageTooLargeError,
  isInvalidPolygonError,
  isTooManyPolygonsError,
  isTooManyPointsError,
  isInvalidStorageKeyError,
  isStorageNotFoundError,
  isSegmentationNotFoundError,
  isSharpMissingError,
} from './guards.js';
