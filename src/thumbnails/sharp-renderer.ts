// The only file that imports sharp. It is loaded lazily, so `bulwark/thumbnails` can be imported
// (for its types, adapters and errors) by an app that installs sharp later.
import type { Sharp, SharpOptions } from 'sharp';
import { BulwarkError } from '../errors/bulwark-error.js';
import { imageClassifier } from '../errors/classifiers/image.js';
import { ImageDecodeError } from '../errors/image-decode-error.js';
import { ImageTooLargeError } from '../errors/image-too-large-error.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { integer, number, oneOf } from '../internal/validate.js';
import { decodeBmp, isBmp } from './bmp.js';
import type { ThumbnailRenderOptions } from './options.js';
import { isColor, prepareOverlay, validatePolygons, type Style, type Transform } from './polygons.js';
import { drawOverlay } from './rasterize.js';
import type { Polygon } from './ports.js';

type SharpFactory = (input?: Uint8Array, options?: SharpOptions) => Sharp;

let loading: Promise<SharpFactory> | undefined;

/** Loads sharp once; a typed error when it is not installed. */
function loadSharp(): Promise<SharpFactory> {
  loading ??= import('sharp').then(
    (module) => ((module as { default?: SharpFactory }).default ?? (module as unknown as SharpFactory)),
    (error: unknown) => {
      loading = undefined;
      throw new BulwarkError('ERR_BULWARK_SHARP_MISSING', 'bulwark/thumbnails needs the "sharp" package: npm install sharp', { cause: error });
    },
  );
  return loading;
}

/** @internal Render options after validation. */
export interface ResolvedRenderOptions {
  readonly width: number;
  readonly height: number;
  readonly fit: 'inside' | 'cover' | 'fill';
  readonly format: 'jpeg' | 'webp' | 'png';
  readonly quality: number;
  readonly style: Style;
  readonly maxPolygons: number;
  readonly limitInputPixels: number;
  readonly failOn: 'none' | 'truncated' | 'error' | 'warning';
  readonly normalize: 'auto' | 'always' | 'never';
  readonly polygonSpace: 'oriented' | 'raw';
  readonly background: string;
}

function color(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (isColor(value)) return value;
  throw new InvalidOptionError(name, 'a hex colour like "#FF0000"', value);
}

/** @internal Validates render options once. */
export function resolveRenderOptions(options: ThumbnailRenderOptions = {}): ResolvedRenderOptions {
  const classes = new Map<string, string>();
  for (const [name, value] of Object.entries(options.colors?.classes ?? {})) classes.set(name, color(`colors.classes.${name}`, value, ''));
  return {
    width: integer('width', options.width ?? 300, 1, 10_000),
    height: integer('height', options.height ?? 300, 1, 10_000),
    fit: oneOf('fit', options.fit ?? 'inside', ['inside', 'cover', 'fill']),
    format: oneOf('format', options.format ?? 'jpeg', ['jpeg', 'webp', 'png']),
    quality: integer('quality', options.quality ?? 80, 1, 100),
    style: {
      external: color('colors.external', options.colors?.external, '#FF0000'),
      internal: color('colors.internal', options.colors?.internal, '#0000FF'),
      classes,
      fillOpacity: number('fillOpacity', options.fillOpacity ?? 0.4, 0, 1),
      strokeWidth: number('strokeWidth', options.strokeWidth ?? 2, 0, 50),
      tolerance: number('simplifyTolerance', options.simplifyTolerance ?? 0.3, 0, 5),
    },
    maxPolygons: integer('maxPolygons', options.maxPolygons ?? 10_000, 0),
    limitInputPixels: integer('limitInputPixels', options.limitInputPixels ?? 268_402_689, 1),
    failOn: oneOf('failOn', options.failOn ?? 'warning', ['none', 'truncated', 'error', 'warning']),
    normalize: oneOf('normalize', options.normalize ?? 'auto', ['auto', 'always', 'never']),
    polygonSpace: oneOf('polygonSpace', options.polygonSpace ?? 'oriented', ['oriented', 'raw']),
    background: color('background', options.background, '#000000'),
  };
}

/**
 * @internal Linear contrast stretch of the (already resized) image: the 0.5th..99.5th percentile of
 * its samples maps to 0..255, so a 12-bit image stored in 16 bits is not black and a few hot pixels do
 * not flatten everything else. Greyscale becomes RGB. Runs on thumbnail-sized data only.
 */
export function stretch(samples: Float32Array, width: number, height: number, channels: number): { data: Uint8Array; width: number; height: number; channels: 3 } {
  const colour = channels >= 3 ? 3 : 1;
  const sorted = Float32Array.from(colour === 1 ? samples.filter((_, i) => i % channels === 0) : samples.filter((_, i) => i % channels < 3)).sort();
  const lo = sorted[Math.floor((sorted.length - 1) * 0.005)] ?? 0;
  const hi = sorted[Math.ceil((sorted.length - 1) * 0.995)] ?? 0;
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const v = samples[p * channels + (colour === 1 ? 0 : c)] as number;
      const scaled = (v - lo) * scale;
      out[p * 3 + c] = scaled <= 0 ? 0 : scaled >= 255 ? 255 : Math.round(scaled);
    }
  }
  return { data: out, width, height, channels: 3 };
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
}

