import { guardFor } from '../errors/guards.js';
import { SharpMissingError } from './errors/sharp-missing-error.js';
import { ImageDecodeError } from './errors/image-decode-error.js';
import { ImageTooLargeError } from './errors/image-too-large-error.js';
import { InvalidPolygonError } from './errors/invalid-polygon-error.js';
import { InvalidStorageKeyError } from './errors/invalid-storage-key-error.js';
import { SegmentationNotFoundError } from './errors/segmentation-not-found-error.js';
import { StorageNotFoundError } from './errors/storage-not-found-error.js';
import { TooManyPointsError } from './errors/too-many-points-error.js';
import { TooManyPolygonsError } from './errors/too-many-polygons-error.js';

/** True for an {@link ImageDecodeError}. */
export const isImageDecodeError = /* @__PURE__ */ guardFor(ImageDecodeError);
/** True for an {@link ImageTooLargeError}. */
export const isImageTooLargeError = /* @__PURE__ */ guardFor(ImageTooLargeError);
/** True for an {@link InvalidPolygonError}. */
export const isInvalidPolygonError = /* @__PURE__ */ guardFor(InvalidPolygonError);
/** True for a {@link TooManyPolygonsError}. */
export const isTooManyPolygonsError = /* @__PURE__ */ guardFor(TooManyPolygonsError);
/** True for a {@link TooManyPointsError}. */
export const isTooManyPointsError = /* @__PURE__ */ guardFor(TooManyPointsError);
/** True for an {@link InvalidStorageKeyError}. */
export const isInvalidStorageKeyError = /* @__PURE__ */ guardFor(InvalidStorageKeyError);
/** True for a {@link StorageNotFoundError}. */
export const isStorageNotFoundError = /* @__PURE__ */ guardFor(StorageNotFoundError);
/** True for a {@link SegmentationNotFoundError}. */
export const isSegmentationNotFoundError = /* @__PURE__ */ guardFor(SegmentationNotFoundError);
/** True for a {@link SharpMissingError}. */
export const isSharpMissingError = /* @__PURE__ */ guardFor(SharpMissingError);
