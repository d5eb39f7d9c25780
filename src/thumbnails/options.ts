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