const CONTENT_TYPES = { jpeg: 'image/jpeg', webp: 'image/webp', png: 'image/png' } as const;

/** Turns sharp's untyped errors into bulwark's typed, permanent ones where the input is at fault. */
function toImageError(error: unknown, limitInputPixels: number): unknown {
  if (error instanceof BulwarkError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new ImageTooLargeError(limitInputPixels, { cause: error });
  const verdict = imageClassifier(error);
  if (verdict !== undefined && !verdict.retriable) return new ImageDecodeError(`Cannot decode image: ${message}`, { cause: error });
  return error;
}

interface Geometry {
  readonly resizeWidth: number;
  readonly resizeHeight: number;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** @internal Output geometry for a `w × h` (oriented) source in a `bw × bh` box. Exact, so polygons map exactly. */
export function geometryFor(w: number, h: number, bw: number, bh: number, fit: 'inside' | 'cover' | 'fill'): Geometry {
  if (fit === 'fill') return { resizeWidth: bw, resizeHeight: bh, left: 0, top: 0, width: bw, height: bh };
  if (fit === 'inside') {
    const s = Math.min(bw / w, bh / h);
    const width = Math.max(1, Math.min(bw, Math.round(w * s)));
    const height = Math.max(1, Math.min(bh, Math.round(h * s)));
    return { resizeWidth: width, resizeHeight: height, left: 0, top: 0, width, height };
  }
  const s = Math.max(bw / w, bh / h);
  const resizeWidth = Math.max(bw, Math.round(w * s));
  const resizeHeight = Math.max(bh, Math.round(h * s));
  return { resizeWidth, resizeHeight, left: Math.floor((resizeWidth - bw) / 2), top: Math.floor((resizeHeight - bh) / 2), width: bw, height: bh };
}

/**
 * @internal Renders a thumbnail: decode (BMP by bulwark's own decoder, everything else by sharp,
 * with `failOn` and `limitInputPixels`), apply EXIF orientation, resize to the output size first,
 * then draw the polygons straight into the resized pixels (anti-aliased, in output pixels) and encode.
 */
export async function render(input: Uint8Array, polygons: readonly Polygon[] | undefined, o: ResolvedRenderOptions): Promise<RenderedThumbnail> {
  if (!(input instanceof Uint8Array)) throw new ImageDecodeError(`Image must be a Uint8Array or Buffer, got ${input === null ? 'null' : typeof input}`);
  if (input.length === 0) throw new ImageDecodeError('Image is empty (0 bytes)');
  const checked = polygons === undefined ? undefined : validatePolygons(polygons, o.maxPolygons);
  const sharp = await loadSharp();
  try {
    let pipeline: Sharp;
    let rawWidth: number;
    let rawHeight: number;
    let orientation = 1;
    let deep = false;
    if (isBmp(input)) {
      const bmp = decodeBmp(input, o.limitInputPixels);
      pipeline = sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: bmp.channels }, limitInputPixels: o.limitInputPixels });
      rawWidth = bmp.width;
      rawHeight = bmp.height;
    } else {
      const options: SharpOptions = { failOn: o.failOn, limitInputPixels: o.limitInputPixels };
      const meta = await sharp(input, options).metadata();
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
    let raw: { data: Uint8Array; width: number; height: number; channels: number };
    if (o.normalize === 'always' || (o.normalize === 'auto' && deep)) {
      const { data, info } = await pipeline.flatten({ background: o.background }).raw({ depth: 'float' }).toBuffer({ resolveWithObject: true });
      raw = stretch(new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4), info.width, info.height, info.channels);
    } else {
      const { data, info } = await pipeline.flatten({ background: o.background }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      raw = { data, width: info.width, height: info.height, channels: info.channels };
    }

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
      drawOverlay(raw, prepareOverlay(raw.width, raw.height, checked, transform, o.style), o.style.fillOpacity, o.style.strokeWidth);
    }
    let out = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels as 1 | 2 | 3 | 4 } });
    out = o.format === 'jpeg' ? out.jpeg({ quality: o.quality }) : o.format === 'webp' ? out.webp({ quality: o.quality }) : out.png();
    const encoded = await out.toBuffer();
    return { data: new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength), width: raw.width, height: raw.height, format: o.format, contentType: CONTENT_TYPES[o.format] };
  } catch (error) {
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
 *
 * @example
 * ```ts
 * const { data, width, height } = await renderThumbnail(await readFile('cells.tif'), polygons, { format: 'webp' });
 * ```
 */
export function renderThumbnail(image: Uint8Array, polygons?: readonly Polygon[], options?: ThumbnailRenderOptions): Promise<RenderedThumbnail> {
  let resolved: ResolvedRenderOptions;
  try {
    resolved = resolveRenderOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  return render(image, polygons, resolved);
}
