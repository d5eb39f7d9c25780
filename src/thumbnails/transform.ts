/** @internal An affine map from source to output pixels: `X = x * sx - dx`, `Y = y * sy - dy`. */
export interface Transform {
  readonly sx: number;
  readonly sy: number;
  readonly dx: number;
  readonly dy: number;
  /** EXIF orientation (1-8) to apply first, for polygons given in raw (stored) pixel coordinates. */
  readonly orientation: number;
  /** The raw (stored) image size, needed by `orientation`. */
  readonly rawWidth: number;
  readonly rawHeight: number;
}

/** @internal Maps a raw (stored-orientation) point to the displayed orientation, per EXIF 1-8. */
export function orient(x: number, y: number, orientation: number, w: number, h: number): [number, number] {
  switch (orientation) {
    case 2:
      return [w - x, y];
    case 3:
      return [w - x, h - y];
    case 4:
      return [x, h - y];
    case 5:
      return [y, x];
    case 6:
      return [h - y, x];
    case 7:
      return [h - y, w - x];
    case 8:
      return [y, w - x];
    default:
      return [x, y];
  }
}
