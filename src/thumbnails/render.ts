import type { Sharp, SharpOptions } from './sharp-loader.js';
import { decodeBmp, isBmp } from './bmp.js';
import { ImageDecodeError } from './errors/image-decode-error.js';
import { ImageTooLargeError } from './errors/image-too-large-error.js';
import { StorageNotFoundError } from './errors/storage-not-found-error.js';
import { messageOf } from '../errors/message.js';
import { geometryFor } from './geometry.js';
import { toImageError } from './image-errors.js';
import type { ThumbnailRenderOptions } from './options.js';
import { prepareOverlay } from './overlay.js';
import { checkPolygons, type SkippedPolygon } from './polygon-validation.js';
import type { Polygon } from './ports.js';
import { Budget } from './budget.js';
import { drawOverlay, type Canvas } from './rasterize.js';
import { resolveRenderOptions, type ResolvedRenderOptions } from './render-options.js';
import { loadSharp } from './sharp-loader.js';
import { stretch } from './stretch.js';
import type { Transform } from './transform.js';

/**
 * @internal An image in a local file (`ThumbnailStorage.localPath`): sharp reads it itself, with no copy
 * in JavaScript memory; `bytes()` reads it when sharp cannot (BMP, which bulwark decodes).
 */
export interface ImageFile {
  readonly path: string;
  /** The storage key, for a `StorageNotFoundError`. */
  readonly key: string;
  bytes(): Promise<Uint8Array>;
}

/** sharp's error for a file that is not there. */
function isMissingFile(error: unknown): boolean {
  return /input file is missing/i.test(messageOf(error));
}

function checkBytes(input: unknown): asserts input is Uint8Array {
  if (!(input instanceof Uint8Array)) throw new ImageDecodeError(`Image must be a Uint8Array or Buffer, got ${input === null ? 'null' : typeof input}`);
  if (input.length === 0) throw new ImageDecodeError('Image is empty (0 bytes)');
}

/** A rendered thumbnail. */
export interface RenderedThumbnail {
  /** The encoded image. */
  readonly data: Uint8Array;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `jpeg`, `webp` or `png`. */
  readonly format: 'jpeg' | 'webp' | 'png';
  /** The MIME type, e.g. `image/jpeg`. */
  readonly contentType: string;
  /** With `invalidPolygons: 'skip'`: the polygons left out, and why. */
  readonly skippedPolygons: readonly SkippedPolygon[];
}

const CONTENT_TYPES = { jpeg: 'image/jpeg', webp: 'image/webp', png: 'image/png' } as const;

/**
 * @internal Renders a thumbnail: decode (BMP by bulwark's own decoder, everything else by sharp,
 * with `failOn` and `limitInputPixels`), apply EXIF orientation, resize to the output size first,
 * then draw the polygons straight into the resized pixels (anti-aliased, in output pixels) and encode.
 */
export async function render(source: Uint8Array | ImageFile, polygons: readonly Polygon[] | undefined, o: ResolvedRenderOptions): Promise<RenderedThumbnail> {
  // Bytes from `get` (or the caller of renderThumbnail), or a file from `localPath` (the manager only).
  const file = source instanceof Uint8Array ? undefined : source;
  if (file === undefined) checkBytes(source);
  const input: Uint8Array | string = file === undefined ? (source as Uint8Array) : file.path;
  const validation = polygons === undefined ? undefined : checkPolygons(polygons, o.maxPolygons, o.invalidPolygons, o.maxPoints);
  const checked = validation?.polygons;
  const skippedPolygons = validation?.skipped ?? [];
  const sharp = await loadSharp();
  try {
    let pipeline: Sharp;
    let rawWidth: number;
    let rawHeight: number;
    let orientation = 1;
    let deep = false;
    if (typeof input !== 'string' && isBmp(input)) {
      const bmp = decodeBmp(input, o.limitInputPixels);
      pipeline = sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: bmp.channels }, limitInputPixels: o.limitInputPixels });
      rawWidth = bmp.width;
      rawHeight = bmp.height;
    } else {
      const options: SharpOptions = { failOn: o.failOn, limitInputPixels: o.limitInputPixels };
      let meta;
      try {
        meta = await sharp(input, options).metadata();
      } catch (error) {
        if (file === undefined || isMissingFile(error)) throw error; // below: StorageNotFoundError
        // sharp cannot read it (a BMP, an empty or broken file): judge its bytes as `get` returns them.
        return await render(await file.bytes(), polygons, o);
      }
      if (meta.width === undefined || meta.height === undefined) throw new ImageDecodeError('Image has no dimensions');
      if (meta.width * meta.height > o.limitInputPixels) throw new ImageTooLargeError(o.limitInputPixels);
      rawWidth = meta.width;
      rawHeight = meta.height;
      orientation = meta.orientation ?? 1;
      deep = meta.depth !== undefined && meta.depth !== 'uchar' && meta.depth !== 'char';
      pipeline = sharp(input, options).rotate();
    }
    const swapped = orientation >= 5 && orientation <= 8;
    const w = swapped ? rawHeight : rawWidth;
    const h = swapped ? rawWidth : rawHeight;
    const g = geometryFor(w, h, o.width, o.height, o.fit);

    pipeline = pipeline.resize(g.resizeWidth, g.resizeHeight, { fit: 'fill' });
    if (g.resizeWidth !== g.width || g.resizeHeight !== g.height) pipeline = pipeline.extract({ left: g.left, top: g.top, width: g.width, height: g.height });
    // Decoding and resizing run in sharp's threads; the overlay is prepared and drawn meanwhile, and
    // blended in when the pixels arrive.
    const pixels: Promise<Canvas> =
      o.normalize === 'always' || (o.normalize === 'auto' && deep)
        ? pipeline
            .flatten({ background: o.background })
            .raw({ depth: 'float' })
            .toBuffer({ resolveWithObject: true })
            .then(({ data, info }) => stretch(new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4), info.width, info.height, info.channels))
        : pipeline
            .flatten({ background: o.background })
            .toColourspace('srgb')
            .raw({ depth: 'uchar' })
            .toBuffer({ resolveWithObject: true })
            .then(({ data, info }) => ({ data, width: info.width, height: info.height, channels: info.channels }));
    // Drawing is paced by `budget`: if the pixels fail first, it stops at its next check with their error.
    const budget = new Budget();
    pixels.then(undefined, (error: unknown) => budget.stop(error));

    const transform: Transform = {
      sx: g.resizeWidth / w,
      sy: g.resizeHeight / h,
      dx: g.left,
      dy: g.top,
      orientation: o.polygonSpace === 'raw' ? orientation : 1,
      rawWidth,
      rawHeight,
    };
    if (checked !== undefined && checked.length > 0) {
      try {
        await drawOverlay(pixels, await prepareOverlay(g.width, g.height, checked, transform, o.style, budget), o.style.fillOpacity, o.style.strokeWidth, budget);
      } catch (error) {
        await pixels; // an image that cannot be decoded is reported as that, whatever the drawing hit
        throw error;
      }
    }
    const raw = await pixels;
    let out = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels as 1 | 2 | 3 | 4 } });
    out = o.format === 'jpeg' ? out.jpeg({ quality: o.quality }) : o.format === 'webp' ? out.webp({ quality: o.quality }) : out.png();
    const encoded = await out.toBuffer();
    return { data: new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength), width: raw.width, height: raw.height, format: o.format, contentType: CONTENT_TYPES[o.format], skippedPolygons };
  } catch (error) {
    // The file went away between `localPath` and the read.
    if (file !== undefined && isMissingFile(error)) throw new StorageNotFoundError(file.key, { cause: error });
    throw toImageError(error, o.limitInputPixels);
  }
}

/**
 * Renders one thumbnail from image bytes (JPEG, PNG, WebP, TIFF including 16-bit, GIF, AVIF, BMP…),
 * with `polygons` drawn on it, or a plain thumbnail when `polygons` is omitted.
 *
 * @throws {ImageDecodeError} empty, truncated, corrupt or unsupported image.
 * @throws {ImageTooLargeError} more pixels than `limitInputPixels`.
 * @throws {InvalidPolygonError} a polygon with too few points, non-finite coordinates…
 * @throws {TooManyPolygonsError} more than `maxPolygons` polygons.
 * @throws {TooManyPointsError} more than `maxPoints` points over all polygons.
 *
 * @example
 * ```ts
 * const { data, width, height } = await renderThumbnail(await readFile('cells.tif'), polygons, { format: 'webp' });
 * ```
 */
export function renderThumbnail(image: Uint8Array, polygons?: readonly Polygon[], options?: ThumbnailRenderOptions): Promise<RenderedThumbnail> {
  let resolved: ResolvedRenderOptions;
  try {
    checkBytes(image); // never a file: only the manager passes those
    resolved = resolveRenderOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  return render(image, polygons, resolved);
}
